"""Fixtures of the documents' tests: alpha's schema current, an enterprise, and the media folder of this test."""

import pathlib

import pytest
from django_tenants.utils import schema_context

from core.directory.models import Enterprise
from tests.core.desk.builders import new_enterprise


@pytest.fixture
def media(settings, tmp_path) -> pathlib.Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def alpha(city, media):
    with schema_context(city.alpha.schema_name):
        yield city.alpha


@pytest.fixture
def enterprise(city) -> Enterprise:
    return new_enterprise()
