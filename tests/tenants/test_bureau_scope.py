"""Bureau pages and endpoints on the public host: bureau roles only."""

import pytest

from tests.conftest import host_client

pytestmark = pytest.mark.django_db

BUREAU_PATHS = ["/console/", "/api/v1/stations/"]


@pytest.mark.parametrize("path", BUREAU_PATHS)
@pytest.mark.parametrize("who", ["outsider", "alpha_head", "alpha_staff"])
def test_non_bureau_users_are_refused(city, public_host, path, who):
    assert host_client(public_host, getattr(city, who)).get(path).status_code == 403


@pytest.mark.parametrize("path", [*BUREAU_PATHS, "/api/v1/me/"])
def test_anonymous_visitors_are_refused(public_host, path):
    response = host_client(public_host).get(path)
    assert response.status_code in {302, 401, 403}
    if response.status_code == 302:
        assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("path", BUREAU_PATHS)
@pytest.mark.parametrize("who", ["bureau_admin", "bureau_viewer"])
def test_bureau_roles_get_in(city, public_host, path, who):
    response = host_client(public_host, getattr(city, who)).get(path)
    assert response.status_code == 200
    assert city.alpha.name in response.content.decode()


def test_bureau_pages_do_not_exist_on_station_hosts(city, alpha_host):
    assert host_client(alpha_host, city.alpha_head).get("/console/").status_code == 404


def test_portal_is_public_and_lists_only_published_stations(city, public_host):
    response = host_client(public_host).get("/")
    assert response.status_code == 200
    # The session city's stations are drafts: not on the portal.
    assert city.alpha.name not in response.content.decode()
    assert "尚未公示任何服务站" in response.content.decode()


def test_portal_links_a_signed_in_member_to_their_station(city, public_host):
    response = host_client(public_host, city.alpha_staff).get("/")
    assert '<a href="http://alpha.localhost/">银州测试站</a>' in response.content.decode()
    assert city.beta.name not in response.content.decode()
