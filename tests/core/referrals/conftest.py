"""Fixtures of the referral tests: alpha and beta published (stations take referrals only then), alpha's schema
current, an enterprise of the directory."""

import pytest
from django_tenants.utils import schema_context

from core.directory.models import Enterprise
from tenants.models import Station, StationStatus
from tests.core.desk.builders import new_enterprise


@pytest.fixture
def published(city):
    Station.objects.filter(pk__in=[city.alpha.pk, city.beta.pk]).update(status=StationStatus.PUBLISHED)
    city.alpha.refresh_from_db()
    city.beta.refresh_from_db()
    yield
    city.alpha.refresh_from_db()
    city.beta.refresh_from_db()


@pytest.fixture
def alpha(city, published):
    with schema_context(city.alpha.schema_name):
        yield city.alpha


@pytest.fixture
def enterprise(city) -> Enterprise:
    return new_enterprise(phone="024-72345678", address="铁岭市银州区测试路8号", legal_representative="李法人")
