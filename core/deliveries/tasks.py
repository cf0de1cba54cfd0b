"""Celery tasks of the deliveries: sending one message (queued after the commit that kept it, in its schema), and
beat's sweep of every schema."""

from smtplib import SMTPException

from celery import shared_task
from django_tenants.utils import get_public_schema_name, schema_context

from core.common.mail import MAIL_RETRY
from core.common.sms import SmsFailure
from core.deliveries.services import DeliveryDeferred, deliveries_sweep, delivery_send
from tenants.tasks import each_station

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
    with schema_context(get_public_schema_name()):
        public = deliveries_sweep()
    return {get_public_schema_name(): public, **each_station(deliveries_sweep)}
