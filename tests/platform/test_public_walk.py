"""The public host's walk (issue 17), the twin of the station host's (tests/tenants/test_isolation.py): every route of
the public URL conf is sent by an anonymous visitor, by a station's member (who has no bureau role) and by the bureau
viewer, so that a new route is walked the day it is added. The open doors are listed; everything else refuses the
first two, and lets the viewer read what its roles allow (`bureau_roles` of the view)."""

import pytest
from django.urls import resolve

from tenants.models import BureauRole
from tests.conftest import host_client
from tests.tenants.test_isolation import concrete_paths

pytestmark = pytest.mark.django_db

PUBLIC_PATHS = concrete_paths("stationnet.urls_public")
# Open to everyone by design: the portal and its station pages, the online demand (clause 5.2.1), the open data
# (clause 4.2.2), sign-in and invitations, the language switch, and the API's token, schema, docs and the service
# catalog. (The Django admin is not served: tests/platform/test_security_headers.py.)
OPEN = (
    "/accounts/",
    "/i18n/",
    "/demand/",
    "/track/",  # the enterprise finds its demand by number (tests/platform/portal/test_tracking.py)
    "/open-data/",
    "/stations/",  # a station's page, with the objection form during its notice and its thanks (test_objections.py)
    "/api/v1/auth/token/",
    "/api/v1/schema/",
    "/api/v1/docs/",
    "/api/v1/catalog/",
)
CLOSED = [path for path in PUBLIC_PATHS if path != "/" and not path.startswith(OPEN)]
# What any signed-in user reads (and makes) of themself: their account, their API tokens (tests/api/test_tokens.py),
# their notifications and their choice of channels (tests/core/notifications, tests/api/test_notifications_api.py).
OWN = (
    "/api/v1/me/",
    "/api/v1/tokens/",
    "/api/v1/tokens/1/",
    "/notifications/",
    "/notifications/1/read/",
    "/notifications/read-all/",
    "/notifications/preferences/",
    "/api/v1/notifications/",
    "/api/v1/notifications/1/read/",
    "/api/v1/notifications/read-all/",
    "/api/v1/notifications/preferences/",
)
# A station's case list is granted to viewers one by one (console.statistics.CASE_LIST_REFUSED).
GRANTED = ("/console/statistics/stations/1/cases", "/api/v1/statistics/stations/1/cases/")


def refused(response, path: str) -> bool:
    if path.startswith("/api/"):
        return response.status_code in {401, 403}
    if response.status_code == 302:
        return response["Location"].startswith("/accounts/login/")
    return response.status_code == 403


def test_the_walk_finds_the_console_the_directory_and_the_bureaus_api():
    assert {"/console/", "/directory/enterprises/", "/api/v1/stations/", "/api/v1/enterprises/"} <= set(CLOSED)


@pytest.mark.parametrize("path", CLOSED)
def test_anonymous_visitors_are_sent_to_sign_in_or_refused(public_host, path):
    client = host_client(public_host)
    if path == "/directory/":  # a redirect to the enterprises' list, itself closed
        assert client.get(path)["Location"] == "/directory/enterprises/"
        return
    assert refused(client.get(path), path)
    assert refused(client.post(path, {}), path)


@pytest.mark.parametrize("path", [path for path in CLOSED if path not in OWN])
def test_a_station_member_is_refused_everywhere_on_the_bureaus_host(city, public_host, path):
    client = host_client(public_host, city.alpha_staff)
    if path == "/directory/":
        assert client.get(path)["Location"] == "/directory/enterprises/"
        return
    assert refused(client.get(path), path)
    assert refused(client.post(path, {}), path)


def test_a_station_member_reads_only_their_own_account_there(city, public_host):
    me = host_client(public_host, city.alpha_staff).get("/api/v1/me/").json()
    assert me["username"] == city.alpha_staff.username


@pytest.mark.parametrize("path", CLOSED)
def test_the_bureau_viewer_reads_what_its_role_reads(city, public_host, path):
    response = host_client(public_host, city.bureau_viewer).get(path)
    view = getattr(resolve(path, urlconf="stationnet.urls_public").func, "view_class", None)
    if BureauRole.VIEWER not in getattr(view, "bureau_roles", (BureauRole.VIEWER,)) or path.startswith(GRANTED):
        assert response.status_code == 403
        return
    assert response.status_code in {200, 302, 404, 405}
    if response.status_code == 302:
        assert not response["Location"].startswith("/accounts/login/")


def test_a_view_outside_the_scope_bases_is_closed(rf):
    """DRF's default permission, for a view that inherits no scope base: nobody passes."""
    from rest_framework.response import Response
    from rest_framework.views import APIView

    class Forgotten(APIView):
        def get(self, request):
            return Response({"secret": True})

    # 401 for an anonymous caller: the API token, the first authentication class, names the credentials it wants.
    assert Forgotten.as_view()(rf.get("/api/v1/forgotten/")).status_code == 401
