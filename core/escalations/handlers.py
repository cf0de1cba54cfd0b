"""The messages the public schema receives about escalated complaints (see `core.messaging`)."""

from core.escalations import services
from core.messaging.services import message_handler

MESSAGE_ESCALATED = "escalations.escalated"


@message_handler(MESSAGE_ESCALATED)
def escalated(*, payload: dict, source: str) -> None:
    services.escalation_receive(payload=payload, source=source)
