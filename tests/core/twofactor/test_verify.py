"""Entering the second factor after the password: the authenticator's code, a recovery code, wrong codes."""

import pytest
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.audit.models import AuditAction, AuditOutcome
from core.twofactor.services import recovery_codes_make
from tests.core.twofactor.conftest import entries, password_only
from tests.factories import totp_code, totp_device

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(city, public_host):
    """The bureau administrator (with an authenticator), signed in with the password only."""
    totp_device(city.bureau_admin)
    return password_only(public_host, city.bureau_admin)


def test_the_authenticators_code_lets_the_administrator_in(city, admin):
    assert admin.get("/accounts/2fa/verify/?next=/console/").status_code == 200
    response = admin.post("/accounts/2fa/verify/", {"code": totp_code(city.bureau_admin), "next": "/console/"})
    assert response.status_code == 302 and response["Location"] == "/console/"
    assert admin.session[DEVICE_ID_SESSION_KEY] == TOTPDevice.objects.get(user=city.bureau_admin).persistent_id
    assert admin.get("/console/").status_code == 200
    [verified] = entries(AuditAction.TWO_FACTOR_VERIFIED, city.bureau_admin)
    assert verified.outcome == AuditOutcome.SUCCESS and verified.detail == "authenticator"


def test_an_unsafe_next_is_ignored(city, admin):
    response = admin.post("/accounts/2fa/verify/", {"code": totp_code(city.bureau_admin), "next": "//evil.example/"})
    assert response["Location"] == "/console/"


def test_a_code_is_taken_once(city, admin, public_host):
    code = totp_code(city.bureau_admin)
    assert admin.post("/accounts/2fa/verify/", {"code": code})["Location"] == "/console/"
    again = password_only(public_host, city.bureau_admin)
    response = again.post("/accounts/2fa/verify/", {"code": code})
    assert response.status_code == 400 and "验证码不正确" in response.content.decode()


def test_a_recovery_code_lets_in_once(city, admin, public_host, no_throttle):
    codes = recovery_codes_make(user=city.bureau_admin)
    typed = f"{codes[3][:4]}-{codes[3][4:]}".upper()  # as shown, typed in capitals: still the code
    response = admin.post("/accounts/2fa/verify/", {"code": typed, "next": "/console/"})
    # On the two-factor page first: it says how many codes are left, and goes on.
    assert response["Location"] == "/accounts/2fa/?next=%2Fconsole%2F"
    html = admin.get(response["Location"]).content.decode()
    assert "还剩 9 个" in html and 'id="twofactor-continue"' in html and 'href="/console/"' in html
    assert admin.get("/console/").status_code == 200
    again = password_only(public_host, city.bureau_admin)
    assert again.post("/accounts/2fa/verify/", {"code": codes[3]}).status_code == 400
    assert [e.detail for e in entries(AuditAction.TWO_FACTOR_VERIFIED, city.bureau_admin)] == ["recovery code (9 left)"]


def test_a_wrong_code_is_refused_in_chinese_and_asked_again(city, admin, no_throttle):
    response = admin.post("/accounts/2fa/verify/", {"code": "12 34 56"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "验证码不正确" in html and "再输错 4 次将退出登录" in html
    assert "123456" not in html  # the refused code is not even shown again
    assert admin.get("/console/")["Location"].startswith("/accounts/2fa/verify/")
    [failed] = entries(AuditAction.TWO_FACTOR_FAILED, city.bureau_admin)
    assert failed.outcome == AuditOutcome.FAILURE and failed.host == "localhost"


def test_five_wrong_codes_in_a_row_sign_the_session_out(city, admin, no_throttle):
    for _attempt in range(4):
        assert admin.post("/accounts/2fa/verify/", {"code": "000000"}).status_code == 400
    response = admin.post("/accounts/2fa/verify/", {"code": "abcdefgh"})
    assert response.status_code == 403 and "已退出登录" in response.content.decode()
    assert admin.get("/console/")["Location"].startswith("/accounts/login/")
    assert len(entries(AuditAction.TWO_FACTOR_FAILED, city.bureau_admin)) == 5


def test_a_right_code_in_between_starts_the_count_again(city, admin, public_host, no_throttle):
    for _attempt in range(4):
        admin.post("/accounts/2fa/verify/", {"code": "000000"})
    assert admin.post("/accounts/2fa/verify/", {"code": totp_code(city.bureau_admin)}).status_code == 302
    assert "tries-left" not in admin.get("/accounts/2fa/verify/").content.decode()  # verified: sent on
    assert admin.get("/console/").status_code == 200


def test_after_a_wrong_code_the_device_waits_before_taking_another(city, admin):
    """django-otp's throttling: 1, 2, 4 … seconds after each wrong code, whatever the session."""
    admin.post("/accounts/2fa/verify/", {"code": "000000"})
    response = admin.post("/accounts/2fa/verify/", {"code": totp_code(city.bureau_admin)})
    assert response.status_code == 400 and "错误次数过多" in response.content.decode()
