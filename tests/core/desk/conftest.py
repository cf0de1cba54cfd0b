"""Fixtures of the desk's tests: the alpha station's schema made current, and an enterprise of the directory."""

import pytest
from django_tenants.utils import schema_context

from core.directory.models import Enterprise
from tests.core.desk.builders import new_enterprise


@pytest.fixture
def alpha(city):
    with schema_context(city.alpha.schema_name):
        yield city.alpha


@pytest.fixture
def enterprise(city) -> Enterprise:
    return new_enterprise()
