"""Writes of referrals (clause 5.2.2): a case handed to another station, or to an institution, and its closed loop.

The state machine lives here only. A referral between stations has two copies, one per station, and every change
one side makes is sent to the other through the reliable outbox (`core.messaging`): the sender's change and its
message commit together; the message is applied once at the other side, in order. The receiving station never reads
the sender's schema: it gets the payload, and the payload holds only what the sender chose to share.

Who moves a station referral where:
- the sender refers (requested) and may withdraw it while it waits;
- the receiver accepts it (its desk opens a case from the shared data) or declines it, with a reason;
- from then on the receiver's case drives it: in service, on hold and back, completed (the record's resolution is the
  outcome), failed (the case cancelled, with its reason); each step flows back to the sender's case.
A declined or failed referral is re-routed by referring the case again: the new referral keeps the chain.

A referral to an institution has the same states; the station records them on the institution's behalf, and records
what of the demand it hands to the institution, with the enterprise's consent, as for a station (`referral_handover`).
When a referral is completed, what the partner reports (the outcome, its on-site and end times, who served) is kept on
the sender's copy: the sender's service record starts from it (`core.referrals.selectors.referral_record_initial`).
"""

import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_tenants.utils import get_public_schema_name

from core.catalog.models import FormBox, ServiceCategory, ServiceItem
from core.common import workdays
from core.common.versions import version_check
from core.desk import services as desk
from core.desk.models import CLOSED, DEMAND_TABLES, CaseEvent, CaseState, Channel, EventKind, ServiceCase, ServicePlan
from core.directory.models import Enterprise, Institution
from core.messaging.services import message_send
from core.network.selectors import referral_policy_get
from core.notifications.kinds import REFERRAL_ANSWERED, REFERRAL_ARRIVED, REFERRAL_OVERDUE
from core.notifications.services import notify
from core.numbering.services import document_number
from core.operations.selectors import member_duty_check
from core.referrals.models import (
    ConsentChannel,
    Direction,
    Referral,
    ReferralEvent,
    ReferralEventKind,
    ReferralState,
)
from tenants.hosts import public_url, station_reverse
from tenants.models import BureauRole, Station, StationStatus, User
from tenants.selectors import MESSAGES, PLATFORM, SystemActor, is_member, require_member, station_heads
from tenants.work import station_work_mark

S = ReferralState
TRANSITIONS: dict[str, tuple[str, ...]] = {
    S.REQUESTED: (S.ACCEPTED, S.DECLINED, S.WITHDRAWN),
    S.ACCEPTED: (S.IN_SERVICE, S.FAILED),
    S.IN_SERVICE: (S.ON_HOLD, S.COMPLETED, S.FAILED),
    S.ON_HOLD: (S.IN_SERVICE, S.FAILED),
    S.DECLINED: (),
    S.WITHDRAWN: (),
    S.COMPLETED: (),
    S.FAILED: (),
}
OPEN = (S.REQUESTED, S.ACCEPTED, S.IN_SERVICE, S.ON_HOLD)
# The overdue flag's kind of work in tenants.work: a referral sent marks its station due at its acceptance deadline.
OVERDUE_WORK = "referrals.overdue"
ENDED = (S.DECLINED, S.WITHDRAWN, S.COMPLETED, S.FAILED)
REROUTABLE = (S.DECLINED, S.FAILED)
NEEDS_REASON = (S.DECLINED, S.FAILED)
# Between stations: what the receiver answers itself; everything after acceptance follows the receiver's case.
RECEIVER_ANSWERS = (S.ACCEPTED, S.DECLINED)
SENDER_MOVES = (S.WITHDRAWN,)
# What the sender's case does when its referral reaches a state.
SENDER_CASE_FOLLOWS = {
    S.ACCEPTED: CaseState.IN_SERVICE,
    S.DECLINED: CaseState.EVALUATING,
    S.WITHDRAWN: CaseState.EVALUATING,
    S.FAILED: CaseState.EVALUATING,
    S.COMPLETED: CaseState.FOLLOWING_UP,
}

# What of the demand form (Appendix A) may travel with a referral, besides what always does (the enterprise's name,
# USCC and directory entry, and the request itself).
CONTACT_FIELDS = ("legal_representative", "contact_person", "phone", "email", "address")
TABLE_PARTS = tuple(DEMAND_TABLES)
SHARE_PARTS: dict[str, str] = {
    "contact": gettext_lazy("Contact details: legal representative, contact person, phone, e-mail, address"),
    "boxes": gettext_lazy("The boxes ticked in the demand form for this need"),
    # The singular name: the rows' models have no plural of their own, and Django's default ("…s") reads badly in zh.
    **{name: model._meta.verbose_name for name, model in DEMAND_TABLES.items()},
    "materials": gettext_lazy("Special equipment inspection materials"),
    "exams": gettext_lazy("Operator exams and training"),
    "opinions": gettext_lazy("Opinions and suggestions"),
}

MESSAGE_REQUESTED = "referral.requested"
MESSAGE_EVENT = "referral.event"
MESSAGE_FLOW = "network.referral_flow"
MESSAGE_LOAD = "network.station_load"


def _here() -> Station:
    return Station.objects.get(schema_name=connection.schema_name)


def _stream(referral: Referral) -> str:
    return f"referral:{referral.uid}"


def _time(value: datetime.datetime | None) -> str | None:
    return value.isoformat() if value else None


def _parse(value: str | None) -> datetime.datetime | None:
    return parse_datetime(value) if value else None


# --- What travels ---------------------------------------------------------------------------------------------------


def _case_boxes(case: ServiceCase):
    """The boxes of the case's demand that belong to its need (their items are of the case's category)."""
    return case.demand.boxes.filter(items__category=case.category_id).distinct().order_by("position")


def share_options(*, case: ServiceCase) -> list[tuple[str, str]]:
    """The parts of the case's demand form that hold something, to offer for sharing: (part, label)."""
    demand = case.demand
    has = {
        "contact": any(getattr(demand, name) for name in CONTACT_FIELDS),
        "boxes": _case_boxes(case).exists(),
        **{name: getattr(demand, name).exists() for name in TABLE_PARTS},
        "materials": bool(demand.inspection_materials),
        "exams": bool(demand.exam_categories) or demand.operator_staffing.exists(),
        "opinions": bool(demand.opinions.strip()),
    }
    return [(part, str(label)) for part, label in SHARE_PARTS.items() if has[part]]


def _consent_errors(consent_channel: str, consent_at: datetime.datetime | None) -> dict[str, list[str]]:
    """The enterprise's consent to its data being handed over (clause 7.3): how and when, never in the future. The
    same rule for a station and for an institution."""
    errors: dict[str, list[str]] = {}
    if consent_channel not in ConsentChannel.values:
        errors["consent_channel"] = [_("Record how the enterprise agreed to its data being shared.")]
    if consent_at is None:
        errors["consent_at"] = [_("Record when the enterprise agreed.")]
    elif consent_at > timezone.now():
        errors["consent_at"] = [_("The consent cannot be given in the future.")]
    return errors


def handover_options(*, referral: Referral) -> list[tuple[str, str]]:
    """The parts of the demand form that may still be handed to the institution of `referral`: those holding
    something and not handed over yet."""
    if referral.case_id is None:
        return []
    return [(part, label) for part, label in share_options(case=referral.case) if part not in referral.shared_parts]


def handover_open(*, referral: Referral) -> bool:
    """Whether data may (still) be handed over for `referral`: an open referral to an institution, not handed over
    yet or with parts left to hand."""
    return (
        referral.to_institution
        and referral.state in OPEN
        and (not referral.consent_channel or bool(handover_options(referral=referral)))
    )


def _row_values(row) -> dict:
    values = {}
    for field in row._meta.concrete_fields:
        if field.name in {"id", "demand", "position"}:
            continue
        value = getattr(row, field.name)
        values[field.name] = value.isoformat() if isinstance(value, datetime.date) else value
    return values


def _shared_data(case: ServiceCase, parts: list[str]) -> dict:
    """The payload of what travels: always the enterprise's identity and the request, then the chosen parts."""
    demand = case.demand
    data: dict = {
        "enterprise": {"id": demand.enterprise_id, "name": demand.enterprise_name, "uscc": demand.uscc},
        "request": {
            "category": case.category.clause,
            "items": [item.clause for item in case.items.order_by("position")],
            "text": case.request,
        },
    }
    if "contact" in parts:
        data["contact"] = {name: getattr(demand, name) for name in CONTACT_FIELDS}
    if "boxes" in parts:
        data["boxes"] = [box.pk for box in _case_boxes(case)]
    for name in TABLE_PARTS:
        if name in parts:
            data[name] = [_row_values(row) for row in getattr(demand, name).all()]
    if "materials" in parts:
        data["materials"] = list(demand.inspection_materials)
    if "exams" in parts:
        data["exams"] = {"categories": list(demand.exam_categories), "training_mode": demand.training_mode}
    if "opinions" in parts:
        data["opinions"] = demand.opinions
    return data


def _chain(previous: Referral | None) -> list[dict]:
    """The stations tried before, oldest first, as the receiver of a re-routed referral sees them."""
    chain = []
    while previous is not None:
        partner = previous.institution or previous.partner
        chain.insert(
            0,
            {
                "number": previous.number,
                "to": str(partner),
                "state": previous.state,
                "reason": previous.state_reason,
            },
        )
        previous = previous.previous
    return chain


# --- Events and messages -------------------------------------------------------------------------------------------


def _event(referral: Referral, *, kind: str, user: User | None, text: str = "", from_state="", to_state=""):
    event = ReferralEvent(
        referral=referral,
        kind=kind,
        text=text,
        from_state=from_state,
        to_state=to_state,
        station_name=_here().name,
        actor_name=user.display_name if user else "",
        occurred_at=timezone.now(),
    )
    event.full_clean(exclude=["referral"])
    event.save()
    return event


def _event_payload(event: ReferralEvent) -> dict:
    return {
        "uid": str(event.uid),
        "kind": event.kind,
        "from_state": event.from_state,
        "to_state": event.to_state,
        "text": event.text,
        "station_name": event.station_name,
        "actor_name": event.actor_name,
        "occurred_at": _time(event.occurred_at),
    }


STATE_FIELDS = ("state", "answered_at", "accepted_at", "closed_at", "overdue_at", "outcome", "state_reason")


def _state_payload(referral: Referral) -> dict:
    return {
        name: _time(value) if isinstance(value, datetime.datetime) else value
        for name in STATE_FIELDS
        for value in [getattr(referral, name)]
    }


# What the partner reports when it completes a referral, besides the outcome (see `Referral`). It travels to the other
# station only, never to the bureau's read model.
RESULT_FIELDS = ("on_site_at", "service_ended_at", "technician", "served_by", "served_institution")


def _result_payload(referral: Referral) -> dict:
    return {
        "on_site_at": _time(referral.on_site_at),
        "service_ended_at": _time(referral.service_ended_at),
        "technician": referral.technician,
        "served_by": referral.served_by,
        "served_institution": referral.served_institution_id,
        "documents": _documents_payload(referral),
    }


def _documents_payload(referral: Referral) -> list[dict]:
    """The receiver's documents of the case travel back with its completion (core.documents), with the enterprise's
    recorded consent only, like the rest of the referral."""
    if referral.direction != Direction.INCOMING or referral.state != S.COMPLETED or not referral.case_id:
        return []
    if not referral.consent_channel:
        return []
    from core.documents.services import documents_travel_payload

    return documents_travel_payload(case=referral.case)


def _result_apply(referral: Referral, result: dict) -> None:
    """Keep what the other station reported with its completion (a message from before these fields has none)."""
    referral.on_site_at = _parse(result.get("on_site_at"))
    referral.service_ended_at = _parse(result.get("service_ended_at"))
    referral.technician = (result.get("technician") or "")[:50]
    referral.served_by = (result.get("served_by") or "")[:150]
    institution = result.get("served_institution")
    referral.served_institution = Institution.objects.filter(pk=institution).first() if institution else None
    documents = result.get("documents") or []
    if documents and referral.case_id and referral.consent_channel:
        from core.documents.services import documents_receive

        documents_receive(case=referral.case, items=documents, station_name=referral.partner.name)


def _tell_partner(referral: Referral, event: ReferralEvent) -> None:
    """Send an event of a station referral to the other station's copy."""
    if referral.partner_id is None:
        return
    message_send(
        destination=referral.partner.schema_name,
        kind=MESSAGE_EVENT,
        stream=_stream(referral),
        payload={
            "uid": str(referral.uid),
            "event": _event_payload(event),
            "state": _state_payload(referral),
            "result": _result_payload(referral),
        },
    )


def _tell_bureau(referral: Referral) -> None:
    """Update the bureau's read model of the referral (public schema). Only the sender's copy does."""
    if referral.direction != Direction.OUTGOING:
        return
    message_send(
        destination=get_public_schema_name(),
        kind=MESSAGE_FLOW,
        stream=f"flow:{referral.uid}",
        payload={
            "uid": str(referral.uid),
            "number": referral.number,
            "from_station": _here().pk,
            "to_station": referral.partner_id,
            "institution": referral.institution_id,
            "category": referral.category_id,
            "previous_uid": str(referral.previous.uid) if referral.previous_id else None,
            "requested_at": _time(referral.requested_at),
            "accept_due_at": _time(referral.accept_due_at),
            "version": referral.version,
            **_state_payload(referral),
        },
    )


def _case_note(case: ServiceCase, text: str, user: User | None = None) -> None:
    event = CaseEvent(case=case, kind=EventKind.REFERRAL, actor=user, text=text)
    event.full_clean()
    event.save()


# --- The state machine ----------------------------------------------------------------------------------------------


def _move(
    referral: Referral,
    *,
    to: str,
    user: User | None,
    reason: str = "",
    outcome: str = "",
    text: str = "",
    result: dict | None = None,
):
    """Move the local copy to `to` (checked against the state machine) and put it on the timeline. Completing it
    keeps `result` (the `RESULT_FIELDS` the partner reports) with the outcome."""
    if to not in TRANSITIONS[referral.state]:
        raise ValidationError(
            {
                "state": [
                    _("A referral that is “%(from)s” cannot become “%(to)s”.")
                    % {"from": S(referral.state).label, "to": S(to).label}
                ]
            },
            code="transition",
        )
    if to in NEEDS_REASON and not reason.strip():
        raise ValidationError({"reason": [_("Say why.")]}, code="required")
    if to == S.COMPLETED and not outcome.strip():
        raise ValidationError({"outcome": [_("Say what came of it.")]}, code="required")
    now = timezone.now()
    from_state = referral.state
    referral.state = to
    referral.version += 1
    if to in (S.ACCEPTED, S.DECLINED):
        referral.answered_at = now
    if to == S.ACCEPTED:
        referral.accepted_at = now
    if to in ENDED:
        referral.closed_at = now
    if to == S.COMPLETED:
        referral.outcome = outcome.strip()
        for name, value in (result or {}).items():
            setattr(referral, name, value)
    if to in (S.DECLINED, S.FAILED, S.WITHDRAWN):
        referral.state_reason = reason.strip()
    referral.save()
    words = text or outcome.strip() or reason.strip()
    return _event(referral, kind=ReferralEventKind.STATE, user=user, text=words, from_state=from_state, to_state=to)


def _sender_case_follow(referral: Referral, event: ReferralEvent, *, actor: SystemActor) -> None:
    """The sender's case learns of each step of its referral, and moves with it where its own machine allows: as
    `actor`, the platform for a step taken here, the messages for one the other station took."""
    case = referral.case
    partner = referral.institution or referral.partner
    if event.kind == ReferralEventKind.STATE:
        line = _("Referral %(number)s to %(partner)s: %(state)s") % {
            "number": referral.number,
            "partner": partner,
            "state": S(event.to_state).label,
        }
    else:
        line = _("Referral %(number)s to %(partner)s") % {"number": referral.number, "partner": partner}
    by = " · ".join(part for part in (event.station_name, event.actor_name) if part)
    _case_note(case, "\n".join(part for part in (line, event.text, by) if part))
    target = SENDER_CASE_FOLLOWS.get(event.to_state) if event.kind == ReferralEventKind.STATE else None
    if event.kind == ReferralEventKind.STATE and event.to_state == S.ACCEPTED:
        # The enterprise hears who serves it now and how to reach them (clause 5.2.2's closed loop).
        desk.case_partner_announce(
            case=case,
            key=f"referral:{referral.uid}:accepted",
            partner=str(partner),
            phone=partner.phone if referral.institution_id else partner.service_phone,
        )
    case = ServiceCase.objects.get(pk=case.pk)
    if target and target in desk.case_next_states(case=case):
        desk.case_transition(case=case, to=target, user=actor, reason=line)


def _locked(referral: Referral) -> Referral:
    return (
        Referral.objects.select_for_update(of=("self",))
        .select_related("partner", "institution", "case", "previous")
        .get(pk=referral.pk)
    )


@transaction.atomic
def referral_transition(
    *,
    referral: Referral,
    user: User,
    to: str,
    reason: str = "",
    outcome: str = "",
    assignee: User | None = None,
    on_site_at: datetime.datetime | None = None,
    service_ended_at: datetime.datetime | None = None,
    technician: str = "",
    expected_version: int | None = None,
) -> Referral:
    """Move a referral, as the station whose schema is active, if it may: the receiver accepts or declines a station's
    referral, the sender withdraws it while it waits, and a station records every step of an institution's referral
    on its behalf. Accepting opens a case in the receiver's desk from the shared data (assigned to `assignee`, else to
    the one accepting, who must be cleared for duty: clause 4.4.1). Completing an institution's referral may also
    record when it handled the matter on site and ended the service, and its technician (the station's service
    record starts from them). The station's members do it."""
    require_member(user=user)
    referral = _locked(referral)
    version_check(referral, expected_version)
    if to not in S.values:
        raise ValidationError({"to": [_("Choose a state.")]})
    if referral.to_institution:
        allowed = S.values
    elif referral.direction == Direction.INCOMING:
        allowed = RECEIVER_ANSWERS
    else:
        allowed = SENDER_MOVES
    if to not in allowed:
        if referral.direction == Direction.INCOMING and not referral.to_institution:
            message = _("Work the referral in its case: its progress comes back to the sender from there.")
        else:
            message = _("The receiving station answers this referral; you may withdraw it while it waits.")
        raise ValidationError({"to": [message]}, code="not_yours")
    result = _institution_result(
        referral, to=to, on_site_at=on_site_at, service_ended_at=service_ended_at, technician=technician
    )
    case = None
    if to == S.ACCEPTED and referral.direction == Direction.INCOMING:
        if _here().status != StationStatus.PUBLISHED:
            raise ValidationError(
                {"to": [_("A suspended station takes no new work: decline the referral, so it can be re-routed.")]},
                code="suspended",
            )
        if assignee is not None and not is_member(assignee):
            raise ValidationError({"assignee": [_("Only a member of this station can be booked.")]})
        assignee = assignee or user
        member_duty_check(user=assignee, field="assignee")  # clause 4.4.1, before anything is written
        case = _open_case(referral, user=user, assignee=assignee)
        referral.case = case
    text = _("Case %(number)s opened") % {"number": case.number} if case else ""
    event = _move(referral, to=to, user=user, reason=reason, outcome=outcome, text=text, result=result)
    if case is not None:
        _case_note(
            case,
            _("Accepted referral %(number)s from %(station)s.\nWhy: %(reason)s\nAsked: %(ask)s")
            % {"number": referral.number, "station": referral.partner, "reason": referral.reason, "ask": referral.ask},
            user,
        )
    _after_move(referral, event)
    return referral


def _institution_result(
    referral: Referral,
    *,
    to: str,
    on_site_at: datetime.datetime | None,
    service_ended_at: datetime.datetime | None,
    technician: str,
) -> dict | None:
    """What a station records of an institution's work when it completes its referral: checked like the service
    record's times (in order, after the referral was made, never in the future). Refused with any other step."""
    given = {"on_site_at": on_site_at, "service_ended_at": service_ended_at, "technician": technician.strip()}
    if to != S.COMPLETED:
        errors = {name: [_("Recorded only when the referral is completed.")] for name, value in given.items() if value}
        if errors:
            raise ValidationError(errors, code="not_completing")
        return None
    errors: dict[str, list[str]] = {}
    try:
        Referral._meta.get_field("technician").run_validators(given["technician"])
    except ValidationError as error:
        errors["technician"] = error.messages
    made = referral.requested_at.replace(second=0, microsecond=0)  # the page's times are to the minute
    for name in ("on_site_at", "service_ended_at"):
        value = given[name]
        if value is not None and value < made:
            errors.setdefault(name, []).append(_("This time cannot be before the referral was made."))
        if value is not None and value > timezone.now():
            errors.setdefault(name, []).append(_("This time cannot be in the future."))
    if on_site_at and service_ended_at and service_ended_at < on_site_at:
        errors.setdefault("service_ended_at", []).append(
            _("This time cannot be before “%(earlier)s”.")
            % {"earlier": Referral._meta.get_field("on_site_at").verbose_name}
        )
    if errors:
        raise ValidationError(errors)
    return given


def _after_move(referral: Referral, event: ReferralEvent) -> None:
    """Whatever follows a local step: the other station hears of it, the sender's case follows, the bureau's view
    is updated."""
    _tell_partner(referral, event)
    if referral.direction == Direction.OUTGOING:
        _sender_case_follow(referral, event, actor=PLATFORM)
        if event.kind == ReferralEventKind.STATE:  # progress changes nothing the bureau counts
            _tell_bureau(referral)


def _open_case(referral: Referral, *, user: User, assignee: User) -> ServiceCase:
    """Open the receiver's case from what was shared: a demand (channel "referred by another station") holding the
    shared parts only, and one case for the need asked."""
    shared = referral.shared
    enterprise = Enterprise.objects.get(pk=shared["enterprise"]["id"])
    request = shared["request"]
    category = ServiceCategory.objects.get(clause=request["category"])
    items = tuple(ServiceItem.objects.filter(clause__in=request["items"]).order_by("position"))
    words = "\n".join(part for part in (referral.ask, request["text"]) if part)
    draft = desk.CaseDraft(category=category, items=items, request=words)
    fields = {
        "enterprise_name": shared["enterprise"]["name"],
        "uscc": shared["enterprise"]["uscc"],
        **dict.fromkeys(CONTACT_FIELDS, ""),
        **shared.get("contact", {}),
        "inspection_materials": shared.get("materials", []),
        "exam_categories": shared.get("exams", {}).get("categories", []),
        "training_mode": shared.get("exams", {}).get("training_mode", ""),
        "opinions": shared.get("opinions", ""),
    }
    demand = desk.demand_create(
        station=_here(),
        user=user,
        enterprise=enterprise,
        channel=Channel.REFERRAL,
        boxes=FormBox.objects.filter(pk__in=shared.get("boxes", [])),
        tables={name: shared[name] for name in TABLE_PARTS if name in shared},
        drafts=[draft],
        **fields,
    )
    case = demand.cases.get()
    case.assignee = assignee
    case.save(update_fields=["assignee"])
    return case


@transaction.atomic
def referral_create(
    *,
    case: ServiceCase,
    user: User,
    station: Station | None,
    reason: str,
    ask: str,
    parts=(),
    consent_channel: str,
    consent_at: datetime.datetime | None,
    expected_version: int | None = None,
) -> Referral:
    """Refer a case to another station (clause 5.2.2): the case's plan becomes "referred to another station", and the
    referral, with the parts of the demand form the staff chose to share and the enterprise's recorded consent, goes to
    the receiving station's inbox. If the case's last referral was declined or failed, this one re-routes it: it
    keeps the chain, and may not go to a station that already declined or failed it. The station's members do it."""
    require_member(user=user)
    case = ServiceCase.objects.select_for_update(of=("self",)).select_related("demand", "category").get(pk=case.pk)
    version_check(case, expected_version)
    here = _here()
    parts = list(dict.fromkeys(parts))
    errors: dict[str, list[str]] = {}
    if case.state in CLOSED or case.state == CaseState.ON_HOLD:
        errors["state"] = [_("A closed or held case cannot be referred.")]
    if case.referrals.filter(direction=Direction.OUTGOING, state__in=OPEN).exists():
        errors["state"] = [_("This case is referred already: withdraw that referral first.")]
    previous = case.referrals.filter(direction=Direction.OUTGOING).select_related("partner", "institution").first()
    if previous is not None and previous.state not in REROUTABLE:
        previous = None
    tried = _declined_stations(previous)
    station = Station.objects.filter(pk=station.pk).first() if station is not None else None  # as it is now
    if station is None:
        errors["station"] = [_("Choose the station to refer it to.")]
    elif station.pk == here.pk:
        errors["station"] = [_("A station cannot refer a case to itself.")]
    elif station.status != StationStatus.PUBLISHED:
        errors["station"] = [_("Only a published station takes referrals.")]
    elif station.pk in tried:
        errors["station"] = [_("This station has declined or failed this case already: choose a third station.")]
    if not reason.strip():
        errors["reason"] = [_("Say why it is referred.")]
    if not ask.strip():
        errors["ask"] = [_("Say what is asked of the other station.")]
    unknown = [part for part in parts if part not in SHARE_PARTS]
    if unknown:
        errors["parts"] = [_("Unknown part of the demand form: %(parts)s") % {"parts": ", ".join(unknown)}]
    errors.update(_consent_errors(consent_channel, consent_at))
    if errors:
        raise ValidationError(errors)
    desk.case_plan_station(case=case, user=user, station=station, evaluation=reason.strip())
    now = timezone.now()
    referral = Referral(
        number=document_number(station=here, kind="zj"),
        direction=Direction.OUTGOING,
        partner=station,
        case=case,
        previous=previous,
        category=case.category,
        enterprise_name=case.demand.enterprise_name,
        reason=reason.strip(),
        ask=ask.strip(),
        shared_parts=parts,
        shared=_shared_data(case, parts),
        chain=_chain(previous),
        consent_channel=consent_channel,
        consent_at=consent_at,
        requested_at=now,
        accept_due_at=workdays.add_working_days(now, referral_policy_get().accept_working_days),
        created_by=user,
    )
    referral.full_clean(exclude=["case", "previous", "partner", "category", "created_by"])
    referral.save()
    station_work_mark(kind=OVERDUE_WORK, due_at=referral.accept_due_at)
    event = _event(referral, kind=ReferralEventKind.STATE, user=user, text=referral.ask, to_state=S.REQUESTED)
    line = _("Referred to %(station)s (%(number)s)") % {"station": station, "number": referral.number}
    if previous is not None:
        line += "\n" + _("Re-routed after %(number)s was %(state)s") % {
            "number": previous.number,
            "state": S(previous.state).label,
        }
    _case_note(case, line, user)
    message_send(
        destination=station.schema_name,
        kind=MESSAGE_REQUESTED,
        stream=_stream(referral),
        payload={
            "uid": str(referral.uid),
            "number": referral.number,
            "category": referral.category.clause,
            "enterprise_name": referral.enterprise_name,
            "reason": referral.reason,
            "ask": referral.ask,
            "shared_parts": referral.shared_parts,
            "shared": referral.shared,
            "chain": referral.chain,
            "consent_channel": referral.consent_channel,
            "consent_at": _time(referral.consent_at),
            "requested_at": _time(referral.requested_at),
            "accept_due_at": _time(referral.accept_due_at),
            "event": _event_payload(event),
        },
    )
    _tell_bureau(referral)
    return referral


@transaction.atomic
def referral_handover(
    *,
    referral: Referral,
    user: User,
    parts=(),
    consent_channel: str,
    consent_at: datetime.datetime | None,
    expected_version: int | None = None,
) -> Referral:
    """Record what of the demand form the station handed to the institution of `referral` (clause 7.3), as for a
    station: the enterprise's identity and the request always, the parts ticked besides, and only with the enterprise's
    consent (how and when, the same rule as `referral_create`). A later handover adds parts (what was handed over
    cannot be taken back) and needs the enterprise's consent again; each one is on the referral's and the case's
    timeline. Only a member of the station hands its data over, while the referral is open."""
    require_member(user=user, message=_("Only the members of this station hand its data over."))
    referral = _locked(referral)
    version_check(referral, expected_version)
    if not referral.to_institution:
        raise ValidationError(
            {"parts": [_("What travels to a station is chosen when the case is referred to it.")]}, code="station"
        )
    if referral.state not in OPEN:
        raise ValidationError({"state": [_("The referral has ended: nothing more is handed over.")]}, code="transition")
    parts = list(dict.fromkeys(parts))
    errors: dict[str, list[str]] = {}
    unknown = [part for part in parts if part not in SHARE_PARTS]
    if unknown:
        errors["parts"] = [_("Unknown part of the demand form: %(parts)s") % {"parts": ", ".join(unknown)}]
    elif referral.consent_channel and not [part for part in parts if part not in referral.shared_parts]:
        errors["parts"] = [_("Tick what else is handed over: the rest was handed over already.")]
    errors.update(_consent_errors(consent_channel, consent_at))
    if errors:
        raise ValidationError(errors)
    case = ServiceCase.objects.select_related("demand", "category").get(pk=referral.case_id)
    handed_before = bool(referral.consent_channel)
    handed = [part for part in SHARE_PARTS if part in referral.shared_parts or part in parts]
    new = [part for part in SHARE_PARTS if part in parts and part not in referral.shared_parts]
    referral.shared_parts = handed
    referral.shared = _shared_data(case, handed)
    referral.consent_channel = consent_channel
    referral.consent_at = consent_at
    referral.version += 1
    referral.full_clean(exclude=["case", "institution", "category", "created_by", "previous", "served_institution"])
    referral.save()
    labels = [str(SHARE_PARTS[part]) for part in new]
    if not handed_before:  # the enterprise's identity and the request go with the first handover
        labels.insert(0, _("The enterprise's identity and the request"))
    what = "、".join(labels)
    when = timezone.localtime(consent_at).strftime("%Y-%m-%d %H:%M")
    text = _("Handed over: %(what)s\nThe enterprise agreed: %(channel)s, %(when)s") % {
        "what": what,
        "channel": ConsentChannel(consent_channel).label,
        "when": when,
    }
    _event(referral, kind=ReferralEventKind.SHARED, user=user, text=text)
    line = _("Data handed to %(institution)s (%(number)s)") % {
        "institution": referral.institution,
        "number": referral.number,
    }
    _case_note(case, f"{line}\n{text}", user)
    return referral


def _declined_stations(previous: Referral | None) -> set[int]:
    """The stations that declined or failed the referrals of a chain."""
    stations = set()
    while previous is not None:
        if previous.partner_id and previous.state in REROUTABLE:
            stations.add(previous.partner_id)
        previous = previous.previous
    return stations


def referral_institution_open(*, case: ServiceCase, plan: ServicePlan, user: User) -> Referral:
    """Open the referral of an institution plan (called by `case_plan`, in its transaction): requested, with the
    same acceptance deadline as between stations. The station then records its steps on the institution's behalf."""
    require_member(user=user)
    now = timezone.now()
    referral = Referral(
        number=document_number(station=_here(), kind="zj"),
        direction=Direction.OUTGOING,
        institution=plan.institution,
        case=case,
        category=case.category,
        enterprise_name=case.demand.enterprise_name,
        reason=plan.evaluation,
        ask="、".join(item.name for item in plan.agreed_items.all()) or case.request,
        requested_at=now,
        accept_due_at=workdays.add_working_days(now, referral_policy_get().accept_working_days),
        created_by=user,
    )
    referral.full_clean(exclude=["case", "institution", "category", "created_by"])
    referral.save()
    station_work_mark(kind=OVERDUE_WORK, due_at=referral.accept_due_at)
    _event(referral, kind=ReferralEventKind.STATE, user=user, text=referral.ask, to_state=S.REQUESTED)
    _tell_bureau(referral)
    return referral


def referral_replan(*, case: ServiceCase, user: User) -> None:
    """Before a case is planned again (called by `case_plan`): a station serving it keeps it until its referral ends
    (the sender withdraws one still waiting); an institution's open referral ends with the old plan."""
    require_member(user=user)
    for referral in case.referrals.filter(direction=Direction.OUTGOING, state__in=OPEN).select_related("partner"):
        if not referral.to_institution:
            raise ValidationError(
                {
                    "state": [
                        _(
                            "The case is referred to %(station)s (%(number)s): withdraw the referral, or wait until it ends."
                        )
                        % {"station": referral.partner, "number": referral.number}
                    ]
                },
                code="referred",
            )
        referral = _locked(referral)
        to = S.WITHDRAWN if referral.state == S.REQUESTED else S.FAILED
        _move(referral, to=to, user=user, reason=_("Re-planned"))
        _tell_bureau(referral)
        _case_note(case, _("Referral %(number)s closed: %(state)s") % {"number": referral.number, "state": S(to).label})


def referral_case_moved(*, case: ServiceCase, from_state: str, to_state: str, reason: str, user: User | None) -> None:
    """A case moved (called by `case_transition`, in its transaction).

    At the receiver, the case of an accepted referral drives it, and each step goes back to the sender: in service;
    on hold and back; completed, with the record's resolution as the outcome (required); cancelled is failed, with
    its reason. Other steps go back as progress. At the sender, cancelling a case withdraws its waiting referral;
    a case another station is serving cannot be cancelled until its referral ends."""
    incoming = (
        case.referrals.select_for_update(of=("self",))
        .select_related("partner")
        .filter(direction=Direction.INCOMING, state__in=OPEN)
        .first()
    )
    if incoming is not None:
        _receiver_case_moved(incoming, case=case, from_state=from_state, to_state=to_state, reason=reason, user=user)
    if to_state == CaseState.CANCELLED:
        for referral in case.referrals.filter(direction=Direction.OUTGOING, state__in=OPEN):
            referral = _locked(referral)
            if referral.state != S.REQUESTED and not referral.to_institution:
                raise ValidationError(
                    {
                        "state": [
                            _("%(station)s is serving this case (%(number)s): it cannot be cancelled until then.")
                            % {"station": referral.partner, "number": referral.number}
                        ]
                    },
                    code="referred",
                )
            to = S.WITHDRAWN if referral.state == S.REQUESTED else S.FAILED
            event = _move(referral, to=to, user=user, reason=reason or _("The case was cancelled."))
            _tell_partner(referral, event)
            _tell_bureau(referral)


def _receiver_case_moved(referral: Referral, *, case, from_state: str, to_state: str, reason: str, user) -> None:
    to = None
    outcome = ""
    result = None
    if to_state == CaseState.COMPLETED:
        outcome = getattr(case, "record", None) and case.record.resolution.strip()
        if not outcome:
            raise ValidationError(
                {
                    "state": [
                        _(
                            "Write the resolution in the service record first: it goes back to %(station)s as the outcome."
                        )
                        % {"station": referral.partner}
                    ]
                },
                code="no_outcome",
            )
        to = S.COMPLETED
        result = _record_result(case.record)
    elif to_state == CaseState.CANCELLED:
        to = S.FAILED
    elif to_state == CaseState.ON_HOLD and referral.state == S.IN_SERVICE:
        to = S.ON_HOLD
    elif to_state == CaseState.IN_SERVICE and referral.state == S.ACCEPTED:
        to = S.IN_SERVICE
    elif from_state == CaseState.ON_HOLD and referral.state == S.ON_HOLD:
        to = S.IN_SERVICE
    if to is not None:
        event = _move(referral, to=to, user=user, reason=reason, outcome=outcome or "", result=result)
    else:
        progress = _("Case %(number)s: %(from)s → %(to)s") % {
            "number": case.number,
            "from": CaseState(from_state).label,
            "to": CaseState(to_state).label,
        }
        text = "\n".join(part for part in (progress, reason.strip()) if part)
        event = _event(referral, kind=ReferralEventKind.PROGRESS, user=user, text=text)
    _tell_partner(referral, event)


def _record_result(record) -> dict:
    """What the receiver's service record (Appendix B) tells the sender besides its resolution: when it was handled
    on site and ended, who served (the technician, and the station's staff member) and the institution it used."""
    return {
        "on_site_at": record.on_site_at,
        "service_ended_at": record.ended_at,
        "technician": record.technician,
        "served_by": record.staff.display_name if record.staff_id else "",
        "served_institution": record.institution,
    }


# --- Applying what the other station sent ---------------------------------------------------------------------------


def _partner_station(source: str) -> Station:
    station = Station.objects.filter(schema_name=source).first()
    if station is None:
        raise PermissionDenied(f"messages about referrals come from stations, not from {source!r}")
    return station


def _event_copy(referral: Referral, data: dict) -> ReferralEvent | None:
    """Keep the other side's event with its own uid, once."""
    if ReferralEvent.objects.filter(uid=data["uid"]).exists():
        return None
    return ReferralEvent.objects.create(
        referral=referral,
        uid=data["uid"],
        kind=data["kind"],
        from_state=data["from_state"],
        to_state=data["to_state"],
        text=data["text"],
        station_name=data["station_name"],
        actor_name=data["actor_name"],
        occurred_at=_parse(data["occurred_at"]),
    )


def referral_receive(*, payload: dict, source: str) -> Referral:
    """A referral another station sent (message handler, in the receiver's schema): its incoming copy, in the
    "referred to us" inbox, holding exactly what was shared."""
    sender = _partner_station(source)
    found = Referral.objects.filter(uid=payload["uid"]).first()
    if found is not None:
        return found
    referral = Referral.objects.create(
        uid=payload["uid"],
        number=payload["number"],
        direction=Direction.INCOMING,
        partner=sender,
        category=ServiceCategory.objects.get(clause=payload["category"]),
        enterprise_name=payload["enterprise_name"],
        reason=payload["reason"],
        ask=payload["ask"],
        shared_parts=payload["shared_parts"],
        shared=payload["shared"],
        chain=payload["chain"],
        consent_channel=payload["consent_channel"],
        consent_at=_parse(payload["consent_at"]),
        requested_at=_parse(payload["requested_at"]),
        accept_due_at=_parse(payload["accept_due_at"]),
    )
    _event_copy(referral, payload["event"])
    # The station heads hear of it at once (the deadline to answer runs from now).
    _referral_notify(referral, kind=REFERRAL_ARRIVED)
    return referral


def referral_event_apply(*, payload: dict, source: str) -> None:
    """A step the other station took (message handler): its copy of the event, the state it reached, and at the
    sender, the case follows and the bureau's view is updated."""
    sender = _partner_station(source)
    referral = (
        Referral.objects.select_for_update(of=("self",))
        .select_related("partner", "institution", "case", "previous")
        .get(uid=payload["uid"])
    )
    if referral.partner_id != sender.pk:
        raise PermissionDenied(f"{source} is not a party to referral {referral.number}")
    event = _event_copy(referral, payload["event"])
    if event is None:
        return
    state = payload["state"]
    if event.kind == ReferralEventKind.STATE and event.to_state not in TRANSITIONS[referral.state]:
        if not _crossed_withdrawal(referral, event):
            raise ValidationError(f"referral {referral.number}: {referral.state} cannot become {event.to_state}")
        return
    for name in STATE_FIELDS:
        value = state[name]
        setattr(referral, name, _parse(value) if name.endswith("_at") else value)
    if event.kind == ReferralEventKind.STATE and event.to_state == S.COMPLETED:
        _result_apply(referral, payload.get("result") or {})
    referral.version += 1
    referral.save()
    _referral_event_notify(referral, event)
    if referral.direction == Direction.OUTGOING:
        _sender_case_follow(referral, event, actor=MESSAGES)
        if event.kind == ReferralEventKind.STATE:  # progress changes nothing the bureau counts
            _tell_bureau(referral)


def _crossed_withdrawal(referral: Referral, event: ReferralEvent) -> bool:
    """A withdrawal and the receiver's answer crossed on the way: the sender owns the referral, so its withdrawal
    wins on both sides. The receiver's copy becomes withdrawn (a case it opened meanwhile is told); the sender keeps
    the receiver's later steps on the timeline only. Anything else out of the state machine is refused."""
    if referral.direction == Direction.OUTGOING and referral.state == S.WITHDRAWN:
        _case_note(
            referral.case,
            _("%(station)s answered after the referral was withdrawn: %(state)s")
            % {
                "station": referral.partner,
                "state": S(event.to_state).label,
            },
        )
        return True
    if referral.direction == Direction.INCOMING and event.to_state == S.WITHDRAWN:
        referral.state = S.WITHDRAWN
        referral.closed_at = event.occurred_at
        referral.state_reason = event.text
        referral.version += 1
        referral.save()
        if referral.case_id:
            _case_note(
                referral.case,
                _("%(station)s withdrew referral %(number)s: close this case.")
                % {
                    "station": referral.partner,
                    "number": referral.number,
                },
            )
        return True
    return False


# --- Deadlines and load ---------------------------------------------------------------------------------------------


def _heads(station: Station) -> list[User]:
    return station_heads(station=station)


def referral_overdue_flag() -> int:
    """In the active station: flag, once, each referral it sent that is still not accepted past its deadline. The
    flag goes on both copies' timeline and to the bureau's view; both station heads and the bureau's administrators
    are notified (the receiving station's heads when the flag reaches their copy). Returns how many were flagged."""
    now = timezone.now()
    flagged = 0
    with transaction.atomic(), translation.override(settings.LANGUAGE_CODE):
        due = (
            Referral.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("partner", "institution", "case", "previous")
            .filter(direction=Direction.OUTGOING, state=S.REQUESTED, accept_due_at__lt=now, overdue_at__isnull=True)
            .order_by("accept_due_at", "pk")
        )
        for referral in due:
            referral.overdue_at = now
            referral.version += 1
            referral.save(update_fields=["overdue_at", "version"])
            partner = referral.partner or referral.institution
            deadline = timezone.localtime(referral.accept_due_at).strftime("%Y-%m-%d %H:%M")
            text = _("Not accepted by %(due)s: both station heads and the bureau were told.") % {"due": deadline}
            event = _event(referral, kind=ReferralEventKind.OVERDUE, user=None, text=text)
            _tell_partner(referral, event)
            _case_note(
                referral.case,
                _("Referral %(number)s to %(partner)s: %(text)s")
                % {
                    "number": referral.number,
                    "partner": partner,
                    "text": text,
                },
            )
            _tell_bureau(referral)
            _referral_notify(referral, kind=REFERRAL_OVERDUE)
            flagged += 1
    return flagged


# --- Notifications ----------------------------------------------------------------------------------------------------


def _referral_event_notify(referral: Referral, event: ReferralEvent) -> None:
    """What the other station's step tells this one's people: the sender hears its referral was accepted or
    declined, the receiver that the referral it has not answered is overdue."""
    if referral.direction == Direction.OUTGOING and event.kind == ReferralEventKind.STATE:
        if event.to_state in RECEIVER_ANSWERS:
            _referral_notify(referral, kind=REFERRAL_ANSWERED, state=event.to_state, reason=event.text)
    elif referral.direction == Direction.INCOMING and event.kind == ReferralEventKind.OVERDUE:
        _referral_notify(referral, kind=REFERRAL_OVERDUE)


def _referral_notify(referral: Referral, *, kind: str, state: str = "", reason: str = "") -> None:
    """Tell this station's heads (and, of an answer, who referred; of an overdue referral it sent, the bureau's
    administrators) about `referral`, linking to this station's copy, once per referral and kind."""
    here = _here()
    link = station_reverse(here.code, "referrals:referral", pk=referral.pk)
    partner = referral.partner or referral.institution
    recipients = _heads(here)
    email = None
    body = ""
    with translation.override(settings.LANGUAGE_CODE):
        if kind == REFERRAL_ARRIVED:
            title = _("Referral %(number)s from %(station)s waits for your answer") % {
                "number": referral.number,
                "station": partner,
            }
            body = referral.ask
            email = ("referrals", "arrived", {"station": here, "referral": referral, "link": link})
        elif kind == REFERRAL_ANSWERED:
            text = (
                _("%(partner)s accepted referral %(number)s")
                if state == S.ACCEPTED
                else _("%(partner)s declined referral %(number)s")
            )
            title = text % {"partner": partner, "number": referral.number}
            body = reason
            creator = referral.created_by
            recipients = recipients + ([creator] if creator is not None and is_member(creator, here) else [])
        else:
            title = _("Overdue: referral %(number)s has not been accepted") % {"number": referral.number}
            sender, receiver = (here, partner) if referral.direction == Direction.OUTGOING else (partner, here)
            context = {"station": sender, "referral": referral, "partner": receiver, "link": link}
            email = ("referrals", "overdue", context)
    key = f"{kind}:{referral.uid}:{here.code}"
    notify(recipients=recipients, kind=kind, key=key, title=title, body=body, url=link, station=here, email=email)
    if kind == REFERRAL_OVERDUE and referral.direction == Direction.OUTGOING:
        admins = User.objects.filter(is_active=True, bureau_role=BureauRole.ADMIN).order_by("pk")
        console = public_url(reverse("console:referrals", urlconf=settings.PUBLIC_SCHEMA_URLCONF))
        notify(recipients=admins, kind=kind, key=f"{kind}:{referral.uid}:bureau", title=title, url=console, email=email)


def station_load_publish() -> None:
    """Publish the active station's load to the public schema, for stations choosing where to refer: its open cases
    and the referrals waiting for its answer."""
    here = _here()
    with transaction.atomic():
        message_send(
            destination=get_public_schema_name(),
            kind=MESSAGE_LOAD,
            stream=f"load:{here.schema_name}",
            payload={
                "station": here.pk,
                "open_cases": ServiceCase.objects.exclude(state__in=CLOSED).count(),
                "referrals_waiting": Referral.objects.filter(direction=Direction.INCOMING, state=S.REQUESTED).count(),
                "measured_at": _time(timezone.now()),
            },
        )
