"""The messages sent about a case or a demand, newest first (in the schema in use). The caller has reached the case
or demand through its access selector."""

import datetime

from django.db.models import Min, Q, QuerySet

from core.deliveries.models import Delivery, DeliveryStatus
from core.deliveries.services import REQUEUE_AFTER, STALE_SENDING_AFTER


def deliveries_of_case(*, case_id: int) -> QuerySet[Delivery]:
    return Delivery.objects.filter(case_id=case_id).order_by("-created_at", "-id")


def deliveries_of_demand(*, demand_id: int) -> QuerySet[Delivery]:
    return Delivery.objects.filter(demand_id=demand_id).order_by("-created_at", "-id")


def deliveries_next_due() -> datetime.datetime | None:
    """When `deliveries_sweep` will next find something to do in the active schema (it may be past): a queued message
    `REQUEUE_AFTER` past its due attempt, one sending for `STALE_SENDING_AFTER`. None when nothing is pending."""
    found = Delivery.objects.aggregate(
        queued=Min("next_attempt_at", filter=Q(status=DeliveryStatus.QUEUED)),
        sending=Min("attempted_at", filter=Q(status=DeliveryStatus.SENDING)),
    )
    due = []
    if found["queued"] is not None:
        due.append(found["queued"] + REQUEUE_AFTER)
    if found["sending"] is not None:
        due.append(found["sending"] + STALE_SENDING_AFTER)
    return min(due) if due else None
