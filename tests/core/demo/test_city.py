import pytest

from core.demo.city import DEMO_STATIONS, demo_city_load
from core.directory.models import Enterprise, Institution
from core.evaluation.models import EvaluationRound
from tenants.models import Station, StationStatus

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """The evaluation's evidence files (the approved round's stand-in photos and documents) stay in the test's folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


def test_the_demo_city_loads_and_loads_again_without_change():
    stations = demo_city_load()
    assert [s.code for s in stations] == [spec.code for spec in DEMO_STATIONS]
    assert {s.status for s in stations} == {StationStatus.PUBLISHED}
    assert all(s.memberships.count() == 2 for s in stations)
    # Approved with the evidence each requirement asks for: the operations figures where the registers have them.
    items = {item.code: item for item in EvaluationRound.objects.get(station=stations[0], number=1).items.all()}
    assert (items["4.4.1"].figures["cleared"], items["4.4.1"].figures["members"]) == (2, 2)
    assert items["4.3.5"].figures["in_service"] == 4 and items["4.2.1"].evidence.exists()
    enterprises, institutions = Enterprise.objects.count(), Institution.objects.count()
    assert Enterprise.objects.filter(name__startswith="铁岭市开原").exists()
    assert Institution.objects.filter(name="铁岭市计量测试所", qualifications__isnull=False).exists()
    demo_city_load()
    assert Station.objects.filter(code__in=[spec.code for spec in DEMO_STATIONS]).count() == 3
    assert (Enterprise.objects.count(), Institution.objects.count()) == (enterprises, institutions)
