"""One's two-factor page, new recovery codes, and the security administrator's reset."""

import re

import pytest
from django.core.exceptions import PermissionDenied
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.audit.models import AuditAction, AuditOutcome
from core.twofactor.services import recovery_codes_make, two_factor_reset
from tenants.models import BureauRole
from tests.conftest import host_client
from tests.core.twofactor.conftest import entries, own_device, password_only
from tests.factories import UserFactory, totp_device

pytestmark = pytest.mark.django_db


def test_the_two_factor_page_asks_for_the_code_first(city, public_host):
    totp_device(city.bureau_admin)
    assert (
        password_only(public_host, city.bureau_admin)
        .get("/accounts/2fa/")["Location"]
        .startswith("/accounts/2fa/verify/")
    )
    html = host_client(public_host, city.bureau_admin).get("/accounts/2fa/").content.decode()
    assert 'id="twofactor-enrolled">已开启' in html
    assert "recovery-codes-make" in html


def test_new_recovery_codes_replace_the_old(city, public_host):
    old = recovery_codes_make(user=totp_device(city.bureau_admin).user)
    response = host_client(public_host, city.bureau_admin).post("/accounts/2fa/recovery-codes/")
    new = [code.replace("-", "") for code in re.findall(r"<li><code>([a-z2-7-]+)</code>", response.content.decode())]
    assert len(new) == 10
    assert set(StaticToken.objects.filter(device__user=city.bureau_admin).values_list("token", flat=True)) == set(new)
    assert not set(old) & set(new)
    assert len(entries(AuditAction.RECOVERY_CODES_MADE, city.bureau_admin)) == 2


def test_anonymous_visitors_are_sent_to_sign_in(city, public_host, alpha_host):
    for host in (public_host, alpha_host):
        for path in ("/accounts/2fa/", "/accounts/2fa/setup/", "/accounts/2fa/verify/"):
            assert host_client(host).get(path)["Location"].startswith("/accounts/login/"), (host, path)


def test_an_outsider_is_refused_on_a_station_host(city, alpha_host):
    assert host_client(alpha_host, city.outsider).get("/accounts/2fa/").status_code == 403


# --- The security administrator's reset ----------------------------------------------------------------------------


def test_the_security_administrator_resets_a_heads_two_factor(city, public_host, alpha_host, security_admin):
    totp_device(city.alpha_head)
    recovery_codes_make(user=city.alpha_head)
    signed_in = host_client(alpha_host, city.alpha_head)
    console = host_client(public_host, security_admin)
    page = console.get(f"/console/2fa/reset/{city.alpha_head.pk}/")
    assert page.status_code == 200 and city.alpha_head.username in page.content.decode()
    response = console.post(f"/console/2fa/reset/{city.alpha_head.pk}/")
    assert response.status_code == 302 and response["Location"] == f"/console/2fa/reset/{city.alpha_head.pk}/"
    assert not TOTPDevice.objects.filter(user=city.alpha_head).exists()
    assert not StaticDevice.objects.filter(user=city.alpha_head).exists()
    # Their session lost the second factor at once: they set up a new authenticator.
    assert signed_in.get("/")["Location"].startswith("/accounts/2fa/setup/")
    [reset] = entries(AuditAction.TWO_FACTOR_RESET, security_admin)
    assert reset.target == city.alpha_head.username and reset.outcome == AuditOutcome.SUCCESS


@pytest.mark.parametrize("who", ["bureau_admin", "bureau_viewer", "alpha_head", "outsider"])
def test_the_reset_page_refuses_everyone_else(city, public_host, who):
    own_device(city.alpha_staff)
    client = host_client(public_host, getattr(city, who))
    assert client.get(f"/console/2fa/reset/{city.alpha_staff.pk}/").status_code == 403
    assert client.post(f"/console/2fa/reset/{city.alpha_staff.pk}/").status_code == 403
    assert TOTPDevice.objects.filter(user=city.alpha_staff).exists()


def test_the_reset_page_is_not_on_a_station_host(city, alpha_host, security_admin):
    assert host_client(alpha_host, security_admin).get(f"/console/2fa/reset/{city.alpha_head.pk}/").status_code in {
        403,
        404,
    }


@pytest.mark.parametrize("role", [BureauRole.ADMIN, BureauRole.AUDITOR, BureauRole.VIEWER])
def test_the_reset_service_refuses_other_roles_and_records_the_refusal(city, role):
    actor = UserFactory(bureau_role=role)
    own_device(city.alpha_staff)
    with pytest.raises(PermissionDenied, match="安全管理员"):
        two_factor_reset(actor=actor, user=city.alpha_staff)
    assert TOTPDevice.objects.filter(user=city.alpha_staff).exists()
    [refused] = entries(AuditAction.TWO_FACTOR_RESET, actor)
    assert refused.outcome == AuditOutcome.REFUSED and refused.target == city.alpha_staff.username


def test_the_reset_service_refuses_a_head(city):
    with pytest.raises(PermissionDenied):
        two_factor_reset(actor=city.alpha_head, user=city.alpha_staff)
