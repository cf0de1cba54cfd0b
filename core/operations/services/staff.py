"""The staff register (clause 4.4): each member's entry, their qualifications, and the trainings with who attended,
which clear a member for duty. Corrections, withdrawals and cancellations keep what counted, and refuse to take the
clearance of a member who still holds open cases."""

import datetime
import logging
from collections.abc import Sequence
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.activity.models import ActivityVerb
from core.notifications.kinds import QUALIFICATION_EXPIRING
from core.notifications.services import notify
from core.operations import selectors
from core.operations.models import StaffQualification, StaffRecord, Training, TrainingAttendance
from core.operations.services._common import (
    _changed,
    _log,
    _not_future,
    _original_name,
    _reason,
    _require_head,
    _save_or_forget,
    _store,
)
from core.uploads.checks import FileKind, upload_check
from tenants.hosts import station_reverse
from tenants.models import Station, User
from tenants.selectors import station_heads, station_members

logger = logging.getLogger(__name__)

CERTIFICATE_KINDS = ("pdf", "jpeg", "png")


def _members_only(users: Sequence[User], field: str) -> None:
    ids = {user.pk for user in users}
    members = set(station_members().filter(pk__in=ids).values_list("pk", flat=True))
    if ids - members:
        raise ValidationError({field: [_("Only members of this station can be chosen.")]}, code="not_member")


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


def _certificate_attach(training: Training, certificate) -> str | None:
    """Check a training's certificate file and store it on `training` (not saved yet); the stored name, or None when
    no file came."""
    if certificate is None:
        return None
    kind_found = _certificate_check(certificate)
    training.certificate_name = _original_name(certificate, kind_found)
    training.certificate_kind = kind_found.name
    _store(training, "certificate", certificate, kind_found)
    return training.certificate.name


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
    _save_or_forget(training, _certificate_attach(training, certificate))
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
    stored = _certificate_attach(training, certificate)
    if stored is not None:
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


# Days before a staff qualification's end at which the head is reminded, each once (0: on its last valid day, or once
# it has ended, and was not withdrawn), as for the institutions' (issue 20). A qualification first seen nearer its end
# is reminded at the nearest threshold only.
QUALIFICATION_EXPIRY_DAYS = (90, 30, 0)
# An ended qualification is reminded of only this long after its end (older ones are in the register already).
QUALIFICATION_EXPIRED_REMINDER_DAYS = 30


def staff_qualification_expiry_remind(*, today: datetime.date | None = None) -> int:
    """In the active station: tell the head(s) of each member's qualification that ends within 90 days, within 30
    days, or ends today or has ended (in the last `QUALIFICATION_EXPIRED_REMINDER_DAYS` days, and not withdrawn), once per
    qualification, end date and threshold (the notification's key: a renewed qualification with a new end date is
    reminded of again). Returns how many qualifications were reminded of now. Run daily by beat."""
    today = today or timezone.localdate()
    first = max(QUALIFICATION_EXPIRY_DAYS)
    due = (
        StaffQualification.objects.select_related("staff__user")
        .filter(withdrawn_on__isnull=True, valid_until__isnull=False)
        .filter(valid_until__lte=today + datetime.timedelta(days=first))
        .filter(valid_until__gte=today - datetime.timedelta(days=QUALIFICATION_EXPIRED_REMINDER_DAYS))
        .order_by("valid_until", "pk")
    )
    reminded = 0
    heads = station = None
    for qualification in due:
        days_left = (qualification.valid_until - today).days
        days = min(d for d in QUALIFICATION_EXPIRY_DAYS if days_left <= d)
        threshold = "ended" if days == 0 else f"{days}d"  # "ended": the key of the last notice before issue 20
        if station is None:
            station = Station.objects.get(schema_name=connection.schema_name)
            heads = station_heads(station=station)
        member = qualification.staff.user
        with translation.override(settings.LANGUAGE_CODE):
            values = {
                "name": qualification.name,
                "member": member.display_name,
                "date": qualification.valid_until.isoformat(),
            }
            if days_left < 0:
                title = _("%(member)s's qualification %(name)s ended on %(date)s") % values
            else:
                title = _("%(member)s's qualification %(name)s ends on %(date)s") % values
            body = _("Certificate number: %(number)s. Renew it, or withdraw it from the staff register.") % {
                "number": qualification.number or "—"
            }
        key = (
            f"{QUALIFICATION_EXPIRING}:{station.code}:staff:{qualification.pk}:{qualification.valid_until}:{threshold}"
        )
        reminded += bool(
            notify(
                recipients=heads,
                kind=QUALIFICATION_EXPIRING,
                key=key,
                title=title,
                body=body,
                url=station_reverse(station.code, "operations:staff"),
                station=station,
            )
        )
    return reminded
