import pytest
from django_tenants.utils import schema_context

from tests.core.desk.builders import new_enterprise


@pytest.fixture
def alpha(city):
    with schema_context(city.alpha.schema_name):
        yield city.alpha


@pytest.fixture
def enterprise(city):
    return new_enterprise()
