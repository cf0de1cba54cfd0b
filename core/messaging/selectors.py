"""Reads of the message tables: what is still on its way (operations)."""

import datetime

from django.db import connection
from django.db.models import Count, Min, QuerySet

from core.messaging.models import OutboxMessage


def outbox_pending() -> QuerySet[OutboxMessage]:
    return OutboxMessage.objects.filter(delivered_at__isnull=True).order_by("id")


def outbox_backlog() -> dict:
    """How many messages wait in the active schema's outbox, and since when."""
    return outbox_pending().aggregate(count=Count("id"), oldest=Min("created_at"))


def outbox_next_due(*, older_than: datetime.timedelta) -> datetime.datetime | None:
    """When `outbox_requeue_stale(older_than=...)` will next find a message to queue again in the active schema (it
    may be past); None when nothing is undelivered. The same rule as the sweep's: stale `older_than` after it was
    sent, and after its last attempt by twice as long for each time it was queued again (at most 64 times)."""
    table = OutboxMessage._meta.db_table
    due = "GREATEST(created_at + %s, COALESCE(attempted_at + %s * power(2, LEAST(requeues, 6)), created_at))"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT MIN({due}) FROM {table} WHERE delivered_at IS NULL",  # noqa: S608  (constant SQL)
            [older_than, older_than],
        )
        return cursor.fetchone()[0]
