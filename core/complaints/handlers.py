"""The messages a station receives about its complaints (see `core.messaging`): the bureau's handling."""

from core.complaints import services
from core.messaging.services import message_handler


@message_handler(services.MESSAGE_HANDLED)
def bureau_handled(*, payload: dict, source: str) -> None:
    services.complaint_bureau_handling_apply(payload=payload, source=source)
