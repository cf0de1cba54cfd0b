"""Suspending and reactivating a station (clause 3): only a bureau administrator does it, a suspension needs its
reason, and every change is kept as history. A suspended station leaves the public portal and takes no online
demands and no referrals; its members are told on every page, still sign in, read their cases and finish the work
already open: nothing of its data is lost."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django_tenants.utils import schema_context

from core.desk import services as desk
from core.desk.models import CaseState, PlanKind, ServiceCase
from core.directory import uscc
from core.directory.models import Enterprise
from tenants.models import Station, StationStatus, StationStatusChange
from tenants.services import station_change_status
from tests.conftest import host_client
from tests.core.desk.builders import RNG, full_demand, new_enterprise, take_demand
from tests.core.referrals.builders import refer
from tests.factories import PASSWORD, totp_code
from tests.platform.portal.test_online_demand import online_post

pytestmark = pytest.mark.django_db

REASON = "服务质量监督抽查不合格，限期整改"


def station_page(station) -> str:
    return f"/console/stations/{station.pk}/"


def suspend(city, station=None) -> Station:
    return station_change_status(
        station=station or city.alpha, status=StationStatus.SUSPENDED, reason=REASON, user=city.bureau_admin
    )


@pytest.mark.clause("3")
def test_an_admin_suspends_with_a_reason_and_reactivates_and_the_history_is_kept(city, public_host, published):
    admin = host_client(public_host, city.bureau_admin)
    page = admin.get(station_page(city.alpha)).content.decode()
    assert 'id="status-action" name="action" value="suspended"' in page

    suspended = admin.post(station_page(city.alpha), {"status": "suspended", "reason": REASON})
    assert suspended.status_code == 302 and suspended["Location"] == station_page(city.alpha)
    city.alpha.refresh_from_db()
    assert city.alpha.status == StationStatus.SUSPENDED
    page = admin.get(station_page(city.alpha)).content.decode()
    assert 'data-status="suspended"' in page and REASON in page
    assert 'id="status-action" name="action" value="published"' in page  # now it can be reactivated

    reactivated = admin.post(station_page(city.alpha), {"status": "published", "reason": ""})
    assert reactivated.status_code == 302
    city.alpha.refresh_from_db()
    assert city.alpha.status == StationStatus.PUBLISHED
    history = list(StationStatusChange.objects.filter(station=city.alpha).order_by("id"))
    assert [(c.from_status, c.to_status, c.reason, c.changed_by) for c in history] == [
        ("published", "suspended", REASON, city.bureau_admin),
        ("suspended", "published", "", city.bureau_admin),
    ]
    assert abs(city.alpha.status_changed_at - history[-1].changed_at).total_seconds() < 5
    page = admin.get(station_page(city.alpha)).content.decode()
    assert 'data-change="published:suspended"' in page and 'data-change="suspended:published"' in page


@pytest.mark.clause("3")
def test_a_suspension_without_a_reason_is_refused_on_the_reason(city, public_host, published):
    response = host_client(public_host, city.bureau_admin).post(
        station_page(city.alpha), {"status": "suspended", "reason": "  "}
    )
    assert response.status_code == 400
    assert '<div class="field" data-field="reason">' in response.content.decode()
    assert 'class="field-error"' in response.content.decode()
    city.alpha.refresh_from_db()
    assert city.alpha.status == StationStatus.PUBLISHED
    assert not StationStatusChange.objects.filter(station=city.alpha).exists()
    with pytest.raises(ValidationError) as refused:
        station_change_status(station=city.alpha, status=StationStatus.SUSPENDED, user=city.bureau_admin)
    assert "reason" in refused.value.message_dict


def test_a_change_the_status_does_not_allow_is_refused(city, public_host):
    # The session city's stations are drafts: not published, so not suspended either.
    response = host_client(public_host, city.bureau_admin).post(
        station_page(city.alpha), {"status": "suspended", "reason": REASON}
    )
    assert response.status_code == 400
    assert 'data-field="status"' in response.content.decode()
    city.alpha.refresh_from_db()
    assert city.alpha.status == StationStatus.DRAFT


@pytest.mark.clause("3")
@pytest.mark.parametrize("who", ["bureau_viewer", "alpha_head", "outsider"])
def test_only_bureau_admins_suspend(city, public_host, published, who):
    user = getattr(city, who)
    response = host_client(public_host, user).post(station_page(city.alpha), {"status": "suspended", "reason": REASON})
    assert response.status_code == 403
    with pytest.raises(PermissionDenied):
        station_change_status(station=city.alpha, status=StationStatus.SUSPENDED, reason=REASON, user=user)
    city.alpha.refresh_from_db()
    assert city.alpha.status == StationStatus.PUBLISHED
    assert not StationStatusChange.objects.exists()


def test_viewers_see_no_buttons(city, public_host, published):
    page = host_client(public_host, city.bureau_viewer).get(station_page(city.alpha)).content.decode()
    assert 'id="status-action"' not in page and "<textarea" not in page


@pytest.mark.clause("3")
def test_members_of_a_suspended_station_see_the_notice_on_every_page(city, alpha_host, beta_host, published):
    staff = host_client(alpha_host, city.alpha_staff)
    assert 'id="station-suspended"' not in staff.get("/").content.decode()
    suspend(city)
    for path in ("/", "/desk/cases/", "/desk/demands/new/"):
        response = staff.get(path)
        assert response.status_code == 200, path
        assert 'id="station-suspended"' in response.content.decode(), path
    # Not on another station's pages, nor on the sign-in page of anyone.
    assert 'id="station-suspended"' not in host_client(beta_host, city.beta_staff).get("/").content.decode()
    assert 'id="station-suspended"' not in host_client(alpha_host).get("/accounts/login/").content.decode()


@pytest.mark.clause("3")
def test_a_suspended_station_leaves_the_portal_and_takes_no_online_demand(city, public_host, published):
    visitor = host_client(public_host)
    assert city.alpha.name in visitor.get("/").content.decode()
    alpha = suspend(city)
    assert city.alpha.name not in visitor.get("/").content.decode()
    assert city.beta.name in visitor.get("/").content.decode()
    form = visitor.get("/demand/").content.decode()
    assert 'value="alpha"' not in form and 'value="beta"' in form  # not offered
    values = full_demand(Enterprise(uscc=uscc.generate(RNG))) | {
        "enterprise_name": "停用站测试厂",
        "district": "yinzhou",
    }
    response = visitor.post("/demand/", online_post(values, "alpha"))
    assert response.status_code == 400 and "field-error" in response.content.decode()
    with pytest.raises(ValidationError) as refused:  # nor through the service, whatever the form offers
        desk.demand_submit_online(station=alpha, tables={}, enterprise_name="停用站测试厂")
    assert "station" in refused.value.message_dict
    assert not Enterprise.objects.filter(name="停用站测试厂").exists()


@pytest.mark.clause("3")
def test_a_suspended_station_takes_no_referral(city, published):
    enterprise = new_enterprise()
    suspend(city, city.beta)
    with schema_context(city.alpha.schema_name):
        case = take_demand(city, enterprise).cases.get()
        with pytest.raises(ValidationError) as refused:
            refer(city, case)
    assert "station" in refused.value.message_dict


@pytest.mark.clause("3")
def test_nothing_of_a_suspended_stations_data_is_lost(city, alpha_host, published):
    enterprise = new_enterprise()
    with schema_context(city.alpha.schema_name):
        case = take_demand(city, enterprise).cases.get()
    suspend(city)

    # The head still signs in, and staff read the case kept from before.
    head = host_client(alpha_host)
    signed_in = head.post("/accounts/login/", {"username": city.alpha_head.username, "password": PASSWORD})
    assert signed_in.status_code == 302
    assert head.post("/accounts/2fa/verify/", {"code": totp_code(city.alpha_head)}).status_code == 302
    assert head.get("/").status_code == 200
    staff = host_client(alpha_host, city.alpha_staff)
    page = staff.get(f"/desk/cases/{case.pk}/")
    assert page.status_code == 200 and case.number in page.content.decode()
    assert case.number in staff.get("/desk/cases/").content.decode()

    # Open work may be finished: staff plan the case and serve it.
    with schema_context(city.alpha.schema_name):
        desk.case_plan(
            case=case,
            user=city.alpha_staff,
            kind=PlanKind.SELF,
            evaluation="停用前受理的需求，继续办结",
            appointment_at=timezone.now(),
            staff=city.alpha_staff,
        )
        served = desk.case_transition(case=case, to=CaseState.IN_SERVICE, user=city.alpha_staff)
        assert served.state == CaseState.IN_SERVICE

    # Reactivated, the station has everything it had.
    station_change_status(station=city.alpha, status=StationStatus.PUBLISHED, user=city.bureau_admin)
    with schema_context(city.alpha.schema_name):
        assert ServiceCase.objects.get(pk=case.pk).state == CaseState.IN_SERVICE
    assert 'id="station-suspended"' not in staff.get(f"/desk/cases/{case.pk}/").content.decode()


@pytest.mark.clause("3")
def test_staff_of_a_suspended_station_take_no_new_demand(city, published):
    enterprise = new_enterprise()
    suspend(city)
    with schema_context(city.alpha.schema_name):
        with pytest.raises(ValidationError) as refused:
            take_demand(city, enterprise)
        assert "__all__" in refused.value.message_dict
        assert not ServiceCase.objects.exists()
