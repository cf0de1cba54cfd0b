"""Expiry notices of qualifications at 90, 30 and 0 days (issue 20): each once per qualification and threshold, to
the bureau's administrators and to the heads of the stations that referred work to the institution in the last year;
staff qualifications to their station's head at the same thresholds."""

import datetime
import uuid

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from core.catalog.models import ServiceCategory
from core.directory.models import Institution, Qualification
from core.directory.notifications import qualification_expiry_notify
from core.network.models import ReferralFlow
from core.notifications import kinds
from core.notifications.models import Notification
from core.operations import services as operations
from tenants.hosts import public_url, station_url

pytestmark = pytest.mark.django_db


def days(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=n)


def referred(station, institution, *, ago: int) -> None:
    """`station` referred a case to `institution` `ago` days ago (the bureau's read model of referrals)."""
    requested = timezone.now() - days(ago)
    ReferralFlow.objects.create(
        uid=uuid.uuid4(),
        number=f"{station.code.upper()}-{ago}",
        from_station=station,
        institution=institution,
        category=ServiceCategory.objects.order_by("pk").first(),
        state="completed",
        requested_at=requested,
        accept_due_at=requested + days(3),
    )


def told() -> dict[str, int]:
    """How many expiry notices each person got, by user name."""
    counts: dict[str, int] = {}
    for row in Notification.objects.filter(kind=kinds.QUALIFICATION_EXPIRING).select_related("recipient"):
        counts[row.recipient.username] = counts.get(row.recipient.username, 0) + 1
    return counts


@pytest.fixture
def lab(city):
    institution = Institution.objects.create(name="铁岭市到期提醒计量所", kind="metrology")
    referred(city.alpha, institution, ago=100)
    referred(city.beta, institution, ago=2 * 365)  # two years ago: not told
    return institution


def test_notices_go_at_90_30_and_0_days_each_once_to_the_bureau_and_the_referring_station(city, lab):
    start = timezone.localdate()
    qualification = Qualification.objects.create(
        institution=lab, kind="cma", number="210000090300", valid_until=start + days(100)
    )
    alpha_head = city.alpha_head.username
    assert qualification_expiry_notify(today=start) == 0  # 100 days left: not yet
    assert qualification_expiry_notify(today=start + days(10)) == 1  # 90 days
    assert qualification_expiry_notify(today=start + days(10)) == 0
    assert qualification_expiry_notify(today=start + days(11)) == 0
    assert told() == {"bureau-admin": 1, alpha_head: 1}
    assert qualification_expiry_notify(today=start + days(70)) == 1  # 30 days
    assert qualification_expiry_notify(today=start + days(75)) == 0
    assert qualification_expiry_notify(today=start + days(100)) == 1  # its last valid day
    assert qualification_expiry_notify(today=start + days(101)) == 0  # ended: already told at 0
    assert told() == {"bureau-admin": 3, alpha_head: 3}
    qualification.refresh_from_db()
    end = qualification.valid_until.isoformat()
    assert qualification.expiry_notices == [f"{end}:90", f"{end}:30", f"{end}:0"]
    # What each got: the bureau's list of the registry, the station's own page of it; the institution named.
    station_notice = Notification.objects.filter(recipient=city.alpha_head).latest("pk")
    assert station_notice.station_id == city.alpha.pk
    assert station_notice.url == station_url("alpha", "/directory/institutions/")
    assert "铁岭市到期提醒计量所" in station_notice.body and "210000090300" in station_notice.body
    bureau_notice = Notification.objects.filter(recipient=city.bureau_admin).latest("pk")
    assert bureau_notice.url == public_url("/directory/institutions/") and bureau_notice.station is None


def test_a_qualification_first_seen_near_its_end_is_told_of_the_nearest_threshold_only(city, lab):
    start = timezone.localdate()
    qualification = Qualification.objects.create(
        institution=lab, kind="cnas", number="L0020", valid_until=start + days(20)
    )
    assert qualification_expiry_notify(today=start) == 1
    assert qualification_expiry_notify(today=start + days(1)) == 0
    qualification.refresh_from_db()
    assert qualification.expiry_notices == [f"{qualification.valid_until.isoformat()}:30"]
    # Renewed (a new end date): told of again when that one nears.
    Qualification.objects.filter(pk=qualification.pk).update(valid_until=start + days(400))
    assert qualification_expiry_notify(today=start + days(310)) == 1
    assert told()["bureau-admin"] == 2


def test_a_station_that_referred_elsewhere_or_long_ago_is_not_told(city):
    start = timezone.localdate()
    lab = Institution.objects.create(name="铁岭市无人转办计量所", kind="metrology")
    other = Institution.objects.create(name="铁岭市他处计量所", kind="metrology")
    referred(city.alpha, other, ago=10)
    referred(city.beta, lab, ago=366)
    Qualification.objects.create(institution=lab, kind="cma", number="210000000366", valid_until=start)
    assert qualification_expiry_notify(today=start) == 1
    assert told() == {"bureau-admin": 1}


def test_an_inactive_institutions_or_a_long_ended_qualification_is_not_told_of(city, lab):
    start = timezone.localdate()
    Qualification.objects.create(institution=lab, kind="cma", number="210000000400", valid_until=start - days(400))
    closed = Institution.objects.create(name="铁岭市停业计量所", kind="metrology", is_active=False)
    Qualification.objects.create(institution=closed, kind="cma", number="210000000401", valid_until=start)
    assert qualification_expiry_notify(today=start) == 0


@pytest.fixture
def alpha(city):
    with schema_context(city.alpha.schema_name):
        yield city.alpha


def test_staff_qualifications_are_reminded_to_the_head_at_90_30_and_0_days(city, alpha):
    start = timezone.localdate()
    operations.staff_qualification_add(
        user=city.alpha_head, member=city.alpha_staff, name="计量检定员证", valid_until=start + days(100)
    )
    remind = operations.staff_qualification_expiry_remind
    assert remind(today=start) == 0
    assert remind(today=start + days(10)) == 1  # 90 days
    assert remind(today=start + days(11)) == 0
    assert remind(today=start + days(70)) == 1  # 30 days
    assert remind(today=start + days(93)) == 0  # 7 days: no longer a threshold
    assert remind(today=start + days(100)) == 1  # its last day
    assert remind(today=start + days(101)) == 0
    assert told() == {city.alpha_head.username: 3}
