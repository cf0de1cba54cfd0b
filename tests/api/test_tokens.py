"""The API's tokens over HTTP: issued for a user name and password (and a two-factor code where needed), accepted on
both kinds of host until they expire or are revoked, refused in Chinese afterwards; `/api/v1/tokens/` lists, makes
and revokes one's own, and the security administrator anyone's; outsiders are refused on every endpoint."""

import datetime
import secrets

import pytest
import time_machine

from core.audit.models import AuditAction, AuditEntry, AuditOutcome
from core.tokens import services as token_services
from core.tokens.models import ApiToken
from core.tokens.services import api_token_create
from tenants.models import BureauRole
from tests.conftest import host_client
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def address() -> str:
    """A client address of this test alone: the token endpoint's rate limit counts per address."""
    return f"10.{secrets.randbelow(256)}.{secrets.randbelow(256)}.{secrets.randbelow(254) + 1}"


def issue(host: str, **data):
    return host_client(host).post("/api/v1/auth/token/", data, REMOTE_ADDR=address())


def auth(secret: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Token {secret}"}


def test_the_token_endpoint_gives_an_expiring_token_once(city, public_host, alpha_host):
    issued = issue(public_host, username=city.alpha_staff.username, password=PASSWORD, name="周报", days=30)
    assert issued.status_code == 200
    body = issued.json()
    token = ApiToken.objects.get(pk=body["id"])
    assert body["name"] == "周报"
    assert body["state"] == "active"
    assert token.expires_at - token.created_at == datetime.timedelta(days=30)
    assert body["token"].startswith(token.prefix)
    assert host_client(alpha_host).get("/api/v1/station/", **auth(body["token"])).status_code == 200
    # The list of one's tokens never shows a secret again.
    listed = host_client(public_host).get("/api/v1/tokens/", **auth(body["token"])).json()["results"]
    assert [row["id"] for row in listed] == [token.pk]
    assert "token" not in listed[0]
    assert body["token"] not in str(listed)


def test_the_token_endpoint_refuses_a_wrong_password_in_chinese_and_records_it(city, public_host):
    refused = issue(public_host, username=city.alpha_staff.username, password="wrong-password")
    assert refused.status_code == 400
    assert refused.json() == {"password": ["用户名或密码错误。"]}
    assert not ApiToken.objects.filter(user=city.alpha_staff).exists()
    entry = AuditEntry.objects.filter(action=AuditAction.TOKEN_CREATED, username=city.alpha_staff.username).get()
    assert entry.outcome == AuditOutcome.REFUSED


def test_the_token_endpoint_refuses_too_long_a_validity(city, public_host):
    refused = issue(public_host, username=city.alpha_staff.username, password=PASSWORD, days=366)
    assert refused.status_code == 400
    assert list(refused.json()) == ["days"]


def test_the_token_endpoint_refuses_a_deactivated_account(public_host):
    user = UserFactory(is_active=False)
    refused = issue(public_host, username=user.username, password=PASSWORD)
    assert refused.status_code == 400
    assert refused.json() == {"password": ["用户名或密码错误。"]}


def test_an_account_with_two_factors_needs_a_valid_code(city, public_host, monkeypatch):
    # The hook core.twofactor fills: here, as if this account had two-factor sign-in.
    monkeypatch.setattr(token_services, "api_token_issue_requires_otp", lambda user: user == city.alpha_head)
    missing = issue(public_host, username=city.alpha_head.username, password=PASSWORD)
    assert missing.status_code == 400
    assert list(missing.json()) == ["otp"]
    wrong = issue(public_host, username=city.alpha_head.username, password=PASSWORD, otp="000000")
    assert wrong.status_code == 400
    assert wrong.json() == {"otp": ["两步验证码错误或已被使用。"]}
    assert not ApiToken.objects.filter(user=city.alpha_head).exists()
    # Who needs no code gets a token without one.
    assert issue(public_host, username=city.alpha_staff.username, password=PASSWORD).status_code == 200


@pytest.mark.parametrize("host_fixture", ["public_host", "alpha_host"])
def test_an_expired_token_is_refused_in_chinese(request, city, host_fixture):
    host = request.getfixturevalue(host_fixture)
    token, secret = api_token_create(actor=city.alpha_staff, user=city.alpha_staff, name="到期", days=1)
    assert host_client(host).get("/api/v1/me/", **auth(secret)).status_code == 200
    with time_machine.travel(token.expires_at + datetime.timedelta(minutes=1), tick=False):
        refused = host_client(host).get("/api/v1/me/", **auth(secret))
    assert refused.status_code == 401
    assert refused.json() == {"detail": "API 令牌已过期，请重新创建。"}


@pytest.mark.parametrize("host_fixture", ["public_host", "alpha_host"])
def test_a_revoked_token_and_a_deactivated_users_token_are_refused(request, city, host_fixture):
    host = request.getfixturevalue(host_fixture)
    user = UserFactory()
    if host_fixture == "alpha_host":
        user = city.alpha_staff
    token, secret = api_token_create(actor=user, user=user, name="撤销")
    assert host_client(host).delete(f"/api/v1/tokens/{token.pk}/", **auth(secret)).status_code == 200
    refused = host_client(host).get("/api/v1/me/", **auth(secret))
    assert refused.status_code == 401
    assert refused.json() == {"detail": "API 令牌已被撤销。"}

    _token, secret = api_token_create(actor=user, user=user, name="停用")
    type(user).objects.filter(pk=user.pk).update(is_active=False)
    refused = host_client(host).get("/api/v1/me/", **auth(secret))
    assert refused.status_code == 401
    assert refused.json() == {"detail": "该 API 令牌所属的账号已停用。"}


def test_a_guessed_token_is_refused(alpha_host, public_host):
    for host in (alpha_host, public_host):
        refused = host_client(host).get("/api/v1/me/", **auth("sn_12345678_guess"))
        assert refused.status_code == 401
        assert refused.json() == {"detail": "API 令牌无效。"}


@pytest.mark.parametrize("host_fixture", ["public_host", "alpha_host"])
def test_a_member_lists_makes_and_revokes_their_own_tokens(request, city, host_fixture):
    client = host_client(request.getfixturevalue(host_fixture), city.alpha_staff)
    others, _secret = api_token_create(actor=city.alpha_head, user=city.alpha_head, name="站长的")
    made = client.post("/api/v1/tokens/", {"name": "导出", "days": 7})
    assert made.status_code == 201
    secret = made.json()["token"]
    mine = ApiToken.objects.get(pk=made.json()["id"])
    assert mine.user == city.alpha_staff
    assert mine.key_hash != secret
    listed = client.get("/api/v1/tokens/").json()["results"]
    assert [row["id"] for row in listed] == [mine.pk]
    # Someone else's token: as missing, to look at or to revoke.
    assert client.get(f"/api/v1/tokens/{others.pk}/").status_code == 404
    assert client.delete(f"/api/v1/tokens/{others.pk}/").status_code == 404
    assert client.get("/api/v1/tokens/", {"user": city.alpha_head.username}).status_code == 403
    revoked = client.delete(f"/api/v1/tokens/{mine.pk}/")
    assert revoked.status_code == 200
    assert revoked.json()["state"] == "revoked"
    assert client.delete(f"/api/v1/tokens/{mine.pk}/").json() == {"token": ["该令牌已被撤销。"]}
    others.refresh_from_db()
    assert others.revoked_at is None


def test_the_security_administrator_lists_and_revokes_anyones_tokens(city, public_host):
    security = UserFactory(bureau_role=BureauRole.SECURITY)
    token, secret = api_token_create(actor=city.alpha_head, user=city.alpha_head, name="站长脚本")
    client = host_client(public_host, security)
    listed = client.get("/api/v1/tokens/", {"user": city.alpha_head.username}).json()["results"]
    assert [(row["id"], row["username"]) for row in listed] == [(token.pk, city.alpha_head.username)]
    assert client.delete(f"/api/v1/tokens/{token.pk}/").status_code == 200
    token.refresh_from_db()
    assert token.revoked_by == security
    assert host_client(public_host).get("/api/v1/me/", **auth(secret)).status_code == 401


@pytest.mark.parametrize("who", ["bureau_admin", "bureau_viewer"])
def test_other_bureau_roles_do_not_reach_others_tokens(city, public_host, who):
    token, _secret = api_token_create(actor=city.alpha_head, user=city.alpha_head, name="站长脚本")
    client = host_client(public_host, getattr(city, who))
    assert client.get("/api/v1/tokens/", {"user": city.alpha_head.username}).status_code == 403
    assert client.delete(f"/api/v1/tokens/{token.pk}/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


ENDPOINTS = [
    ("get", "/api/v1/tokens/"),
    ("post", "/api/v1/tokens/"),
    ("get", "/api/v1/tokens/{pk}/"),
    ("delete", "/api/v1/tokens/{pk}/"),
]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_outsiders_are_refused_on_every_token_endpoint(city, public_host, alpha_host, method, path):
    token, _secret = api_token_create(actor=city.alpha_staff, user=city.alpha_staff, name="目标")
    path = path.format(pk=token.pk)
    # Anonymous, on both hosts.
    for host in (public_host, alpha_host):
        assert getattr(host_client(host), method)(path).status_code in {401, 403}
    # Non-members on the station host, whatever their role elsewhere.
    for who in ("outsider", "beta_staff", "bureau_admin"):
        assert getattr(host_client(alpha_host, getattr(city, who)), method)(path).status_code == 403
    # The outsider's own token does not open alpha either.
    _own, secret = api_token_create(actor=city.outsider, user=city.outsider, name="外人")
    assert getattr(host_client(alpha_host), method)(path, **auth(secret)).status_code == 403
    token.refresh_from_db()
    assert token.revoked_at is None
    assert ApiToken.objects.filter(user=city.alpha_staff).count() == 1
