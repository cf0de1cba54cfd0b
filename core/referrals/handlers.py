"""The messages a station receives about referrals (see `core.messaging`): each applied once, in order."""

from core.messaging.services import message_handler
from core.referrals import services


@message_handler(services.MESSAGE_REQUESTED)
def referral_requested(*, payload: dict, source: str) -> None:
    services.referral_receive(payload=payload, source=source)


@message_handler(services.MESSAGE_EVENT)
def referral_event(*, payload: dict, source: str) -> None:
    services.referral_event_apply(payload=payload, source=source)
