"""Every sign-in, failed sign-in and sign-out, on either kind of host, is in the audit trail with who, where, from which
address and the outcome (Django's own signals, `core.audit.receivers`)."""

import pytest

from core.audit.models import AuditAction, AuditEntry, AuditOutcome
from tests.conftest import host_client
from tests.core.audit.conftest import last_entry
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def test_a_bureau_sign_in_is_recorded(city, public_host):
    response = host_client(public_host).post(LOGIN, {"username": "bureau-admin", "password": PASSWORD})
    assert response.status_code == 302
    entry = last_entry(AuditAction.SIGN_IN)
    assert (entry.user_id, entry.username, entry.role) == (city.bureau_admin.pk, "bureau-admin", "admin")
    assert (entry.host, entry.station_code, entry.address) == (public_host, "", "127.0.0.1")
    assert (entry.target, entry.outcome) == ("bureau-admin", AuditOutcome.SUCCESS)


def test_a_station_sign_in_is_recorded_with_its_station(city, alpha_host):
    response = host_client(alpha_host).post(LOGIN, {"username": "alpha-staff", "password": PASSWORD})
    assert response.status_code == 302
    entry = last_entry(AuditAction.SIGN_IN)
    assert (entry.user_id, entry.username, entry.role) == (city.alpha_staff.pk, "alpha-staff", "staff")
    assert (entry.host, entry.station_code, entry.address) == (alpha_host, "alpha", "127.0.0.1")
    assert entry.outcome == AuditOutcome.SUCCESS


def test_a_failed_sign_in_is_recorded_with_the_name_typed(city, alpha_host):
    before = AuditEntry.objects.count()
    response = host_client(alpha_host).post(LOGIN, {"username": "alpha-staff", "password": "wrong-password"})
    assert response.status_code == 200  # the form again, with its error
    entry = last_entry(AuditAction.SIGN_IN_FAILED)
    assert AuditEntry.objects.count() > before
    assert (entry.user_id, entry.username, entry.target) == (None, "alpha-staff", "alpha-staff")
    assert (entry.host, entry.station_code, entry.address) == (alpha_host, "alpha", "127.0.0.1")
    assert entry.outcome == AuditOutcome.FAILURE
    assert "wrong-password" not in f"{entry.detail} {entry.target}"  # never the password

    host_client(alpha_host).post(LOGIN, {"username": "nobody-here", "password": "x"})
    assert last_entry(AuditAction.SIGN_IN_FAILED).username == "nobody-here"


def test_a_sign_out_is_recorded(city, alpha_host):
    client = host_client(alpha_host)
    assert client.post(LOGIN, {"username": city.alpha_head.username, "password": PASSWORD}).status_code == 302
    assert client.post("/accounts/logout/").status_code in {200, 302}
    entry = last_entry(AuditAction.SIGN_OUT)
    assert (entry.user_id, entry.role, entry.target) == (city.alpha_head.pk, "head", city.alpha_head.username)
    assert (entry.host, entry.station_code, entry.address) == (alpha_host, "alpha", "127.0.0.1")
    assert entry.outcome == AuditOutcome.SUCCESS
