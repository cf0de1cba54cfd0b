"""The messages the public schema receives from stations for the bureau's read models (see `core.messaging`)."""

from core.messaging.services import message_handler
from core.network import services


@message_handler("network.referral_flow")
def referral_flow(*, payload: dict, source: str) -> None:
    services.referral_flow_apply(payload=payload, source=source)


@message_handler("network.station_load")
def station_load(*, payload: dict, source: str) -> None:
    services.station_load_apply(payload=payload, source=source)
