"""Writes of station operations (clauses 4.2.2, 4.3, 4.4, 4.5), in the active station's schema. Views, the API and
tasks call these; nothing else writes.

- The staff register (4.4): the head keeps each member's entry (duty start, background, qualifications) and records
  trainings with who attended. A member is cleared for duty by a completed pre-duty training
  (`selectors.member_is_cleared_for_duty`); the desk assigns cases only to cleared members.
- The equipment register (4.3): each item is maintained every so many days; a maintenance log computes the next due
  date; beat reminds the head of what is due soon, once per due date (`maintenance_remind`).
- The written systems (4.5 a-h): the head publishes versions; versions are never changed; the current one is the
  newest in effect.
- The display (4.2.2): the service process in words, next to the station's facts and phones.
- Corrections and retirements: the head corrects a qualification, a training (and its attendance) or an item of
  equipment, withdraws a qualification, cancels a training, retires an item. Nothing is deleted: a withdrawn
  qualification, a cancelled training and a retired item stay in the register, shown as such with their date and
  reason, and no longer count (valid qualification, clearance for duty, maintenance reminders). Each change is written
  to the station's activity log. A change that would take a member's clearance for duty away while they hold open
  cases is refused, naming how many: the head reassigns the cases first.

Only the station head writes, except maintenance logs, which any member of the station records.
"""

import datetime
import logging
import uuid
from collections.abc import Sequence
from decimal import Decimal
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import F, Max, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.activity.models import ActivityVerb
from core.activity.services import activity_record
from core.common.mail import mail
from core.operations import selectors
from core.operations.models import (
    MAINTENANCE_INTERVAL_MAX_DAYS,
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
)
from core.uploads.checks import FileKind, upload_check
from tenants.hosts import station_url
from tenants.models import Station, User
from tenants.selectors import require_head, require_member, station_head_emails, station_members
from tenants.tasks import queue_after_commit

logger = logging.getLogger(__name__)

CERTIFICATE_KINDS = ("pdf", "jpeg", "png")
SYSTEM_FILE_KINDS = ("pdf", "docx")


# --- Who may --------------------------------------------------------------------------------------------------------


def _station() -> Station:
    """The station whose schema is active."""
    return Station.objects.get(schema_name=connection.schema_name)


def _require_head(user: User) -> None:
    require_head(user=user, message=_("Only the station head keeps the station's operations."))


def _require_member(user: User) -> None:
    require_member(user=user, message=_("Only the station's members record maintenance."))


def _members_only(users: Sequence[User], field: str) -> None:
    ids = {user.pk for user in users}
    members = set(station_members().filter(pk__in=ids).values_list("pk", flat=True))
    if ids - members:
        raise ValidationError({field: [_("Only members of this station can be chosen.")]}, code="not_member")


def _store(instance, field: str, file, kind: FileKind) -> None:
    getattr(instance, field).save(f"{uuid.uuid4().hex}{kind.extension}", file, save=False)


def _original_name(file, kind: FileKind) -> str:
    return PurePath(file.name or "").name[:255] or kind.name


def _changed(instance, before: dict) -> list[str]:
    """The names (verbose, in the active language) of the fields of `instance` that differ from `before`."""
    return [
        str(instance._meta.get_field(field).verbose_name)
        for field, value in before.items()
        if getattr(instance, field) != value
    ]


def _log(verb: str, user: User, subject: str, details: Sequence[str] = ()) -> None:
    """One line of the station's activity log: what was changed and, after a colon, how."""
    detail = subject if not details else f"{subject}: {'; '.join(details)}"
    activity_record(verb=verb, actor=user, detail=detail[:300])


def _clearance_kept(user_ids: set[int], before: set[int]) -> None:
    """Called in the transaction of a change to trainings or attendance, after it: a member who was cleared for duty
    (`before`) and no longer is must not hold open cases (clause 4.4.1: only a trained member serves). Refuses, naming
    how many open cases, so the head reassigns them first; the transaction rolls back."""
    for user_id in sorted(before - selectors.members_cleared(user_ids=user_ids)):
        count = selectors.open_cases_count(user_id=user_id)
        if count:
            member = User.objects.get(pk=user_id)
            raise ValidationError(
                _(
                    "%(name)s would no longer be cleared for duty but still holds %(count)s open cases. "
                    "Assign those cases to someone else first."
                )
                % {"name": member.display_name, "count": count},
                code="holds_open_cases",
            )


def _reason(reason: str, field: str = "reason") -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({field: [_("Give the reason.")]}, code="required")
    return reason


def _not_future(day: datetime.date, field: str) -> None:
    if day > timezone.localdate():
        raise ValidationError({field: [_("The date cannot be in the future.")]}, code="future")


def _save_or_forget(instance, stored: str | None) -> None:
    """full_clean and save; a stored file is removed again if the row is refused."""
    try:
        instance.full_clean()
        instance.save()
    except Exception:
        if stored:
            default_storage.delete(stored)
        raise


# --- The staff register (clause 4.4) --------------------------------------------------------------------------------


@transaction.atomic
def staff_record_save(
    *, user: User, member: User, duty_start: datetime.date | None = None, background: str = ""
) -> StaffRecord:
    """The head writes a member's register entry (created on first save)."""
    _require_head(user)
    _members_only([member], "member")
    record = StaffRecord.objects.select_for_update().filter(user=member).first() or StaffRecord(user=member)
    record.duty_start = duty_start
    record.background = background.strip()
    record.full_clean()
    record.save()
    return record


@transaction.atomic
def staff_qualification_add(
    *, user: User, member: User, name: str, number: str = "", valid_until: datetime.date | None = None
) -> StaffQualification:
    """The head records a qualification a member holds (the member's register entry is created if need be)."""
    _require_head(user)
    _members_only([member], "member")
    record, _created = StaffRecord.objects.get_or_create(user=member)
    qualification = StaffQualification(staff=record, name=name.strip(), number=number.strip(), valid_until=valid_until)
    qualification.full_clean()
    qualification.save()
    return qualification


@transaction.atomic
def staff_qualification_update(
    *,
    user: User,
    qualification: StaffQualification,
    name: str,
    number: str = "",
    valid_until: datetime.date | None = None,
) -> StaffQualification:
    """The head corrects a qualification (a typo in its name or number, its date). A withdrawn one stays as it was
    withdrawn."""
    _require_head(user)
    qualification = (
        StaffQualification.objects.select_for_update().select_related("staff__user").get(pk=qualification.pk)
    )
    if qualification.withdrawn:
        raise ValidationError(_("A withdrawn qualification is kept as it was; it cannot be changed."), code="withdrawn")
    before = {"name": qualification.name, "number": qualification.number, "valid_until": qualification.valid_until}
    qualification.name, qualification.number, qualification.valid_until = name.strip(), number.strip(), valid_until
    qualification.full_clean()
    changed = _changed(qualification, before)
    if changed:
        qualification.save()
        _log(
            ActivityVerb.QUALIFICATION_CHANGED,
            user,
            f"{qualification.name} ({qualification.staff.user.display_name})",
            changed,
        )
    return qualification


@transaction.atomic
def staff_qualification_withdraw(
    *, user: User, qualification: StaffQualification, reason: str, withdrawn_on: datetime.date | None = None
) -> StaffQualification:
    """The head withdraws a qualification (expired, revoked) from `withdrawn_on` (today by default) for `reason`: it
    stays in the register, shown as withdrawn, and no longer counts as valid."""
    _require_head(user)
    qualification = (
        StaffQualification.objects.select_for_update().select_related("staff__user").get(pk=qualification.pk)
    )
    if qualification.withdrawn:
        raise ValidationError(_("This qualification is already withdrawn."), code="withdrawn")
    reason = _reason(reason)
    withdrawn_on = withdrawn_on or timezone.localdate()
    _not_future(withdrawn_on, "withdrawn_on")
    qualification.withdrawn_on, qualification.withdrawal_reason = withdrawn_on, reason
    qualification.full_clean()
    qualification.save(update_fields=["withdrawn_on", "withdrawal_reason"])
    _log(
        ActivityVerb.QUALIFICATION_WITHDRAWN,
        user,
        f"{qualification.name} ({qualification.staff.user.display_name})",
        [f"{withdrawn_on:%Y-%m-%d}", reason],
    )
    return qualification


def _certificate_check(file) -> FileKind:
    return upload_check(
        file=file,
        allowed=CERTIFICATE_KINDS,
        max_bytes=settings.OPERATIONS_DOCUMENT_MAX_BYTES,
        field="certificate",
    )


@transaction.atomic
def training_create(
    *,
    user: User,
    title: str,
    held_on: datetime.date,
    hours: Decimal,
    kind: str,
    attendees: Sequence[User],
    trainer: str = "",
    certificate=None,
) -> Training:
    """The head records a training (clause 4.4.1) and who attended it (each attendance completed), with an optional
    certificate (PDF, JPEG or PNG, checked by content). A pre-duty training held by today clears its attendees for
    duty. At least one attendee, each a member of the station."""
    _require_head(user)
    if not attendees:
        raise ValidationError({"attendees": [_("Choose who attended.")]}, code="required")
    _members_only(attendees, "attendees")
    training = Training(
        title=title.strip(), held_on=held_on, hours=hours, kind=kind, trainer=trainer.strip(), created_by=user
    )
    stored = None
    if certificate is not None:
        kind_found = _certificate_check(certificate)
        training.certificate_name = _original_name(certificate, kind_found)
        training.certificate_kind = kind_found.name
        _store(training, "certificate", certificate, kind_found)
        stored = training.certificate.name
    _save_or_forget(training, stored)
    TrainingAttendance.objects.bulk_create(
        TrainingAttendance(training=training, user=attendee) for attendee in dict.fromkeys(attendees)
    )
    logger.info("station %s: training %s recorded", connection.schema_name, training.pk)
    return training


def _training_locked(training: Training) -> Training:
    training = Training.objects.select_for_update().get(pk=training.pk)
    if training.cancelled:
        raise ValidationError(_("A cancelled training is kept as it was; it cannot be changed."), code="cancelled")
    return training


@transaction.atomic
def training_attendance_set(*, training: Training, user: User, member: User, completed: bool) -> TrainingAttendance:
    """The head marks a member's attendance of a training completed or not (a member who left early is not cleared).
    Refused when it would take the clearance for duty of a member holding open cases."""
    _require_head(user)
    training = _training_locked(training)
    attendance = TrainingAttendance.objects.select_for_update().filter(training=training, user=member).first()
    if attendance is None:
        raise ValidationError({"member": [_("This member did not attend this training.")]}, code="not_attendee")
    if attendance.completed == completed:
        return attendance
    before = selectors.members_cleared(user_ids=[member.pk])
    attendance.completed = completed
    attendance.save(update_fields=["completed"])
    _clearance_kept({member.pk}, before)
    done = _("completed") if completed else _("not completed")
    _log(ActivityVerb.TRAINING_CHANGED, user, f"{training.title} ({training.held_on:%Y-%m-%d})", [f"{member}: {done}"])
    return attendance


@transaction.atomic
def training_update(
    *,
    user: User,
    training: Training,
    title: str,
    held_on: datetime.date,
    hours: Decimal,
    kind: str,
    attendees: Sequence[User],
    completed: Sequence[User] | None = None,
    trainer: str = "",
    certificate=None,
) -> Training:
    """The head corrects a training's facts and its attendance: who attended (`attendees`; a member added must be a
    member of the station) and who of them completed it (`completed`; None keeps each attendance as it was and counts a
    new attendee as completed). A certificate given replaces the one shown (the earlier file stays in storage). Refused
    for a cancelled training, and when the change would take the clearance for duty of a member holding open cases."""
    _require_head(user)
    training = _training_locked(training)
    attendees = list(dict.fromkeys(attendees))
    if not attendees:
        raise ValidationError({"attendees": [_("Choose who attended.")]}, code="required")
    current = {a.user_id: a for a in TrainingAttendance.objects.select_for_update().filter(training=training)}
    _members_only([a for a in attendees if a.pk not in current], "attendees")
    attendee_ids = {a.pk for a in attendees}
    if completed is not None:
        completed_ids = {c.pk for c in completed}
        if completed_ids - attendee_ids:
            raise ValidationError(
                {"completed": [_("Only those who attended can have completed the training.")]}, code="not_attendee"
            )
    else:
        completed_ids = {uid for uid in attendee_ids if current[uid].completed} if current else set()
        completed_ids |= attendee_ids - set(current)
    affected = attendee_ids | set(current)
    before_cleared = selectors.members_cleared(user_ids=affected)

    before = {f: getattr(training, f) for f in ("title", "held_on", "hours", "kind", "trainer")}
    training.title, training.held_on, training.hours = title.strip(), held_on, hours
    training.kind, training.trainer = kind, trainer.strip()
    details = _changed(training, before)
    stored = None
    if certificate is not None:
        kind_found = _certificate_check(certificate)
        training.certificate_name = _original_name(certificate, kind_found)
        training.certificate_kind = kind_found.name
        _store(training, "certificate", certificate, kind_found)
        stored = training.certificate.name
        details.append(f"{_('certificate')}: {training.certificate_name}")
    _save_or_forget(training, stored)

    names = {u.pk: str(u) for u in User.objects.filter(pk__in=affected)}
    removed = set(current) - attendee_ids
    if removed:
        TrainingAttendance.objects.filter(training=training, user_id__in=removed).delete()
        details.append(_("removed: %(names)s") % {"names": "、".join(names[uid] for uid in sorted(removed))})
    added = attendee_ids - set(current)
    if added:
        TrainingAttendance.objects.bulk_create(
            TrainingAttendance(training=training, user_id=uid, completed=uid in completed_ids) for uid in sorted(added)
        )
        details.append(_("added: %(names)s") % {"names": "、".join(names[uid] for uid in sorted(added))})
    for uid in sorted(attendee_ids & set(current)):
        attendance = current[uid]
        if attendance.completed != (uid in completed_ids):
            attendance.completed = uid in completed_ids
            attendance.save(update_fields=["completed"])
            done = _("completed") if attendance.completed else _("not completed")
            details.append(f"{names[uid]}: {done}")
    _clearance_kept(affected, before_cleared)
    if details:
        _log(ActivityVerb.TRAINING_CHANGED, user, f"{training.title} ({training.held_on:%Y-%m-%d})", details)
    return training


@transaction.atomic
def training_cancel(*, user: User, training: Training, reason: str) -> Training:
    """The head cancels a training (it did not take place, or was recorded by mistake) for `reason`: it stays in the
    list, shown as cancelled, and clears nobody for duty any more. Refused when that would take the clearance of a
    member holding open cases."""
    _require_head(user)
    training = _training_locked(training)
    reason = _reason(reason)
    affected = set(TrainingAttendance.objects.filter(training=training).values_list("user_id", flat=True))
    before = selectors.members_cleared(user_ids=affected)
    training.cancelled_at, training.cancellation_reason = timezone.now(), reason
    training.full_clean()
    training.save(update_fields=["cancelled_at", "cancellation_reason"])
    _clearance_kept(affected, before)
    _log(ActivityVerb.TRAINING_CANCELLED, user, f"{training.title} ({training.held_on:%Y-%m-%d})", [reason])
    logger.info("station %s: training %s cancelled", connection.schema_name, training.pk)
    return training


# --- The equipment register (clause 4.3) ----------------------------------------------------------------------------


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
            "link": station_url(station.code, reverse("operations:equipment", urlconf=settings.ROOT_URLCONF)),
        }
    mail(app="operations", template="maintenance_due", context=context, to=recipients)
    return True


# --- The written systems (clause 4.5) -------------------------------------------------------------------------------


def _system_file_check(file) -> FileKind:
    return upload_check(
        file=file, allowed=SYSTEM_FILE_KINDS, max_bytes=settings.OPERATIONS_DOCUMENT_MAX_BYTES, field="file"
    )


@transaction.atomic
def system_version_publish(
    *, user: User, code: str, effective_on: datetime.date, text: str = "", file=None
) -> SystemDocumentVersion:
    """The head publishes a new version of a written system (clause 4.5 a-h): its text and/or a PDF or Word (DOCX)
    file, checked by content, in effect from `effective_on`. Numbered after the last version; earlier versions stay."""
    _require_head(user)
    if code not in SystemCode.values:
        raise ValidationError({"code": [_("Not one of the written systems of the standard.")]}, code="unknown")
    text = text.strip()
    if not text and file is None:
        raise ValidationError({"text": [_("Give the text of the system, or its file.")]}, code="empty")
    found = _system_file_check(file) if file is not None else None
    SystemDocument.objects.get_or_create(code=code)
    document = SystemDocument.objects.select_for_update().get(code=code)
    last = document.versions.aggregate(last=Max("number"))["last"] or 0
    version = SystemDocumentVersion(
        document=document,
        number=last + 1,
        effective_on=effective_on,
        text=text,
        approved_by=user,
        published_at=timezone.now(),
    )
    stored = None
    if found is not None:
        version.file_name = _original_name(file, found)
        version.file_kind = found.name
        _store(version, "file", file, found)
        stored = version.file.name
    _save_or_forget(version, stored)
    logger.info("station %s: system %s version %s published", connection.schema_name, code, version.number)
    return version


# --- The public display (clause 4.2.2) ------------------------------------------------------------------------------


@transaction.atomic
def display_notice_save(*, user: User, process: str, notes: str = "") -> DisplayNotice:
    """The head writes the service process (and other notices) the station displays next to its facts and phones."""
    _require_head(user)
    notice = DisplayNotice.objects.select_for_update().first() or DisplayNotice()
    notice.process = process.strip()
    notice.notes = notes.strip()
    notice.updated_by = user
    notice.full_clean()
    notice.save()
    return notice
