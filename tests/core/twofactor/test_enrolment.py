"""Setting up an authenticator: the QR code and key, the first code, the recovery codes shown once."""

import base64
import re

import pytest
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.audit.models import AuditAction, AuditOutcome
from tests.core.twofactor.conftest import entries, password_only, without_two_factor
from tests.factories import totp_code

pytestmark = pytest.mark.django_db


def secret_of(html: str) -> bytes:
    secret = re.search(r'<code id="totp-secret">([A-Z2-7 ]+)</code>', html).group(1).replace(" ", "")
    return base64.b32decode(secret + "=" * (-len(secret) % 8))


@pytest.fixture
def head(city, alpha_host):
    """alpha's head, signed in with the password, without an authenticator."""
    without_two_factor(city.alpha_head)
    return password_only(alpha_host, city.alpha_head)


def test_the_setup_page_shows_a_qr_code_drawn_here_and_the_key_in_groups(city, head):
    html = head.get("/accounts/2fa/setup/?next=/desk/").content.decode()
    assert '<svg role="img"' in html and "<path" in html  # inline, no external image
    assert "http" not in re.search(r"<svg.*?</svg>", html, re.S).group(0).replace("http://www.w3.org", "")
    assert re.search(r'<code id="totp-secret">([A-Z2-7]{4} ){7}[A-Z2-7]{4}</code>', html)
    device = TOTPDevice.objects.get(user=city.alpha_head)
    assert not device.confirmed and secret_of(html) == device.bin_key
    # Shown again (a reload, a refused code), it is the same key.
    assert secret_of(head.get("/accounts/2fa/setup/").content.decode()) == device.bin_key
    assert TOTPDevice.objects.filter(user=city.alpha_head).count() == 1


def test_a_wrong_first_code_is_refused_in_chinese_and_nothing_is_kept(city, head, no_throttle):
    head.get("/accounts/2fa/setup/")
    response = head.post("/accounts/2fa/setup/", {"code": "000000"})
    assert response.status_code == 400
    assert "验证码不正确" in response.content.decode()
    assert not TOTPDevice.objects.get(user=city.alpha_head).confirmed
    assert head.get("/")["Location"].startswith("/accounts/2fa/setup/")
    [failed] = entries(AuditAction.TWO_FACTOR_FAILED, city.alpha_head)
    assert failed.outcome == AuditOutcome.FAILURE and failed.station_code == "alpha"


def test_the_right_first_code_turns_it_on_and_shows_ten_recovery_codes_once(city, head):
    head.get("/accounts/2fa/setup/")
    device = TOTPDevice.objects.get(user=city.alpha_head)
    response = head.post("/accounts/2fa/setup/", {"code": totp_code(city.alpha_head), "next": "/desk/cases/"})
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    html = response.content.decode()
    codes = re.findall(r"<li><code>([a-z2-7]{4}-[a-z2-7]{4})</code></li>", html)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert 'href="/desk/cases/"' in html
    device.refresh_from_db()
    assert device.confirmed
    assert sorted(StaticToken.objects.filter(device__user=city.alpha_head).values_list("token", flat=True)) == sorted(
        code.replace("-", "") for code in codes
    )
    # The session passed the second factor: the station's pages open.
    assert head.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert head.get("/desk/cases/").status_code == 200
    # The codes are not shown again: the setup page now goes to the two-factor page.
    assert head.get("/accounts/2fa/setup/")["Location"] == "/accounts/2fa/"
    assert len(entries(AuditAction.TWO_FACTOR_ENROLLED, city.alpha_head)) == 1
    assert len(entries(AuditAction.RECOVERY_CODES_MADE, city.alpha_head)) == 1


def test_someone_with_an_authenticator_cannot_set_up_another_with_the_password_alone(city, alpha_host):
    from tests.factories import totp_device

    totp_device(city.alpha_head)
    client = password_only(alpha_host, city.alpha_head)
    assert client.get("/accounts/2fa/setup/")["Location"].startswith("/accounts/2fa/verify/")
    assert client.post("/accounts/2fa/setup/", {"code": "123456"})["Location"].startswith("/accounts/2fa/verify/")
    assert TOTPDevice.objects.filter(user=city.alpha_head).count() == 1


def test_a_staff_member_may_turn_it_on_and_off(city, alpha_host):
    staff = password_only(alpha_host, city.alpha_staff)
    assert "twofactor-setup-link" in staff.get("/accounts/2fa/").content.decode()
    staff.get("/accounts/2fa/setup/")
    assert staff.post("/accounts/2fa/setup/", {"code": totp_code(city.alpha_staff)}).status_code == 200
    assert staff.get("/accounts/2fa/").status_code == 200
    response = staff.post("/accounts/2fa/disable/")
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=city.alpha_staff).exists()
    [off] = entries(AuditAction.TWO_FACTOR_RESET, city.alpha_staff)
    assert "turned off" in off.detail
    assert staff.get("/desk/cases/").status_code == 200


def test_a_head_may_not_turn_it_off(city, alpha_host):
    from tests.conftest import host_client

    head = host_client(alpha_host, city.alpha_head)
    assert "twofactor-disable" not in head.get("/accounts/2fa/").content.decode()
    assert head.post("/accounts/2fa/disable/").status_code == 403
    assert TOTPDevice.objects.filter(user=city.alpha_head, confirmed=True).exists()
