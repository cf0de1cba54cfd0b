"""Fixtures of the notifications' tests: the SMS file backend in a folder of the test's own, a mobile number of the
test's own (the per-phone rate limit's counters outlive a test), and alpha's schema made current."""

import secrets

import pytest
from django_tenants.utils import schema_context


@pytest.fixture(autouse=True)
def _sms_folder(settings, tmp_path):
    settings.SMS_BACKEND = "core.common.sms.FileBackend"
    settings.SMS_FILE_PATH = tmp_path / "sms"


@pytest.fixture
def mobile() -> str:
    return f"139{secrets.randbelow(10**8):08d}"


@pytest.fixture
def alpha(city):
    with schema_context(city.alpha.schema_name):
        yield city.alpha
