"""The messages the public schema receives from stations for the city statistics (see `core.messaging`)."""

from core.messaging.services import message_handler
from core.stats import services


@message_handler(services.MESSAGE_FACT)
def case_fact(*, payload: dict, source: str) -> None:
    services.case_fact_apply(payload=payload, source=source)


@message_handler(services.MESSAGE_COMPLAINT)
def complaint_fact(*, payload: dict, source: str) -> None:
    services.complaint_fact_apply(payload=payload, source=source)
