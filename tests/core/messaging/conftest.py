import pytest

from core.directory.models import Enterprise
from tests.core.desk.builders import new_enterprise


@pytest.fixture
def enterprise(city) -> Enterprise:
    return new_enterprise()
