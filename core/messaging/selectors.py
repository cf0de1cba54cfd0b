"""Reads of the message tables: what is still on its way (operations)."""

from django.db.models import Count, Min, QuerySet

from core.messaging.models import OutboxMessage


def outbox_pending() -> QuerySet[OutboxMessage]:
    return OutboxMessage.objects.filter(delivered_at__isnull=True).order_by("id")


def outbox_backlog() -> dict:
    """How many messages wait in the active schema's outbox, and since when."""
    return outbox_pending().aggregate(count=Count("id"), oldest=Min("created_at"))
