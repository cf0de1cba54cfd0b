"""Fixtures of the operations tests: the alpha station's schema made current."""

import pytest
from django_tenants.utils import schema_context


@pytest.fixture
def alpha(city):
    with schema_context(city.alpha.schema_name):
        yield city.alpha


@pytest.fixture
def invitee(city):
    """A member of alpha who never took duty: no pre-duty training recorded."""
    from tenants.models import Membership

    return Membership.objects.select_related("user").get(pk=city.invitee_membership_id).user
