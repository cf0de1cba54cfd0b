"""Reads of station operations, in the active station's schema (the station host's). Members come from the public
schema's memberships of that station; everything else is the station's own."""

import contextlib
import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context

from core.desk.models import CLOSED, ServiceCase
from core.operations.models import (
    DisplayNotice,
    Equipment,
    MaintenanceLog,
    StaffQualification,
    StaffRecord,
    SystemCode,
    SystemDocument,
    SystemDocumentVersion,
    Training,
    TrainingAttendance,
    TrainingKind,
)
from tenants.models import MemberRole, Membership, Station, User
from tenants.selectors import station_items_prefetch, station_members, station_public_facts


def _cleared_attendance(today: datetime.date):
    """Completed attendances of pre-duty trainings held by `today` and not cancelled."""
    return TrainingAttendance.objects.filter(
        completed=True,
        training__kind=TrainingKind.PRE_DUTY,
        training__held_on__lte=today,
        training__cancelled_at__isnull=True,
    )


def members_cleared(*, user_ids) -> set[int]:
    """Which of `user_ids` a completed pre-duty training clears for duty today (in the active station)."""
    return set(_cleared_attendance(timezone.localdate()).filter(user_id__in=user_ids).values_list("user_id", flat=True))


def open_cases_count(*, user_id: int) -> int:
    """How many cases of the active station assigned to the member are not closed (on hold counts as open)."""
    return ServiceCase.objects.filter(assignee_id=user_id).exclude(state__in=CLOSED).count()


def member_is_cleared_for_duty(*, user: User | None) -> bool:
    """Whether `user` completed a pre-duty training of the active station (clause 4.4.1): only then are they assigned
    cases. Membership is checked by the caller (`tenants.selectors.is_member`)."""
    if user is None:
        return False
    return _cleared_attendance(timezone.localdate()).filter(user=user).exists()


def member_duty_check(*, user: User | None, field: str = "assignee") -> None:
    """The one rule of clause 4.4.1 for every write that gives a case someone to serve it (the desk's assignment, a
    plan's booked staff, the case a referral's acceptance opens): raise a ValidationError on `field` unless `user`
    completed a pre-duty training. Membership is checked by the caller (`tenants.selectors.is_member`)."""
    if not member_is_cleared_for_duty(user=user):
        message = _("This member has no completed pre-duty training in the staff register yet.")
        raise ValidationError({field: [ValidationError(message, code="not_cleared")]})


def members_cleared_for_duty(*, station: Station) -> QuerySet[User]:
    """The station's active members who completed a pre-duty training: who may be assigned cases (the desk's
    choices). Run with the station's schema active."""
    cleared = _cleared_attendance(timezone.localdate()).filter(user=OuterRef("pk"))
    return station_members(station=station).filter(Exists(cleared))


@dataclass
class RegisterRow:
    membership: Membership
    record: StaffRecord | None
    cleared: bool

    @property
    def user(self) -> User:
        return self.membership.user

    @property
    def is_head(self) -> bool:
        return self.membership.role == MemberRole.HEAD

    @property
    def qualifications(self) -> list[StaffQualification]:
        """The qualifications in force (not withdrawn)."""
        return [q for q in self.record.qualifications.all() if not q.withdrawn] if self.record else []

    @property
    def withdrawn(self) -> list[StaffQualification]:
        """The withdrawn qualifications, kept with their date and reason."""
        return [q for q in self.record.qualifications.all() if q.withdrawn] if self.record else []


def staff_register(*, station: Station) -> list[RegisterRow]:
    """Every active member of the station, the head first, with their register entry (qualifications prefetched) and
    whether they are cleared for duty. A fixed number of queries, whatever the number of members."""
    memberships = list(
        Membership.objects.filter(station=station, is_active=True)
        .select_related("user")
        .order_by("role", "user__username")  # "head" sorts before "staff"
    )
    users = [m.user_id for m in memberships]
    records = {
        r.user_id: r
        for r in StaffRecord.objects.filter(user_id__in=users).prefetch_related(
            Prefetch("qualifications", queryset=StaffQualification.objects.order_by("name", "pk"))
        )
    }
    cleared = set(_cleared_attendance(timezone.localdate()).filter(user_id__in=users).values_list("user_id", flat=True))
    return [RegisterRow(membership=m, record=records.get(m.user_id), cleared=m.user_id in cleared) for m in memberships]


def staff_record_get(*, user_id: int) -> StaffRecord | None:
    return StaffRecord.objects.select_related("user").filter(user_id=user_id).first()


def qualification_get(*, pk: int) -> StaffQualification | None:
    return StaffQualification.objects.select_related("staff__user").filter(pk=pk).first()


def training_list() -> QuerySet[Training]:
    return Training.objects.select_related("created_by").prefetch_related(
        Prefetch("attendance", queryset=TrainingAttendance.objects.select_related("user").order_by("user__username"))
    )


def training_get(*, pk: int) -> Training | None:
    return training_list().filter(pk=pk).first()


def equipment_list(*, today: datetime.date | None = None, retired: bool | None = False) -> QuerySet[Equipment]:
    """The register: the items in service (`retired=True`: the retired ones instead, `None`: both), with `overdue`
    (maintenance past due, never for a retired item) annotated."""
    today = today or timezone.localdate()
    items = Equipment.objects.all() if retired is None else Equipment.objects.filter(retired_on__isnull=not retired)
    return items.annotate(overdue=Q(next_maintenance_due__lt=today, retired_on__isnull=True)).order_by(
        "kind", "name", "pk"
    )


def equipment_get(*, pk: int) -> Equipment | None:
    return (
        Equipment.objects.filter(pk=pk)
        .prefetch_related(Prefetch("logs", queryset=MaintenanceLog.objects.select_related("performed_by")))
        .first()
    )


def equipment_due(*, within_days: int, today: datetime.date | None = None) -> QuerySet[Equipment]:
    """Equipment whose maintenance is due within `within_days` days or overdue."""
    today = today or timezone.localdate()
    return Equipment.objects.filter(
        retired_on__isnull=True, next_maintenance_due__lte=today + datetime.timedelta(days=within_days)
    )


@dataclass
class SystemRow:
    code: str
    name: str
    document: SystemDocument | None
    current: SystemDocumentVersion | None
    versions: list[SystemDocumentVersion]


def version_current(versions, today: datetime.date) -> SystemDocumentVersion | None:
    """The newest version in effect on `today` (versions newest first)."""
    return next((v for v in versions if v.effective_on <= today), None)


def system_list() -> list[SystemRow]:
    """The eight systems of clause 4.5 in order, each with its versions (newest first) and its current one."""
    today = timezone.localdate()
    documents = {
        d.code: d
        for d in SystemDocument.objects.prefetch_related(
            Prefetch(
                "versions", queryset=SystemDocumentVersion.objects.select_related("approved_by").order_by("-number")
            )
        )
    }
    rows = []
    for code, name in SystemCode.choices:
        document = documents.get(code)
        versions = list(document.versions.all()) if document else []
        rows.append(SystemRow(code, name, document, version_current(versions, today), versions))
    return rows


def system_get(*, code: str) -> SystemRow | None:
    return next((row for row in system_list() if row.code == code), None)


def version_get(*, pk: int) -> SystemDocumentVersion | None:
    return SystemDocumentVersion.objects.select_related("document").filter(pk=pk).first()


def display_notice() -> DisplayNotice | None:
    return DisplayNotice.objects.select_related("updated_by").first()


def display_facts(*, station: Station) -> dict:
    """What clause 4.2.2 asks the station to display that the station already keeps: its service items, hours,
    service and complaint phones and the bureau's supervision phone (the facts a publication shows)."""
    station = Station.objects.prefetch_related(station_items_prefetch()).get(pk=station.pk)
    return station_public_facts(station=station)


@dataclass(frozen=True)
class OperationsEvidence:
    """What the station's operations show the bureau's evaluation (clauses 4.3-4.5)."""

    members: int
    members_cleared: int
    head_designated: bool
    equipment: int
    equipment_maintained: int
    equipment_overdue: int
    systems: int
    systems_current: int
    display_process: bool


def operations_self_assessment_evidence(*, station: Station) -> OperationsEvidence:
    """Counts for the self-assessment (core.evaluation): trained staff, equipment with maintenance up to date, written
    systems with a current version, the head and the display. Reads the station's own schema."""
    today = timezone.localdate()
    same = connection.schema_name == station.schema_name
    with contextlib.nullcontext() if same else schema_context(station.schema_name):
        memberships = Membership.objects.filter(station=station, is_active=True)
        users = list(memberships.values_list("user_id", flat=True))
        cleared = _cleared_attendance(today).filter(user_id__in=users).values("user_id").distinct().count()
        equipment = Equipment.objects.filter(retired_on__isnull=True).aggregate(
            total=Count("pk"), overdue=Count("pk", filter=Q(next_maintenance_due__lt=today))
        )
        current = SystemDocument.objects.filter(versions__effective_on__lte=today).values("code").distinct().count()
        process = DisplayNotice.objects.exclude(process="").exists()
        return OperationsEvidence(
            members=len(users),
            members_cleared=cleared,
            head_designated=memberships.filter(role=MemberRole.HEAD).exists(),
            equipment=equipment["total"],
            equipment_maintained=equipment["total"] - equipment["overdue"],
            equipment_overdue=equipment["overdue"],
            systems=len(SystemCode.choices),
            systems_current=current,
            display_process=process,
        )


# --- Figures for the evaluation's evidence (core.evaluation.figures) --------------------------------------------------
# Plain, JSON-ready dicts (dates as ISO strings, people by their names): the evaluation keeps them as a snapshot of the
# registers at the time the station head attaches them to a checklist item.


def _in_station(station: Station):
    """The station's schema, active for the reads inside (already active on its host)."""
    return (
        contextlib.nullcontext()
        if connection.schema_name == station.schema_name
        else schema_context(station.schema_name)
    )


def staff_figures(*, station: Station) -> dict:
    """The staff register (clause 4.4): active members, those with a completed pre-duty training (and the names of
    those without), those holding a qualification in force, and the head."""
    today = timezone.localdate()
    with _in_station(station):
        memberships = list(
            Membership.objects.filter(station=station, is_active=True).select_related("user").order_by("user__username")
        )
        users = [m.user_id for m in memberships]
        cleared = members_cleared(user_ids=users)
        qualified = set(
            StaffQualification.objects.filter(staff__user_id__in=users, withdrawn_on__isnull=True)
            .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
            .values_list("staff__user_id", flat=True)
        )
    return {
        "members": len(memberships),
        "cleared": len(cleared),
        "not_cleared": [m.user.display_name for m in memberships if m.user_id not in cleared],
        "qualified": len(qualified),
        "heads": [m.user.display_name for m in memberships if m.role == MemberRole.HEAD],
    }


def equipment_figures(*, station: Station) -> dict:
    """The equipment register (clause 4.3): items in service by kind, those whose maintenance is on schedule, and the
    overdue ones by name with their due date."""
    today = timezone.localdate()
    with _in_station(station):
        items = list(equipment_list(today=today).values("kind", "name", "next_maintenance_due", "overdue"))
    by_kind: dict[str, int] = {}
    for item in items:
        by_kind[item["kind"]] = by_kind.get(item["kind"], 0) + 1
    overdue = [item for item in items if item["overdue"]]
    return {
        "in_service": len(items),
        "maintained": len(items) - len(overdue),
        "by_kind": by_kind,
        "overdue": [{"name": item["name"], "due": item["next_maintenance_due"].isoformat()} for item in overdue],
    }


def system_figures(*, station: Station) -> dict:
    """The written systems of clause 4.5: how many have a version in effect, and each one's current version (number,
    in effect since, approved by, published at, its file's name), or None."""
    with _in_station(station):
        rows = system_list()
    systems = []
    for row in rows:
        current = row.current
        systems.append(
            {
                "code": row.code,
                "name": row.name,
                "versions": len(row.versions),
                "current": None
                if current is None
                else {
                    "number": current.number,
                    "effective_on": current.effective_on.isoformat(),
                    "approved_by": current.approved_by.display_name,
                    "published_at": current.published_at.isoformat(),
                    "file_name": current.file_name,
                },
            }
        )
    return {
        "total": len(systems),
        "in_effect": sum(1 for system in systems if system["current"] is not None),
        "systems": systems,
    }
