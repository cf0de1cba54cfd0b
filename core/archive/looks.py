"""What a person looked at of an enterprise's information (clause 7.3), as the access log names it.

A `Look` is one document seen: whose enterprise, what kind (`LookKind`), which row and its number. `look_of` makes
it from the rows the desk shows (a demand, a case, a service record) without a query: the enterprise's id and name
are on the demand, which the desk's selectors load with the case and the record. The pages' base
(`core.archive.pages.LoggedLookPage`) and the station API's base (`api.base.StationAPIView`) turn what a GET showed
into looks and log them through `core.archive.services.enterprise_access_log`.
"""

from dataclasses import dataclass

from django.db import models

from core.archive.models import AccessAction, LookKind
from core.desk.models import Demand, ServiceCase, ServiceRecord


@dataclass(frozen=True)
class Look:
    enterprise_id: int
    enterprise_name: str
    kind: str  # LookKind
    object_id: int | None
    label: str


# What reading one row of each kind is, in the log.
VIEW_ACTIONS = {
    LookKind.DEMAND: AccessAction.DEMAND_VIEW,
    LookKind.CASE: AccessAction.CASE_VIEW,
    LookKind.RECORD: AccessAction.RECORD_VIEW,
}


def _demand_look(demand: Demand, *, kind: str, object_id: int, label: str) -> Look:
    return Look(
        enterprise_id=demand.enterprise_id,
        enterprise_name=demand.enterprise_name,
        kind=kind,
        object_id=object_id,
        label=label,
    )


def look_of(row: models.Model, *, kind: str = "") -> Look | None:
    """The look at `row` (a demand, a case or a service record), or None for a row that is no enterprise's
    information. `kind` names it otherwise (a printed form: `LookKind.FORM_A` of a demand, `FORM_B` of a case)."""
    if isinstance(row, Demand):
        return _demand_look(row, kind=kind or LookKind.DEMAND, object_id=row.pk, label=row.number)
    if isinstance(row, ServiceCase):
        return _demand_look(row.demand, kind=kind or LookKind.CASE, object_id=row.pk, label=row.number)
    if isinstance(row, ServiceRecord):
        return _demand_look(row.case.demand, kind=kind or LookKind.RECORD, object_id=row.pk, label=row.number)
    return None


def looks_of(rows) -> list[Look]:
    """The looks at the enterprises' information among `rows` (others left out)."""
    return [look for row in rows if (look := look_of(row)) is not None]
