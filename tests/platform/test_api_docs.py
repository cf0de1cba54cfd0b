"""The API docs (issue 15): the navigation links them for signed-in staff only (station members and the bureau's
roles), and the docs page and its schema are titled and described in Chinese (Swagger UI's own buttons stay as its
authors ship them: it has no translations)."""

import pytest
import yaml
from django.conf import settings

from tests.conftest import host_client

pytestmark = pytest.mark.django_db

LINK = 'href="/api/v1/docs/"'


def page(host: str, user=None, path: str = "/accounts/login/") -> str:
    response = host_client(host, user).get(path)
    assert response.status_code in (200, 403), response.status_code
    return response.content.decode()


@pytest.mark.parametrize(
    ("host_fixture", "who", "path", "shown"),
    [
        ("public_host", None, "/", False),
        ("public_host", "outsider", "/", False),
        ("public_host", "bureau_admin", "/console/", True),
        ("public_host", "bureau_viewer", "/", True),
        ("public_host", "alpha_staff", "/", True),  # a station's member, on the public host
        ("alpha_host", None, "/accounts/login/", False),
        ("alpha_host", "alpha_head", "/", True),
        ("alpha_host", "alpha_staff", "/desk/cases/", True),
        ("alpha_host", "beta_staff", "/", False),  # refused: not a member here
        ("alpha_host", "bureau_admin", "/", False),  # refused: the bureau reads no station's pages
    ],
)
def test_the_api_link_is_for_signed_in_staff_only(request, city, host_fixture, who, path, shown):
    html = page(request.getfixturevalue(host_fixture), getattr(city, who) if who else None, path)
    assert (LINK in html) is shown
    if shown:
        assert '<a href="/api/v1/docs/" id="nav-api-docs">接口文档</a>' in html


@pytest.mark.parametrize(("host_fixture", "who"), [("public_host", "bureau_admin"), ("alpha_host", "alpha_head")])
def test_the_docs_page_and_its_schema_are_in_chinese(request, city, host_fixture, who):
    client = host_client(request.getfixturevalue(host_fixture), getattr(city, who))
    docs = client.get("/api/v1/docs/").content.decode()
    assert "<title>一站式质量服务站平台接口文档</title>" in docs
    info = yaml.safe_load(client.get("/api/v1/schema/").content)["info"]
    assert info["title"] == "一站式质量服务站平台接口文档"
    assert info["description"].startswith("一站式质量服务站平台的 REST 接口。")
    assert "/api/v1/auth/token/" in info["description"]
    # A user who chose English gets it in English.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "<title>StationNet API</title>" in client.get("/api/v1/docs/").content.decode()
    assert yaml.safe_load(client.get("/api/v1/schema/").content)["info"]["title"] == "StationNet API"
