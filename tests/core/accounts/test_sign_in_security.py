"""Sign-in that resists attack (issue 18): lockout per account and per address with the reason in Chinese and an
unlock by the security administrator; password rules with the reason; sessions that end when idle or too old, listed
and ended by their owner; a forgotten password reset by a one-use, short-lived link that answers alike for everyone."""

import datetime
import re

import pytest
import time_machine
from django.contrib.auth.password_validation import validate_password
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from core.accounts.models import UserSession
from core.accounts.services import account_link_send, lockout_lift
from core.audit.models import AuditAction, AuditEntry
from tenants.models import BureauRole, Membership, User
from tests.conftest import host_client
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def attempt(client, username: str, password: str = "wrong-Password-1"):
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_five_failures_lock_the_account_with_the_reason_and_keep_the_name(city, alpha_host, settings):
    client = host_client(alpha_host)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert attempt(client, city.alpha_staff.username).status_code == 200
    locked = attempt(client, city.alpha_staff.username)
    page = locked.content.decode()
    assert locked.status_code == 429
    assert "登录失败次数过多" in page and "30 分钟" in page
    assert f'value="{city.alpha_staff.username}"' in page  # what was typed is kept, but the password
    # Even the right password is refused now, from another address too (the account is locked).
    other = host_client(alpha_host)
    assert (
        other.post(
            "/accounts/login/", {"username": city.alpha_staff.username, "password": PASSWORD}, REMOTE_ADDR="10.0.0.9"
        ).status_code
        == 429
    )
    entry = AuditEntry.objects.filter(action=AuditAction.LOCKED_OUT).first()
    assert entry is not None and entry.username == city.alpha_staff.username and entry.outcome == "refused"


def test_an_address_that_guesses_many_accounts_is_locked(city, public_host, settings):
    client = host_client(public_host)
    for n in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, f"guess{n}")
    assert attempt(client, city.outsider.username, PASSWORD).status_code == 429
    # Another address signs the same account in.
    assert (
        host_client(public_host)
        .post("/accounts/login/", {"username": city.outsider.username, "password": PASSWORD}, REMOTE_ADDR="10.0.0.7")
        .status_code
        == 302
    )


def test_the_security_administrator_lifts_a_lockout(city, alpha_host, public_host, settings):
    client = host_client(alpha_host)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, city.alpha_staff.username)
    security = UserFactory(bureau_role=BureauRole.SECURITY)
    page = host_client(public_host, security).get("/console/users/").content.decode()
    assert city.alpha_staff.username in page.split('id="lockouts"')[1]
    with pytest.raises(PermissionDenied):
        lockout_lift(actor=city.bureau_admin, username=city.alpha_staff.username)
    response = host_client(public_host, security).post(
        "/console/users/", {"action": "unlock", "username": city.alpha_staff.username, "address": "127.0.0.1"}
    )
    assert response.status_code == 302
    assert attempt(client, city.alpha_staff.username, PASSWORD).status_code == 302
    assert AuditEntry.objects.filter(action=AuditAction.UNLOCKED, user_id=security.pk).exists()


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("Ab1-x", "密码太短"),
        ("alllowercaseletters", "至少使用 3 种字符"),
        ("12345678901234", "只包含数字"),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(password, reason):
    with pytest.raises(ValidationError) as refused:
        validate_password(password)
    assert any(reason in message for message in refused.value.messages), refused.value.messages


def test_a_strong_password_passes():
    validate_password("Quality-Station-2026")


def test_an_idle_session_ends_with_a_message(city, alpha_host, settings):
    with time_machine.travel(datetime.datetime(2026, 12, 1, 9, 0, tzinfo=datetime.UTC), tick=False) as clock:
        client = host_client(alpha_host)
        assert attempt(client, city.alpha_staff.username, PASSWORD).status_code == 302
        clock.shift(datetime.timedelta(minutes=settings.SESSION_IDLE_MINUTES - 1))
        assert client.get("/").status_code == 200
        clock.shift(datetime.timedelta(minutes=settings.SESSION_IDLE_MINUTES + 1))
        response = client.get("/desk/cases/")
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
        page = client.get(response["Location"]).content.decode()
        assert "分钟未操作" in page and 'id="session-ended"' in page
        assert client.get("/api/v1/desk/cases/").status_code == 401
    assert AuditEntry.objects.filter(action=AuditAction.SESSION_ENDED, user_id=city.alpha_staff.pk).exists()


def test_every_session_ends_after_twelve_hours_even_when_busy(city, alpha_host, settings):
    with time_machine.travel(datetime.datetime(2026, 12, 1, 8, 0, tzinfo=datetime.UTC), tick=False) as clock:
        client = host_client(alpha_host)
        attempt(client, city.alpha_staff.username, PASSWORD)
        for _ in range(settings.SESSION_MAX_HOURS * 3 + 3):
            clock.shift(datetime.timedelta(minutes=20))
            if client.get("/").status_code != 200:
                break
        else:
            pytest.fail("the session outlived its maximum age")
        assert "小时" in client.get("/accounts/login/").content.decode()


def test_a_user_sees_and_ends_their_own_sessions(city, alpha_host, public_host):
    laptop, phone = host_client(alpha_host), host_client(public_host)
    attempt(laptop, city.alpha_staff.username, PASSWORD)
    phone.post(
        "/accounts/login/", {"username": city.alpha_staff.username, "password": PASSWORD}, HTTP_USER_AGENT="Phone/1"
    )
    page = laptop.get("/accounts/sessions/").content.decode()
    assert "Phone/1" in page and "当前会话" in page
    other = UserSession.objects.get(user=city.alpha_staff, host=public_host)
    assert laptop.post("/accounts/sessions/", {"session": other.pk}).status_code == 302
    assert phone.get("/console/").status_code == 302  # signed out
    # Someone else's session is not theirs to end: answered as if it did not exist.
    mine = UserSession.objects.get(user=city.alpha_staff, host=alpha_host)
    intruder = host_client(alpha_host, city.alpha_head)
    assert intruder.post("/accounts/sessions/", {"session": mine.pk}).status_code == 404
    assert laptop.get("/").status_code == 200


def test_a_password_change_ends_the_other_sessions(city, alpha_host, public_host):
    here, elsewhere = host_client(alpha_host), host_client(public_host)
    attempt(here, city.alpha_staff.username, PASSWORD)
    attempt(elsewhere, city.alpha_staff.username, PASSWORD)
    refused = here.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": "short", "new_password2": "short"},
    )
    assert refused.status_code == 400 and "密码太短" in refused.content.decode()
    response = here.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": "New-Quality-2027", "new_password2": "New-Quality-2027"},
    )
    assert response.status_code == 302
    assert here.get("/").status_code == 200
    assert elsewhere.get("/accounts/profile/").status_code == 302
    assert AuditEntry.objects.filter(action=AuditAction.PASSWORD_CHANGED, user_id=city.alpha_staff.pk).exists()


def test_a_reset_answers_alike_and_its_link_works_once_and_briefly(city, alpha_host, settings):
    client = host_client(alpha_host)
    known = client.post("/accounts/password/reset/", {"email": city.alpha_staff.email})
    unknown = client.post("/accounts/password/reset/", {"email": "nobody@example.test"})
    assert known.status_code == unknown.status_code == 302 and known["Location"] == unknown["Location"]
    assert client.get(known["Location"]).status_code == 200
    assert client.post("/accounts/password/reset/", {"email": "not an address"}).status_code == 400
    asked = AuditEntry.objects.filter(action=AuditAction.PASSWORD_RESET_REQUESTED).order_by("at", "id")
    assert [(entry.user_id, entry.station_code) for entry in asked] == [(city.alpha_staff.pk, "alpha"), (None, "alpha")]

    assert account_link_send(user_id=city.alpha_staff.pk, host="alpha", purpose="reset")
    link = re.search(r"https?://\S+", mail.outbox[-1].body).group(0)
    path = link.split("localhost", 1)[1].lstrip(":0123456789")
    assert "alpha.localhost" in link
    form = client.get(path, follow=True)
    assert form.status_code == 200 and "new_password1" in form.content.decode()
    set_path = form.redirect_chain[-1][0]
    done = client.post(set_path, {"new_password1": "Reset-Quality-2027", "new_password2": "Reset-Quality-2027"})
    assert done.status_code == 302
    assert client.get(path, follow=True).content.decode().count('id="link-invalid"') == 1  # used once
    assert AuditEntry.objects.filter(action=AuditAction.PASSWORD_RESET, user_id=city.alpha_staff.pk).exists()

    account_link_send(user_id=city.alpha_staff.pk, host="alpha", purpose="reset")
    late = re.search(r"https?://\S+", mail.outbox[-1].body).group(0).split("localhost", 1)[1].lstrip(":0123456789")
    with time_machine.travel(datetime.timedelta(minutes=settings.PASSWORD_RESET_LINK_MINUTES + 1)):
        assert 'id="link-invalid"' in client.get(late, follow=True).content.decode()


def test_the_profile_is_its_owners(city, alpha_host):
    owner = UserFactory()
    Membership.objects.create(user=owner, station=city.alpha, role="staff")
    client = host_client(alpha_host, owner)
    refused = client.post("/accounts/profile/", {"full_name": "", "phone": "abc", "email": "x"})
    assert refused.status_code == 400
    response = client.post(
        "/accounts/profile/", {"full_name": "改名后", "phone": "13912340000", "email": "renamed@example.test"}
    )
    assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.full_name == "改名后" and owner.email == "renamed@example.test"
    assert AuditEntry.objects.filter(action=AuditAction.PROFILE_CHANGED, user_id=owner.pk).exists()
    taken = client.post("/accounts/profile/", {"full_name": "x", "phone": "", "email": city.alpha_head.email})
    assert "另一个账号" in taken.content.decode()


@pytest.mark.parametrize("path", ["/accounts/profile/", "/accounts/password/", "/accounts/sessions/"])
def test_account_pages_need_a_sign_in_and_on_a_station_a_membership(city, alpha_host, path):
    assert host_client(alpha_host).get(path).status_code == 302
    assert host_client(alpha_host, city.beta_staff).get(path).status_code == 403
    assert host_client(alpha_host, city.alpha_staff).get(path).status_code == 200


def test_a_password_too_old_must_be_changed_first(city, alpha_host, settings):
    user = UserFactory(username="old-password")
    Membership.objects.create(user=user, station=city.alpha, role="staff")
    stale = timezone.now() - datetime.timedelta(days=settings.PASSWORD_MAX_AGE_DAYS + 1)
    User.objects.filter(pk=user.pk).update(password_changed_at=stale)
    client = host_client(alpha_host, user)
    response = client.get("/desk/cases/")
    assert response.status_code == 302 and response["Location"] == "/accounts/password/?expired=1"
    assert 'id="password-expired"' in client.get(response["Location"]).content.decode()
    assert client.get("/api/v1/desk/cases/").status_code == 403
    client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": "Fresh-Quality-2027", "new_password2": "Fresh-Quality-2027"},
    )
    assert client.get("/desk/cases/").status_code == 200
