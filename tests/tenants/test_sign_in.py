"""Where each role lands after signing in (issue 15): the bureau on its console, a station's members on their station
home, anyone else on the portal; a safe `next` always wins, an unsafe one is ignored."""

import pytest

from tests.conftest import host_client
from tests.factories import PASSWORD, totp_code

pytestmark = pytest.mark.django_db


def sign_in(host: str, user, next_path: str | None = None):
    path = "/accounts/login/" if next_path is None else f"/accounts/login/?next={next_path}"
    return host_client(host).post(path, {"username": user.username, "password": PASSWORD})


@pytest.mark.parametrize("who", ["bureau_admin", "bureau_viewer"])
def test_the_bureau_lands_on_its_console(city, public_host, who):
    response = sign_in(public_host, getattr(city, who))
    assert response.status_code == 302 and response["Location"] == "/console/"


def test_a_safe_next_wins_and_an_unsafe_one_is_ignored(city, public_host):
    assert sign_in(public_host, city.bureau_admin, "/directory/")["Location"] == "/directory/"
    assert sign_in(public_host, city.bureau_admin, "https://evil.example/console/")["Location"] == "/console/"
    assert sign_in(public_host, city.outsider, "//evil.example/")["Location"] == "/"


@pytest.mark.parametrize("who", ["outsider", "alpha_staff", "alpha_head"])
def test_everyone_else_on_the_public_host_lands_on_the_portal(city, public_host, who):
    response = sign_in(public_host, getattr(city, who))
    assert response.status_code == 302 and response["Location"] == "/"
    assert "一站式质量服务站" in host_client(public_host, getattr(city, who)).get("/").content.decode()


@pytest.mark.parametrize("who", ["alpha_head", "alpha_staff"])
def test_a_member_lands_on_the_station_home(city, alpha_host, who):
    client = host_client(alpha_host)
    response = client.post("/accounts/login/", {"username": getattr(city, who).username, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    if client.get("/").status_code == 302:  # the head's second factor first (core.twofactor)
        verified = client.post("/accounts/2fa/verify/", {"code": totp_code(getattr(city, who))})
        assert verified.status_code == 302
    assert 'id="workspace-summary"' in client.get("/").content.decode()


def test_a_signed_in_bureau_user_opening_the_sign_in_page_goes_to_the_console(city, public_host):
    response = host_client(public_host, city.bureau_viewer).get("/accounts/login/")
    assert response.status_code == 302 and response["Location"] == "/console/"
    assert host_client(public_host, city.outsider).get("/accounts/login/")["Location"] == "/"
