"""Referral services: every transition and refusal, re-routing, what is shared, consent, deadlines, institution
referrals, and the message path's guarantees (once, in order, only from a party)."""

import datetime
import uuid

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, schema_context

from core.common import workdays
from core.desk import services as desk
from core.desk.models import CaseEvent, CaseState, Demand, EventKind, PlanKind, ServiceCase
from core.directory.models import Institution
from core.messaging import services as messaging
from core.messaging.models import InboxMessage, OutboxMessage
from core.network import services as network
from core.network.models import ReferralFlow
from core.operations.demo import pre_duty_training_record
from core.referrals import services
from core.referrals.models import Direction, Referral, ReferralEvent, ReferralState
from core.stats.services import MESSAGE_FACT
from tenants.models import StationStatus
from tenants.selectors import PLATFORM
from tenants.services import station_change_status
from tests.core.desk.builders import take_demand
from tests.core.referrals.builders import (
    NOT_CLEARED,
    copy_in,
    deliver_all,
    finish,
    institution_referral,
    refer,
    referred_case,
    serve,
    untrained_member,
)
from tests.tasks import queued_tasks, run_queued

S = ReferralState


def _accept(city, incoming: Referral) -> Referral:
    with schema_context(city.beta.schema_name):
        return services.referral_transition(referral=incoming, user=city.beta_staff, to=S.ACCEPTED)


def _case_state(schema: str, pk: int) -> str:
    with schema_context(schema):
        return ServiceCase.objects.get(pk=pk).state


# --- Asking -------------------------------------------------------------------------------------------------------


@pytest.mark.clause("5.2.2")
def test_referring_plans_the_case_and_puts_the_referral_in_the_receivers_inbox(city, alpha, enterprise):
    case = take_demand(city, enterprise).cases.get()
    outgoing = refer(city, case)
    assert outgoing.state == S.REQUESTED and outgoing.direction == Direction.OUTGOING
    case.refresh_from_db()
    assert case.state == CaseState.PLANNED
    plan = case.plans.get(superseded_at__isnull=True)
    assert plan.kind == PlanKind.STATION and plan.station_id == city.beta.pk
    assert outgoing.number.startswith("ALPHA-ZJ-")
    with schema_context(city.beta.schema_name):
        assert not Referral.objects.exists()  # nothing arrives before the sender's transaction is delivered
    deliver_all(city)
    incoming = copy_in(city.beta.schema_name, outgoing)
    assert incoming.direction == Direction.INCOMING
    assert incoming.partner_id == city.alpha.pk
    assert (incoming.number, incoming.reason, incoming.ask) == (outgoing.number, outgoing.reason, outgoing.ask)
    assert incoming.accept_due_at == outgoing.accept_due_at
    with schema_context(get_public_schema_name()):
        flow = ReferralFlow.objects.get(uid=outgoing.uid)
    assert (flow.from_station_id, flow.to_station_id, flow.state) == (city.alpha.pk, city.beta.pk, S.REQUESTED)


@pytest.mark.clause("7.3")
def test_the_receiver_holds_exactly_what_was_shared(city, published, enterprise):
    with schema_context(city.alpha.schema_name):
        case = take_demand(city, enterprise, opinions="希望尽快", phone="024-79990000").cases.get()
        options = dict(services.share_options(case=case))
        assert {"contact", "boxes", "instruments", "opinions"} <= set(options)
        assert "products" not in options  # the demand has no product rows: nothing to offer
        outgoing = refer(city, case, parts=["instruments"])
    deliver_all(city)
    incoming = copy_in(city.beta.schema_name, outgoing)
    assert set(incoming.shared) == {"enterprise", "request", "instruments"}
    assert incoming.shared["enterprise"]["name"] == enterprise.name
    assert incoming.shared["instruments"][0]["name"] == "压力表"
    assert "024-79990000" not in str(incoming.shared) and "希望尽快" not in str(incoming.shared)
    accepted = _accept(city, incoming)
    with schema_context(city.beta.schema_name):
        demand = Demand.objects.get(cases=accepted.case)
        assert demand.channel == "referral"
        assert (demand.phone, demand.contact_person, demand.opinions, demand.email) == ("", "", "", "")
        assert [row.name for row in demand.instruments.all()] == ["压力表"]
        assert demand.boxes.count() == 0


@pytest.mark.clause("7.3")
def test_contact_details_travel_when_chosen(city, published, enterprise):
    with schema_context(city.alpha.schema_name):
        case = take_demand(city, enterprise).cases.get()
        outgoing = refer(city, case, parts=["contact", "boxes"])
    deliver_all(city)
    accepted = _accept(city, copy_in(city.beta.schema_name, outgoing))
    with schema_context(city.beta.schema_name):
        demand = Demand.objects.get(cases=accepted.case)
        assert (demand.contact_person, demand.email) == ("王经理", "wang@example.test")
        assert demand.boxes.count() == 2
        assert demand.instruments.count() == 0


@pytest.mark.clause("7.3")
def test_consent_channel_and_time_are_recorded_on_both_copies(city, published, enterprise):
    given = timezone.now() - datetime.timedelta(hours=2)
    with schema_context(city.alpha.schema_name):
        case = take_demand(city, enterprise).cases.get()
        outgoing = refer(city, case, consent_channel="signed", consent_at=given)
    deliver_all(city)
    incoming = copy_in(city.beta.schema_name, outgoing)
    assert (outgoing.consent_channel, outgoing.consent_at) == ("signed", given)
    assert (incoming.consent_channel, incoming.consent_at) == ("signed", given)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"consent_channel": ""}, "consent_channel"),
        ({"consent_at": None}, "consent_at"),
        ({"consent_at": timezone.now() + datetime.timedelta(days=1)}, "consent_at"),
        ({"reason": " "}, "reason"),
        ({"ask": ""}, "ask"),
        ({"parts": ["contact", "bank_account"]}, "parts"),
    ],
)
def test_a_referral_without_what_it_needs_is_refused_by_field(city, alpha, enterprise, change, field):
    case = take_demand(city, enterprise).cases.get()
    with pytest.raises(ValidationError) as raised:
        refer(city, case, **change)
    assert field in raised.value.message_dict
    assert not Referral.objects.exists()
    assert not OutboxMessage.objects.exclude(kind=MESSAGE_FACT).exists()  # only the new case's figures, for the city


def test_a_station_cannot_refer_to_itself_or_to_an_unpublished_station(city, alpha, enterprise):
    case = take_demand(city, enterprise).cases.get()
    with pytest.raises(ValidationError) as raised:
        refer(city, case, station=city.alpha)
    assert "station" in raised.value.message_dict
    with schema_context(get_public_schema_name()):
        station_change_status(user=PLATFORM, station=city.beta, status=StationStatus.SUSPENDED)
    with pytest.raises(ValidationError) as raised:
        refer(city, case, station=city.beta)
    assert "station" in raised.value.message_dict


def test_a_case_is_referred_once_at_a_time_and_not_planned_through_the_plan_form(city, alpha, enterprise):
    case = take_demand(city, enterprise).cases.get()
    refer(city, case)
    with pytest.raises(ValidationError) as raised:
        refer(city, case)
    assert "state" in raised.value.message_dict
    with pytest.raises(ValidationError) as raised:
        desk.case_plan(case=case, user=city.alpha_staff, kind=PlanKind.STATION, evaluation="x")
    assert "kind" in raised.value.message_dict
    with pytest.raises(ValidationError) as raised:
        desk.case_plan(
            case=case,
            user=city.alpha_staff,
            kind=PlanKind.SELF,
            evaluation="自己办",
            appointment_at=timezone.now(),
            staff=city.alpha_staff,
        )
    assert "state" in raised.value.message_dict  # withdraw the referral first


def test_a_stale_version_is_refused(city, alpha, enterprise):
    case = take_demand(city, enterprise).cases.get()
    with pytest.raises(ValidationError) as raised:
        refer(city, case, expected_version=case.version - 1)
    assert "version" in raised.value.message_dict


# --- Answering ----------------------------------------------------------------------------------------------------


@pytest.mark.clause("5.2.2")
def test_accepting_opens_a_case_in_the_receivers_desk_and_moves_the_senders_case(city, published, enterprise):
    case, outgoing, incoming = referred_case(city, enterprise)
    with schema_context(city.alpha.schema_name):
        items = list(case.items.values_list("clause", flat=True))
    with schema_context(city.beta.schema_name):
        accepted = services.referral_transition(
            referral=incoming, user=city.beta_head, to=S.ACCEPTED, assignee=city.beta_staff
        )
        theirs = accepted.case
        assert theirs.assignee_id == city.beta_staff.pk
        assert theirs.request.startswith("请为企业安排压力表检定")
        assert theirs.category_id == case.category_id
        assert list(theirs.items.values_list("clause", flat=True)) == items
        assert CaseEvent.objects.filter(case=theirs, kind=EventKind.REFERRAL).exists()
    deliver_all(city)
    mine = copy_in(city.alpha.schema_name, outgoing)
    assert mine.state == S.ACCEPTED and mine.accepted_at is not None
    assert _case_state(city.alpha.schema_name, case.pk) == CaseState.IN_SERVICE
    with schema_context(get_public_schema_name()):
        assert ReferralFlow.objects.get(uid=outgoing.uid).state == S.ACCEPTED


@pytest.mark.clause("4.4.1")
def test_accepting_opens_the_case_only_for_a_member_cleared_for_duty(city, published, enterprise):
    _case, outgoing, incoming = referred_case(city, enterprise)
    untrained = untrained_member(city.beta)
    with schema_context(city.beta.schema_name):
        demands, events, version = Demand.objects.count(), incoming.events.count(), incoming.version
        # Named as the one to serve the case, or accepting with nobody named (the case would be theirs): refused.
        for user, assignee in ((city.beta_head, untrained), (untrained, None)):
            with pytest.raises(ValidationError) as raised:
                services.referral_transition(referral=incoming, user=user, to=S.ACCEPTED, assignee=assignee)
            assert raised.value.message_dict == {"assignee": [NOT_CLEARED]}
        incoming.refresh_from_db()
        assert incoming.state == S.REQUESTED and incoming.case_id is None and incoming.version == version
        assert Demand.objects.count() == demands and incoming.events.count() == events
    assert deliver_all(city) == 0
    assert copy_in(city.alpha.schema_name, outgoing).state == S.REQUESTED

    pre_duty_training_record(station=city.beta, members=[untrained])
    with schema_context(city.beta.schema_name):
        accepted = services.referral_transition(referral=incoming, user=untrained, to=S.ACCEPTED)
        assert accepted.state == S.ACCEPTED and accepted.case.assignee == untrained


def test_a_suspended_station_declines_but_does_not_accept(city, published, enterprise):
    _case, _outgoing, incoming = referred_case(city, enterprise)
    with schema_context(get_public_schema_name()):
        station_change_status(user=PLATFORM, station=city.beta, status=StationStatus.SUSPENDED)
    with schema_context(city.beta.schema_name):
        with pytest.raises(ValidationError) as raised:
            services.referral_transition(referral=incoming, user=city.beta_staff, to=S.ACCEPTED)
        assert "to" in raised.value.message_dict
        services.referral_transition(referral=incoming, user=city.beta_staff, to=S.DECLINED, reason="本站暂停服务")


@pytest.mark.clause("5.2.2")
def test_declining_needs_a_reason_and_sends_the_case_back_to_evaluation(city, published, enterprise):
    case, outgoing, incoming = referred_case(city, enterprise)
    with schema_context(city.beta.schema_name), pytest.raises(ValidationError) as raised:
        services.referral_transition(referral=incoming, user=city.beta_staff, to=S.DECLINED, reason="  ")
    assert "reason" in raised.value.message_dict
    with schema_context(city.beta.schema_name):
        services.referral_transition(referral=incoming, user=city.beta_staff, to=S.DECLINED, reason="本站无此能力")
    deliver_all(city)
    mine = copy_in(city.alpha.schema_name, outgoing)
    assert (mine.state, mine.state_reason) == (S.DECLINED, "本站无此能力")
    assert _case_state(city.alpha.schema_name, case.pk) == CaseState.EVALUATING


@pytest.mark.clause("5.2.2")
def test_the_sender_may_withdraw_a_waiting_referral_and_the_receiver_sees_it(city, published, enterprise):
    case, outgoing, incoming = referred_case(city, enterprise)
    with schema_context(city.alpha.schema_name):
        services.referral_transition(referral=outgoing, user=city.alpha_staff, to=S.WITHDRAWN, reason="企业改主意")
        assert ServiceCase.objects.get(pk=case.pk).state == CaseState.EVALUATING
    deliver_all(city)
    theirs = copy_in(city.beta.schema_name, outgoing)
    assert (theirs.state, theirs.state_reason) == (S.WITHDRAWN, "企业改主意")
    with schema_context(city.beta.schema_name), pytest.raises(ValidationError):
        services.referral_transition(referral=theirs, user=city.beta_staff, to=S.ACCEPTED)


@pytest.mark.parametrize(
    ("side", "to"),
    [
        ("alpha", S.ACCEPTED),  # only the receiver answers
        ("alpha", S.DECLINED),
        ("alpha", S.COMPLETED),
        ("beta", S.WITHDRAWN),  # only the sender withdraws
        ("beta", S.IN_SERVICE),  # after acceptance the receiver's case drives the referral
        ("beta", S.COMPLETED),
        ("beta", "lost"),
    ],
)
def test_each_side_may_take_only_its_own_steps(city, published, enterprise, side, to):
    _case, outgoing, incoming = referred_case(city, enterprise)
    schema, referral, user = {
        "alpha": (city.alpha.schema_name, outgoing, city.alpha_staff),
        "beta": (city.beta.schema_name, incoming, city.beta_staff),
    }[side]
    with schema_context(schema), pytest.raises(ValidationError) as raised:
        services.referral_transition(referral=referral, user=user, to=to, reason="x", outcome="x")
    assert "to" in raised.value.message_dict
    assert copy_in(schema, referral).state == S.REQUESTED


@pytest.mark.clause("5.2.3.1")
def test_the_receivers_case_drives_the_referral_and_every_step_flows_back(city, published, enterprise):
    case, outgoing, incoming = referred_case(city, enterprise)
    theirs = _accept(city, incoming).case
    with schema_context(city.beta.schema_name):
        theirs = serve(city, theirs)
        assert Referral.objects.get(pk=incoming.pk).state == S.IN_SERVICE
        theirs = desk.case_transition(case=theirs, to=CaseState.ON_HOLD, user=city.beta_staff, reason="等企业送样")
        assert Referral.objects.get(pk=incoming.pk).state == S.ON_HOLD
    deliver_all(city)
    assert copy_in(city.alpha.schema_name, outgoing).state == S.ON_HOLD
    with schema_context(city.beta.schema_name):
        theirs = desk.case_transition(case=theirs, to=CaseState.IN_SERVICE, user=city.beta_staff)
        assert Referral.objects.get(pk=incoming.pk).state == S.IN_SERVICE
        finish(city, theirs)
        assert Referral.objects.get(pk=incoming.pk).state == S.COMPLETED
    deliver_all(city)
    mine = copy_in(city.alpha.schema_name, outgoing)
    assert (mine.state, mine.outcome) == (S.COMPLETED, "检定压力表 2 块，合格")
    assert _case_state(city.alpha.schema_name, case.pk) == CaseState.FOLLOWING_UP
    # One timeline, the same on both sides: requested, accepted, progress (planned …), in service, on hold, …
    with schema_context(city.alpha.schema_name):
        mine_events = list(ReferralEvent.objects.filter(referral=mine).values_list("uid", "to_state"))
    with schema_context(city.beta.schema_name):
        their_events = list(ReferralEvent.objects.filter(referral__uid=outgoing.uid).values_list("uid", "to_state"))
    assert mine_events == their_events
    states = [to for _uid, to in mine_events if to]
    assert states == [S.REQUESTED, S.ACCEPTED, S.IN_SERVICE, S.ON_HOLD, S.IN_SERVICE, S.COMPLETED]
    with schema_context(get_public_schema_name()):
        flow = ReferralFlow.objects.get(uid=outgoing.uid)
    assert flow.state == S.COMPLETED and flow.closed_at is not None


def test_the_receiver_cannot_complete_without_an_outcome_for_the_sender(city, published, enterprise):
    _case, _outgoing, incoming = referred_case(city, enterprise)
    theirs = _accept(city, incoming).case
    with schema_context(city.beta.schema_name):
        theirs = serve(city, theirs)
        with pytest.raises(ValidationError) as raised:
            finish(city, theirs, resolution="")
        assert "state" in raised.value.message_dict
        assert ServiceCase.objects.get(pk=theirs.pk).state == CaseState.FOLLOWING_UP
        assert Referral.objects.get(pk=incoming.pk).state == S.IN_SERVICE


@pytest.mark.clause("5.2.2")
def test_cancelling_the_receivers_case_fails_the_referral_with_its_reason(city, published, enterprise):
    case, outgoing, incoming = referred_case(city, enterprise)
    theirs = _accept(city, incoming).case
    with schema_context(city.beta.schema_name):
        desk.case_transition(case=theirs, to=CaseState.CANCELLED, user=city.beta_staff, reason="企业联系不上")
    deliver_all(city)
    mine = copy_in(city.alpha.schema_name, outgoing)
    assert (mine.state, mine.state_reason) == (S.FAILED, "企业联系不上")
    assert _case_state(city.alpha.schema_name, case.pk) == CaseState.EVALUATING


def test_the_sender_cannot_cancel_a_case_another_station_is_serving(city, published, enterprise):
    case, outgoing, incoming = referred_case(city, enterprise)
    _accept(city, incoming)
    deliver_all(city)
    with schema_context(city.alpha.schema_name):
        with pytest.raises(ValidationError) as raised:
            desk.case_transition(case=case, to=CaseState.CANCELLED, user=city.alpha_staff, reason="不做了")
        assert "state" in raised.value.message_dict


def test_cancelling_the_senders_case_withdraws_a_waiting_referral(city, published, enterprise):
    case, outgoing, _incoming = referred_case(city, enterprise)
    with schema_context(city.alpha.schema_name):
        desk.case_transition(case=case, to=CaseState.CANCELLED, user=city.alpha_staff, reason="企业撤回需求")
        assert Referral.objects.get(pk=outgoing.pk).state == S.WITHDRAWN
    deliver_all(city)
    assert copy_in(city.beta.schema_name, outgoing).state == S.WITHDRAWN


def test_an_ended_referral_moves_no_more(city, published, enterprise):
    _case, outgoing, incoming = referred_case(city, enterprise)
    with schema_context(city.beta.schema_name):
        services.referral_transition(referral=incoming, user=city.beta_staff, to=S.DECLINED, reason="无能力")
        with pytest.raises(ValidationError):
            services.referral_transition(referral=incoming, user=city.beta_staff, to=S.ACCEPTED)


def test_a_withdrawal_crossing_an_acceptance_wins_on_both_sides(city, published, enterprise):
    case, outgoing, incoming = referred_case(city, enterprise)
    with schema_context(city.alpha.schema_name):
        services.referral_transition(referral=outgoing, user=city.alpha_staff, to=S.WITHDRAWN)
    accepted = _accept(city, incoming)  # before the withdrawal reached beta
    deliver_all(city)
    assert copy_in(city.alpha.schema_name, outgoing).state == S.WITHDRAWN
    assert copy_in(city.beta.schema_name, outgoing).state == S.WITHDRAWN
    with schema_context(city.beta.schema_name):
        # The note of the acceptance, then the note that the sender withdrew it: close the case.
        notes = CaseEvent.objects.filter(case=accepted.case, kind=EventKind.REFERRAL).order_by("id")
        assert notes.count() == 2 and outgoing.number in notes.last().text
    with schema_context(city.alpha.schema_name):
        assert OutboxMessage.objects.filter(delivered_at__isnull=True).count() == 0


# --- Re-routing ---------------------------------------------------------------------------------------------------


@pytest.mark.clause("5.2.3.2")
def test_a_declined_referral_is_re_routed_to_a_third_station_keeping_the_chain(city, published, enterprise, gamma):
    case, first, incoming = referred_case(city, enterprise)
    with schema_context(city.beta.schema_name):
        services.referral_transition(referral=incoming, user=city.beta_staff, to=S.DECLINED, reason="排期已满")
    deliver_all(city)
    with schema_context(city.alpha.schema_name):
        case = ServiceCase.objects.get(pk=case.pk)
        with pytest.raises(ValidationError) as raised:
            refer(city, case, station=city.beta)
        assert "station" in raised.value.message_dict  # beta declined it: a third station
        second = refer(city, case, station=gamma)
        assert second.previous_id == first.pk
        assert second.chain == [
            {"number": first.number, "to": city.beta.name, "state": S.DECLINED, "reason": "排期已满"}
        ]
        messaging.outbox_deliver_pending()
    with schema_context(gamma.schema_name):
        theirs = Referral.objects.get(uid=second.uid)
        assert theirs.chain[0]["state"] == S.DECLINED
    with schema_context(get_public_schema_name()):
        assert ReferralFlow.objects.get(uid=second.uid).previous_uid == first.uid


# --- Institutions -------------------------------------------------------------------------------------------------


@pytest.fixture
def institution():
    return Institution.objects.create(name="铁岭市计量测试所（转介测试）", kind="metrology")


@pytest.mark.clause("5.2.2")
def test_an_institution_referral_has_the_same_states_recorded_on_its_behalf(city, alpha, enterprise, institution):
    case = take_demand(city, enterprise).cases.get()
    institution_referral(city, case, institution)
    referral = Referral.objects.get(case=case)
    assert (referral.institution_id, referral.state, referral.partner_id) == (institution.pk, S.REQUESTED, None)
    for to in (S.ACCEPTED, S.IN_SERVICE, S.ON_HOLD, S.IN_SERVICE):
        referral = services.referral_transition(referral=referral, user=city.alpha_staff, to=to, reason="等样品")
    assert ServiceCase.objects.get(pk=case.pk).state == CaseState.IN_SERVICE
    with pytest.raises(ValidationError) as raised:
        services.referral_transition(referral=referral, user=city.alpha_staff, to=S.COMPLETED)
    assert "outcome" in raised.value.message_dict
    services.referral_transition(referral=referral, user=city.alpha_staff, to=S.COMPLETED, outcome="出具检定证书")
    assert ServiceCase.objects.get(pk=case.pk).state == CaseState.FOLLOWING_UP
    assert not OutboxMessage.objects.filter(destination=city.beta.schema_name).exists()  # nothing to another station
    deliver_all(city)
    with schema_context(get_public_schema_name()):
        flow = ReferralFlow.objects.get(uid=referral.uid)
    assert (flow.institution_id, flow.to_station_id, flow.state) == (institution.pk, None, S.COMPLETED)


def test_re_planning_closes_the_institutions_open_referral(city, alpha, enterprise, institution):
    case = take_demand(city, enterprise).cases.get()
    institution_referral(city, case, institution)
    institution_referral(city, case, institution)
    states = list(Referral.objects.filter(case=case).order_by("id").values_list("state", flat=True))
    assert states == [S.WITHDRAWN, S.REQUESTED]


# --- Deadlines ------------------------------------------------------------------------------------------------------


@pytest.mark.clause("5.2.2")
def test_the_bureaus_policy_sets_the_acceptance_deadline_in_working_days(city, alpha, enterprise):
    network.referral_policy_set(user=city.bureau_admin, accept_working_days=5)
    case = take_demand(city, enterprise).cases.get()
    referral = refer(city, case)
    assert referral.accept_due_at == workdays.add_working_days(referral.requested_at, 5)
    with pytest.raises(ValidationError):
        network.referral_policy_set(user=city.bureau_admin, accept_working_days=0)


@pytest.mark.clause("5.2.2")
def test_an_overdue_referral_is_flagged_once_to_both_heads_and_the_bureau(
    city, published, enterprise, mailoutbox, django_capture_on_commit_callbacks
):
    case, outgoing, _incoming = referred_case(city, enterprise)
    with schema_context(city.alpha.schema_name):
        Referral.objects.filter(pk=outgoing.pk).update(accept_due_at=timezone.now() - datetime.timedelta(hours=1))
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            assert services.referral_overdue_flag() == 1
            assert services.referral_overdue_flag() == 0
        assert CaseEvent.objects.filter(case=case, kind=EventKind.REFERRAL, text__contains=outgoing.number).exists()
    with django_capture_on_commit_callbacks(execute=False) as delivered:
        deliver_all(city)  # the receiving station's head is told when the flag reaches its copy
    # Notified (core.notifications), each by e-mail (the kind's default), each e-mail sent once.
    assert run_queued([*callbacks, *delivered], app="core.deliveries") == [True, True, True]
    assert sorted(mail.to[0] for mail in mailoutbox) == sorted(
        [city.alpha_head.email, city.beta_head.email, city.bureau_admin.email]
    )
    assert all(outgoing.number in mail.subject for mail in mailoutbox)
    assert copy_in(city.beta.schema_name, outgoing).overdue_at is not None
    with schema_context(get_public_schema_name()):
        assert ReferralFlow.objects.get(uid=outgoing.uid).overdue_at is not None


def test_the_receiving_head_is_told_a_referral_arrived(
    city, published, enterprise, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _case, outgoing, incoming = referred_case(city, enterprise)
    # Notified (core.notifications) in the receiver's schema, by e-mail (the kind's default), sent once.
    in_beta = [c for c in queued_tasks(callbacks, app="core.deliveries") if c.args[1] == city.beta.schema_name]
    assert len(in_beta) == 1
    assert all(run_queued(callbacks, app="core.deliveries"))
    [mail] = [mail for mail in mailoutbox if mail.to == [city.beta_head.email]]
    assert outgoing.number in mail.subject
    assert f"/desk/referrals/{incoming.pk}/" in mail.body


def test_an_answered_referral_is_not_flagged(city, published, enterprise):
    _case, outgoing, incoming = referred_case(city, enterprise)
    _accept(city, incoming)
    deliver_all(city)
    with schema_context(city.alpha.schema_name):
        Referral.objects.filter(pk=outgoing.pk).update(accept_due_at=timezone.now() - datetime.timedelta(hours=1))
        assert services.referral_overdue_flag() == 0


# --- Load -----------------------------------------------------------------------------------------------------------


def test_a_station_publishes_its_load_for_others_choosing_where_to_refer(city, published, enterprise):
    from core.referrals.selectors import referral_station_candidates

    referred_case(city, enterprise)
    with schema_context(city.beta.schema_name):
        services.station_load_publish()
    deliver_all(city)
    with schema_context(city.alpha.schema_name):
        candidates = list(referral_station_candidates(here=city.alpha))
    assert [station.pk for station in candidates] == [city.beta.pk]
    assert candidates[0].load.referrals_waiting == 1


# --- The message path -------------------------------------------------------------------------------------------


def test_a_message_is_applied_once_however_often_it_is_delivered(city, published, enterprise):
    _case, outgoing, _incoming = referred_case(city, enterprise)
    with schema_context(city.alpha.schema_name):
        message = OutboxMessage.objects.get(stream=f"referral:{outgoing.uid}", seq=1)
        assert message.delivered_at is not None
        OutboxMessage.objects.filter(pk=message.pk).update(delivered_at=None)  # the acknowledgement was lost
        assert messaging.message_deliver(message_id=message.pk) == 1
    with schema_context(city.beta.schema_name):
        applied = messaging.message_apply(
            source=city.alpha.schema_name,
            key=str(message.key),
            kind=message.kind,
            stream=message.stream,
            seq=message.seq,
            payload=message.payload,
        )
        assert applied is False
        assert Referral.objects.filter(uid=outgoing.uid).count() == 1
        assert InboxMessage.objects.filter(key=message.key).count() == 1


def test_a_message_arriving_before_its_predecessor_waits(city, published, enterprise):
    _case, outgoing, _incoming = referred_case(city, enterprise)
    with schema_context(city.beta.schema_name), pytest.raises(messaging.MessageOutOfOrder):
        messaging.message_apply(
            source=city.alpha.schema_name,
            key=str(uuid.uuid4()),
            kind=services.MESSAGE_EVENT,
            stream=f"referral:{outgoing.uid}",
            seq=3,
            payload={},
        )


def test_only_a_party_to_a_referral_may_change_it(city, published, enterprise):
    _case, outgoing, _incoming = referred_case(city, enterprise)
    with schema_context(city.beta.schema_name), pytest.raises(PermissionDenied):
        services.referral_event_apply(payload={"uid": str(outgoing.uid)}, source="station_gamma")


def test_a_message_kind_nobody_receives_is_refused_when_sent(city, alpha):
    with pytest.raises(ValueError, match="no handler"), transaction.atomic():
        messaging.message_send(destination="public", kind="nobody.listens", stream="s", payload={})


def test_the_sweep_queues_again_what_is_still_pending(city, published, enterprise, django_capture_on_commit_callbacks):
    with schema_context(city.alpha.schema_name):
        case = take_demand(city, enterprise).cases.get()
        referral = refer(city, case)
        OutboxMessage.objects.update(created_at=timezone.now() - datetime.timedelta(minutes=5))
        minute = datetime.timedelta(minutes=1)
        # The referral's stream, the bureau's, and the case's figures for the city statistics.
        assert messaging.outbox_requeue_stale(older_than=minute) == 3
        assert messaging.outbox_requeue_stale(older_than=minute) == 0  # just queued
        # Queued once again already: the next time waits two minutes, not one (a backlog is not a loss every minute).
        OutboxMessage.objects.update(attempted_at=timezone.now() - datetime.timedelta(seconds=90))
        assert messaging.outbox_requeue_stale(older_than=minute) == 0
        OutboxMessage.objects.update(attempted_at=timezone.now() - datetime.timedelta(seconds=130))
        assert messaging.outbox_requeue_stale(older_than=minute) == 3
        assert set(OutboxMessage.objects.values_list("requeues", flat=True)) == {2}
    assert referral.state == S.REQUESTED


def test_the_incoming_copy_is_not_created_twice(city, published, enterprise):
    _case, outgoing, _incoming = referred_case(city, enterprise)
    with schema_context(city.beta.schema_name):
        services.referral_receive(payload={"uid": str(outgoing.uid)}, source=city.alpha.schema_name)
        assert Referral.objects.filter(direction=Direction.INCOMING).count() == 1
