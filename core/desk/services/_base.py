"""Helpers the desk's services share: the timeline entry, the case's row lock, the current station, a confidential
case's object permissions."""

from django.db import connection

from core.desk.models import (
    CaseEvent,
    ServiceCase,
)
from tenants.models import Station, User


def _event(case: ServiceCase, *, kind: str, actor: User | None, text: str = "", from_state="", to_state=""):
    event = CaseEvent(case=case, kind=kind, actor=actor, text=text, from_state=from_state, to_state=to_state)
    event.full_clean()
    event.save()
    return event


def _locked(case: ServiceCase) -> ServiceCase:
    return ServiceCase.objects.select_for_update().get(pk=case.pk)


def _confidential_access_sync(case: ServiceCase) -> None:
    """A confidential case's object permission follows its assignee (clause 7.3, core.archive.confidentiality)."""
    from core.archive.confidentiality import case_access_sync

    case_access_sync(case=case)


def _station() -> Station:
    """The station whose schema is active (the numbering prefix)."""
    return Station.objects.get(schema_name=connection.schema_name)
