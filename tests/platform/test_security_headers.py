"""The security headers of every answer (入侵防范, issue 18): a Content-Security-Policy without inline scripts, the
referrer and permissions policies, HSTS behind https; no page with an inline script for the policy to break; the
API docs under the same policy; and no Django admin on either host."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from tests.conftest import host_client

pytestmark = pytest.mark.django_db

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = REPO_ROOT / "frontend_templates"


def policy(response) -> dict[str, list[str]]:
    """The Content-Security-Policy header as its directives and their sources."""
    directives = (part.split() for part in response["Content-Security-Policy"].split(";") if part.strip())
    return {name: sources for name, *sources in directives}


def answers(request, city) -> dict[str, object]:
    """A page of the public host, a page and the API of a station host, the public API, an unknown host's page."""
    public, alpha = request.getfixturevalue("public_host"), request.getfixturevalue("alpha_host")
    return {
        "portal": host_client(public).get("/"),
        "console": host_client(public, city.bureau_admin).get("/console/"),
        "station sign-in": host_client(alpha).get("/accounts/login/"),
        "station page": host_client(alpha, city.alpha_staff).get("/desk/cases/"),
        "station API": host_client(alpha, city.alpha_staff).get("/api/v1/station/"),
        "public API": host_client(public, city.bureau_viewer).get("/api/v1/stations/"),
        "unknown host": host_client(f"nowhere.{public}").get("/"),
    }


def test_every_answer_carries_the_policies(request, city):
    for name, response in answers(request, city).items():
        assert response.status_code in (200, 404), (name, response.status_code)
        csp = policy(response)
        assert csp["default-src"] == ["'self'"], name
        assert csp["script-src"] == ["'self'"], name  # no 'unsafe-inline', no 'unsafe-eval', no other host
        assert csp["object-src"] == ["'none'"] and csp["frame-ancestors"] == ["'none'"], name
        assert csp["base-uri"] == ["'self'"] and csp["form-action"] == ["'self'"], name
        assert csp["img-src"] == ["'self'", "data:"], name
        assert "'unsafe-inline'" not in response["Content-Security-Policy"].replace(
            "style-src 'self' 'unsafe-inline'", ""
        )
        assert "'unsafe-eval'" not in response["Content-Security-Policy"], name
        permissions = response["Permissions-Policy"]
        for feature in ("camera", "microphone", "geolocation", "payment"):
            assert f"{feature}=()" in permissions, (name, permissions)
        if name != "unknown host":  # answered before Django's SecurityMiddleware, by the tenancy's
            assert response["Referrer-Policy"] == "strict-origin-when-cross-origin", name
            assert response["X-Content-Type-Options"] == "nosniff", name


def test_hsts_only_behind_https(city, public_host):
    # The tests run on http: no HSTS, which a browser would remember for a year.
    assert settings.URL_SCHEME == "http"
    assert "Strict-Transport-Security" not in host_client(public_host).get("/")
    # Behind https (the Ingress ends TLS and says so in X-Forwarded-Proto): a year, the stations' hosts included, and
    # no redirect of our own.
    code = (
        "from django.conf import settings as s; "
        "print(s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_SSL_REDIRECT)"
    )
    env = {**os.environ, "STATIONNET_URL_SCHEME": "https", "DJANGO_SETTINGS_MODULE": "stationnet.settings"}
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [str(365 * 24 * 3600), "True", "False"]


# An inline script (a <script> element without `src`, other than a JSON data block) or an event handler attribute.
INLINE_SCRIPT = re.compile(
    r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/(?:ld\+)?json\")[^>]*>|\son[a-z]+=\"", re.I
)


def test_no_template_has_an_inline_script():
    """The policy allows scripts from files only: every script lives under frontend_templates/static/."""
    found = [
        f"{path.relative_to(REPO_ROOT)}: {match.group(0)}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for match in INLINE_SCRIPT.finditer(path.read_text(encoding="utf-8"))
    ]
    assert not found, found


def test_the_pages_load_their_scripts_from_static_files(city, public_host, alpha_host):
    html = host_client(alpha_host, city.alpha_staff).get("/desk/demands/new/").content.decode()
    assert re.search(r'<script src="/static/stationnet/site\.[0-9a-f]+\.js">', html)
    assert re.search(r'<script src="/static/stationnet/demand-form\.[0-9a-f]+\.js">', html)
    assert re.search(r'<script src="/static/stationnet/demand-rows\.[0-9a-f]+\.js">', html)
    assert "<script>" not in html


@pytest.mark.parametrize(("host_fixture", "who"), [("public_host", "bureau_admin"), ("alpha_host", "alpha_head")])
def test_the_api_docs_run_under_the_same_policy(request, city, host_fixture, who):
    client = host_client(request.getfixturevalue(host_fixture), getattr(city, who))
    page = client.get("/api/v1/docs/")
    assert page.status_code == 200
    assert policy(page)["script-src"] == ["'self'"]
    html = page.content.decode()
    assert "<script>" not in html
    # Swagger UI's start-up script: a file of its own, from the same host.
    [script_url] = re.findall(r'<script src="(/api/v1/docs/\?[^"]*script[^"]*)"', html)
    script = client.get(script_url.replace("&amp;", "&"))
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle(" in script.content.decode()


@pytest.mark.parametrize("path", ["/admin/", "/admin/login/"])
def test_there_is_no_django_admin_on_either_host(city, public_host, alpha_host, path):
    assert host_client(public_host).get(path).status_code == 404
    assert host_client(public_host, city.bureau_admin).get(path).status_code == 404
    assert host_client(alpha_host, city.alpha_head).get(path).status_code == 404


def test_an_outsider_is_refused_the_station_docs_with_the_headers(city, alpha_host):
    response = host_client(alpha_host, city.outsider).get("/api/v1/docs/")
    assert response.status_code == 403
    assert policy(response)["script-src"] == ["'self'"]
