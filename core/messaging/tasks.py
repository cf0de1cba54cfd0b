"""Delivery of messages between schemas (see `core.messaging.services`).

A delivery task runs in the sender's schema (tenant-schemas-celery switches to it). Its task is acknowledged only
after it ran (`CELERY_TASK_ACKS_LATE`), so a worker killed mid-delivery leaves it to be delivered again; an error is
retried with back-off for as long as it takes; and the beat sweep queues again whatever is still pending a minute on
(a task lost with its worker or broker). Every path ends at the receiver's inbox, which applies a key once.
"""

import random

from celery import shared_task
from django.conf import settings
from django_tenants.utils import get_public_schema_name, schema_context

from core.messaging import services
from tenants.tasks import each_station

RETRY_BACKOFF_MAX = 600  # seconds between attempts, at most


@shared_task(bind=True, max_retries=None)
def message_deliver_task(self, *, message_id: int) -> int:
    try:
        return services.message_deliver(message_id=message_id)
    except services.MessageOutOfOrder as error:
        # Its predecessor is being delivered by another task right now: look again shortly.
        raise self.retry(exc=error, countdown=1 + random.random()) from None  # noqa: S311  (jitter, not secrecy)
    except Exception as error:
        countdown = min(RETRY_BACKOFF_MAX, 2 ** min(self.request.retries, 10)) * (0.5 + random.random())  # noqa: S311
        raise self.retry(exc=error, countdown=countdown) from None


def _sweep():
    return services.outbox_requeue_stale(older_than=settings.MESSAGING_REQUEUE_AFTER)


@shared_task
def outbox_requeue_stale_all_task() -> dict[str, object]:
    """Beat: in the public schema and in every station, queue again the messages still undelivered."""
    with schema_context(get_public_schema_name()):
        public = _sweep()
    return {get_public_schema_name(): public, **each_station(_sweep)}
