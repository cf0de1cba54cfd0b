"""Reads of the head's reviews and the staff assessment (clauses 6.3, 6.4) and the period summary (clause 6.6), in
the active station's schema.

The assessment's pre-fill (`assessment_prefill`) measures one member's cases over one period. A member's cases are
the cases assigned to them (`ServiceCase.assignee`, as the desk has it when the pre-fill runs). Each dimension is a
share, turned into a level by `level_for` (thresholds: `settings.ASSESSMENT_LEVEL_THRESHOLDS`):

- civility (文明性): of the surveys submitted in the period on the member's cases, the share rating both civility
  questions of Appendix B — Q4 (the station's civility, 服务站的文明性) and Q8 (the staff's civility, 技术人员的
  文明性) — satisfied or very satisfied;
- timeliness (及时性): of the member's cases first completed in the period, the share completed no later than their
  deadline in working days (the city statistics' definition of on time);
- accuracy (正确率): of the same completed cases, the share with neither a re-plan (a superseded service plan,
  clause 5.2.3.2) nor a complaint linked to it (clause 6.5), counted over the case's life up to the pre-fill.

A dimension with nothing to measure (no survey, no completed case) suggests no level: the head sets one and says why.
The period summary counts as the city statistics do (`core.stats`), from the station's own schema.
"""

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, IntegerField, Min, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from core.archive.confidentiality import case_numbers_shown
from core.assessment.models import CaseReview, Level, PeriodKind, ReviewConclusion, StaffAssessment
from core.complaints.models import Complaint
from core.desk.models import CaseEvent, CaseState, EventKind, Rating, ServiceCase, ServicePlan, Survey
from core.stats.selectors import Figures, Period, station_figures_from_schema
from tenants.models import MemberRole, User
from tenants.selectors import actor_roles, station_members

SATISFIED = (Rating.VERY_SATISFIED, Rating.SATISFIED)
CIVILITY_QUESTIONS = ("q4", "q8")
LEVELS_BEST_FIRST = (Level.EXCELLENT, Level.GOOD, Level.PASS)


# --- Periods -------------------------------------------------------------------------------------------------------


def period_bounds(*, kind: str, start: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The first and last day of the month or quarter that `start` falls in."""
    first_month = start.month if kind == PeriodKind.MONTH else 3 * ((start.month - 1) // 3) + 1
    first = start.replace(month=first_month, day=1)
    months = first.month - 1 + (1 if kind == PeriodKind.MONTH else 3)
    after = datetime.date(first.year + months // 12, months % 12 + 1, 1)
    return first, after - datetime.timedelta(days=1)


def level_for(rate: float | None) -> str:
    """The level a share earns: the first threshold it reaches, best first; "" when there is nothing to measure."""
    if rate is None:
        return ""
    thresholds = settings.ASSESSMENT_LEVEL_THRESHOLDS
    for level in LEVELS_BEST_FIRST:
        if rate >= thresholds[level.value]:
            return level.value
    return Level.IMPROVE.value


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


# --- The pre-fill (clause 6.4) -------------------------------------------------------------------------------------


def _first_completed():
    return (
        CaseEvent.objects.filter(case=OuterRef("pk"), kind=EventKind.STATE, to_state=CaseState.COMPLETED)
        .order_by()
        .values("case")
        .annotate(first=Min("created_at"))
        .values("first")
    )


def _counted(queryset, **filters):
    return Coalesce(
        Subquery(queryset.filter(**filters).order_by().values(*filters).annotate(n=Count("pk")).values("n")),
        0,
        output_field=IntegerField(),
    )


def member_cases_completed(*, member: User, start: datetime.date, end: datetime.date) -> QuerySet[ServiceCase]:
    """The member's cases first completed in the period, each with `completed_at`, `replans` and `complaints`."""
    period = Period(start, end)
    since, until = period.since, period.until
    return (
        ServiceCase.objects.filter(assignee=member)
        .annotate(completed_at=Subquery(_first_completed()))
        .filter(completed_at__gte=since, completed_at__lt=until)
        .annotate(
            replans=_counted(ServicePlan.objects.filter(superseded_at__isnull=False), case=OuterRef("pk")),
            complaints=_counted(Complaint.objects.all(), case=OuterRef("pk")),
        )
        .order_by("completed_at", "pk")
    )


def assessment_prefill(*, member: User, start: datetime.date, end: datetime.date) -> dict:
    """What the data of the period says of `member`, per dimension: the figures, the share (`rate`, None without
    data) and the level it earns. Three queries."""
    period = Period(start, end)
    since, until = period.since, period.until
    satisfied = {name: Q(**{f"{name}__in": SATISFIED}) for name in CIVILITY_QUESTIONS}
    surveys = Survey.objects.filter(case__assignee=member, submitted_at__gte=since, submitted_at__lt=until).aggregate(
        surveys=Count("pk"),
        q4_satisfied=Count("pk", filter=satisfied["q4"]),
        q8_satisfied=Count("pk", filter=satisfied["q8"]),
        both_satisfied=Count("pk", filter=satisfied["q4"] & satisfied["q8"]),
    )
    cases = list(member_cases_completed(member=member, start=start, end=end))
    on_time = [c for c in cases if c.due_at is not None and c.completed_at <= c.due_at]
    clean = [c for c in cases if not c.replans and not c.complaints]
    figures = {
        "civility": {**surveys, "rate": _share(surveys["both_satisfied"], surveys["surveys"])},
        "timeliness": {
            "completed": len(cases),
            "on_time": len(on_time),
            "late": [c.number for c in cases if c not in on_time],
            "rate": _share(len(on_time), len(cases)),
        },
        "accuracy": {
            "completed": len(cases),
            "replans": sum(c.replans for c in cases),
            "replanned_cases": [c.number for c in cases if c.replans],
            "complaints": sum(c.complaints for c in cases),
            "complained_cases": [c.number for c in cases if c.complaints],
            "without_either": len(clean),
            "rate": _share(len(clean), len(cases)),
        },
    }
    for values in figures.values():
        values["level"] = level_for(values["rate"])
    return figures


# Where the figures name cases (lists of case numbers), by dimension.
CASE_LISTS = (("timeliness", "late"), ("accuracy", "replanned_cases"), ("accuracy", "complained_cases"))


def figures_case_numbers(*, assessments, viewer: User, head: bool) -> dict[str, str]:
    """The case numbers the assessments' figures name, as `viewer` may read them (clause 7.3): a confidential case
    they may not see (reassigned since the pre-fill) reads "Confidential case". One query; none for the head."""
    if head:
        return {}
    numbers = {n for a in assessments for d, key in CASE_LISTS for n in a.figures.get(d, {}).get(key, [])}
    return case_numbers_shown(numbers, user=viewer)


def figures_shown(figures: dict, numbers: dict[str, str]) -> dict:
    """A copy of an assessment's `figures` with the case numbers as `figures_case_numbers` shows them (the stored
    figures are never changed)."""
    shown = {dimension: dict(values) for dimension, values in figures.items()}
    for dimension, key in CASE_LISTS:
        if isinstance(shown.get(dimension, {}).get(key), list):
            shown[dimension][key] = [numbers.get(n, n) for n in shown[dimension][key]]
    return shown


# --- Lists ---------------------------------------------------------------------------------------------------------


def assessable_members() -> QuerySet[User]:
    """Who is assessed: the active staff members of the active station (the head assesses, clause 6.4)."""
    return station_members(roles=(MemberRole.STAFF,))


def is_head(user: User) -> bool:
    """Whether `user` is an active head of the station whose schema is active."""
    return MemberRole.HEAD in actor_roles(user=user)


def assessment_list(*, viewer: User, head: bool, period_start: datetime.date | None = None) -> QuerySet:
    """Assessments, newest period first. The head sees them all; a member only their own confirmed ones."""
    assessments = StaffAssessment.objects.select_related("member", "prepared_by", "confirmed_by")
    if not head:
        assessments = assessments.filter(member=viewer, confirmed_at__isnull=False)
    if period_start is not None:
        assessments = assessments.filter(period_start=period_start)
    return assessments


def assessment_get(*, pk: int, viewer: User, head: bool) -> StaffAssessment | None:
    return assessment_list(viewer=viewer, head=head).filter(pk=pk).first()


def review_list(*, viewer: User, head: bool, reviewed: bool | None = None) -> QuerySet[CaseReview]:
    """Cases marked for review, newest mark first. The head sees them all; a member the reviews of the cases
    assigned to them (the review is feedback on their work; the marks the head has not written up yet stay the
    head's)."""
    reviews = CaseReview.objects.select_related(
        "case__demand", "case__category", "case__assignee", "marked_by", "reviewed_by"
    )
    if not head:
        reviews = reviews.filter(case__assignee=viewer, reviewed_at__isnull=False)
    if reviewed is not None:
        reviews = reviews.filter(reviewed_at__isnull=not reviewed)
    return reviews


def review_of_case(*, case_id: int, viewer: User, head: bool) -> CaseReview | None:
    return review_list(viewer=viewer, head=head).filter(case_id=case_id).first()


def case_for_review(*, case_id: int, viewer: User, head: bool) -> ServiceCase | None:
    """The case a review page is about: any case for the head, the viewer's own case for a member."""
    cases = ServiceCase.objects.select_related("demand", "category", "assignee")
    if not head:
        cases = cases.filter(assignee=viewer)
    return cases.filter(pk=case_id).first()


# --- The period summary (clause 6.6) -------------------------------------------------------------------------------


@dataclass
class PeriodSummary:
    start: datetime.date
    end: datetime.date
    figures: Figures
    complaints: dict = field(default_factory=dict)
    reviews: dict = field(default_factory=dict)
    assessments: dict = field(default_factory=dict)


def period_summary(*, start: datetime.date, end: datetime.date) -> PeriodSummary:
    """The station's service results of a period (clause 6.6): cases received, completed and on time, satisfaction
    and problems solved (as the city statistics count them); complaints received, closed and escalated; reviews
    marked and written, by conclusion; assessments confirmed, by level."""
    period = Period(start, end)
    since, until = period.since, period.until
    complaints = Complaint.objects.aggregate(
        received=Count("pk", filter=Q(received_at__gte=since, received_at__lt=until)),
        linked_to_cases=Count("pk", filter=Q(received_at__gte=since, received_at__lt=until, case__isnull=False)),
        closed=Count("pk", filter=Q(closed_at__gte=since, closed_at__lt=until)),
        escalated=Count("pk", filter=Q(escalated_at__gte=since, escalated_at__lt=until)),
    )
    reviews = CaseReview.objects.aggregate(
        marked=Count("pk", filter=Q(marked_at__gte=since, marked_at__lt=until)),
        reviewed=Count("pk", filter=Q(reviewed_at__gte=since, reviewed_at__lt=until)),
        **{
            conclusion.value: Count(
                "pk", filter=Q(reviewed_at__gte=since, reviewed_at__lt=until, conclusion=conclusion.value)
            )
            for conclusion in ReviewConclusion
        },
    )
    confirmed = StaffAssessment.objects.filter(confirmed_at__isnull=False, period_start__gte=start, period_end__lte=end)
    assessments = confirmed.aggregate(
        confirmed=Count("pk"),
        **{
            f"{dimension}_{level.value}": Count("pk", filter=Q(**{dimension: level.value}))
            for dimension in ("civility", "timeliness", "accuracy")
            for level in Level
        },
    )
    return PeriodSummary(
        start=start,
        end=end,
        figures=station_figures_from_schema(start=start, end=end),
        complaints=complaints,
        reviews=reviews,
        assessments=assessments,
    )
