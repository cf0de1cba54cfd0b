"""Reads of escalated complaints (public schema): the bureau's city-wide list."""

from django.db.models import QuerySet

from core.escalations.models import Escalation


def escalation_list(*, state: str = "", station: int | None = None) -> QuerySet[Escalation]:
    escalations = Escalation.objects.select_related("station", "handled_by")
    if state:
        escalations = escalations.filter(state=state)
    if station:
        escalations = escalations.filter(station_id=station)
    return escalations


def escalation_get(*, pk: int) -> Escalation | None:
    return Escalation.objects.select_related("station", "handled_by").filter(pk=pk).first()
