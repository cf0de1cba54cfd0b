"""The equipment register (clause 4.3): items, their maintenance logs and next due dates, corrections and
retirements, and the head's reminder of the maintenance due soon (beat, once per due date) with its e-mail."""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.activity.models import ActivityVerb
from core.common.mail import mail
from core.operations.models import MAINTENANCE_INTERVAL_MAX_DAYS, Equipment, MaintenanceLog
from core.operations.services._common import _changed, _log, _not_future, _reason, _require_head
from tenants.hosts import station_reverse
from tenants.models import Station, User
from tenants.selectors import require_member, station_head_emails
from tenants.tasks import queue_after_commit


def _station() -> Station:
    """The station whose schema is active."""
    return Station.objects.get(schema_name=connection.schema_name)


def _require_member(user: User) -> None:
    require_member(user=user, message=_("Only the station's members record maintenance."))


@transaction.atomic
def equipment_create(
    *,
    user: User,
    kind: str,
    name: str,
    maintenance_interval_days: int,
    location: str = "",
    model_number: str = "",
    acquired_on: datetime.date | None = None,
    next_maintenance_due: datetime.date | None = None,
) -> Equipment:
    """The head adds an item to the register; its first maintenance is due `next_maintenance_due`, by default one
    interval after it was acquired (or after today)."""
    _require_head(user)
    equipment = Equipment(
        kind=kind,
        name=name.strip(),
        model_number=model_number.strip(),
        location=location.strip(),
        acquired_on=acquired_on,
        maintenance_interval_days=maintenance_interval_days,
        next_maintenance_due=next_maintenance_due or timezone.localdate(),
    )
    if next_maintenance_due is None and 0 < (maintenance_interval_days or 0) <= MAINTENANCE_INTERVAL_MAX_DAYS:
        start = acquired_on or timezone.localdate()
        equipment.next_maintenance_due = start + datetime.timedelta(days=maintenance_interval_days)
    equipment.full_clean()
    equipment.save()
    return equipment


def _equipment_locked(equipment: Equipment) -> Equipment:
    equipment = Equipment.objects.select_for_update().get(pk=equipment.pk)
    if equipment.retired:
        raise ValidationError(_("This item is retired: it is kept as it was and no longer maintained."), code="retired")
    return equipment


@transaction.atomic
def equipment_update(
    *,
    user: User,
    equipment: Equipment,
    kind: str,
    name: str,
    maintenance_interval_days: int,
    location: str = "",
    model_number: str = "",
    acquired_on: datetime.date | None = None,
    next_maintenance_due: datetime.date | None = None,
) -> Equipment:
    """The head corrects an item of the register. A new `next_maintenance_due` is taken as given; when it is left as it
    was (or None) and the interval changed, the next maintenance falls one new interval after the last one (or after
    the acquisition, or the day the item was registered). A new due date is reminded of again. A retired item stays as
    it was retired."""
    _require_head(user)
    equipment = _equipment_locked(equipment)
    fields = ("kind", "name", "model_number", "location", "acquired_on", "maintenance_interval_days")
    before = {f: getattr(equipment, f) for f in (*fields, "next_maintenance_due")}
    equipment.kind, equipment.name, equipment.model_number = kind, name.strip(), model_number.strip()
    equipment.location, equipment.acquired_on = location.strip(), acquired_on
    equipment.maintenance_interval_days = maintenance_interval_days
    keep_due = next_maintenance_due is None or next_maintenance_due == before["next_maintenance_due"]
    if not keep_due:
        equipment.next_maintenance_due = next_maintenance_due
    elif (
        maintenance_interval_days != before["maintenance_interval_days"]
        and 0 < (maintenance_interval_days or 0) <= MAINTENANCE_INTERVAL_MAX_DAYS
    ):
        last = equipment.logs.order_by("-performed_on", "-pk").values_list("performed_on", flat=True).first()
        start = last or acquired_on or timezone.localtime(equipment.created_at).date()
        equipment.next_maintenance_due = start + datetime.timedelta(days=maintenance_interval_days)
    equipment.full_clean()
    changed = _changed(equipment, before)
    if changed:
        equipment.save()
        _log(ActivityVerb.EQUIPMENT_CHANGED, user, equipment.name, changed)
    return equipment


@transaction.atomic
def equipment_retire(
    *, user: User, equipment: Equipment, reason: str, retired_on: datetime.date | None = None
) -> Equipment:
    """The head retires (decommissions) an item from `retired_on` (today by default) for `reason`: it is kept with
    its maintenance logs, listed apart, and no longer reminded of."""
    _require_head(user)
    equipment = Equipment.objects.select_for_update().get(pk=equipment.pk)
    if equipment.retired:
        raise ValidationError(_("This item is already retired."), code="retired")
    reason = _reason(reason)
    retired_on = retired_on or timezone.localdate()
    _not_future(retired_on, "retired_on")
    if equipment.acquired_on and retired_on < equipment.acquired_on:
        raise ValidationError(
            {"retired_on": [_("An item cannot be retired before it was acquired.")]}, code="before_acquired"
        )
    equipment.retired_on, equipment.retirement_reason = retired_on, reason
    equipment.full_clean()
    equipment.save(update_fields=["retired_on", "retirement_reason"])
    _log(ActivityVerb.EQUIPMENT_RETIRED, user, equipment.name, [f"{retired_on:%Y-%m-%d}", reason])
    return equipment


@transaction.atomic
def maintenance_log_add(*, equipment: Equipment, user: User, performed_on: datetime.date, work: str) -> MaintenanceLog:
    """A member records an inspection or maintenance (clause 4.3.5). The next one is due one interval later; the item's
    due date moves on (unless a later log already set a later one)."""
    _require_member(user)
    equipment = _equipment_locked(equipment)
    if performed_on and performed_on > timezone.localdate():
        raise ValidationError({"performed_on": [_("The date cannot be in the future.")]}, code="future")
    log = MaintenanceLog(equipment=equipment, performed_on=performed_on, performed_by=user, work=work.strip())
    if performed_on:
        log.next_due = performed_on + datetime.timedelta(days=equipment.maintenance_interval_days)
    log.full_clean()
    log.save()
    if log.next_due > equipment.next_maintenance_due or not equipment.logs.exclude(pk=log.pk).exists():
        equipment.next_maintenance_due = log.next_due
        equipment.save(update_fields=["next_maintenance_due"])
    return log


def _head_emails() -> list[str]:
    return station_head_emails()


def maintenance_remind(*, today: datetime.date | None = None) -> int:
    """In the active station: tell the head, in one e-mail, of the equipment whose maintenance is due within
    `OPERATIONS_MAINTENANCE_REMINDER_DAYS` days or overdue, each item once per due date (`reminded_for`). The items are
    marked in this transaction (rows another run holds are skipped, so two runs never remind twice) and the e-mail goes
    after commit. Retired items are never reminded of. Returns how many items were reminded of."""
    from core.operations.tasks import maintenance_mail_task

    today = today or timezone.localdate()
    horizon = today + datetime.timedelta(days=settings.OPERATIONS_MAINTENANCE_REMINDER_DAYS)
    with transaction.atomic():
        due = list(
            Equipment.objects.select_for_update(skip_locked=True)
            .filter(next_maintenance_due__lte=horizon, retired_on__isnull=True)
            .filter(Q(reminded_for__isnull=True) | ~Q(reminded_for=F("next_maintenance_due")))
            .order_by("next_maintenance_due", "pk")
        )
        for equipment in due:
            equipment.reminded_for = equipment.next_maintenance_due
            equipment.save(update_fields=["reminded_for"])
        recipients = _head_emails()
        if due and recipients:
            queue_after_commit(
                maintenance_mail_task, equipment_ids=[e.pk for e in due], recipients=recipients, today=today.isoformat()
            )
    return len(due)


def maintenance_mail(*, equipment_ids: list[int], recipients: list[str], today: str) -> bool:
    """E-mail the head the maintenance reminder `maintenance_remind` decided on (the desk's mail helper)."""

    items = list(
        Equipment.objects.filter(pk__in=equipment_ids, retired_on__isnull=True).order_by("next_maintenance_due", "pk")
    )
    if not items or not recipients:
        return False
    station = _station()
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "station": station,
            "items": items,
            "today": datetime.date.fromisoformat(today),
            "link": station_reverse(station.code, "operations:equipment"),
        }
    mail(app="operations", template="maintenance_due", context=context, to=recipients)
    return True
