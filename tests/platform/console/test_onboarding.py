"""Onboarding a station from the bureau console (clause 3): a bureau administrator fills in one form, the station's
schema and host are ready at once and its head is invited; a name, code or host another station has is refused on
its field, with everything typed kept. The station's console page shows its facts, members and status history."""

import re

import pytest
from django_tenants.utils import schema_exists

from tenants.models import Domain, MemberRole, Station, StationStatus
from tenants.selectors import PLATFORM
from tenants.services import membership_invitation_send, station_change_status
from tests.conftest import host_client

pytestmark = pytest.mark.django_db

NEW = "/console/stations/new/"

FORM = {
    "name": "昌图县一站式质量服务站",
    "code": "changtu",
    "district": "changtu",
    "address": "铁岭市昌图县昌图镇1号",
    "service_phone": "024-75800001",
    "complaint_phone": "024-75800002",
    "hours": "周一至周五 8:30–17:00",
    "founding_body": "昌图县市场监督管理局",
    "head_full_name": "孙立",
    "head_phone": "13900000001",
    "head_email": "sunli@example.test",
}


def station_page(station) -> str:
    return f"/console/stations/{station.pk}/"


def field_errors(html: str, field: str) -> list[str]:
    """The error messages shown on one field of the form (partials/_field.html)."""
    block = re.search(rf'<div class="field" data-field="{field}">(.*?)</div>', html, re.S)
    assert block, f"no field {field}"
    return re.findall(r'<p class="field-error"[^>]*>(.*?)</p>', block.group(1), re.S)


@pytest.mark.clause("3")
def test_a_bureau_admin_onboards_a_station_and_its_head_is_invited(
    city, public_host, spare_waiting, django_capture_on_commit_callbacks, mailoutbox
):
    admin = host_client(public_host, city.bureau_admin)
    form = admin.get(NEW)
    assert form.status_code == 200
    assert 'id="host-explained"' in form.content.decode()
    assert '<code id="host-preview">&lt;code&gt;.localhost</code>' in form.content.decode()  # the host explained

    with django_capture_on_commit_callbacks() as callbacks:
        response = admin.post(NEW, FORM)
    assert response.status_code == 302
    station = Station.objects.get(code="changtu")
    assert response["Location"] == station_page(station)
    assert station.status == StationStatus.DRAFT  # serves only once evaluated and published
    assert (station.hours, station.founding_body) == (FORM["hours"], FORM["founding_body"])
    assert schema_exists("st_changtu")
    assert Domain.objects.get(tenant=station).domain == "changtu.localhost"
    head = station.memberships.get()
    assert head.role == MemberRole.HEAD
    assert (head.user.full_name, head.user.phone, head.user.email) == ("孙立", "13900000001", "sunli@example.test")
    assert len(callbacks) == 2  # the invitation task and the spare schemas' refill are queued once it commits
    assert membership_invitation_send(membership_id=head.pk) is True
    assert mailoutbox[0].to == ["sunli@example.test"]
    assert "http://changtu.localhost/accounts/invite/" in mailoutbox[0].body

    page = admin.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert "changtu.localhost" in html and "sunli@example.test" in html  # the message names the host and the head
    assert FORM["hours"] in html and FORM["founding_body"] in html
    assert 'data-member="sunli@example.test" data-role="head"' in html
    assert 'data-status="draft"' in html
    assert 'id="status-action"' not in html  # a draft is evaluated and published elsewhere, not suspended


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"code": "alpha"}, "code"),  # the session city's
        ({"code": "ALPHA "}, "code"),  # the same code, typed differently
        ({"name": "银州测试站"}, "name"),
        ({"name": " 银州测试站 ", "code": "alpha"}, "name"),
    ],
)
@pytest.mark.clause("3")
def test_a_name_or_code_another_station_has_is_refused_on_its_field(city, public_host, changes, field):
    response = host_client(public_host, city.bureau_admin).post(NEW, FORM | changes)
    assert response.status_code == 400
    html = response.content.decode()
    assert field_errors(html, field)
    assert FORM["founding_body"] in html and FORM["head_email"] in html  # what was typed is kept
    assert not Station.objects.filter(name=FORM["name"]).exists()
    assert not schema_exists("st_changtu")


@pytest.mark.clause("3")
def test_a_host_another_station_answers_to_is_refused_on_the_code(city, public_host):
    Domain.objects.create(domain="changtu.localhost", tenant=city.alpha, is_primary=False)  # alpha's second host
    response = host_client(public_host, city.bureau_admin).post(NEW, FORM)
    assert response.status_code == 400
    [message] = field_errors(response.content.decode(), "code")
    assert "changtu.localhost" in message
    assert not Station.objects.filter(code="changtu").exists() and not schema_exists("st_changtu")


def test_a_reserved_or_malformed_code_is_refused_on_its_field(city, public_host):
    admin = host_client(public_host, city.bureau_admin)
    for code in ("console", "9lives", "has space"):
        response = admin.post(NEW, FORM | {"code": code})
        assert response.status_code == 400
        assert field_errors(response.content.decode(), "code"), code
    assert not Station.objects.filter(name=FORM["name"]).exists()


def test_missing_fields_are_each_marked_and_nothing_is_created(city, public_host):
    response = host_client(public_host, city.bureau_admin).post(
        NEW, {"name": FORM["name"], "code": "changtu", "head_email": "not-an-address"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    for field in ("district", "address", "service_phone", "complaint_phone", "hours", "founding_body"):
        assert field_errors(html, field), field
    assert field_errors(html, "head_full_name") and field_errors(html, "head_email")
    assert not field_errors(html, "name") and FORM["name"] in html  # kept
    assert not Station.objects.filter(code="changtu").exists()


def test_a_bad_phone_comes_back_from_the_service_onto_its_field(city, public_host):
    response = host_client(public_host, city.bureau_admin).post(NEW, FORM | {"service_phone": "call me"})
    assert response.status_code == 400
    assert field_errors(response.content.decode(), "service_phone")
    assert not Station.objects.filter(code="changtu").exists()


@pytest.mark.parametrize("who", ["bureau_viewer", "alpha_head", "alpha_staff", "outsider"])
def test_only_bureau_admins_onboard_stations(city, public_host, who):
    client = host_client(public_host, getattr(city, who))
    assert client.get(NEW).status_code == 403
    assert client.post(NEW, FORM).status_code == 403
    assert not Station.objects.filter(code="changtu").exists()


def test_anonymous_visitors_are_sent_to_sign_in(public_host, city):
    for path in (NEW, station_page(city.alpha)):
        response = host_client(public_host).get(path)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("who", ["alpha_head", "bureau_admin"])
def test_console_pages_do_not_exist_on_station_hosts(city, alpha_host, who):
    client = host_client(alpha_host, getattr(city, who))
    assert client.get(NEW).status_code in {403, 404}  # bureau users are not members: refused before routing
    assert client.get(station_page(city.alpha)).status_code in {403, 404}


def test_station_page_is_for_bureau_roles(city, public_host):
    for who in ("alpha_head", "alpha_staff", "beta_head", "outsider"):
        assert host_client(public_host, getattr(city, who)).get(station_page(city.alpha)).status_code == 403, who
    assert host_client(public_host, city.bureau_viewer).get("/console/stations/999999/").status_code == 404


def test_console_home_links_each_station_to_its_page_and_admins_to_onboarding(city, public_host):
    admin = host_client(public_host, city.bureau_admin).get("/console/").content.decode()
    assert f'<a href="{station_page(city.alpha)}">{city.alpha.name}</a>' in admin
    assert f'href="{NEW}"' in admin
    viewer = host_client(public_host, city.bureau_viewer).get("/console/").content.decode()
    assert f'<a href="{station_page(city.beta)}">{city.beta.name}</a>' in viewer
    assert f'href="{NEW}"' not in viewer


def test_station_page_shows_facts_members_and_status_history(
    city, public_host, published, django_assert_max_num_queries
):
    station_change_status(station=city.alpha, status=StationStatus.SUSPENDED, reason="投诉处理超期", user=PLATFORM)
    viewer = host_client(public_host, city.bureau_viewer)
    with django_assert_max_num_queries(12):
        response = viewer.get(station_page(city.alpha))
    html = response.content.decode()
    assert response.status_code == 200
    assert city.alpha.address in html and city.alpha.complaint_phone in html and "alpha.localhost" in html
    assert 'data-member="alpha-head@example.test" data-role="head"' in html
    assert 'data-member="alpha-staff" data-role="staff"' in html
    assert 'data-member="beta-staff"' not in html
    assert 'data-change="published:suspended"' in html and "投诉处理超期" in html
    assert 'id="status-action"' not in html  # viewers read, they do not change
