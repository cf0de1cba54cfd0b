"""The token pages: "my API tokens" (`/accounts/tokens/`) on both kinds of host, for the signed-in person (on a station
host, its members only), showing a new secret once; the security administrator's `/console/tokens/`."""

import pytest
from django.test import Client

from core.tokens.models import ApiToken, TokenState
from core.tokens.services import api_token_create
from tenants.models import BureauRole
from tests.conftest import host_client
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("host_fixture", ["public_host", "alpha_host"])
def test_a_new_tokens_secret_is_shown_once(request, city, host_fixture):
    client = host_client(request.getfixturevalue(host_fixture), city.alpha_staff)
    page = client.get("/accounts/tokens/")
    assert page.status_code == 200
    assert "我的 API 令牌" in page.content.decode()
    made = client.post("/accounts/tokens/", {"name": "月报脚本", "days": 30})
    assert made.status_code == 200
    token = ApiToken.objects.get(user=city.alpha_staff, name="月报脚本")
    secret = made.context["secret"]
    assert secret.startswith(token.prefix)
    html = made.content.decode()
    assert secret in html
    assert "仅显示这一次" in html
    assert "no-store" in made["Cache-Control"]
    again = client.get("/accounts/tokens/").content.decode()
    assert secret not in again
    assert token.prefix in again


def test_a_refused_validity_keeps_the_form(city, public_host):
    client = host_client(public_host, city.alpha_staff)
    refused = client.post("/accounts/tokens/", {"name": "太久", "days": 9999})
    assert refused.status_code == 400
    assert refused.context["form"].errors["days"]
    assert not ApiToken.objects.filter(user=city.alpha_staff).exists()


def test_the_owner_revokes_a_token_with_a_post_and_its_csrf_token(city, public_host):
    token, _secret = api_token_create(actor=city.alpha_staff, user=city.alpha_staff, name="旧")
    strict = Client(HTTP_HOST=public_host, enforce_csrf_checks=True)
    strict.force_login(city.alpha_staff)
    assert strict.post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 403  # no CSRF token
    token.refresh_from_db()
    assert token.revoked_at is None
    client = host_client(public_host, city.alpha_staff)
    assert client.get(f"/accounts/tokens/{token.pk}/revoke/").status_code == 405
    response = client.post(f"/accounts/tokens/{token.pk}/revoke/")
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.state == TokenState.REVOKED


@pytest.mark.parametrize("who", ["alpha_head", "bureau_admin", "outsider"])
def test_nobody_else_revokes_it_from_their_page(city, public_host, who):
    token, _secret = api_token_create(actor=city.alpha_staff, user=city.alpha_staff, name="别人的")
    assert host_client(public_host, getattr(city, who)).post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_everyone_sees_only_their_own_tokens(city, public_host):
    api_token_create(actor=city.alpha_head, user=city.alpha_head, name="站长的令牌")
    page = host_client(public_host, city.alpha_staff).get("/accounts/tokens/").content.decode()
    assert "站长的令牌" not in page
    assert "您还没有 API 令牌" in page


@pytest.mark.parametrize("path", ["/accounts/tokens/", "/accounts/tokens/1/revoke/"])
def test_the_page_needs_a_sign_in_and_on_a_station_host_a_member(city, public_host, alpha_host, path):
    for host in (public_host, alpha_host):
        response = host_client(host).post(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    for who in ("outsider", "beta_staff", "bureau_admin"):
        client = host_client(alpha_host, getattr(city, who))
        assert client.get(path).status_code in {403, 405}
        assert client.post(path, {"name": "外人", "days": 1}).status_code == 403
    assert not ApiToken.objects.filter(name="外人").exists()


def test_the_security_administrator_lists_and_revokes_everyones_tokens(city, public_host):
    security = UserFactory(bureau_role=BureauRole.SECURITY)
    head_token, _secret = api_token_create(actor=city.alpha_head, user=city.alpha_head, name="站长脚本")
    staff_token, _secret = api_token_create(actor=city.beta_staff, user=city.beta_staff, name="开原脚本")
    client = host_client(public_host, security)
    page = client.get("/console/tokens/").content.decode()
    assert "站长脚本" in page
    assert "开原脚本" in page
    narrowed = client.get("/console/tokens/", {"user": city.beta_staff.username}).content.decode()
    assert "开原脚本" in narrowed
    assert "站长脚本" not in narrowed
    assert client.post("/console/tokens/", {"token": head_token.pk}).status_code == 302
    head_token.refresh_from_db()
    assert head_token.revoked_by == security
    staff_token.refresh_from_db()
    assert staff_token.revoked_at is None
    assert client.post("/console/tokens/", {"token": "x"}).status_code == 404


@pytest.mark.parametrize("who", ["bureau_admin", "bureau_viewer", "alpha_head", "outsider"])
def test_the_console_list_is_the_security_administrators_alone(city, public_host, who):
    token, _secret = api_token_create(actor=city.alpha_head, user=city.alpha_head, name="站长脚本")
    client = host_client(public_host, getattr(city, who))
    assert client.get("/console/tokens/").status_code == 403
    assert client.post("/console/tokens/", {"token": token.pk}).status_code == 403
    token.refresh_from_db()
    assert token.revoked_at is None
    anonymous = host_client(public_host).get("/console/tokens/")
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/accounts/login/")


def test_the_page_itself_refuses_a_non_member_on_a_station_host(city, rf):
    """`/accounts/` is open to non-members on a station host: the page does not rely on the access middleware."""
    from django.core.exceptions import PermissionDenied

    from core.tokens.views import MyTokensPage

    request = rf.get("/accounts/tokens/")
    request.tenant, request.user, request.membership = city.alpha, city.beta_staff, None
    with pytest.raises(PermissionDenied):
        MyTokensPage.as_view()(request)
    request.user = city.alpha_staff
    assert MyTokensPage.as_view()(request).render().status_code == 200
