"""What the enterprise is told as its demand moves (issue 19): the booked appointment, the partner that took its
referral on (a station or an institution, with its phone), the completed case with its survey link and the survey's
reminder, by SMS to a mobile number and by e-mail to an address, once per event."""

import datetime

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from core.deliveries.models import Channel, Delivery
from core.desk import services
from core.desk.models import PlanKind, SurveyInvitation
from core.directory.models import Institution
from tests.core.desk.builders import case_completed, new_enterprise, take_demand
from tests.core.referrals.builders import deliver_all, refer

MOBILE = "13912345678"


def _sent(kind: str, **where) -> dict[str, Delivery]:
    return {d.channel: d for d in Delivery.objects.filter(kind=kind, **where)}


@pytest.fixture
def texting(city):
    """An enterprise with a mobile number and an e-mail address."""
    return new_enterprise(name="短信测试机械有限公司", phone=MOBILE, email="sms@example.test")


def test_a_booked_appointment_is_sent_by_sms_and_e_mail_once_per_booking(city, texting):
    with schema_context(city.alpha.schema_name):
        case = take_demand(city, texting).cases.get()
        at = timezone.now() + datetime.timedelta(days=2)
        plan = services.case_plan(
            case=case,
            user=city.alpha_staff,
            kind=PlanKind.SELF,
            evaluation="上门",
            appointment_at=at,
            staff=city.alpha_staff,
        )
        sent = _sent("appointment", case_id=case.pk)
        assert set(sent) == {Channel.SMS, Channel.EMAIL}
        assert timezone.localtime(at).strftime("%Y-%m-%d %H:%M") in sent[Channel.SMS].text
        assert services.tracking_url(demand=case.demand) in sent[Channel.SMS].text
        services.case_appointment_announce(case=case, plan=plan)  # the same booking again: nothing more
        assert Delivery.objects.filter(kind="appointment", case_id=case.pk).count() == 2


def test_the_enterprise_hears_which_station_took_its_referral_on_and_its_phone(city, texting, published):
    with schema_context(city.alpha.schema_name):
        case = take_demand(city, texting).cases.get()
        outgoing = refer(city, case)
        assert not _sent("referred", case_id=case.pk)  # not before the other station takes it on
    deliver_all(city)
    from core.referrals import services as referrals
    from core.referrals.models import Referral

    with schema_context(city.beta.schema_name):
        incoming = Referral.objects.get(uid=outgoing.uid, direction="in")
        accepted = referrals.referral_transition(referral=incoming, user=city.beta_staff, to="accepted")
        # The receiver's demand (channel "referral") sends the enterprise no tracking link of its own.
        assert not Delivery.objects.filter(demand_id=accepted.case.demand_id).exists()
    deliver_all(city)
    with schema_context(city.alpha.schema_name):
        sent = _sent("referred", case_id=case.pk)
        assert set(sent) == {Channel.SMS, Channel.EMAIL}
        assert city.beta.name in sent[Channel.SMS].text and city.beta.service_phone in sent[Channel.SMS].text
        tracked = services.tracking_verify(token=services.tracking_token(demand=case.demand))
        from core.desk.selectors import tracking_cases

        (row,) = tracking_cases(demand=tracked, station=city.alpha)
        assert row.served_by == city.beta.name and row.phone == city.beta.service_phone


def test_the_enterprise_hears_which_institution_serves_it(city, texting):
    institution = Institution.objects.create(
        name="铁岭市计量测试所（通知测试）", kind="metrology", phone="024-72000000"
    )
    with schema_context(city.alpha.schema_name):
        case = take_demand(city, texting).cases.get()
        services.case_plan(
            case=case,
            user=city.alpha_staff,
            kind=PlanKind.INSTITUTION,
            evaluation="送计量所",
            institution=institution,
            agreed_items=list(case.items.all()),
        )
        from core.referrals import services as referrals
        from core.referrals.models import Referral

        referral = Referral.objects.get(case=case, institution=institution)
        referrals.referral_transition(referral=referral, user=city.alpha_staff, to="accepted")
        sent = _sent("referred", case_id=case.pk)
        assert institution.name in sent[Channel.SMS].text and "024-72000000" in sent[Channel.SMS].text


def test_a_completed_case_sends_its_survey_link_by_sms_and_the_reminder_too(city, texting):
    with schema_context(city.alpha.schema_name):
        case = case_completed(city, texting)
        sms = _sent("case_completed", case_id=case.pk)
        assert set(sms) == {Channel.SMS}  # the survey's own invitation is the e-mail
        assert "/survey/" in sms[Channel.SMS].text
        invitation = SurveyInvitation.objects.get(case=case)
        SurveyInvitation.objects.filter(pk=invitation.pk).update(sent_at=timezone.now() - datetime.timedelta(days=10))
        assert services.survey_remind_due() == 1
        assert "/survey/" in _sent("survey_reminder", case_id=case.pk)[Channel.SMS].text
        assert services.survey_remind_due() == 0  # once


def test_without_an_e_mail_the_survey_link_goes_by_sms_and_the_timeline_says_so(city):
    with schema_context(city.alpha.schema_name):
        case = case_completed(city, new_enterprise(email="", phone=MOBILE))
        assert case.demand.email == ""
        assert set(_sent("case_completed", case_id=case.pk)) == {Channel.SMS}
        texts = [e.text for e in case.events.all()]
        assert any("短信" in text and "139****5678" in text for text in texts), texts
        SurveyInvitation.objects.filter(case=case).update(created_at=timezone.now() - datetime.timedelta(days=10))
        assert services.survey_remind_due() == 1
        assert _sent("survey_reminder", case_id=case.pk)
