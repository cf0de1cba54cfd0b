"""What a completed referral brings back besides its outcome (issue 15): the receiving station's service record (its
on-site and end times, who served, the institution it used) travels back to the sender's copy, never to the bureau;
a station completing an institution's referral records the same on the institution's behalf, checked like a record."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_tenants.utils import schema_context

from core.desk import services as desk
from core.desk.models import CaseState
from core.directory.models import Institution
from core.messaging.models import OutboxMessage
from core.referrals import services
from core.referrals.models import ReferralState
from tests.core.desk.builders import take_demand
from tests.core.referrals.builders import copy_in, deliver_all, institution_referral, referred_case, serve

S = ReferralState


@pytest.fixture
def institution() -> Institution:
    return Institution.objects.create(name="铁岭市计量测试所（结果测试）", kind="metrology")


def complete_at_beta(city, incoming, *, institution=None):
    """Beta accepts, serves, records (on site and ended after the acceptance, with a technician) and completes."""
    with schema_context(city.beta.schema_name):
        accepted = services.referral_transition(referral=incoming, user=city.beta_staff, to=S.ACCEPTED)
        case = serve(city, accepted.case)
        case = desk.case_transition(case=case, to=CaseState.FOLLOWING_UP, user=city.beta_staff)
        on_site = timezone.now()
        desk.record_save(
            case=case,
            user=city.beta_staff,
            on_site_at=on_site,
            ended_at=on_site,
            technician="赵技师",
            institution=institution,
            resolution="检定压力表 2 块，合格",
        )
        desk.case_transition(case=case, to=CaseState.COMPLETED, user=city.beta_staff)
    return on_site


@pytest.mark.clause("5.2.3.1")
@pytest.mark.clause("6.2")
def test_the_receivers_record_comes_back_with_the_outcome(city, published, enterprise, institution):
    case, outgoing, incoming = referred_case(city, enterprise)
    on_site = complete_at_beta(city, incoming, institution=institution)
    theirs = copy_in(city.beta.schema_name, incoming)
    assert (theirs.on_site_at, theirs.service_ended_at, theirs.technician) == (on_site, on_site, "赵技师")
    # Nothing of it goes to the bureau's read model: only to the sender.
    with schema_context(city.alpha.schema_name):
        before = set(OutboxMessage.objects.values_list("pk", flat=True))
    deliver_all(city)
    mine = copy_in(city.alpha.schema_name, outgoing)
    assert (mine.state, mine.outcome) == (S.COMPLETED, "检定压力表 2 块，合格")
    assert (mine.on_site_at, mine.service_ended_at) == (on_site, on_site)
    assert (mine.technician, mine.served_by) == ("赵技师", city.beta_staff.display_name)
    assert mine.served_institution_id == institution.pk
    with schema_context(city.alpha.schema_name):
        flows = OutboxMessage.objects.exclude(pk__in=before).filter(kind=services.MESSAGE_FLOW)
        assert flows.exists()
        assert all("technician" not in str(message.payload) for message in flows)


def test_a_completion_from_before_the_result_travelled_still_applies(city, published, enterprise):
    """A message sent before the result was part of it (no "result" in its payload) completes the sender's copy."""
    _case, outgoing, incoming = referred_case(city, enterprise)
    complete_at_beta(city, incoming)
    with schema_context(city.beta.schema_name):
        for message in OutboxMessage.objects.filter(delivered_at__isnull=True, kind=services.MESSAGE_EVENT):
            message.payload.pop("result")
            message.save(update_fields=["payload"])
    deliver_all(city)
    mine = copy_in(city.alpha.schema_name, outgoing)
    assert mine.state == S.COMPLETED and (mine.on_site_at, mine.technician, mine.served_by) == (None, "", "")


@pytest.mark.clause("5.2.2")
def test_completing_an_institution_referral_records_its_times_and_technician(city, alpha, enterprise, institution):
    case = take_demand(city, enterprise).cases.get()
    referral = institution_referral(city, case, institution)
    # Recorded only with the completion.
    with pytest.raises(ValidationError) as raised:
        services.referral_transition(referral=referral, user=city.alpha_staff, to=S.ACCEPTED, technician="孙工")
    assert raised.value.message_dict == {"technician": ["仅在记录转介完成时填写。"]}
    for to in (S.ACCEPTED, S.IN_SERVICE):
        referral = services.referral_transition(referral=referral, user=city.alpha_staff, to=to)
    now = timezone.now().replace(microsecond=0)
    refusals = [
        ({"on_site_at": referral.requested_at - datetime.timedelta(hours=1)}, {"on_site_at"}),
        ({"service_ended_at": now + datetime.timedelta(days=1)}, {"service_ended_at"}),
        ({"on_site_at": now, "service_ended_at": now - datetime.timedelta(seconds=1)}, {"service_ended_at"}),
        ({"technician": "孙" * 51}, {"technician"}),
    ]
    for given, fields in refusals:
        with pytest.raises(ValidationError) as raised:
            services.referral_transition(
                referral=referral, user=city.alpha_staff, to=S.COMPLETED, outcome="出具检定证书", **given
            )
        assert set(raised.value.message_dict) == fields, given
    referral = services.referral_transition(
        referral=referral,
        user=city.alpha_staff,
        to=S.COMPLETED,
        outcome="出具检定证书",
        on_site_at=now,
        service_ended_at=now,
        technician=" 孙工 ",
    )
    referral.refresh_from_db()
    assert (referral.state, referral.on_site_at, referral.service_ended_at) == (S.COMPLETED, now, now)
    assert referral.technician == "孙工"
