"""Reads of the station desk, in the current station's schema. Every list comes with its related rows loaded in a
fixed number of queries, whatever its length."""

import datetime

from django.db.models import Prefetch, QuerySet

from core.desk.models import CaseEvent, Demand, RecordAmendment, ServiceCase, ServicePlan, ServiceRecord
from core.desk.services import DEMAND_TABLES
from tenants.models import User


def _cases() -> QuerySet[ServiceCase]:
    return ServiceCase.objects.select_related("demand", "category", "assignee").prefetch_related("items")


def case_list(
    *,
    state: str = "",
    category: str = "",
    assignee: int | User | None = None,
    enterprise: int | None = None,
    received_from: datetime.date | None = None,
    received_to: datetime.date | None = None,
    mine_for: User | None = None,
) -> QuerySet[ServiceCase]:
    """Cases, newest first. `category` is a catalog clause (`5.1.6`); `assignee` a user or user id; `mine_for` the
    cases assigned to that user; `received_from`/`received_to` local dates, both included."""
    cases = _cases()
    if state:
        cases = cases.filter(state=state)
    if category:
        cases = cases.filter(category__clause=category)
    if assignee is not None:
        cases = cases.filter(assignee=assignee)
    if mine_for is not None:
        cases = cases.filter(assignee=mine_for)
    if enterprise is not None:
        cases = cases.filter(demand__enterprise=enterprise)
    # `__date` converts to the current time zone (settings.TIME_ZONE), so these are the station's local dates.
    if received_from is not None:
        cases = cases.filter(received_at__date__gte=received_from)
    if received_to is not None:
        cases = cases.filter(received_at__date__lte=received_to)
    return cases


def case_get(*, pk: int) -> ServiceCase | None:
    """One case with its plans (current first, then the history) and its timeline."""
    plans = ServicePlan.objects.select_related("staff", "institution", "created_by").prefetch_related("agreed_items")
    return (
        _cases()
        .select_related("demand__enterprise", "record__staff", "record__category", "record__institution")
        .prefetch_related(
            Prefetch("record__amendments", queryset=RecordAmendment.objects.select_related("actor")),
            Prefetch("plans", queryset=plans.order_by("-created_at", "-id")),
            Prefetch("events", queryset=CaseEvent.objects.select_related("actor").order_by("created_at", "id")),
        )
        .filter(pk=pk)
        .first()
    )


def record_get(*, pk: int) -> ServiceRecord | None:
    """One service record with its amendments."""
    return (
        ServiceRecord.objects.select_related("staff", "category", "institution")
        .prefetch_related(Prefetch("amendments", queryset=RecordAmendment.objects.select_related("actor")))
        .filter(pk=pk)
        .first()
    )


def demand_list() -> QuerySet[Demand]:
    """Demands, newest first, with their cases and ticked boxes (not their table rows: see `demand_get`)."""
    return Demand.objects.select_related("enterprise").prefetch_related(
        "boxes", Prefetch("cases", queryset=ServiceCase.objects.select_related("category").order_by("number"))
    )


def demand_get(*, pk: int) -> Demand | None:
    """The whole demand: every field of Appendix A, its table rows and its cases."""
    return demand_list().prefetch_related(*DEMAND_TABLES).filter(pk=pk).first()
