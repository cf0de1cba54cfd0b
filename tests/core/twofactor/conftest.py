import pytest
from django.test import Client
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.audit.models import AuditEntry
from tenants.models import BureauRole
from tests.factories import UserFactory


@pytest.fixture
def security_admin(city):
    return UserFactory(username="security-admin", bureau_role=BureauRole.SECURITY)


@pytest.fixture
def no_throttle(settings):
    """django-otp's throttling off (a wait of 1, 2, 4 … s after each wrong code), for tests that follow a wrong code
    with a right one at once; `test_verify.py` proves the throttling itself."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0


def own_device(user) -> TOTPDevice:
    """A confirmed authenticator for `user` made in this test only (rolled back with it): for a user whose role does
    not require one, whom the rest of the suite signs in with the password alone."""
    return TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)


def without_two_factor(user) -> None:
    """Remove the user's authenticator and recovery codes for this test (rolled back with it)."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()


def password_only(host: str, user) -> Client:
    """A client signed in with the password (as the sign-in form leaves it), before any second factor."""
    client = Client(HTTP_HOST=host)
    client.force_login(user)
    return client


def entries(action: str, user) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action, user_id=user.pk).order_by("id"))
