"""Cases: the state machine, follow-up entries on the timeline, assignment."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.common import workdays
from core.common.versions import version_check
from core.desk.models import (
    CLOSED,
    CaseEvent,
    CaseState,
    EventKind,
    ServiceCase,
    Survey,
)
from core.desk.services._base import _confidential_access_sync, _event, _locked
from core.operations.selectors import member_duty_check
from core.stats.services import case_fact_send
from tenants.models import User
from tenants.selectors import (
    MESSAGES,
    PLATFORM,
    PUBLIC,
    SystemActor,
    actor_person,
    is_member,
    require_member,
)

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
        from core.desk.services.surveys import survey_invite  # surveys complete cases through this module

        survey_invite(case=case, user=actor)  # clause 5.2.4: the enterprise is asked to rate the service
    if to == CaseState.ON_HOLD or from_state == CaseState.ON_HOLD:
        case.due_at = workdays.deadline_with_pauses(case.received_at, case.target_days, _pauses(case))
        # A new deadline gets its own reminders.
        case.reminded_at = case.escalated_at = None
        case.save(update_fields=["due_at", "reminded_at", "escalated_at"])
    case_fact_send(case_id=case.pk)
    return case


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
