"""The isolation rule: on a station host, everyone but the station's active members is refused, on every page and
every API endpoint. The endpoints are found by walking the station URL conf, so a new one is covered the day it is
added."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve

from core.activity.services import activity_record
from tenants.middleware import OPEN_STATION_PATHS
from tenants.models import MemberRole, Membership
from tests.conftest import host_client

pytestmark = pytest.mark.django_db

CONVERTER_SAMPLES = {"int": "1", "str": "x", "slug": "x", "uuid": "00000000-0000-0000-0000-000000000000", "path": "x"}


def concrete_paths(urlconf: str) -> list[str]:
    """Every route of a URL conf as a request path, path parameters filled with sample values."""

    def walk(patterns, prefix=""):
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, route)
            elif isinstance(entry, URLPattern):
                yield route

    paths = set()
    for route in walk(get_resolver(urlconf).url_patterns):
        route = route.lstrip("^").rstrip("$").replace("\\Z", "")
        route = re.sub(r"<(?:(\w+):)?\w+>", lambda m: CONVERTER_SAMPLES[m.group(1) or "str"], route)
        if re.search(r"[()\[\]?*+\\]", route):  # a regex route (admin's): not a single concrete path
            continue
        paths.add("/" + route)
    return sorted(paths)


STATION_PATHS = [p for p in concrete_paths("stationnet.urls_station") if not p.startswith(OPEN_STATION_PATHS)]
# The one deliberate exception: the enterprise answers its satisfaction survey (clause 5.2.4) without an account,
# through a signed link. These routes are open to everyone, and reveal nothing without a valid token of the station
# (tests below and tests/core/desk/test_surveys.py).
SURVEY_PATHS = [p for p in concrete_paths("stationnet.urls_station") if p.startswith("/survey/")]
# The same for the enterprise's tracking link (issue 19; tests/platform/portal/test_tracking.py) and the
# complainant's (`/track/complaint/<token>/`, issue 20; tests/platform/portal/test_complaint_tracking.py).
TRACKING_PATHS = [p for p in concrete_paths("stationnet.urls_station") if p.startswith("/track/")]


def test_the_walk_finds_the_station_endpoints():
    assert {"/", "/api/v1/station/", "/api/v1/activity/", "/api/v1/schema/", "/api/v1/docs/"} <= set(STATION_PATHS)


def test_the_only_open_station_pages_are_sign_in_invitations_language_and_the_survey_link():
    open_paths = set(concrete_paths("stationnet.urls_station")) - set(STATION_PATHS)
    # The station's public opinion page (clause 6.1) is open by design: tests/core/supervision/test_pages.py.
    assert {path.split("/")[1] for path in open_paths} == {"accounts", "i18n", "survey", "track", "feedback"}
    assert {"/survey/x/", "/survey/x/thanks/"} == set(SURVEY_PATHS)
    assert len(TRACKING_PATHS) == 3  # a demand's page and documents, a complaint's page (issue 20)


@pytest.mark.parametrize("path", TRACKING_PATHS)
@pytest.mark.parametrize("who", [None, "outsider", "beta_staff", "alpha_staff"])
def test_the_open_tracking_pages_reveal_nothing_without_a_valid_token(city, alpha_host, path, who):
    client = host_client(alpha_host, getattr(city, who) if who else None)
    response = client.get(path)
    assert response.status_code == 404
    assert "链接无效" in response.content.decode()
    assert client.post(path).status_code == 404


@pytest.mark.parametrize("path", SURVEY_PATHS)
@pytest.mark.parametrize("who", [None, "outsider", "beta_staff", "alpha_staff"])
def test_the_open_survey_pages_reveal_nothing_without_a_valid_token(city, alpha_host, path, who):
    client = host_client(alpha_host, getattr(city, who) if who else None)
    assert client.get(path).status_code == 404
    assert client.post(path, {"q1": "satisfied"}).status_code == 404
    assert client.get("/survey/").status_code == 404


@pytest.mark.parametrize("path", STATION_PATHS)
@pytest.mark.parametrize("who", ["outsider", "bureau_admin", "beta_head", "beta_staff"])
def test_non_members_are_refused_everywhere_in_a_station(city, alpha_host, path, who):
    response = host_client(alpha_host, getattr(city, who)).get(path)
    assert response.status_code == 403


@pytest.mark.parametrize("path", STATION_PATHS)
def test_anonymous_visitors_are_sent_to_sign_in_or_refused(alpha_host, path):
    response = host_client(alpha_host).get(path)
    if path.startswith("/api/"):
        assert response.status_code == 401
    else:
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize("path", STATION_PATHS)
@pytest.mark.parametrize("who", ["alpha_head", "alpha_staff"])
def test_members_get_past_the_gate(city, alpha_host, path, who):
    # Past the gate a member may still meet 404 (a sample id), 405 (a POST-only endpoint) or a redirect inside the
    # station, never 401/403 — except on a page for other roles (`station_roles`, e.g. the head's): 403 from that
    # page's own role check.
    response = host_client(alpha_host, getattr(city, who)).get(path)
    view = getattr(resolve(path, urlconf="stationnet.urls_station").func, "view_class", None)
    role = MemberRole.HEAD if who == "alpha_head" else MemberRole.STAFF
    if role not in getattr(view, "station_roles", (role,)):
        assert response.status_code == 403
        return
    assert response.status_code not in {401, 403}
    assert response.status_code in {200, 302, 404, 405}
    if response.status_code == 302:
        assert not response["Location"].startswith("/accounts/login/")


def test_a_deactivated_member_is_refused(city, alpha_host):
    Membership.objects.filter(user=city.alpha_staff, station=city.alpha).update(is_active=False)
    assert host_client(alpha_host, city.alpha_staff).get("/").status_code == 403
    assert host_client(alpha_host, city.alpha_staff).get("/api/v1/station/").status_code == 403


def test_a_member_token_works_only_in_their_station(city, alpha_host, beta_host):
    from core.tokens.services import api_token_create

    _token, secret = api_token_create(actor=city.alpha_staff, user=city.alpha_staff, name="isolation")
    auth = {"HTTP_AUTHORIZATION": f"Token {secret}"}
    assert host_client(alpha_host).get("/api/v1/station/", **auth).status_code == 200
    refused = host_client(beta_host).get("/api/v1/station/", **auth)
    assert refused.status_code == 403
    assert refused.json() == {"detail": "您不是本服务站的成员。"}
    assert host_client(alpha_host).get("/api/v1/station/", HTTP_AUTHORIZATION="Token wrong").status_code == 401


def test_a_station_sees_only_its_own_data(city, alpha_host, beta_host):
    from django_tenants.utils import schema_context

    with schema_context(city.beta.schema_name):
        activity_record(verb="station_opened", detail="只属于开原测试站的记录")
    beta_view = host_client(beta_host, city.beta_staff).get("/api/v1/activity/?limit=100").json()
    alpha_view = host_client(alpha_host, city.alpha_staff).get("/api/v1/activity/?limit=100").json()
    assert "只属于开原测试站的记录" in [entry["detail"] for entry in beta_view["results"]]
    assert "只属于开原测试站的记录" not in [entry["detail"] for entry in alpha_view["results"]]


def test_sign_in_on_a_station_refuses_non_members_in_chinese(city, alpha_host):
    response = host_client(alpha_host).post(
        "/accounts/login/", {"username": "beta-staff", "password": "Test-pass-2026"}
    )
    assert response.status_code == 200
    assert "该账号不是本服务站的成员" in response.content.decode()
    assert response.context["form"]["username"].value() == "beta-staff"  # what the user typed is kept
    assert "_auth_user_id" not in response.wsgi_request.session


def test_unknown_host_gets_a_404_page_naming_it():
    response = host_client("nowhere.localhost").get("/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "nowhere.localhost" in body
    assert "未知" in body
