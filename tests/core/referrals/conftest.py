"""Fixtures of the referral tests: alpha's schema current (alpha and beta published: stations take referrals only
then), an enterprise of the directory, and a third published station."""

import pytest
from django_tenants.utils import schema_context

from core.directory.models import Enterprise
from tenants.models import StationStatus
from tenants.selectors import PLATFORM
from tenants.services import station_change_status, station_create
from tests.core.desk.builders import new_enterprise


@pytest.fixture
def alpha(city, published):
    with schema_context(city.alpha.schema_name):
        yield city.alpha


@pytest.fixture
def enterprise(city) -> Enterprise:
    return new_enterprise(phone="024-72345678", address="铁岭市银州区测试路8号", legal_representative="李法人")


@pytest.fixture
def gamma(city, published):
    """A third published station (its schema is created in the test's transaction, and rolled back with it)."""
    station = station_create(
        actor=PLATFORM,
        code="gamma",
        name="调兵山测试站",
        district="diaobingshan",
        address="铁岭市调兵山测试路1号",
        service_phone="024-70000011",
        complaint_phone="024-70000012",
        head_full_name="调兵山站长",
        head_email="gamma-head@example.test",
    )
    station_change_status(user=PLATFORM, station=station, status=StationStatus.EVALUATING)
    return station_change_status(user=PLATFORM, station=station, status=StationStatus.PUBLISHED)
