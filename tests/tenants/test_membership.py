import pytest
from django.core.exceptions import ValidationError

from tenants.models import MemberRole
from tenants.selectors import PLATFORM
from tenants.services import membership_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.clause("4.4.2")
def test_a_station_has_one_active_head(city):
    with pytest.raises(ValidationError) as refused:
        membership_create(actor=PLATFORM, user=UserFactory(), station=city.alpha, role=MemberRole.HEAD)
    assert "本服务站已有在任站长。" in str(refused.value)


def test_a_person_is_a_member_of_a_station_once(city):
    with pytest.raises(ValidationError):
        membership_create(actor=PLATFORM, user=city.alpha_staff, station=city.alpha, role=MemberRole.STAFF)


def test_a_person_can_work_in_two_stations(city):
    membership = membership_create(actor=PLATFORM, user=city.alpha_staff, station=city.beta, role=MemberRole.STAFF)
    assert membership.station == city.beta
