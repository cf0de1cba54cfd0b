"""Who must sign in with a second factor, and what an unverified session reaches (core.twofactor.middleware)."""

from urllib.parse import quote

import pytest

from core.tokens.services import api_token_create
from core.twofactor.selectors import two_factor_required
from tenants.models import BureauRole
from tests.conftest import host_client
from tests.core.twofactor.conftest import password_only, without_two_factor
from tests.factories import PASSWORD, UserFactory, totp_device

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("who", "required"),
    [
        ("bureau_admin", True),
        ("alpha_head", True),
        ("bureau_viewer", False),
        ("alpha_staff", False),
        ("outsider", False),
    ],
)
def test_two_factor_is_required_of_administrators_and_heads_only(city, who, required):
    assert two_factor_required(user=getattr(city, who)) is required


@pytest.mark.parametrize("role", [BureauRole.SECURITY, BureauRole.AUDITOR])
def test_the_security_and_audit_administrators_need_it_too(city, role):
    assert two_factor_required(user=UserFactory(bureau_role=role))


def test_a_closed_account_or_membership_needs_nothing(city):
    city.alpha_head.memberships.update(is_active=False)
    assert not two_factor_required(user=city.alpha_head)


def test_the_required_roles_are_a_setting(city, settings):
    settings.TWO_FACTOR_REQUIRED_ROLES = ("staff", "viewer")
    assert two_factor_required(user=city.alpha_staff) and two_factor_required(user=city.bureau_viewer)
    assert not two_factor_required(user=city.alpha_head) and not two_factor_required(user=city.bureau_admin)


def test_a_head_without_an_authenticator_is_sent_to_set_one_up_after_the_password(city, alpha_host):
    without_two_factor(city.alpha_head)
    client = host_client(alpha_host)
    response = client.post("/accounts/login/", {"username": city.alpha_head.username, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == "/accounts/2fa/setup/?next=%2F"
    assert client.get("/desk/cases/")["Location"] == "/accounts/2fa/setup/?next=" + quote("/desk/cases/", safe="")


def test_a_bureau_administrator_with_an_authenticator_is_asked_for_a_code(city, public_host):
    totp_device(city.bureau_admin)
    response = password_only(public_host, city.bureau_admin).get("/console/")
    assert response.status_code == 302 and response["Location"] == "/accounts/2fa/verify/?next=%2Fconsole%2F"


@pytest.mark.parametrize(("who", "path"), [("alpha_staff", "/desk/cases/"), ("bureau_viewer", "/console/")])
def test_staff_and_viewers_are_not_asked(city, alpha_host, public_host, who, path):
    host = public_host if who == "bureau_viewer" else alpha_host
    assert password_only(host, getattr(city, who)).get(path).status_code == 200


def test_an_unverified_session_reaches_the_open_pages_and_signs_out(city, public_host):
    totp_device(city.bureau_admin)
    client = password_only(public_host, city.bureau_admin)
    assert client.get("/").status_code == 200  # the portal
    assert client.get("/open-data/").status_code == 200
    assert client.get("/accounts/2fa/verify/").status_code == 200
    assert client.get("/accounts/profile/")["Location"].startswith("/accounts/2fa/verify/")
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/console/")["Location"].startswith("/accounts/login/")


def test_an_outsider_on_a_station_host_is_still_refused_by_the_access_rule(city, alpha_host):
    outsider = UserFactory(bureau_role=BureauRole.ADMIN)
    assert password_only(alpha_host, outsider).get("/").status_code == 403


def test_a_session_api_request_is_refused_with_json_until_verified(city, public_host):
    totp_device(city.bureau_admin)
    response = password_only(public_host, city.bureau_admin).get("/api/v1/stations/")
    assert response.status_code == 403
    assert "双因素" in response.json()["detail"]
    assert host_client(public_host, city.bureau_admin).get("/api/v1/stations/").status_code == 200


def test_a_head_without_an_authenticator_is_refused_on_the_api_with_the_reason(city, alpha_host):
    without_two_factor(city.alpha_head)
    response = password_only(alpha_host, city.alpha_head).get("/api/v1/station/")
    assert response.status_code == 403 and "设置" in response.json()["detail"]


def test_a_token_request_is_not_affected(city, public_host):
    _token, secret = api_token_create(actor=city.bureau_admin, user=city.bureau_admin, name="2fa")
    response = host_client(public_host).get("/api/v1/stations/", HTTP_AUTHORIZATION=f"Token {secret}")
    assert response.status_code == 200
