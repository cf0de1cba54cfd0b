"""Publishing a station (公示, clause 3): a bureau administrator publishes a station under evaluation whose latest
evaluation round is approved (`core.evaluation`), or republishes a published one. Each publication keeps a snapshot of what
the portal shows (clause 4.2.2: contents, hours, phones; clause 6.1: the supervision channels) and the history is
kept. Drafts, suspended stations and everyone but the bureau's administrators are refused."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from core.catalog.models import ServiceItem
from core.evaluation.services import station_publish
from tenants.models import Station, StationPublication, StationStatus, StationStatusChange, User
from tenants.selectors import PLATFORM
from tenants.services import station_change_status
from tests.factories import approved_round

pytestmark = pytest.mark.django_db

HOURS = "周一至周五 8:30–17:00"
FOUNDING_BODY = "银州区市场监督管理局"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """The evaluation's evidence files (the approved round's stand-in photos and documents) stay in the test's folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


def prepare(
    station: Station,
    *,
    status: str = StationStatus.EVALUATING,
    clauses=("5.1.2.1", "5.1.1.1"),
    approved_by: User | None = None,
) -> Station:
    """The station with its hours, founding body and service items filled in, moved to `status` by the platform; with
    `approved_by` (a bureau administrator), a station under evaluation also has an approved evaluation round."""
    Station.objects.filter(pk=station.pk).update(hours=HOURS, founding_body=FOUNDING_BODY)
    station.items.set(ServiceItem.objects.filter(clause__in=clauses))
    path = {
        StationStatus.DRAFT: [],
        StationStatus.EVALUATING: [StationStatus.EVALUATING],
        StationStatus.PUBLISHED: [StationStatus.EVALUATING, StationStatus.PUBLISHED],
        StationStatus.SUSPENDED: [StationStatus.EVALUATING, StationStatus.PUBLISHED, StationStatus.SUSPENDED],
    }[status]
    for step in path:
        station_change_status(user=PLATFORM, station=station, status=step, reason="测试")
    if approved_by is not None and status == StationStatus.EVALUATING:
        approved_round(station, approved_by)
    station.refresh_from_db()
    return station


def expected_snapshot(station: Station, **changes) -> dict:
    items = {item.clause: item.name for item in ServiceItem.objects.filter(clause__in=["5.1.1.1", "5.1.2.1"])}
    return {
        "name": "银州测试站",
        "code": "alpha",
        "district": {"code": "yinzhou", "label": "银州区"},
        "address": "铁岭市银州测试站路1号",
        "hours": HOURS,
        "service_phone": "024-70000001",
        "complaint_phone": "024-70000002",
        "supervision_channels": {"complaint_phone": "024-70000002", "bureau_supervision_phone": "12315"},
        "items": [{"clause": "5.1.1.1", "name": items["5.1.1.1"]}, {"clause": "5.1.2.1", "name": items["5.1.2.1"]}],
        "founding_body": FOUNDING_BODY,
    } | changes


@pytest.mark.clause("3")
@pytest.mark.clause("4.2.2")
@pytest.mark.clause("6.1")
def test_publishing_a_station_under_evaluation_publishes_it_with_an_exact_snapshot(city):
    station = prepare(city.alpha, approved_by=city.bureau_admin)
    before = timezone.now()
    publication = station_publish(station=station, user=city.bureau_admin)

    station.refresh_from_db()
    assert station.status == StationStatus.PUBLISHED
    change = StationStatusChange.objects.filter(station=station).first()  # the newest
    assert (change.from_status, change.to_status, change.changed_by) == ("evaluating", "published", city.bureau_admin)
    publication.refresh_from_db()
    assert publication.station == station and publication.published_by == city.bureau_admin
    assert before <= publication.published_at <= timezone.now()
    assert publication.notice_until - publication.published_at == datetime.timedelta(days=7)
    assert publication.snapshot == expected_snapshot(station)  # items in catalog order, labels in Chinese
    assert ServiceItem.objects.get(clause="5.1.1.1").name  # (the catalog is seeded: the names above are real)


@pytest.mark.clause("3")
def test_republishing_after_a_change_keeps_the_earlier_publication(city):
    station = prepare(city.alpha, approved_by=city.bureau_admin)
    first = station_publish(station=station, user=city.bureau_admin)
    Station.objects.filter(pk=station.pk).update(address="铁岭市银州区新华路8号", hours="每天 9:00–16:00")
    second = station_publish(station=station, user=city.bureau_admin, notice_days=3)

    assert list(StationPublication.objects.filter(station=station)) == [second, first]  # newest first
    first.refresh_from_db()
    assert first.snapshot == expected_snapshot(station)  # what was published then is kept as it was
    assert second.snapshot == expected_snapshot(station, address="铁岭市银州区新华路8号", hours="每天 9:00–16:00")
    assert second.notice_until - second.published_at == datetime.timedelta(days=3)
    # Republishing changes no status: one change evaluating → published only.
    assert StationStatusChange.objects.filter(station=station, to_status=StationStatus.PUBLISHED).count() == 1


def test_the_notice_period_and_supervision_phone_come_from_the_settings(city, settings):
    settings.PUBLICATION_NOTICE_DAYS = 14
    settings.BUREAU_SUPERVISION_PHONE = "024-12345"
    publication = station_publish(station=prepare(city.alpha, approved_by=city.bureau_admin), user=city.bureau_admin)
    assert publication.notice_until - publication.published_at == datetime.timedelta(days=14)
    assert publication.snapshot["supervision_channels"] == {
        "complaint_phone": "024-70000002",
        "bureau_supervision_phone": "024-12345",
    }


@pytest.mark.clause("3")
@pytest.mark.parametrize("status", [StationStatus.DRAFT, StationStatus.SUSPENDED])
def test_a_draft_or_suspended_station_is_not_published(city, status):
    station = prepare(city.alpha, status=status)
    with pytest.raises(ValidationError) as refused:
        station_publish(station=station, user=city.bureau_admin)
    assert "status" in refused.value.message_dict
    station.refresh_from_db()
    assert station.status == status
    assert not StationPublication.objects.exists()


@pytest.mark.clause("3")
def test_a_station_under_evaluation_without_an_approved_round_is_not_published(city):
    station = prepare(city.alpha)
    with pytest.raises(ValidationError) as refused:
        station_publish(station=station, user=city.bureau_admin)
    assert list(refused.value.message_dict) == ["evaluation"]  # field-level: the evaluation is what is missing
    station.refresh_from_db()
    assert station.status == StationStatus.EVALUATING
    assert not StationPublication.objects.exists()


@pytest.mark.clause("3")
@pytest.mark.parametrize("who", ["bureau_viewer", "alpha_head", "alpha_staff", "outsider"])
def test_only_bureau_admins_publish(city, who):
    station = prepare(city.alpha, approved_by=city.bureau_admin)
    with pytest.raises(PermissionDenied):
        station_publish(station=station, user=getattr(city, who))
    station.refresh_from_db()
    assert station.status == StationStatus.EVALUATING
    assert not StationPublication.objects.exists()
