"""The referrals' write services check who calls them, whatever the view (issue 16): the station's members; the case
of a referral follows it as the platform, or as the messages when the other station took the step."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django_tenants.utils import schema_context

from core.desk.models import CaseState
from core.referrals import services
from core.referrals.models import Direction, Referral, ReferralState
from tests.core.desk.builders import take_demand
from tests.core.referrals.builders import deliver_all, refer, referred_case


@pytest.mark.parametrize("who", ["beta_staff", "bureau_admin", "outsider"])
def test_only_the_station_s_members_refer_and_answer(city, alpha, enterprise, who):
    user = getattr(city, who)
    case = take_demand(city, enterprise).cases.get()
    with pytest.raises(PermissionDenied):
        services.referral_create(
            case=case,
            user=user,
            station=city.beta,
            reason="外人转介",
            ask="外人请求",
            consent_channel="phone",
            consent_at=timezone.now() - datetime.timedelta(minutes=5),
        )
    assert not Referral.objects.exists()
    referral = refer(city, case)
    with pytest.raises(PermissionDenied):
        services.referral_transition(referral=referral, user=user, to=ReferralState.WITHDRAWN, reason="外人撤回")
    with pytest.raises(PermissionDenied):
        services.referral_handover(referral=referral, user=user, consent_channel="phone", consent_at=timezone.now())
    assert Referral.objects.get(pk=referral.pk).state == ReferralState.REQUESTED


@pytest.mark.clause("5.2.2")
def test_the_sender_s_case_follows_the_receiver_s_answer_by_message(city, published, enterprise):
    case, outgoing, incoming = referred_case(city, enterprise)
    with schema_context(city.beta.schema_name):
        services.referral_transition(referral=incoming, user=city.beta_head, to=ReferralState.ACCEPTED)
    deliver_all(city)
    with schema_context(city.alpha.schema_name):
        case.refresh_from_db()
        assert case.state == CaseState.IN_SERVICE
        followed = case.events.filter(to_state=CaseState.IN_SERVICE).get()
        assert followed.actor is None  # the messages moved it, not a person
        assert Referral.objects.get(pk=outgoing.pk, direction=Direction.OUTGOING).state == ReferralState.ACCEPTED
