"""Reads of the station desk, in the current station's schema. Every list comes with its related rows loaded in a
fixed number of queries, whatever its length."""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from core.catalog.models import FormBox, FormKind
from core.common import workdays
from core.desk.models import (
    CLOSED,
    DEMAND_TABLES,
    RECORD_FIELDS,
    CaseEvent,
    CaseState,
    Demand,
    PlanKind,
    RecordAmendment,
    ServiceCase,
    ServicePlan,
    ServiceRecord,
    SurveyInvitation,
)
from core.desk.services import demand_survey_email, record_initial, survey_link_valid_until
from tenants.models import User
from tenants.selectors import station_members


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
    q: str = "",
    open_only: bool = False,
    due_before: datetime.datetime | None = None,
    viewer: User | None = None,
) -> QuerySet[ServiceCase]:
    """Cases, newest first. `category` is a catalog clause (`5.1.6`); `assignee` a user or user id; `mine_for` the
    cases assigned to that user; `received_from`/`received_to` local dates, both included; `q` a case or demand
    number, or part of the enterprise's name; `open_only` leaves out closed and held cases; `due_before` keeps the
    open cases due by then (soonest first). With `viewer`, confidential cases they may not see are left out
    (clause 7.3, `core.archive.confidentiality`)."""
    cases = _visible(_cases(), viewer)
    if q:
        cases = cases.filter(
            Q(number__startswith=q.upper()) | Q(demand__enterprise_name__contains=q) | Q(demand__uscc=q.upper())
        )
    if open_only or due_before is not None:
        cases = cases.exclude(state__in=(*CLOSED, CaseState.ON_HOLD))
    if due_before is not None:
        cases = cases.filter(due_at__lte=due_before).order_by("due_at", "id")
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


def case_view_filters(*, view: str, user: User) -> dict:
    """The filters of the workspace's lists: `inbox` (new cases), `mine` (the user's open cases), `due` (open cases
    due within the warning period of working days, or past due)."""
    if view == "inbox":
        return {"state": CaseState.RECEIVED}
    if view == "mine":
        return {"mine_for": user, "open_only": True}
    if view == "due":
        return {"due_before": workdays.add_working_days(timezone.now(), settings.DESK_DEADLINE_WARNING_WORKING_DAYS)}
    return {}


def _visible(cases: QuerySet[ServiceCase], viewer: User | None) -> QuerySet[ServiceCase]:
    """Without the confidential cases `viewer` may not see (none left out without a viewer: tasks, services)."""
    if viewer is None:
        return cases
    from core.archive.confidentiality import cases_visible_to

    return cases_visible_to(cases, user=viewer)


def case_access(*, pk: int, user: User) -> ServiceCase:
    """The one way a page or an endpoint reaches a case for `user`: with its plans (current first, then the history)
    and its timeline. A case `user` may not see (a confidential one, clause 7.3) raises the same `Http404` as a
    missing one, so "not yours" is never told from "does not exist". `user` is required: a path that reaches a case
    for nobody in particular (a task, a service) reads `ServiceCase` itself."""
    if user is None:
        raise TypeError("case_access needs the user the case is reached for")
    plans = ServicePlan.objects.select_related("staff", "institution", "created_by").prefetch_related("agreed_items")
    case = (
        _visible(_cases(), user)
        .select_related("demand__enterprise", "record__staff", "record__category", "record__institution")
        .prefetch_related(
            Prefetch("record__amendments", queryset=RecordAmendment.objects.select_related("actor")),
            Prefetch("plans", queryset=plans.order_by("-created_at", "-id")),
            Prefetch("events", queryset=CaseEvent.objects.select_related("actor").order_by("created_at", "id")),
        )
        .filter(pk=pk)
        .first()
    )
    if case is None:
        raise Http404
    return case


def record_get(*, pk: int) -> ServiceRecord | None:
    """One service record with its amendments."""
    return (
        ServiceRecord.objects.select_related("staff", "category", "institution")
        .prefetch_related(Prefetch("amendments", queryset=RecordAmendment.objects.select_related("actor")))
        .filter(pk=pk)
        .first()
    )


def demand_list(*, viewer: User | None = None) -> QuerySet[Demand]:
    """Demands, newest first, with their cases and ticked boxes (not their table rows: see `demand_access`). With
    `viewer`, a demand with a confidential case they may not see is left out whole (its form describes that case)."""
    demands = Demand.objects.select_related("enterprise", "created_by").prefetch_related(
        "boxes", Prefetch("cases", queryset=ServiceCase.objects.select_related("category").order_by("number"))
    )
    if viewer is None:
        return demands
    from core.archive.confidentiality import demands_visible_to

    return demands_visible_to(demands, user=viewer)


def _demand_whole(demands: QuerySet[Demand], pk: int) -> Demand | None:
    return demands.prefetch_related(*DEMAND_TABLES).filter(pk=pk).first()


def demand_access(*, pk: int, user: User) -> Demand:
    """The one way a page or an endpoint reaches a demand for `user`: every field of Appendix A, its table rows and
    its cases. A demand `user` may not see (see `demand_list`) raises the same `Http404` as a missing one; `user` is
    required, as for `case_access`."""
    if user is None:
        raise TypeError("demand_access needs the user the demand is reached for")
    demand = _demand_whole(demand_list(viewer=user), pk)
    if demand is None:
        raise Http404
    return demand


def case_print_context(*, pk: int, viewer: User | None = None) -> dict | None:
    """What the printed forms of a case show: Appendix A of its demand and Appendix B of the case. None if the
    station has no such case.

    Keys: `case`; `demand` (whole, as `demand_access`); `record` and `survey` (None until written); `record_facts`, the
    record's fields by name (the record's own values, or before it is written what it would start from: see
    `services.record_initial`); `demand_boxes` and `record_boxes`, every check box of form A / B in printed order as
    (box, ticked) pairs."""
    case = (
        _visible(ServiceCase.objects.all(), viewer)
        .select_related(
            "demand", "category", "assignee", "record__staff", "record__category", "record__institution", "survey"
        )
        .filter(pk=pk)
        .first()
    )
    if case is None:
        return None
    demand = _demand_whole(demand_list(), case.demand_id)  # the case was checked above
    record = getattr(case, "record", None)
    facts = {name: getattr(record, name) for name in RECORD_FIELDS} if record is not None else record_initial(case=case)
    ticked = {box.pk for box in demand.boxes.all()}
    category = facts.get("category")
    boxes = list(FormBox.objects.filter(form__in=(FormKind.DEMAND, FormKind.RECORD)).order_by("position", "id"))
    return {
        "case": case,
        "demand": demand,
        "record": record,
        "record_facts": facts,
        "survey": getattr(case, "survey", None),
        "demand_boxes": [(box, box.pk in ticked) for box in boxes if box.form == FormKind.DEMAND],
        "record_boxes": [
            (box, category is not None and box.pk == category.pk) for box in boxes if box.form == FormKind.RECORD
        ],
    }


# --- The station home's workspace ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseWorkspace:
    """What the station home shows of the desk. Counts are of the cases the viewer may see; `inbox`, `due`, `overdue`
    and `received_today` are the station's, `mine*` the viewer's own (assigned to them, open: neither closed nor on
    hold). `due` counts the open cases due by `horizon` (within the warning period of working days), past due included
    (the desk's "near or past deadline" list), `overdue` those past due. The lists hold at most `limit` cases each,
    soonest deadline first: `inbox_cases` (new cases), and either `due_cases` (the station's cases near or past their
    deadline) or, with `own`, `my_cases` (the viewer's open cases: those near or past their deadline come first)."""

    now: datetime.datetime
    horizon: datetime.datetime
    inbox: int
    received_today: int
    due: int
    overdue: int
    mine: int
    mine_due: int
    mine_overdue: int
    inbox_cases: list[ServiceCase]
    due_cases: list[ServiceCase]
    my_cases: list[ServiceCase]


def case_workspace(*, viewer: User, own: bool, limit: int = 5, now: datetime.datetime | None = None) -> CaseWorkspace:
    """The desk's part of the station home for `viewer` in a fixed number of queries (the counts in one), whatever the
    number of cases: with `own` (a staff member's home) their own open cases are listed, otherwise (the head's) the
    station's cases near or past their deadline."""
    now = now or timezone.now()
    horizon = workdays.add_working_days(now, settings.DESK_DEADLINE_WARNING_WORKING_DAYS)
    local = timezone.get_default_timezone()
    day_start = timezone.make_aware(datetime.datetime.combine(timezone.localdate(now, local), datetime.time.min), local)
    visible = _visible(ServiceCase.objects.select_related("demand", "category", "assignee"), viewer)
    open_cases = visible.exclude(state__in=(*CLOSED, CaseState.ON_HOLD))
    is_open = ~Q(state__in=(*CLOSED, CaseState.ON_HOLD))
    due = is_open & Q(due_at__lte=horizon)
    overdue = is_open & Q(due_at__lt=now)
    mine = Q(assignee=viewer)
    counts = visible.aggregate(
        inbox=Count("pk", filter=Q(state=CaseState.RECEIVED)),
        received_today=Count("pk", filter=Q(received_at__gte=day_start)),
        due=Count("pk", filter=due),
        overdue=Count("pk", filter=overdue),
        mine=Count("pk", filter=mine & is_open),
        mine_due=Count("pk", filter=mine & due),
        mine_overdue=Count("pk", filter=mine & overdue),
    )
    soonest = (F("due_at").asc(nulls_last=True), "id")
    listed = open_cases.filter(assignee=viewer) if own else open_cases.filter(due_at__lte=horizon)
    listed = list(listed.order_by(*soonest)[:limit])
    return CaseWorkspace(
        now=now,
        horizon=horizon,
        **counts,
        inbox_cases=list(visible.filter(state=CaseState.RECEIVED).order_by(*soonest)[:limit]),
        due_cases=[] if own else listed,
        my_cases=listed if own else [],
    )


def demands_received_on(*, day: datetime.date, viewer: User | None = None) -> QuerySet[Demand]:
    """The demands received on the local date `day`, newest first, each with `case_count`, its number of cases. With
    `viewer`, as `demand_list` leaves out (a demand with a confidential case they may not see)."""
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min), timezone.get_default_timezone())
    demands = Demand.objects.filter(created_at__gte=start, created_at__lt=start + datetime.timedelta(days=1)).annotate(
        case_count=Count("cases")
    )
    if viewer is not None:
        from core.archive.confidentiality import demands_visible_to

        demands = demands_visible_to(demands, user=viewer)
    return demands.order_by("-created_at", "-id")


# --- The survey link of a completed case -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SurveyLinkStatus:
    """What the case page says of the enterprise's survey link, and whether staff may send it themselves.

    `state`: "sent" (to `address` at `sent_at`, valid until `valid_until`, reminded at `reminded_at`), "sending"
    (queued to `address`), "failed" (the last error `failure` at `failed_at`; `retrying` while automatic attempts
    go on) or "no_address" (the demand left none). `channel` is how it goes: "email", the only one until the platform
    sends text messages. `added_by` and `added_at` say who added the address on the case page. `suggested` is the
    address the page's form starts from."""

    state: str
    channel: str = "email"
    address: str = ""
    sent_at: datetime.datetime | None = None
    valid_until: datetime.datetime | None = None
    reminded_at: datetime.datetime | None = None
    failed_at: datetime.datetime | None = None
    failure: str = ""
    retrying: bool = False
    added_by: User | None = None
    added_at: datetime.datetime | None = None
    suggested: str = ""

    @property
    def can_send(self) -> bool:
        """Whether staff may add (or correct) the address and send the link now."""
        return self.state in ("no_address", "failed")


def survey_link_status(*, case: ServiceCase) -> SurveyLinkStatus | None:
    """Where the survey link of a completed case stands (None for a case that is not completed: before, nothing was
    sent; after, the survey is there)."""
    if case.state != CaseState.COMPLETED:
        return None
    invitation = SurveyInvitation.objects.select_related("email_added_by").filter(case=case).first()
    if invitation is None or not invitation.email:
        return SurveyLinkStatus(state="no_address", suggested=demand_survey_email(demand=case.demand))
    common = {
        "address": invitation.email,
        "added_by": invitation.email_added_by,
        "added_at": invitation.email_added_at,
        "suggested": invitation.email,
    }
    if invitation.sent_at is not None:
        return SurveyLinkStatus(
            state="sent",
            sent_at=invitation.sent_at,
            valid_until=survey_link_valid_until(invitation=invitation),
            reminded_at=invitation.reminded_at,
            **common,
        )
    if invitation.failed_at is not None:
        return SurveyLinkStatus(
            state="failed",
            failed_at=invitation.failed_at,
            failure=invitation.failure,
            retrying=invitation.gave_up_at is None,
            **common,
        )
    return SurveyLinkStatus(state="sending", **common)


def case_list_to_reassign() -> QuerySet[ServiceCase]:
    """The open cases of this station whose assignee is no longer one of its members (deactivated here, or their
    account closed): the head's list of work to hand to someone else. Nothing is re-attributed by itself."""
    members = station_members().values("pk")
    return (
        ServiceCase.objects.exclude(state__in=CLOSED)
        .filter(assignee__isnull=False)
        .exclude(assignee__in=members)
        .select_related("demand", "category", "assignee")
        .order_by(F("due_at").asc(nulls_last=True), "pk")
    )


# --- The enterprise's tracking page (core.desk.services.tracking) ----------------------------------------------------

# Each state as the enterprise reads it: what is happening, in its words, not the desk's.
TRACKING_STATES = {
    CaseState.RECEIVED: gettext_lazy("Received: the station will contact you"),
    CaseState.EVALUATING: gettext_lazy("The station is working out how best to serve you"),
    CaseState.PLANNED: gettext_lazy("Service arranged"),
    CaseState.IN_SERVICE: gettext_lazy("Being served"),
    CaseState.FOLLOWING_UP: gettext_lazy("Served: the station is checking the result with you"),
    CaseState.COMPLETED: gettext_lazy("Completed"),
    CaseState.EVALUATED: gettext_lazy("Completed and rated: thank you"),
    CaseState.ON_HOLD: gettext_lazy("Paused for now: the station will tell you when it goes on"),
    CaseState.CANCELLED: gettext_lazy("Closed without service"),
}


@dataclass(frozen=True)
class TrackedCase:
    case: ServiceCase
    state: str  # in plain words
    served_by: str
    phone: str
    next_step: str
    next_at: datetime.datetime | None
    referral_waiting: bool  # referred, and the other station has not taken it on yet
    rate: bool  # completed and waiting for the enterprise's rating


def tracking_cases(*, demand: Demand, station) -> list[TrackedCase]:
    """What the enterprise's tracking page shows of each case of `demand`: the state in plain words, who serves it
    and their phone, the next step and its date. Nothing about who at the station did what."""
    from core.referrals.models import Direction, ReferralState

    plans = ServicePlan.objects.filter(superseded_at__isnull=True).select_related("institution", "station", "staff")
    cases = (
        ServiceCase.objects.filter(demand=demand)
        .select_related("category")
        .prefetch_related(Prefetch("plans", queryset=plans, to_attr="current_plans"))
        .annotate(
            referral_waiting=Count(
                "referrals",
                filter=Q(referrals__direction=Direction.OUTGOING, referrals__state=ReferralState.REQUESTED),
                distinct=True,
            ),
            rated=Count("survey", distinct=True),
        )
        .order_by("number")
    )
    now = timezone.now()
    tracked = []
    for case in cases:
        plan = case.current_plans[0] if case.current_plans else None
        served_by, phone = station.name, station.service_phone
        if plan is not None and plan.kind == PlanKind.INSTITUTION and plan.institution_id:
            served_by, phone = plan.institution.name, plan.institution.phone
        elif plan is not None and plan.kind == PlanKind.STATION and plan.station_id:
            served_by, phone = plan.station.name, plan.station.service_phone
        next_step, next_at = "", None
        waiting = bool(case.referral_waiting)
        if case.state == CaseState.COMPLETED:
            next_step = gettext("Please rate the service") if not case.rated else ""
        elif case.state in CLOSED:
            pass
        elif case.state == CaseState.ON_HOLD:
            next_step = gettext("The station will tell you when the service goes on")
        elif waiting:
            next_step = gettext("%(partner)s is looking at your need and will contact you") % {"partner": served_by}
        elif plan is not None and plan.appointment_at and plan.appointment_at > now:
            next_step, next_at = gettext("Service booked"), plan.appointment_at
        elif case.due_at:
            next_step, next_at = gettext("Expected to be completed by"), case.due_at
        tracked.append(
            TrackedCase(
                case=case,
                state=str(TRACKING_STATES[CaseState(case.state)]),
                served_by=served_by,
                phone=phone,
                next_step=next_step,
                next_at=next_at,
                referral_waiting=waiting,
                rate=case.state == CaseState.COMPLETED and not case.rated,
            )
        )
    return tracked
