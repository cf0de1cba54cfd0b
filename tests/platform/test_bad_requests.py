"""Requests refused before any view, and the requests Django refuses itself (issue 16): JSON on the API, a page in the
user's language elsewhere, never a 500 and never Django's English "Bad Request (400)"."""

import pytest
from django.conf import settings
from django.utils import translation

from core.directory.models import Enterprise
from tests.conftest import host_client

pytestmark = pytest.mark.django_db

NUL_MESSAGE = "Null characters are not allowed."


@pytest.fixture(autouse=True)
def _language_restored():
    """A request with the language cookie leaves its language active in this thread: the next tests get theirs."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.raise_request_exception = False
    return client


@pytest.mark.parametrize(
    "path",
    [
        "/directory/enterprises/?q=a%00b",
        "/directory/institutions/?q=a%00b",
        "/archive/?q=a%00b",
        "/archive/access-log/?enterprise=%00",
        "/desk/cases/?q=%00",
        "/complaints/?q=%00",
    ],
)
def test_a_nul_in_a_query_parameter_gets_the_bad_request_page_on_a_station(city, alpha_host, path):
    response = english(host_client(alpha_host, city.alpha_head)).get(path)
    assert response.status_code == 400
    assert response.templates[0].name == "400.html"
    page = response.content.decode()
    assert NUL_MESSAGE in page and "Bad request" in page


def test_the_page_is_in_chinese_by_default(city, alpha_host):
    client = host_client(alpha_host, city.alpha_head)
    client.raise_request_exception = False
    response = client.get("/archive/?q=a%00b")
    assert response.status_code == 400
    assert response["Content-Language"] == "zh-hans"


@pytest.mark.parametrize("path", ["/directory/enterprises/?q=%00", "/console/?x=%00", "/?q=%00"])
def test_a_nul_in_a_query_parameter_gets_the_page_on_the_public_host_too(city, public_host, path):
    response = english(host_client(public_host, city.bureau_admin)).get(path)
    assert response.status_code == 400
    assert NUL_MESSAGE in response.content.decode()


def test_a_nul_in_the_path_or_a_header_is_refused(city, alpha_host):
    client = english(host_client(alpha_host, city.alpha_head))
    in_path = client.get("/api/v1/operations/systems/a%00/versions/")
    assert in_path.status_code == 400
    assert "null character (U+0000)" in in_path.json()["detail"]
    in_header = client.get("/api/v1/me/", HTTP_AUTHORIZATION="Token abc\x00def")
    assert in_header.status_code == 400
    assert "null character (U+0000)" in in_header.json()["detail"]
    assert client.get("/api/v1/me/").status_code == 200


def test_a_nul_is_refused_before_the_access_check(city, alpha_host):
    """Anonymous, with a NUL: refused as bad input (no token lookup with the NUL), not sent to sign in."""
    response = english(host_client(alpha_host)).get("/api/v1/enterprises/?q=%00")
    assert response.status_code == 400


def test_a_form_too_large_gets_a_413_page(city, alpha_host):
    client = english(host_client(alpha_host, city.alpha_staff))
    typed = {"name": "大" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE, "district": "yinzhou"}
    response = client.post("/directory/enterprises/new/", typed)
    assert response.status_code == 413
    page = response.content.decode()
    assert "Request too large" in page and "The request is too large: at most 2.5" in page
    assert not Enterprise.objects.filter(district="yinzhou", name__startswith="大大").exists()


def test_a_request_with_too_many_fields_is_refused_in_json(city, alpha_host, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    client = english(host_client(alpha_host, city.alpha_head))
    response = client.get("/api/v1/enterprises/?" + "&".join(f"f{n}=1" for n in range(20)))
    assert response.status_code == 400
    assert response.json() == {"detail": "The request holds too many fields or files."}
