"""A referred case's service record (Appendix B) starts from what its referral brought back (issue 15): the
resolution, the answer, on-site and end times and who served, from the other station's record or from what the
station recorded on an institution's behalf. Initial values only: nothing is written until staff save the record."""

import datetime

import pytest
import time_machine
from django.utils import timezone
from django_tenants.utils import schema_context

from core.desk import services
from core.desk.models import CaseState, PlanKind, ServiceCase, ServiceRecord
from core.directory.models import Institution
from core.referrals import services as referrals
from core.referrals.models import Referral, ReferralState
from tests.conftest import host_client
from tests.core.desk.builders import take_demand
from tests.core.referrals.builders import copy_in, deliver_all, referred_case, serve

S = ReferralState


@pytest.fixture
def staff(city, alpha_host):
    return host_client(alpha_host, city.alpha_staff)


@pytest.fixture
def institution() -> Institution:
    return Institution.objects.create(name="铁岭市计量测试所（记录预填测试）", kind="metrology")


def minutes_ago(minutes: int) -> datetime.datetime:
    """A local time `minutes` ago, to the minute (as the page's fields take it)."""
    return timezone.localtime().replace(second=0, microsecond=0) - datetime.timedelta(minutes=minutes)


def record_form_initial(staff, case) -> dict:
    page = staff.get(f"/desk/cases/{case.pk}/")
    assert page.status_code == 200
    return page.context["forms"]["record"].initial


@pytest.mark.clause("6.2")
@pytest.mark.clause("5.2.3.1")
def test_a_case_served_by_another_station_starts_its_record_from_that_stations_record(
    city, published, staff, enterprise, institution
):
    on_site, ended = minutes_ago(60), minutes_ago(30)
    with time_machine.travel(minutes_ago(180), tick=True):  # referred and accepted before the work was done
        case, outgoing, incoming = referred_case(city, enterprise)
        with schema_context(city.beta.schema_name):
            accepted = referrals.referral_transition(referral=incoming, user=city.beta_staff, to=S.ACCEPTED)
    with schema_context(city.beta.schema_name):
        theirs = serve(city, accepted.case)
        theirs = services.case_transition(case=theirs, to=CaseState.FOLLOWING_UP, user=city.beta_staff)
        services.record_save(
            case=theirs,
            user=city.beta_staff,
            on_site_at=on_site,
            ended_at=ended,
            institution=institution,
            resolution="检定压力表 2 块，合格，出具证书",
        )
        services.case_transition(case=theirs, to=CaseState.COMPLETED, user=city.beta_staff)
    deliver_all(city)
    mine = copy_in(city.alpha.schema_name, outgoing)
    assert mine.state == S.COMPLETED

    initial = record_form_initial(staff, case)
    assert initial["resolution"] == "检定压力表 2 块，合格，出具证书"
    assert initial["answered_at"] == mine.accepted_at
    assert (initial["on_site_at"], initial["ended_at"]) == (on_site, ended)
    assert initial["technician"] == f"{city.beta_staff.display_name}（{city.beta.name}）"
    assert initial["institution"] == institution
    # What the desk knew before stays: the station's own staff member, the request, the times it received it.
    assert initial["staff"] == city.alpha_staff and initial["request"]
    page = staff.get(f"/desk/cases/{case.pk}/").content.decode()
    assert "检定压力表 2 块，合格，出具证书" in page
    with schema_context(city.alpha.schema_name):
        assert not ServiceRecord.objects.filter(case=case).exists()  # pre-filled, not written
        record = services.record_save(case=ServiceCase.objects.get(pk=case.pk), user=city.alpha_staff)
        assert record.resolution == "检定压力表 2 块，合格，出具证书"
        assert (record.answered_at, record.on_site_at, record.ended_at) == (mine.accepted_at, on_site, ended)
        assert record.response_time is not None and record.total_time is not None


@pytest.mark.clause("6.2")
def test_a_case_served_by_an_institution_starts_its_record_from_what_the_station_recorded(
    city, staff, enterprise, institution
):
    on_site, ended = minutes_ago(90), minutes_ago(20)
    with time_machine.travel(minutes_ago(240), tick=True):  # planned and accepted by the institution hours ago
        with schema_context(city.alpha.schema_name):
            case = take_demand(city, enterprise).cases.get()
            services.case_plan(
                case=case,
                user=city.alpha_staff,
                kind=PlanKind.INSTITUTION,
                evaluation="需送检",
                institution=institution,
                technician="李工",
                agreed_items=list(case.items.all()),
            )
            referral = Referral.objects.get(case=case, institution=institution)
        # Before the institution's result is recorded the record starts from the plan alone.
        initial = record_form_initial(staff, case)
        assert (initial["institution"], initial["technician"]) == (institution, "李工")
        assert "resolution" not in initial and "ended_at" not in initial
        url = f"/desk/referrals/{referral.pk}/"
        for to in (S.ACCEPTED, S.IN_SERVICE):
            referral = copy_in(city.alpha.schema_name, referral)
            assert staff.post(url, {"action": "record", "to": to, "version": referral.version}).status_code == 302
    referral = copy_in(city.alpha.schema_name, referral)
    done = staff.post(
        url,
        {
            "action": "record",
            "to": S.COMPLETED,
            "outcome": "检定合格 3 块，出具检定证书",
            "on_site_at": on_site.strftime("%Y-%m-%dT%H:%M"),
            "service_ended_at": ended.strftime("%Y-%m-%dT%H:%M"),
            "technician": "孙工",
            "version": referral.version,
        },
    )
    assert done.status_code == 302, done.content.decode()[:3000]
    referral = copy_in(city.alpha.schema_name, referral)
    assert (referral.on_site_at, referral.service_ended_at, referral.technician) == (on_site, ended, "孙工")
    html = staff.get(url).content.decode()
    assert 'id="on-site-at"' in html and 'id="service-ended-at"' in html and "孙工" in html

    initial = record_form_initial(staff, case)
    assert initial["resolution"] == "检定合格 3 块，出具检定证书"
    assert (initial["institution"], initial["technician"]) == (institution, "孙工")
    assert (initial["answered_at"], initial["on_site_at"], initial["ended_at"]) == (
        referral.accepted_at,
        on_site,
        ended,
    )
    with schema_context(city.alpha.schema_name):
        assert not ServiceRecord.objects.filter(case=case).exists()

    # Re-planned since (served by the station itself now): the record starts from the new plan, not the referral.
    with schema_context(city.alpha.schema_name):
        services.case_plan(
            case=ServiceCase.objects.get(pk=case.pk),
            user=city.alpha_staff,
            kind=PlanKind.SELF,
            evaluation="机构结果有误，本站复核",
            appointment_at=timezone.now() + datetime.timedelta(days=1),
            staff=city.alpha_staff,
        )
    initial = record_form_initial(staff, case)
    assert "resolution" not in initial and "ended_at" not in initial and "institution" not in initial


def test_an_unfinished_referral_brings_nothing_back(city, published, staff, enterprise):
    case, _outgoing, incoming = referred_case(city, enterprise)
    with schema_context(city.beta.schema_name):
        referrals.referral_transition(referral=incoming, user=city.beta_staff, to=S.ACCEPTED)
    deliver_all(city)
    initial = record_form_initial(staff, case)
    assert not {"resolution", "answered_at", "on_site_at", "ended_at", "technician"} & set(initial)
