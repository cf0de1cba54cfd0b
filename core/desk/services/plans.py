"""Service plans: served by the station, by an institution or by another station, and re-plans."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.common.versions import version_check
from core.desk.models import (
    CLOSED,
    CaseState,
    EventKind,
    PlanKind,
    ServiceCase,
    ServicePlan,
)
from core.desk.services._base import _confidential_access_sync, _event, _locked
from core.desk.services.cases import case_transition
from core.desk.services.tracking import case_appointment_announce
from core.directory.selectors import institution_expired_items
from core.operations.selectors import member_duty_check
from tenants.models import Station, User
from tenants.selectors import (
    is_member,
    require_member,
)


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
        elif fields.get("institution"):
            _check_institution_qualified(fields["institution"], agreed_items, errors)
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
    else:
        case_appointment_announce(case=case, plan=plan)
    return plan


def case_plan_station(*, case: ServiceCase, user: User, station: Station, evaluation: str) -> ServicePlan:
    """The plan of a case referred to another station: written by `referral_create`, in its transaction, with the
    case locked and the referral checked."""
    require_member(user=user)
    _check_plannable(case)
    plan = ServicePlan(case=case, kind=PlanKind.STATION, evaluation=evaluation, station=station, created_by=user)
    plan.full_clean(exclude=["case", "created_by"], validate_constraints=False)
    return _plan_write(case=case, plan=plan, user=user, agreed_items=())


def _check_institution_qualified(institution, agreed_items, errors: dict) -> None:
    """An institution whose qualifications covering an agreed item have all expired cannot do it (issue 20)."""
    expired = institution_expired_items(institution_ids=[institution.pk]).get(institution.pk, {})
    names = [item.name for item in agreed_items if item.clause in expired]
    if names:
        errors.setdefault("institution", []).append(
            _("The qualification of %(institution)s for %(items)s has expired; choose another institution.")
            % {"institution": institution.name, "items": "、".join(names)}
        )


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


def _path_to_planned(state: str) -> tuple[str, ...]:
    """A first plan, or a re-plan, goes through evaluation (clause 5.2.3.2) unless the case is being evaluated."""
    return (CaseState.PLANNED,) if state == CaseState.EVALUATING else (CaseState.EVALUATING, CaseState.PLANNED)
