"""Reads of complaints (clause 6.5), in the active station's schema."""

from django.db.models import BooleanField, ExpressionWrapper, Prefetch, Q, QuerySet
from django.utils import timezone

from core.complaints.models import Complaint, ComplaintEvent, ComplaintState

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
    *, state: str = "", overdue: bool | None = None, escalated: bool | None = None, q: str = ""
) -> QuerySet[Complaint]:
    now = timezone.now()
    complaints = Complaint.objects.select_related("case").annotate(**_overdue(now))
    if state:
        complaints = complaints.filter(state=state)
    if overdue:
        complaints = complaints.filter(Q(acknowledge_overdue=True) | Q(response_overdue=True))
    if escalated is not None:
        complaints = complaints.filter(escalated_at__isnull=not escalated)
    if q:
        complaints = complaints.filter(Q(subject__icontains=q) | Q(complainant_name__icontains=q))
    return complaints


def complaint_get(*, pk: int) -> Complaint | None:
    events = ComplaintEvent.objects.order_by("created_at", "id")
    return (
        Complaint.objects.select_related("case", "opinion")
        .annotate(**_overdue(timezone.now()))
        .prefetch_related(Prefetch("events", queryset=events))
        .filter(pk=pk)
        .first()
    )


def complaint_of_opinion(*, opinion_id: int) -> Complaint | None:
    return Complaint.objects.filter(opinion_id=opinion_id).first()
