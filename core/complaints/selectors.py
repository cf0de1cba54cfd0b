"""Reads of complaints (clause 6.5), in the active station's schema."""

from django.conf import settings
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    ExpressionWrapper,
    F,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone

from core.archive.confidentiality import case_numbers_shown, with_case_visibility
from core.common.workdays import add_working_days
from core.complaints.models import Complaint, ComplaintDeadline, ComplaintEvent, ComplaintEventKind, ComplaintState
from core.complaints.services import OPEN
from tenants.models import User

S = ComplaintState


def _overdue(now) -> dict:
    """Annotations: acknowledgement overdue (still received past its deadline), response overdue (not responded past
    its deadline)."""
    return {
        "acknowledge_overdue": ExpressionWrapper(
            Q(state=S.RECEIVED, acknowledge_due_at__lt=now), output_field=BooleanField()
        ),
        "response_overdue": ExpressionWrapper(
            Q(state__in=[S.RECEIVED, S.ACKNOWLEDGED, S.INVESTIGATING], response_due_at__lt=now),
            output_field=BooleanField(),
        ),
    }


def complaint_list(
    *,
    state: str = "",
    overdue: bool | None = None,
    escalated: bool | None = None,
    q: str = "",
    viewer: User | None = None,
) -> QuerySet[Complaint]:
    """Complaints, with `viewer`: each with `case_hidden`, whether its case is a confidential one they may not see
    (clause 7.3, shown by `core.archive.confidentiality.linked_case`)."""
    now = timezone.now()
    complaints = with_case_visibility(Complaint.objects.select_related("case").annotate(**_overdue(now)), user=viewer)
    if state:
        complaints = complaints.filter(state=state)
    if overdue:
        complaints = complaints.filter(Q(acknowledge_overdue=True) | Q(response_overdue=True))
    if escalated is not None:
        complaints = complaints.filter(escalated_at__isnull=not escalated)
    if q:
        complaints = complaints.filter(Q(subject__icontains=q) | Q(complainant_name__icontains=q))
    return complaints


def complaint_get(*, pk: int, viewer: User | None = None) -> Complaint | None:
    """The complaint with its timeline. With `viewer`: `case_hidden` as in `complaint_list`, and the timeline as they
    may read it: the note linking a confidential case they may not see names it "Confidential case", not its number
    (the events are append-only: the text is changed in memory, never saved)."""
    events = ComplaintEvent.objects.order_by("created_at", "id")
    complaint = (
        with_case_visibility(Complaint.objects.all(), user=viewer)
        .select_related("case", "opinion")
        .annotate(**_overdue(timezone.now()))
        .prefetch_related(Prefetch("events", queryset=events))
        .filter(pk=pk)
        .first()
    )
    if complaint is not None and viewer is not None:
        notes = [event for event in complaint.events.all() if event.kind == ComplaintEventKind.NOTE and event.text]
        shown = case_numbers_shown((event.text for event in notes), user=viewer)
        for event in notes:
            event.text = shown.get(event.text, event.text)
    return complaint


def complaint_of_opinion(*, opinion_id: int) -> Complaint | None:
    return Complaint.objects.filter(opinion_id=opinion_id).first()


def complaints_due(*, viewer: User | None = None, limit: int = 5, now=None) -> dict:
    """The complaints whose next deadline falls within `COMPLAINT_REMINDER_WORKING_DAYS` working days or has passed
    (the window of the deadline reminders): acknowledging for a complaint still received, responding for one
    acknowledged or under investigation. `due` is how many, `overdue` how many of them are past that deadline, and
    `complaints` the first `limit`, soonest deadline first, each with `next_due_at` and `next_deadline`
    ("acknowledge" or "response"). Two queries."""
    now = now or timezone.now()
    window_end = add_working_days(now, settings.COMPLAINT_REMINDER_WORKING_DAYS)
    complaints = complaint_list(viewer=viewer).annotate(
        next_due_at=Case(
            When(state=S.RECEIVED, then=F("acknowledge_due_at")),
            When(state__in=OPEN, then=F("response_due_at")),
        ),
        next_deadline=Case(
            When(state=S.RECEIVED, then=Value(ComplaintDeadline.ACKNOWLEDGE.value)),
            When(state__in=OPEN, then=Value(ComplaintDeadline.RESPONSE.value)),
            default=Value(""),
            output_field=CharField(),
        ),
    )
    due = complaints.filter(next_due_at__lte=window_end)
    counts = due.aggregate(due=Count("pk"), overdue=Count("pk", filter=Q(next_due_at__lt=now)))
    return {**counts, "complaints": list(due.order_by("next_due_at", "id")[:limit])}
