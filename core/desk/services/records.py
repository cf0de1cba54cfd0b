"""Service records (Appendix B) and their amendments once the case is closed."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.archive.services import archive_entry_create
from core.catalog.models import FormBox, FormKind
from core.common.versions import version_check
from core.desk.models import (
    CLOSED,
    RECORD_FIELDS,
    CaseState,
    EventKind,
    PlanKind,
    RecordAmendment,
    ServiceCase,
    ServiceRecord,
)
from core.desk.services._base import _event, _station
from core.desk.services.demands import OTHER_SERVICES_ITEM
from core.numbering.services import document_number
from core.stats.services import case_fact_send
from tenants.models import User
from tenants.selectors import (
    is_member,
)

RECORD_TIMES = ("requested_at", "received_at", "answered_at", "on_site_at", "ended_at")


def record_category_box(*, case: ServiceCase) -> FormBox:
    """The category box of Appendix B that a case falls under: the one whose items share the case's category."""
    box = FormBox.objects.filter(form=FormKind.RECORD, items__category=case.category_id).order_by("position").first()
    return box or FormBox.objects.filter(form=FormKind.RECORD, items__clause=OTHER_SERVICES_ITEM).first()


def record_initial(*, case: ServiceCase, user: User | None = None) -> dict:
    """What the record of a case starts from, taken from what the desk already knows (the demand, the current
    plan, the assignee or else the one writing it, and what a completed referral brought back: its resolution, times
    and who served, `core.referrals.selectors.referral_record_initial`): staff correct it, they do not re-type it."""
    from core.referrals.selectors import referral_record_initial

    plan = case.plans.filter(superseded_at__isnull=True).select_related("institution").first()
    initial = {
        "requested_at": case.demand.created_at,
        "received_at": case.received_at,
        "staff": case.assignee or user,
        "category": record_category_box(case=case),
        "request": case.request,
    }
    if plan is not None and plan.kind == PlanKind.INSTITUTION:
        items = "、".join(item.name for item in plan.agreed_items.all())
        when = timezone.localtime(plan.agreed_at).strftime("%Y-%m-%d %H:%M") if plan.agreed_at else ""
        period = f"{plan.period_start} – {plan.period_end}" if plan.period_start and plan.period_end else ""
        initial |= {
            "institution": plan.institution,
            "technician": plan.technician,
            "items_and_expected_time": "；".join(part for part in (items, when, period) if part),
        }
    return initial | referral_record_initial(case=case)


def _only_record_fields(fields: dict) -> None:
    unknown = set(fields) - set(RECORD_FIELDS)
    if unknown:
        raise TypeError(f"not fields of the record: {sorted(unknown)}")


def _change_line(name: str, old: str, new: str) -> str:
    """One changed field of a record, as the timeline shows it."""
    return f"{ServiceRecord._meta.get_field(name).verbose_name}: {old or '—'} → {new or '—'}"


def _record_errors(record: ServiceRecord) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    try:
        record.full_clean(exclude=["case", "number"])
    except ValidationError as error:
        errors.update(error.message_dict)
    # Each time comes after the one before it on the form; the answer and on-site handling may be missing.
    order = [name for name in RECORD_TIMES if getattr(record, name) is not None]
    for earlier, later in zip(order, order[1:], strict=False):
        if getattr(record, later) < getattr(record, earlier):
            errors.setdefault(later, []).append(
                _("This time cannot be before “%(earlier)s”.")
                % {"earlier": ServiceRecord._meta.get_field(earlier).verbose_name}
            )
    if record.ended_at and record.ended_at > timezone.now():
        errors.setdefault("ended_at", []).append(_("The service cannot end in the future."))
    if record.staff_id and not is_member(record.staff):
        errors.setdefault("staff", []).append(_("Only a member of this station can be booked."))
    return errors


def record_field_display(record: ServiceRecord, name: str) -> str:
    """A field's value as people read it, for the history."""
    value = getattr(record, name)
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, FormBox):
        return value.label  # the box's own words, as printed on Appendix B (not "B: 服务类别 / 计量服务")
    return str(value)


def _case_and_record_locked(*, case_id: int) -> tuple[ServiceCase, ServiceRecord | None]:
    """The case and its record (None before it is written), each row locked: the case's first, then the record's.
    Every write of a record takes them in this one order (`record_save`, `record_amend`): two writers that took them
    in opposite orders deadlocked (issue 16)."""
    case = ServiceCase.objects.select_for_update().get(pk=case_id)
    record = ServiceRecord.objects.select_for_update().filter(case=case).first()
    if record is not None:
        record.case = case
    return case, record


@transaction.atomic
def record_save(*, case: ServiceCase, user: User, expected_version: int | None = None, **fields) -> ServiceRecord:
    """Write the service record of a case (clause 6.2, Appendix B) as the work happens (clause 7.2): the first call
    numbers it, later calls change it, each change goes on the case's timeline with its old and new values. Once the
    case is completed the record is corrected only through `record_amend`."""
    case, record = _case_and_record_locked(case_id=case.pk)
    _only_record_fields(fields)
    if case.state in CLOSED:
        raise ValidationError(
            {"state": ValidationError(_("The case is closed: correct its record with an amendment."), code="closed")}
        )
    if record is None:
        if case.state in (CaseState.RECEIVED, CaseState.ON_HOLD):
            raise ValidationError({"state": [_("Evaluate the case before writing its record.")]}, code="transition")
        record = ServiceRecord(case=case, number="-", **(record_initial(case=case, user=user) | fields))
        before = None
    else:
        version_check(record, expected_version)
        before = {name: record_field_display(record, name) for name in RECORD_FIELDS}
        for name, value in fields.items():
            setattr(record, name, value)
    errors = _record_errors(record)
    if errors:
        raise ValidationError(errors)
    if before is None:
        record.number = document_number(station=_station(), kind="jl")
        record.save()
        archive_entry_create(document=record)
        _event(case, kind=EventKind.RECORD, actor=user, text=_("Record %(number)s written") % {"number": record.number})
        case_fact_send(case_id=case.pk)
        return record
    changes = [
        _change_line(name, before[name], record_field_display(record, name))
        for name in RECORD_FIELDS
        if record_field_display(record, name) != before[name]
    ]
    if changes:
        record.version += 1
        record.save()
        _event(case, kind=EventKind.RECORD, actor=user, text="\n".join(changes))
        case_fact_send(case_id=case.pk)
    return record


@transaction.atomic
def record_amend(
    *, record: ServiceRecord, user: User, reason: str, expected_version: int | None = None, **fields
) -> list[RecordAmendment]:
    """Correct the record of a closed case (clause 7.2): each changed field keeps its original value in an
    amendment, with who, when and why."""
    _case, record = _case_and_record_locked(case_id=record.case_id)
    if record is None:
        raise ServiceRecord.DoesNotExist
    _only_record_fields(fields)
    version_check(record, expected_version)
    if record.case.state not in CLOSED:
        raise ValidationError(
            {"state": ValidationError(_("The case is still open: edit its record directly."), code="open")}
        )
    if not reason.strip():
        raise ValidationError({"reason": [_("Say why.")]}, code="required")
    before = {name: record_field_display(record, name) for name in RECORD_FIELDS}
    for name, value in fields.items():
        setattr(record, name, value)
    errors = _record_errors(record)
    if errors:
        raise ValidationError(errors)
    changed = [name for name in RECORD_FIELDS if record_field_display(record, name) != before[name]]
    if not changed:
        raise ValidationError({"__all__": [_("Nothing was changed.")]}, code="unchanged")
    amendments = [
        RecordAmendment(
            record=record,
            field=name,
            old_value=before[name],
            new_value=record_field_display(record, name),
            reason=reason.strip(),
            actor=user,
        )
        for name in changed
    ]
    for amendment in amendments:
        amendment.full_clean(exclude=["record", "actor"])
    record.version += 1
    record.save()
    RecordAmendment.objects.bulk_create(amendments)
    text = "\n".join(_change_line(a.field, a.old_value, a.new_value) for a in amendments)
    _event(record.case, kind=EventKind.AMENDMENT, actor=user, text=f"{text}\n{_('Reason')}: {reason.strip()}")
    case_fact_send(case_id=record.case_id)
    return amendments
