"""The groups' medians on the new path (issue 21): the two middle values sorted as integers, averaged in Python, are
to the last bit the double `percentile_cont(0.5)` gives, for odd and even counts, ties, and one case alone."""

import datetime
import random

import pytest
from django.db import connection
from django.utils import timezone

from core.catalog.models import ServiceCategory
from core.stats import services
from core.stats.models import CaseFact
from core.stats.selectors import GROUP_MEDIANS, MEDIANS, _middle, city_statistics

pytestmark = pytest.mark.django_db

FIRST_CASE = 60_000_000  # far above any station's own case ids and test_month_counts' generated ones
DAY = datetime.date(2026, 6, 15)


def _facts(station, category, times: list[tuple[int, int]], first: int) -> None:
    """Cases completed on DAY at `station`, one per (response, completion) seconds."""
    completed = timezone.make_aware(datetime.datetime.combine(DAY, datetime.time(12)))
    CaseFact.objects.bulk_create(
        CaseFact(
            station=station,
            case_id=first + number,
            number=f"M{first + number}",
            demand_id=first + number,
            category=category,
            channel="visit",
            state="completed",
            plan_kind="self",
            received_at=completed - datetime.timedelta(seconds=completion),
            completed_at=completed,
            response_seconds=response,
            completion_seconds=completion,
            as_of=completed,
        )
        for number, (response, completion) in enumerate(times)
    )


@pytest.mark.parametrize("size", [1, 2, 3, 4, 7, 10, 101])
def test_the_two_middles_give_percentile_conts_double(city, size):
    rng = random.Random(size)  # noqa: S311  (test data)
    category = ServiceCategory.objects.order_by("pk").first()
    # Odd seconds and ties: the even counts' average is a half second, some middles equal.
    times = [(rng.randrange(1, 40) * 91, rng.randrange(1, 2**31 - 1)) for _number in range(size)]
    first = FIRST_CASE + size * 1000
    _facts(city.alpha, category, times, first)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(GROUP_MEDIANS.values())}, {', '.join(MEDIANS.values())} "  # noqa: S608
            "FROM stats_casefact f WHERE f.case_id >= %s AND f.case_id < %s AND f.station_id = %s",
            [first, first + size, city.alpha.pk],
        )
        response_middles, completion_middles, response, completion = cursor.fetchone()
    assert _middle(response_middles) == response
    assert _middle(completion_middles) == completion


def test_no_completed_case_no_median(city):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(GROUP_MEDIANS.values())} FROM stats_casefact f WHERE false")  # noqa: S608
        assert [_middle(middles) for middles in cursor.fetchone()] == [None, None]


@pytest.mark.parametrize("by", ["station", "district"])
def test_each_group_as_the_old_path(city, by):
    """A day with an even count of cases at alpha and an odd one at beta: each group's figures and the total as the
    facts' own sort gives them (`from_days`), counted by a rebuild."""
    category = ServiceCategory.objects.order_by("pk").first()
    _facts(city.alpha, category, [(1800 + 7 * n, 36_000 + 1801 * n) for n in range(6)], FIRST_CASE + 900_000)
    _facts(city.beta, category, [(5400 + 11 * n, 90_000 + 3 * n) for n in range(5)], FIRST_CASE + 910_000)
    services.day_counts_rebuild()
    new = city_statistics(start=DAY, end=DAY, by=by)
    assert new == city_statistics(start=DAY, end=DAY, by=by, from_days=True)
    assert any(group.figures.median_completion_hours is not None for group in new.groups)
