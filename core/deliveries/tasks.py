"""Celery tasks of the deliveries: sending one message (queued after the commit that kept it, in its schema), and
beat's sweep of the schemas with a message pending."""

from smtplib import SMTPException

from celery import shared_task

from core.common.mail import MAIL_RETRY
from core.common.sms import SmsFailure
from core.deliveries.selectors import deliveries_next_due
from core.deliveries.services import DELIVERIES_WORK, DeliveryDeferred, deliveries_sweep, delivery_send
from tenants.tasks import each_station_with_work, in_schemas_with_work

# The mail tasks' back-off; a provider's failure that may pass (SmsFailure not permanent) is retried too. A permanent
# one ends the delivery FAILED inside the service and is not raised.
DELIVERY_RETRY = {**MAIL_RETRY, "autoretry_for": (SmsFailure, SMTPException, OSError)}


@shared_task(bind=True, **DELIVERY_RETRY)
def delivery_send_task(self, *, delivery_id: int) -> bool:
    # The last attempt's failure is kept as final (FAILED): no retry follows.
    last_attempt = self.request.retries >= self.max_retries
    try:
        return delivery_send(delivery_id=delivery_id, last_attempt=last_attempt)
    except DeliveryDeferred as deferred:
        # Over the number's rate limit: back when the limit allows. Should the retries run out, the row stays QUEUED
        # and the sweep queues it again.
        raise self.retry(countdown=deferred.countdown, exc=deferred) from None


@shared_task
def deliveries_sweep_all_task() -> dict[str, object]:
    """Beat: the sweep in the public schema and in each station with a message pending (many: in chunks)."""
    return each_station_with_work(
        kind=DELIVERIES_WORK, run=deliveries_sweep, next_due=deliveries_next_due, chunk_task=deliveries_sweep_chunk_task
    )


@shared_task
def deliveries_sweep_chunk_task(*, schemas: list[str]) -> dict[str, object]:
    return in_schemas_with_work(
        kind=DELIVERIES_WORK, schemas=schemas, run=deliveries_sweep, next_due=deliveries_next_due
    )
