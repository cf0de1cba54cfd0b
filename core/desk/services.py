"""Writes of the station desk. Every change of a case goes through here, and its state machine lives here only."""

import datetime
import smtplib
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context

from core.catalog.models import FormBox, FormKind, ServiceCategory, ServiceItem
from core.common import workdays
from core.common.mail import mail
from core.common.versions import version_check
from core.desk.models import (
    CLOSED,
    DEMAND_TABLES,
    RECORD_FIELDS,
    CaseEvent,
    CaseState,
    Channel,
    Demand,
    EventKind,
    PlanKind,
    RecordAmendment,
    ServiceCase,
    ServicePlan,
    ServiceRecord,
    Survey,
    SurveyChannel,
    SurveyInvitation,
)
from core.directory import services as directory_services
from core.directory import uscc
from core.directory.models import Enterprise
from core.operations.selectors import member_duty_check
from core.stats.services import case_fact_send
from tenants.hosts import station_url
from tenants.models import MemberRole, Station, StationStatus, User
from tenants.selectors import (
    MESSAGES,
    PLATFORM,
    PUBLIC,
    SystemActor,
    actor_person,
    actor_roles,
    is_member,
    require_member,
    station_heads,
    station_members,
)
from tenants.tasks import queue_after_commit

# A filled-in section 九 (operator exams) is a need of its own: exam guidance and the training before it.
OPERATOR_EXAM_ITEMS = ("5.1.8.3", "5.1.1.7")
OTHER_SERVICES_ITEM = "5.1.11.1"

# The state machine of a case: from each state, where it may go. On hold resumes to the state it left.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    CaseState.RECEIVED: (CaseState.EVALUATING, CaseState.ON_HOLD, CaseState.CANCELLED),
    CaseState.EVALUATING: (CaseState.PLANNED, CaseState.ON_HOLD, CaseState.CANCELLED),
    CaseState.PLANNED: (CaseState.IN_SERVICE, CaseState.EVALUATING, CaseState.ON_HOLD, CaseState.CANCELLED),
    CaseState.IN_SERVICE: (CaseState.FOLLOWING_UP, CaseState.EVALUATING, CaseState.ON_HOLD, CaseState.CANCELLED),
    CaseState.FOLLOWING_UP: (
        CaseState.COMPLETED,
        CaseState.IN_SERVICE,
        CaseState.EVALUATING,
        CaseState.ON_HOLD,
        CaseState.CANCELLED,
    ),
    CaseState.COMPLETED: (CaseState.EVALUATED,),
    CaseState.EVALUATED: (),
    CaseState.ON_HOLD: (),  # resumes to `resume_state` only, see case_transition
    CaseState.CANCELLED: (),
}
NEEDS_REASON = (CaseState.ON_HOLD, CaseState.CANCELLED)


def _local_year() -> int:
    return timezone.localdate().year


def number_next(*, kind: str, year: int) -> int:
    """The next number of `kind` in `year`, gap-free: one UPSERT takes the sequence's row lock until the caller's
    transaction ends, so concurrent creators queue, and a rollback gives the number back."""
    if not connection.in_atomic_block:
        raise RuntimeError("numbers are taken inside the transaction that creates the numbered document")
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO desk_numbersequence (kind, year, last) VALUES (%s, %s, 1) "
            "ON CONFLICT (kind, year) DO UPDATE SET last = desk_numbersequence.last + 1 RETURNING last",
            [kind, year],
        )
        return cursor.fetchone()[0]


def document_number(*, station, kind: str, year: int | None = None) -> str:
    """`YZ-2026-000123` for demands; records carry their kind: `YZ-JL-2026-000045`."""
    year = year or _local_year()
    serial = number_next(kind=kind, year=year)
    prefix = station.code.upper() if kind == "demand" else f"{station.code.upper()}-{kind.upper()}"
    return f"{prefix}-{year}-{serial:06d}"


def _full_clean_rows(tables: dict[str, list[dict]]) -> tuple[dict[str, list], dict[str, list[str]]]:
    """Build and validate every table row. Returns (rows by table, errors keyed `table.position.field`), so that a
    form can mark the bad rows, and keep every row as typed."""
    built, errors = {}, {}
    for name, model in DEMAND_TABLES.items():
        built[name] = []
        for position, values in enumerate(tables.get(name, []), start=1):
            row = model(position=position, **values)
            try:
                row.full_clean(exclude=["demand"])
            except ValidationError as error:
                for field, messages in error.message_dict.items():
                    errors[f"{name}.{position}.{field}"] = messages
            built[name].append(row)
    return built, errors


@dataclass(frozen=True)
class CaseDraft:
    """A case the demand will open: its category, items, the boxes behind it and the request in words."""

    category: ServiceCategory
    items: tuple[ServiceItem, ...]
    request: str


def demand_case_drafts(*, boxes, exam_categories, other_needs: str) -> list[CaseDraft]:
    """One case per section with ticked boxes (its boxes' items together: a section is one need, the station splits
    it when it plans), one for the operator-exam block and one for other needs in words."""
    drafts: dict[int, list] = {}
    for box in sorted(boxes, key=lambda b: b.position):
        items = list(box.items.all())
        category = items[0].category if items else _section_category(box)
        drafts.setdefault(category.pk, [category, [], []])
        drafts[category.pk][1].extend(item for item in items if item not in drafts[category.pk][1])
        drafts[category.pk][2].append(box.label)
    result = [
        CaseDraft(category=category, items=tuple(items), request="、".join(labels))
        for category, items, labels in drafts.values()
    ]
    if exam_categories:
        found = ServiceItem.objects.filter(clause__in=OPERATOR_EXAM_ITEMS).select_related("category")
        items = tuple(sorted(found, key=lambda item: OPERATOR_EXAM_ITEMS.index(item.clause)))
        # The case belongs to special equipment (5.1.8); the training before the exam comes with it.
        request = _("Special equipment operator exams")
        result.append(CaseDraft(category=items[0].category, items=items, request=request))
    if other_needs.strip():
        item = ServiceItem.objects.select_related("category").get(clause=OTHER_SERVICES_ITEM)
        result.append(CaseDraft(category=item.category, items=(item,), request=other_needs.strip()))
    return result


def _section_category(box: FormBox) -> ServiceCategory:
    """The category of a box without items (a 其他 box): the category of another box of its section."""
    sibling = (
        ServiceItem.objects.filter(form_boxes__form=box.form, form_boxes__section=box.section)
        .select_related("category")
        .first()
    )
    if sibling is None:
        return ServiceItem.objects.select_related("category").get(clause=OTHER_SERVICES_ITEM).category
    return sibling.category


def _event(case: ServiceCase, *, kind: str, actor: User | None, text: str = "", from_state="", to_state=""):
    event = CaseEvent(case=case, kind=kind, actor=actor, text=text, from_state=from_state, to_state=to_state)
    event.full_clean()
    event.save()
    return event


@transaction.atomic
def demand_create(
    *,
    station,
    user: User | SystemActor,
    enterprise: Enterprise,
    channel: str,
    filled_on: datetime.date | None = None,
    boxes=(),
    tables: dict[str, list[dict]] | None = None,
    target_days: int | None = None,
    drafts: list[CaseDraft] | None = None,
    **fields,
) -> Demand:
    """Take a demand form (Appendix A): number it, keep its rows, and open one case per need (or the cases `drafts`
    names: a referral from another station opens the one case it asks for).

    `fields` are the form's other fields (the enterprise block as filled in, the checklists, other needs, opinions,
    signatory). Every problem is raised at once: field errors by name, a table row's as `table.position.field`.
    The USCC is kept in its compact form, however it was typed. The station's members take demands; the enterprise
    itself submits one online (`user` is `PUBLIC`, see `demand_submit_online`).
    """
    require_member(user=user, station=station, system=(PUBLIC,))
    user = actor_person(user)
    if fields.get("uscc"):
        fields["uscc"] = uscc.compact(fields["uscc"])
    demand = Demand(
        enterprise=enterprise,
        channel=channel,
        filled_on=filled_on or timezone.localdate(),
        created_by=user,
        number="-",
        **{
            "enterprise_name": enterprise.name,
            "uscc": enterprise.uscc,
            "legal_representative": enterprise.legal_representative,
            "contact_person": enterprise.contact_person,
            "email": enterprise.email,
            "phone": enterprise.phone,
            "address": enterprise.address,
            **fields,
        },
    )
    errors: dict = {}
    if Station.objects.filter(pk=station.pk, status=StationStatus.SUSPENDED).exists():
        # A suspended station finishes its open work but takes no new demand (clause 3).
        errors["__all__"] = [_("This station is suspended: it takes no new demands.")]
    try:
        demand.full_clean(exclude=["number"])
    except ValidationError as error:
        errors.update(error.message_dict)
    rows, row_errors = _full_clean_rows(tables or {})
    boxes = list(boxes)
    if drafts is None:
        drafts = demand_case_drafts(boxes=boxes, exam_categories=demand.exam_categories, other_needs=demand.other_needs)
    if not drafts and "boxes" not in errors:
        errors["boxes"] = [_("Tick at least one service, or describe the need under other services.")]
    if errors or row_errors:
        raise ValidationError({**errors, **row_errors})

    demand.number = document_number(station=station, kind="demand")
    demand.save()
    demand.boxes.set(boxes)
    for name, model in DEMAND_TABLES.items():
        for row in rows[name]:
            row.demand = demand
        model.objects.bulk_create(rows[name])
    received_at = timezone.now()
    target = target_days or settings.DESK_TARGET_WORKING_DAYS
    for index, draft in enumerate(drafts, start=1):
        case = ServiceCase(
            number=f"{demand.number}-{index}",
            demand=demand,
            category=draft.category,
            request=draft.request,
            received_at=received_at,
            target_days=target,
            due_at=workdays.add_working_days(received_at, target),
        )
        case.full_clean()
        case.save()
        case.items.set(draft.items)
        _event(case, kind=EventKind.STATE, actor=user, to_state=CaseState.RECEIVED, text=demand.get_channel_display())
        case_fact_send(case_id=case.pk)
    return demand


# The enterprise block of Appendix A, and the directory field each comes from.
ENTERPRISE_BLOCK = {
    "enterprise_name": "name",
    "uscc": "uscc",
    "legal_representative": "legal_representative",
    "contact_person": "contact_person",
    "email": "email",
    "phone": "phone",
    "address": "address",
}


@transaction.atomic
def demand_enterprise_get_or_add(*, station, user: User | SystemActor, district: str = "", **block) -> Enterprise:
    """The directory entry an Appendix A enterprise block names: found by its USCC (compared compact, so a code
    typed in full width or with spaces finds it), or added to the shared directory on the spot (source: this
    station). `block` holds the block's fields by their form names; errors come back under those names."""
    code = uscc.compact(block.get("uscc") or "")
    found = Enterprise.objects.filter(uscc=code).first() if code else None
    if found is not None:
        return found
    values = {field: (block.get(name) or "").strip() for name, field in ENTERPRISE_BLOCK.items()}
    values["district"] = district or getattr(station, "district", "")
    try:
        return directory_services.enterprise_create(user=user, station=station, **values)
    except ValidationError as error:
        if any(e.code == "unique" for e in getattr(error, "error_dict", {}).get("uscc", ())):
            # Another desk (or the portal) added this code since we looked: the demand goes to that entry.
            found = Enterprise.objects.filter(uscc=code).first()
            if found is not None:
                return found
        by_form_name = {field: name for name, field in ENTERPRISE_BLOCK.items()}
        raise ValidationError(
            {by_form_name.get(field, field): messages for field, messages in error.message_dict.items()}
        ) from error


def demand_submit_online(*, station: Station, district: str = "", **form) -> Demand:
    """The enterprise's own demand form from the public portal (channel online): the enterprise is found or added in
    the shared directory and the demand lands in the station's inbox, both in one transaction."""
    if station.status != StationStatus.PUBLISHED:
        raise ValidationError({"station": [_("This station does not take demands at present.")]})
    with transaction.atomic(), schema_context(station.schema_name):
        block = {name: form.pop(name, "") for name in ENTERPRISE_BLOCK}
        enterprise = demand_enterprise_get_or_add(station=station, user=PUBLIC, district=district, **block)
        return demand_create(
            station=station, user=PUBLIC, enterprise=enterprise, channel=Channel.ONLINE, **block, **form
        )


def _locked(case: ServiceCase) -> ServiceCase:
    return ServiceCase.objects.select_for_update().get(pk=case.pk)


def _pauses(case: ServiceCase) -> list[tuple[datetime.datetime, datetime.datetime | None]]:
    """The periods the case spent on hold, from its timeline."""
    pauses, started = [], None
    for event in case.events.filter(kind=EventKind.STATE).order_by("created_at", "id"):
        if event.to_state == CaseState.ON_HOLD:
            started = event.created_at
        elif event.from_state == CaseState.ON_HOLD and started is not None:
            pauses.append((started, event.created_at))
            started = None
    if started is not None:
        pauses.append((started, None))
    return pauses


def case_next_states(*, case: ServiceCase) -> tuple[str, ...]:
    """The states `case` may move to: the state machine's, or, on hold, only back to where it was."""
    if case.state == CaseState.ON_HOLD:
        return (case.resume_state,) if case.resume_state else ()
    return TRANSITIONS[case.state]


@transaction.atomic
def case_transition(
    *, case: ServiceCase, to: str, user: User | SystemActor, reason: str = "", expected_version: int | None = None
) -> ServiceCase:
    """Move a case to state `to`, if the state machine allows it; refused with a clear message otherwise. The
    station's members move cases; so does the platform when a case follows its referral (`PLATFORM`, or `MESSAGES`
    when the step came from the other station) and the enterprise's survey through its link (`PUBLIC`)."""
    from core.referrals import services as referral_services

    require_member(user=user, system=(PLATFORM, MESSAGES, PUBLIC))
    actor, user = user, actor_person(user)
    case = _locked(case)
    version_check(case, expected_version)
    if to not in case_next_states(case=case):
        raise ValidationError(
            {
                "state": [
                    _("A case that is “%(from)s” cannot become “%(to)s”.")
                    % {"from": CaseState(case.state).label, "to": CaseState(to).label}
                ]
            },
            code="transition",
        )
    if to in NEEDS_REASON and not reason.strip():
        raise ValidationError({"reason": [_("Say why.")]}, code="required")
    if to == CaseState.PLANNED and not case.plans.filter(superseded_at__isnull=True).exists():
        raise ValidationError({"state": [_("Write the service plan first.")]}, code="no_plan")
    if to == CaseState.EVALUATED and not Survey.objects.filter(case=case).exists():
        raise ValidationError({"state": [_("A case is evaluated by its satisfaction survey.")]}, code="no_survey")
    if to == CaseState.COMPLETED:
        record = getattr(case, "record", None)
        if record is None or record.ended_at is None:
            raise ValidationError({"state": [_("Fill in the service record, with its end time, first.")]})
    from_state = case.state
    case.resume_state = from_state if to == CaseState.ON_HOLD else ""
    case.state = to
    case.version += 1
    now = timezone.now()
    if to in CLOSED:
        case.closed_at = case.closed_at or now
    case.save()
    _event(case, kind=EventKind.STATE, actor=user, text=reason.strip(), from_state=from_state, to_state=to)
    # A referred case tells its referral: the receiver's progress goes back to the sender (core.referrals).
    referral_services.referral_case_moved(case=case, from_state=from_state, to_state=to, reason=reason, user=user)
    if to == CaseState.COMPLETED:
        survey_invite(case=case, user=actor)  # clause 5.2.4: the enterprise is asked to rate the service
    if to == CaseState.ON_HOLD or from_state == CaseState.ON_HOLD:
        case.due_at = workdays.deadline_with_pauses(case.received_at, case.target_days, _pauses(case))
        # A new deadline gets its own reminders.
        case.reminded_at = case.escalated_at = None
        case.save(update_fields=["due_at", "reminded_at", "escalated_at"])
    case_fact_send(case_id=case.pk)
    return case


@transaction.atomic
def case_plan(
    *,
    case: ServiceCase,
    user: User,
    kind: str,
    evaluation: str,
    expected_version: int | None = None,
    agreed_items=(),
    **fields,
) -> ServicePlan:
    """Write the service plan (clause 5.2.2): served by the station itself, or by an institution of the registry (a
    referral the station records on the institution's behalf is opened with it). A re-plan (clause 5.2.3.2)
    supersedes the current plan, which stays in the history, and takes the case back through evaluation to planned.
    Referring the case to another station is `core.referrals.services.referral_create`."""
    from core.referrals import services as referral_services

    require_member(user=user)
    case = _locked(case)
    version_check(case, expected_version)
    _check_plannable(case)
    if kind == PlanKind.STATION:
        raise ValidationError({"kind": [_("Refer the case to another station with the referral form.")]})
    plan = ServicePlan(case=case, kind=kind, evaluation=evaluation, created_by=user, **fields)
    errors = {}
    try:
        plan.full_clean(exclude=["case", "created_by"], validate_constraints=False)
    except ValidationError as error:
        errors.update(error.message_dict)
    if kind == PlanKind.SELF and not (fields.get("appointment_at") and fields.get("staff")):
        errors.setdefault("appointment_at", []).append(_("Book a time and assign a staff member."))
    if kind == PlanKind.INSTITUTION:
        if not fields.get("institution"):
            errors.setdefault("institution", []).append(_("Choose the institution from the registry."))
        if not agreed_items:
            errors.setdefault("agreed_items", []).append(_("Say which items were agreed."))
    if fields.get("staff") is not None:
        if not is_member(fields["staff"]):
            errors.setdefault("staff", []).append(_("Only a member of this station can be booked."))
        else:
            try:  # clause 4.4.1: the booked staff member becomes the case's assignee
                member_duty_check(user=fields["staff"], field="staff")
            except ValidationError as error:
                error.update_error_dict(errors)
    start, end = fields.get("period_start"), fields.get("period_end")
    if start and end and end < start:
        errors.setdefault("period_end", []).append(_("The service period cannot end before it starts."))
    if errors:
        raise ValidationError(errors)
    # Another station serving the case keeps it until its referral ends; an institution's referral ends here.
    referral_services.referral_replan(case=case, user=user)
    plan = _plan_write(case=case, plan=plan, user=user, agreed_items=agreed_items)
    if kind == PlanKind.INSTITUTION:
        referral_services.referral_institution_open(case=case, plan=plan, user=user)
    return plan


def case_plan_station(*, case: ServiceCase, user: User, station: Station, evaluation: str) -> ServicePlan:
    """The plan of a case referred to another station: written by `referral_create`, in its transaction, with the
    case locked and the referral checked."""
    require_member(user=user)
    _check_plannable(case)
    plan = ServicePlan(case=case, kind=PlanKind.STATION, evaluation=evaluation, station=station, created_by=user)
    plan.full_clean(exclude=["case", "created_by"], validate_constraints=False)
    return _plan_write(case=case, plan=plan, user=user, agreed_items=())


def _check_plannable(case: ServiceCase) -> None:
    if case.state in CLOSED or case.state == CaseState.ON_HOLD:
        raise ValidationError({"state": [_("A closed or held case cannot be planned.")]}, code="transition")


def _plan_write(*, case: ServiceCase, plan: ServicePlan, user: User, agreed_items) -> ServicePlan:
    """Supersede the current plan with `plan`, put it on the timeline and take the case to planned."""
    replanned = case.plans.filter(superseded_at__isnull=True).update(superseded_at=timezone.now())
    plan.save()
    plan.agreed_items.set(agreed_items)
    partner = plan.institution if plan.institution_id else plan.station if plan.station_id else None
    text = plan.get_kind_display() + (f" · {partner}" if partner else "")
    _event(case, kind=EventKind.PLAN, actor=user, text=(_("Re-planned: ") if replanned else "") + text)
    for state in _path_to_planned(case.state):
        case = case_transition(case=case, to=state, user=user)
    if plan.kind == PlanKind.SELF and plan.staff_id and case.assignee_id != plan.staff_id:
        case.assignee_id = plan.staff_id
        case.save(update_fields=["assignee"])
        _confidential_access_sync(case)
    return plan


def _confidential_access_sync(case: ServiceCase) -> None:
    """A confidential case's object permission follows its assignee (clause 7.3, core.archive.confidentiality)."""
    from core.archive.confidentiality import case_access_sync

    case_access_sync(case=case)


def _path_to_planned(state: str) -> tuple[str, ...]:
    """A first plan, or a re-plan, goes through evaluation (clause 5.2.3.2) unless the case is being evaluated."""
    return (CaseState.PLANNED,) if state == CaseState.EVALUATING else (CaseState.EVALUATING, CaseState.PLANNED)


# What staff write on a case's timeline themselves (clause 5.2.3); every other kind is written by the system.
FOLLOW_UP_KINDS = (
    EventKind.CONTACT_ENTERPRISE,
    EventKind.CONTACT_INSTITUTION,
    EventKind.PROBLEM,
    EventKind.CAUSE,
    EventKind.FEEDBACK,
    EventKind.NOTE,
)


@transaction.atomic
def case_event_add(*, case: ServiceCase, user: User, kind: str, text: str) -> CaseEvent:
    """A follow-up entry (clause 5.2.3): a contact, a problem found, its cause, the feedback given, a note."""
    require_member(user=user)
    if kind not in FOLLOW_UP_KINDS:
        raise ValidationError({"kind": [_("This kind of entry is written by the system.")]})
    if not text.strip():
        raise ValidationError({"text": [_("This field cannot be blank.")]})
    return _event(case, kind=kind, actor=user, text=text.strip())


@transaction.atomic
def case_assign(*, case: ServiceCase, user: User, assignee: User, expected_version: int | None = None):
    require_member(user=user)
    case = _locked(case)
    version_check(case, expected_version)
    if not is_member(assignee):
        raise ValidationError({"assignee": [_("Only a member of this station can be booked.")]})
    member_duty_check(user=assignee, field="assignee")  # clause 4.4.1: trained before taking duty
    case.assignee = assignee
    case.version += 1
    case.save(update_fields=["assignee", "version"])
    _confidential_access_sync(case)
    _event(case, kind=EventKind.NOTE, actor=user, text=_("Assigned to %(name)s") % {"name": assignee})
    return case


# --- Service records (Appendix B) and amendments ------------------------------------------------------------------

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


def _station() -> Station:
    """The station whose schema is active (the numbering prefix)."""
    return Station.objects.get(schema_name=connection.schema_name)


# --- Satisfaction surveys (Appendix B) and their links --------------------------------------------------------------

SURVEY_LINK_SALT = "core.desk.survey-link"
SURVEY_ANSWERS = ("q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "q9", "q10", "opinions", "signatory")
# Cases whose deadline no longer runs: closed, or on hold (the clock stops, see case_transition).
DEADLINE_STOPPED = (*CLOSED, CaseState.ON_HOLD)


class SurveyLinkExpired(ValidationError):
    """A survey link this station signed, used after `DESK_SURVEY_LINK_DAYS` days."""


def _survey_signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=SURVEY_LINK_SALT)


def survey_link_token(*, case: ServiceCase) -> str:
    """The token of the enterprise's survey link (clause 5.2.4): it names the station's schema and the case, signed
    and timestamped. It lets its holder rate that one case, once, for `DESK_SURVEY_LINK_DAYS` days; nothing else."""
    return _survey_signer().sign(f"{connection.schema_name}.{case.pk}")


def survey_link_verify(*, token: str) -> ServiceCase:
    """The case a survey link names, in the active station's schema.

    A token not signed here (tampered with, made up), one of another station and one naming no case all raise
    `ServiceCase.DoesNotExist` alike: the visitor learns nothing (404). Only a genuine link of this station's that
    is too old raises `SurveyLinkExpired`, with its own message."""
    signer = _survey_signer()
    try:
        value = signer.unsign(token)
    except signing.BadSignature:
        raise ServiceCase.DoesNotExist("not a survey link of this station") from None
    schema, _dot, pk = value.rpartition(".")
    if schema != connection.schema_name or not pk.isdigit():
        raise ServiceCase.DoesNotExist("not a survey link of this station")
    case = ServiceCase.objects.select_related("demand", "category").get(pk=int(pk))
    try:
        signer.unsign(token, max_age=datetime.timedelta(days=settings.DESK_SURVEY_LINK_DAYS))
    except signing.SignatureExpired:
        raise SurveyLinkExpired(_("This survey link has expired."), code="expired") from None
    return case


def _survey_mail_context(case: ServiceCase) -> dict:
    """What the invitation and the reminder say: a freshly signed link on the station's host, the station, the case."""
    station = _station()
    path = reverse("survey:form", urlconf=settings.ROOT_URLCONF, kwargs={"token": survey_link_token(case=case)})
    return {
        "station": station,
        "case": case,
        "demand": case.demand,
        "link": station_url(station.code, path),
        "days": settings.DESK_SURVEY_LINK_DAYS,
    }


@transaction.atomic
def survey_invite(*, case: ServiceCase, user: User | SystemActor) -> SurveyInvitation:
    """Ask the enterprise to rate a case that has just been completed (clause 5.2.4). The link goes, once the
    completion is committed, to the e-mail address of the demand as it was filled in. Without an address the
    invitation is kept unsent and the timeline says so: staff key in the signed paper form instead. A step of
    `case_transition`, by whoever completed the case."""
    from core.desk.tasks import survey_invitation_send_task

    require_member(user=user, system=(PLATFORM, MESSAGES))
    user = actor_person(user)

    invitation = SurveyInvitation.objects.filter(case=case).first()
    if invitation is not None:
        return invitation
    invitation = SurveyInvitation(case=case, email=demand_survey_email(demand=case.demand))
    invitation.full_clean()
    invitation.save()
    if invitation.email:
        queue_after_commit(survey_invitation_send_task, invitation_id=invitation.pk)
    else:
        _event(
            case,
            kind=EventKind.SURVEY,
            actor=user,
            text=_(
                "No e-mail address for the enterprise: the survey link was not sent. Add the contact's e-mail on the "
                "case page to send it, or key in the signed paper form."
            ),
        )
    return invitation


def demand_survey_email(*, demand: Demand) -> str:
    """Where the survey links of a demand's cases go: the address filled in on its form, else the one staff last
    added on the page of another of its cases (`survey_invitation_email_add`) that has not failed since. An address
    added for a demand serves its every case."""
    if demand.email:
        return demand.email
    added = (
        SurveyInvitation.objects.filter(case__demand=demand, email_added_at__isnull=False, failed_at__isnull=True)
        .exclude(email="")
        .order_by("-email_added_at", "-pk")
        .values_list("email", flat=True)
        .first()
    )
    return added or ""


def survey_invitation_send(*, invitation_id: int, last_attempt: bool = False) -> bool:
    """E-mail the enterprise its survey link (the task queued by `survey_invite` and `survey_invitation_email_add`).
    Returns False when there is nothing to send. At most once per invitation: the send and the `sent_at` stamp happen
    under the invitation's row lock, and a stamped invitation, or a case rated meanwhile (on paper), is skipped, so a
    retried task does not send twice.

    A failed attempt is kept on the invitation (`survey_invitation_failed`) and raised again for the task to retry;
    when the mail server refused the address for good, or on the task's `last_attempt`, the invitation says that no
    retry follows and the case page offers staff to correct the address."""
    try:
        with transaction.atomic():
            invitation = SurveyInvitation.objects.select_for_update().filter(pk=invitation_id).first()
            if invitation is None or invitation.sent_at is not None or not invitation.email:
                return False
            case = ServiceCase.objects.select_related("demand").get(pk=invitation.case_id)
            if case.state != CaseState.COMPLETED:
                return False
            mail(app="desk", template="survey_invitation", context=_survey_mail_context(case), to=[invitation.email])
            invitation.sent_at = timezone.now()
            invitation.failed_at = invitation.gave_up_at = None
            invitation.failure = ""
            invitation.save(update_fields=["sent_at", "failed_at", "gave_up_at", "failure"])
            with translation.override(settings.LANGUAGE_CODE):
                text = _("Survey link e-mailed to %(email)s") % {"email": invitation.email}
            _event(case, kind=EventKind.SURVEY, actor=None, text=text)
    except Exception as error:
        refused = _address_refused(error)
        retried = isinstance(error, smtplib.SMTPException | OSError) and not refused
        survey_invitation_failed(invitation_id=invitation_id, error=error, final=last_attempt or not retried)
        if refused:
            return False  # retrying cannot help: the page asks staff for another address
        raise
    return True


def _address_refused(error: BaseException) -> bool:
    """Whether the mail server refused every recipient for good (a 5xx reply): a wrong address, not an outage."""
    return isinstance(error, smtplib.SMTPRecipientsRefused) and all(
        code >= 500 for code, _reply in error.recipients.values()
    )


def _failure_text(error: BaseException) -> str:
    """Why an e-mail did not go, in a sentence staff can act on (kept on the invitation, in the site's language)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        replies = "; ".join(_smtp_reply(code, reply) for code, reply in error.recipients.values())
        text = _("The mail server refused the address (%(reply)s).") % {"reply": replies}
    elif isinstance(error, smtplib.SMTPException | OSError):
        detail = (
            _smtp_reply(error.smtp_code, error.smtp_error)
            if isinstance(error, smtplib.SMTPResponseException)
            else str(error)
        )
        text = _("The mail server could not be reached or refused the message (%(error)s).") % {"error": detail}
    else:
        text = f"{type(error).__name__}: {error}"
    return text[:300]


def _smtp_reply(code: int, reply: bytes | str) -> str:
    return f"{code} {reply.decode(errors='replace') if isinstance(reply, bytes) else reply}"


def survey_invitation_failed(*, invitation_id: int, error: BaseException, final: bool) -> None:
    """Keep on the invitation that e-mailing its link failed, and why (in its own transaction: the attempt's was
    rolled back); `final` when no automatic retry follows. The timeline says so at the first failure and when the
    retries stop, not at every attempt."""
    with transaction.atomic(), translation.override(settings.LANGUAGE_CODE):
        invitation = SurveyInvitation.objects.select_for_update().filter(pk=invitation_id).first()
        if invitation is None or invitation.sent_at is not None:
            return
        first = invitation.failed_at is None
        now = timezone.now()
        invitation.failed_at = now
        invitation.failure = _failure_text(error)
        invitation.gave_up_at = now if final else None
        invitation.save(update_fields=["failed_at", "failure", "gave_up_at"])
        values = {"email": invitation.email, "error": invitation.failure}
        if final:
            text = _(
                "The survey link could not be e-mailed to %(email)s: %(error)s No more automatic attempts: correct "
                "the address on the case page to send it, or key in the signed paper form."
            )
        elif first:
            text = _("E-mailing the survey link to %(email)s failed: %(error)s Retrying automatically.")
        else:
            return
        _event(invitation.case, kind=EventKind.SURVEY, actor=None, text=text % values)


# Who adds an enterprise's e-mail and sends its survey link from the case page: the station's members of these roles,
# and of a confidential case only those who see it (its assignee and the head, clause 7.3).
SURVEY_LINK_ROLES = (MemberRole.HEAD, MemberRole.STAFF)


def _survey_link_sender_check(*, user: User | None, case: ServiceCase) -> None:
    from core.archive.confidentiality import cases_visible_to

    allowed = (
        bool(actor_roles(user=user) & set(SURVEY_LINK_ROLES))
        and cases_visible_to(ServiceCase.objects.filter(pk=case.pk), user=user).exists()
    )
    if not allowed:
        raise PermissionDenied(_("Only members of this station who may see this case send its survey link."))


@transaction.atomic
def survey_invitation_email_add(*, case: ServiceCase, user: User, email: str) -> SurveyInvitation:
    """Add the enterprise contact's e-mail for a completed case whose survey link did not go out (the demand had no
    address, or e-mailing it failed) and send the link now, through the same task as the automatic send, after the
    commit. The address then also serves the demand's other cases (`demand_survey_email`).

    The link is e-mailed once: a link already sent, or on its way, is refused with a message saying so (if it did not
    arrive, staff key in the signed paper form), and so is a case that is not completed or was rated meanwhile. The
    address must be valid and not a member of this station's own (the survey rates the station's staff). Who added
    it, and when, is kept on the invitation and the timeline. Only `SURVEY_LINK_ROLES` who see the case may do it.
    (Once the platform sends text messages, a `phone` keyword joins `email` here.)"""
    from core.desk.tasks import survey_invitation_send_task

    _survey_link_sender_check(user=user, case=case)
    case = _locked(case)
    if case.state == CaseState.EVALUATED or Survey.objects.filter(case=case).exists():
        raise ValidationError(
            {"state": [_("This service has been rated already: no survey link is needed.")]}, code="answered"
        )
    if case.state != CaseState.COMPLETED:
        raise ValidationError({"state": [_("The survey link is sent once the case is completed.")]}, code="transition")
    invitation = SurveyInvitation.objects.select_for_update().filter(case=case).first() or SurveyInvitation(case=case)
    if invitation.sent_at is not None:
        raise ValidationError(
            _(
                "The survey link was e-mailed to %(email)s on %(when)s. A link is sent once: if it did not arrive, "
                "key in the signed paper form."
            )
            % {"email": invitation.email, "when": timezone.localtime(invitation.sent_at).strftime("%Y-%m-%d %H:%M")},
            code="sent",
        )
    if invitation.pk and invitation.email and invitation.failed_at is None:
        raise ValidationError(
            _("The survey link is on its way to %(email)s: wait for the result.") % {"email": invitation.email},
            code="sending",
        )
    previous, address = invitation.email, (email or "").strip()
    if not address:
        message = _("Enter the enterprise contact's e-mail address.")
        raise ValidationError({"email": ValidationError(message, code="required")})
    invitation.email = address
    try:
        invitation.full_clean(exclude=["case", "email_added_by"])
    except ValidationError as error:
        raise ValidationError({"email": error.error_dict.get("email") or error.messages}) from error
    if station_members().filter(email__iexact=address).exists():
        message = _("This is the e-mail of a member of this station: the survey link goes to the enterprise.")
        raise ValidationError({"email": ValidationError(message, code="member")})
    invitation.email_added_by, invitation.email_added_at = user, timezone.now()
    invitation.failed_at = invitation.gave_up_at = None
    invitation.failure = ""
    invitation.save()
    if not previous:
        text = _("Enterprise contact's e-mail %(email)s added: the survey link is being e-mailed.")
    elif previous.lower() != address.lower():
        text = _("Survey link address corrected from %(old)s to %(email)s: the link is being e-mailed.")
    else:
        text = _("The survey link is being e-mailed to %(email)s again.")
    _event(case, kind=EventKind.SURVEY, actor=user, text=text % {"email": address, "old": previous})
    queue_after_commit(survey_invitation_send_task, invitation_id=invitation.pk)
    return invitation


def survey_remind_due() -> int:
    """In the active station: remind the enterprise, once, of every survey still unanswered
    `DESK_SURVEY_REMINDER_WORKING_DAYS` working days after its link was sent. Each invitation is marked in this
    transaction (rows another run holds are skipped, so two runs never remind twice); the e-mail goes after commit.
    Returns how many were reminded."""
    from core.desk.tasks import survey_reminder_send_task

    days = settings.DESK_SURVEY_REMINDER_WORKING_DAYS
    now = timezone.now()
    with transaction.atomic(), translation.override(settings.LANGUAGE_CODE):
        pending = (
            SurveyInvitation.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("case")
            .filter(
                sent_at__lte=now - datetime.timedelta(days=days),  # n working days are at least n calendar days
                reminded_at__isnull=True,
                case__state=CaseState.COMPLETED,  # not rated yet (a survey makes it evaluated)
            )
            .exclude(email="")
            .order_by("sent_at", "pk")
        )
        due = [invitation for invitation in pending if workdays.add_working_days(invitation.sent_at, days) < now]
        for invitation in due:
            invitation.reminded_at = now
            invitation.save(update_fields=["reminded_at"])
            text = _("Survey reminder e-mailed to %(email)s") % {"email": invitation.email}
            _event(invitation.case, kind=EventKind.SURVEY, actor=None, text=text)
            queue_after_commit(survey_reminder_send_task, invitation_id=invitation.pk)
    return len(due)


def survey_reminder_send(*, invitation_id: int) -> bool:
    """E-mail the reminder `survey_remind_due` decided on, unless the survey was answered meanwhile."""
    invitation = SurveyInvitation.objects.select_related("case__demand").filter(pk=invitation_id).first()
    if invitation is None or not invitation.email or invitation.case.state != CaseState.COMPLETED:
        return False
    mail(app="desk", template="survey_reminder", context=_survey_mail_context(invitation.case), to=[invitation.email])
    return True


@transaction.atomic
def survey_submit(*, case: ServiceCase, channel: str, user: User | None = None, **answers) -> Survey:
    """Take the satisfaction survey of a completed case (clause 5.2.4, Appendix B): answered by the enterprise through
    its link (`channel` "link", no user), or keyed in by staff from the signed paper form ("paper", `user` the staff
    member). One per case, never changed: the case becomes evaluated."""
    unknown = set(answers) - set(SURVEY_ANSWERS)
    if unknown:
        raise TypeError(f"not answers of the survey: {sorted(unknown)}")
    case = _locked(case)
    if Survey.objects.filter(case=case).exists():
        raise ValidationError(
            {"survey": [_("This service has been rated already. A submitted survey cannot be changed.")]},
            code="answered",
        )
    if case.state != CaseState.COMPLETED:
        raise ValidationError({"state": [_("Only a completed case can be rated.")]}, code="transition")
    paper = channel == SurveyChannel.PAPER
    if paper and not is_member(user):
        raise PermissionDenied(_("Only the station's staff key in a paper survey."))
    survey = Survey(case=case, channel=channel, keyed_in_by=user if paper else None, **answers)
    survey.full_clean(exclude=["case"])
    survey.save()
    actor = user if paper else None
    text = _("Satisfaction survey (%(channel)s): overall “%(overall)s”; problem solved: %(solved)s") % {
        "channel": survey.get_channel_display(),
        "overall": survey.get_q10_display(),
        "solved": _("Yes") if survey.q5 else _("No"),
    }
    _event(case, kind=EventKind.SURVEY, actor=actor, text=text)
    # Through the link, the enterprise (verified by the link's signed token) is who rates the service.
    case_transition(case=case, to=CaseState.EVALUATED, user=actor or PUBLIC)
    return survey


# --- Deadline reminders ---------------------------------------------------------------------------------------------


def _station_heads() -> list[User]:
    """The active station head(s) of the station whose schema is active."""
    return station_heads()


def case_deadline_remind() -> dict[str, int]:
    """In the active station: remind people of the open cases' deadlines, each once.

    A case whose deadline falls within `DESK_DEADLINE_WARNING_WORKING_DAYS` working days is reminded to its assignee
    (to the station head when nobody is assigned); a case past its deadline is escalated to the station head and the
    assignee. Cases on hold or closed are left alone. Each case is marked (`reminded_at`, `escalated_at`, a REMINDER
    entry on the timeline) in this transaction, rows another run holds are skipped, and the e-mails go after commit:
    two runs never remind twice. Returns how many cases were warned and escalated."""
    from core.desk.tasks import case_deadline_mail_task

    now = timezone.now()
    window_end = workdays.add_working_days(now, settings.DESK_DEADLINE_WARNING_WORKING_DAYS)
    counts = {"warned": 0, "escalated": 0}
    with transaction.atomic(), translation.override(settings.LANGUAGE_CODE):
        cases = (
            ServiceCase.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("assignee")
            .exclude(state__in=DEADLINE_STOPPED)
            .filter(Q(due_at__lt=now, escalated_at__isnull=True) | Q(due_at__lte=window_end, reminded_at__isnull=True))
            .order_by("due_at", "pk")
        )
        heads = None
        for case in cases:
            heads = _station_heads() if heads is None else heads
            assignee = case.assignee if case.assignee is not None and case.assignee.is_active else None
            due = timezone.localtime(case.due_at).strftime("%Y-%m-%d %H:%M")
            if case.due_at < now:
                kind, recipients = "overdue", [*heads, *([assignee] if assignee else [])]
                case.escalated_at = now
                case.reminded_at = case.reminded_at or now
                text = _("Deadline %(due)s has passed: the station head was told (%(names)s)")
            else:
                kind, recipients = "warning", [assignee] if assignee else heads
                case.reminded_at = now
                text = _("Deadline %(due)s is near: reminded %(names)s")
            counts["escalated" if kind == "overdue" else "warned"] += 1
            case.save(update_fields=["reminded_at", "escalated_at"])
            names = "、".join(dict.fromkeys(person.display_name for person in recipients)) or "—"
            _event(case, kind=EventKind.REMINDER, actor=None, text=text % {"due": due, "names": names})
            addresses = list(dict.fromkeys(person.email for person in recipients if person.email))
            if addresses:
                queue_after_commit(case_deadline_mail_task, case_id=case.pk, kind=kind, recipients=addresses)
    return counts


def case_deadline_mail(*, case_id: int, kind: str, recipients: list[str]) -> bool:
    """E-mail the deadline reminder (`kind` "warning" or "overdue") `case_deadline_remind` decided on, unless the
    case was closed or put on hold meanwhile."""
    case = ServiceCase.objects.select_related("demand", "category", "assignee").filter(pk=case_id).first()
    if case is None or case.state in DEADLINE_STOPPED or not recipients:
        return False
    station = _station()
    context = {
        "station": station,
        "case": case,
        "demand": case.demand,
        "due": case.due_at,
        "link": station_url(station.code, reverse("desk:case", urlconf=settings.ROOT_URLCONF, kwargs={"pk": case.pk})),
    }
    mail(app="desk", template=f"deadline_{kind}", context=context, to=recipients)
    return True
