import pytest

from core.directory.models import Enterprise, Institution
from tenants.demo import DEMO_STATIONS, demo_city_load
from tenants.models import Station, StationStatus

pytestmark = pytest.mark.django_db


def test_the_demo_city_loads_and_loads_again_without_change():
    stations = demo_city_load()
    assert [s.code for s in stations] == [spec.code for spec in DEMO_STATIONS]
    assert {s.status for s in stations} == {StationStatus.PUBLISHED}
    assert all(s.memberships.count() == 2 for s in stations)
    enterprises, institutions = Enterprise.objects.count(), Institution.objects.count()
    assert Enterprise.objects.filter(name__startswith="铁岭市开原").exists()
    assert Institution.objects.filter(name="铁岭市计量测试所", qualifications__isnull=False).exists()
    demo_city_load()
    assert Station.objects.filter(code__in=[spec.code for spec in DEMO_STATIONS]).count() == 3
    assert (Enterprise.objects.count(), Institution.objects.count()) == (enterprises, institutions)
