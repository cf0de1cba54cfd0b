"""Delivery of messages between schemas (see `core.messaging.services`).

A delivery task runs in the sender's schema (tenant-schemas-celery switches to it). Its task is acknowledged only
after it ran (`CELERY_TASK_ACKS_LATE`), so a worker killed mid-delivery leaves it to be delivered again; an error is
retried with back-off for as long as it takes; and the beat sweep queues again whatever is still pending a minute on
(a task lost with its worker or broker). Every path ends at the receiver's inbox, which applies a key once.
"""

import random

from celery import shared_task
from django.conf import settings

from core.messaging import selectors, services
from tenants.tasks import each_station_with_work, in_schemas_with_work

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


def _sweep() -> int:
    return services.outbox_requeue_stale(older_than=settings.MESSAGING_REQUEUE_AFTER)


def _next_due():
    return selectors.outbox_next_due(older_than=settings.MESSAGING_REQUEUE_AFTER)


@shared_task
def outbox_requeue_stale_all_task() -> dict[str, object]:
    """Beat: in the public schema and in each station whose outbox has a message that may be stale, queue again the
    messages still undelivered (many stations: in chunks, see `outbox_requeue_stale_chunk_task`)."""
    return each_station_with_work(
        kind=services.OUTBOX_WORK, run=_sweep, next_due=_next_due, chunk_task=outbox_requeue_stale_chunk_task
    )


@shared_task
def outbox_requeue_stale_chunk_task(*, schemas: list[str]) -> dict[str, object]:
    return in_schemas_with_work(kind=services.OUTBOX_WORK, schemas=schemas, run=_sweep, next_due=_next_due)
