"""The closed loop of a referral between two stations, through the services and the message path."""

import pytest
from django_tenants.utils import schema_context

from core.desk import services as desk
from core.desk.models import CaseEvent, CaseState, EventKind, ServiceCase
from core.referrals import services
from core.referrals.models import ReferralState
from tests.core.referrals.builders import copy_in, deliver_all, referred_case

S = ReferralState


@pytest.mark.clause("5.2.2")
def test_accepted_served_and_completed_flows_back_to_the_sender(city, published, enterprise):
    case, outgoing, incoming = referred_case(city, enterprise)
    assert incoming.state == S.REQUESTED
    with schema_context(city.beta.schema_name):
        incoming = services.referral_transition(referral=incoming, user=city.beta_staff, to=S.ACCEPTED)
        theirs = incoming.case
        assert theirs.demand.channel == "referral"
        desk.case_plan(
            case=theirs,
            user=city.beta_staff,
            kind="self",
            evaluation="本站可检定",
            appointment_at=theirs.received_at,
            staff=city.beta_staff,
        )
        theirs = desk.case_transition(case=theirs, to=CaseState.IN_SERVICE, user=city.beta_staff)
    deliver_all(city)
    with schema_context(city.alpha.schema_name):
        assert ServiceCase.objects.get(pk=case.pk).state == CaseState.IN_SERVICE
    assert copy_in(city.alpha.schema_name, outgoing).state == S.IN_SERVICE
    with schema_context(city.beta.schema_name):
        theirs = desk.case_transition(case=theirs, to=CaseState.FOLLOWING_UP, user=city.beta_staff)
        import datetime

        from django.utils import timezone

        now = timezone.now()
        desk.record_save(
            case=theirs,
            user=city.beta_staff,
            requested_at=now - datetime.timedelta(hours=3),
            received_at=now - datetime.timedelta(hours=2),
            ended_at=now - datetime.timedelta(hours=1),
            resolution="检定压力表 2 块，合格",
        )
        desk.case_transition(case=theirs, to=CaseState.COMPLETED, user=city.beta_staff)
    deliver_all(city)
    mine = copy_in(city.alpha.schema_name, outgoing)
    assert mine.state == S.COMPLETED
    assert mine.outcome == "检定压力表 2 块，合格"
    with schema_context(city.alpha.schema_name):
        assert ServiceCase.objects.get(pk=case.pk).state == CaseState.FOLLOWING_UP
        assert CaseEvent.objects.filter(case=case, kind=EventKind.REFERRAL).count() >= 4
