"""A year on the dashboard (issue 21): the month counts and the time histograms follow the facts like the day counts,
the city statistics answer a long period from whole months and edge days with the same figures as the day counts and
the facts' own medians, and a time read from the buckets alone is within the stated bound of the true one."""

import datetime
import random
from statistics import median

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.catalog.models import ServiceCategory
from core.stats import services
from core.stats.facts import (
    DAY_COUNTS,
    TIME_EDGES,
    time_bucket_error,
    time_bucket_midpoint,
    time_contributions,
)
from core.stats.models import CaseFact
from core.stats.selectors import Period, city_statistics
from tests.core.stats import dataset

pytestmark = pytest.mark.django_db

SHANGHAI = dataset.SHANGHAI
FIRST_CASE = 50_000_000  # the generated facts' case ids, far above any station's own
TODAY = datetime.date(2026, 12, 7)


def _count_rows(kind: str) -> tuple[set, set]:
    """The non-zero rows of the month counts of `kind` (station, category), and those the day counts sum up to."""
    key = f"{kind}_id"
    counts = ", ".join(DAY_COUNTS)
    sums = ", ".join(f"sum({name}) AS {name}" for name in DAY_COUNTS)
    nonzero = " OR ".join(f"{name} <> 0" for name in DAY_COUNTS)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {key}, day, {counts} FROM stats_{kind}month WHERE {nonzero}")  # noqa: S608
        months = set(cursor.fetchall())
        cursor.execute(
            f"SELECT * FROM (SELECT {key}, date_trunc('month', day)::date AS day, {sums} "  # noqa: S608
            f"FROM stats_{kind}day GROUP BY 1, 2) s WHERE {nonzero}"
        )
        return months, set(cursor.fetchall())


def _time_rows(kind: str, grain: str) -> tuple[set, set]:
    """The non-zero rows of a histogram table, and those its facts give."""
    key = f"{kind}_id"
    day = "c.day" if grain == "day" else "date_trunc('month', c.day)::date"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {key}, day, measure, bucket, cases FROM stats_{kind}{grain}times WHERE cases <> 0"  # noqa: S608
        )
        stored = set(cursor.fetchall())
        cursor.execute(
            f"SELECT c.{key}, {day}, c.measure, c.bucket, count(*) FROM ({time_contributions('true')}) c "  # noqa: S608
            "GROUP BY 1, 2, 3, 4",
            {"tz": timezone.get_current_timezone_name()},
        )
        return stored, set(cursor.fetchall())


def _assert_in_step() -> None:
    for kind in ("station", "category"):
        months, from_days = _count_rows(kind)
        assert months == from_days, kind
        for grain in ("day", "month"):
            stored, from_facts = _time_rows(kind, grain)
            assert stored == from_facts, (kind, grain)


def test_the_month_counts_and_histograms_follow_each_change_and_a_rebuild(city, published):
    """Fed case by case through the outbox (the hand-made data set: receptions, completions, surveys, a referral),
    the month counts are the sums of the day counts and the histograms what the facts give; a rebuild writes the same
    again, and taking a station out takes out its rows."""
    dataset.build(city)
    assert CaseFact.objects.filter(station=city.alpha, completed_at__isnull=False).exists()
    _assert_in_step()
    services.day_counts_rebuild()
    _assert_in_step()
    services.case_facts_rebuild(station=city.alpha)
    _assert_in_step()


def _generate_facts(stations, categories, *, size: int, seed: int = 21) -> list[CaseFact]:
    """Cases spread over two years before TODAY as the benchmark's generator spreads them: answered after 30 minutes
    to 2 days, completed after 4 to 404 hours (85%), a few at Shanghai midnight on a month's edge."""
    rng = random.Random(seed)  # noqa: S311  (test data)
    now = datetime.datetime.combine(TODAY, datetime.time(12), tzinfo=SHANGHAI)
    facts = []
    for _number in range(size):
        received = now - datetime.timedelta(seconds=rng.randrange(730 * 86400))
        completed = None
        if rng.random() < 0.85:
            completed = min(received + datetime.timedelta(seconds=rng.randrange(4 * 3600, 404 * 3600)), now)
        facts.append((received, completed, rng.randrange(1800, 1800 + 2880 * 60)))
    # On the edge of a month, local time: completed at 23:59:59 on 31 October and at midnight on 1 November.
    for completed in (
        datetime.datetime(2026, 10, 31, 23, 59, 59, tzinfo=SHANGHAI),
        datetime.datetime(2026, 11, 1, 0, 0, 0, tzinfo=SHANGHAI),
        datetime.datetime(2026, 11, 30, 23, 59, 59, tzinfo=SHANGHAI),
    ):
        facts.append((completed - datetime.timedelta(hours=30), completed, 7200))
    rows = []
    for number, (received, completed, response) in enumerate(facts):
        rows.append(
            CaseFact(
                station=stations[number % len(stations)],
                case_id=FIRST_CASE + number,
                number=f"G{number}",
                demand_id=FIRST_CASE + number,
                first_of_demand=True,
                first_of_demand_in_category=True,
                category=categories[number % len(categories)],
                channel="visit",
                state="completed" if completed else "in_service",
                plan_kind="self",
                received_at=received,
                due_at=received + datetime.timedelta(days=14),
                completed_at=completed,
                response_seconds=response if completed else None,
                completion_seconds=int((completed - received).total_seconds()) if completed else None,
                as_of=now,
            )
        )
    return CaseFact.objects.bulk_create(rows)


@pytest.fixture
def generated(city):
    """3,000 generated facts at alpha and beta in every category, counted by a rebuild of the counts."""
    categories = list(ServiceCategory.objects.order_by("pk"))
    facts = _generate_facts([city.alpha, city.beta], categories, size=3_000)
    services.day_counts_rebuild()
    return facts


PERIODS = [
    (TODAY - datetime.timedelta(days=30), TODAY),
    (TODAY - datetime.timedelta(days=90), TODAY),
    (TODAY - datetime.timedelta(days=365), TODAY),
    (TODAY - datetime.timedelta(days=730), TODAY),
    (datetime.date(2026, 1, 1), datetime.date(2026, 6, 30)),  # whole months only
    (datetime.date(2025, 11, 15), datetime.date(2026, 2, 14)),  # across a year's end, edge days both sides
    (datetime.date(2026, 11, 1), datetime.date(2027, 1, 31)),  # from a Shanghai midnight on
    (datetime.date(2026, 8, 1), datetime.date(2026, 10, 31)),  # up to one
    (datetime.date(2026, 10, 31), datetime.date(2026, 10, 31)),
    (datetime.date(2026, 11, 5), datetime.date(2026, 11, 20)),  # inside one month, reaching neither end
    (datetime.date(2026, 3, 10), datetime.date(2026, 6, 20)),  # both edges read as their months less a few days
]
QUESTIONS = [
    {"by": "station"},
    {"by": "district"},
    {"by": "category"},
    {"by": "station", "district": "yinzhou"},
    {"by": "category", "category": "first"},
    {"by": "category", "station": "alpha"},
]


@pytest.mark.parametrize("period", PERIODS, ids=lambda period: f"{period[0]}..{period[1]}")
def test_months_and_histograms_answer_as_the_days_and_the_facts_did(city, generated, period):
    """For every period and question: the same groups, total and trend as the day counts with the medians sorted
    from the facts (the way before, `from_days`), to the last count and the last second."""
    start, end = period
    for question in QUESTIONS:
        question = dict(question)
        if question.get("category") == "first":
            question["category"] = generated[0].category
        if question.get("station") == "alpha":
            question["station"] = city.alpha
        with CaptureQueriesContext(connection) as queries:
            new = city_statistics(start=start, end=end, **question)
        old = city_statistics(start=start, end=end, from_days=True, **question)
        assert new == old, question
        if question["by"] != "station" and "station" not in question and (end - start).days > 62:
            assert any("stats_categorymonthtimes" in q["sql"] or "stats_stationmonthtimes" in q["sql"] for q in queries)
    assert old.total.completed > 0


def test_a_month_edge_at_shanghai_midnight(city, generated):
    """A case completed at 00:00 on 1 November in Shanghai (16:00 on 31 October in UTC) counts in November, one a
    second earlier in October: in the month counts as in the day counts."""
    october = city_statistics(start=datetime.date(2026, 10, 1), end=datetime.date(2026, 10, 31), by="station")
    november = city_statistics(start=datetime.date(2026, 11, 1), end=datetime.date(2026, 11, 30), by="station")
    both = city_statistics(start=datetime.date(2026, 8, 1), end=datetime.date(2026, 11, 30), by="station")
    by_month = {point.day: point.completed for point in both.trend}
    assert by_month[datetime.date(2026, 10, 1)] == october.total.completed
    assert by_month[datetime.date(2026, 11, 1)] == november.total.completed
    midnight = datetime.datetime(2026, 11, 1, tzinfo=SHANGHAI)
    in_november = CaseFact.objects.filter(
        completed_at__gte=midnight, completed_at__lt=datetime.datetime(2026, 12, 1, tzinfo=SHANGHAI)
    ).count()
    assert november.total.completed == in_november


def test_the_histogram_alone_is_within_its_bound_of_the_facts(city, generated):
    """The stated bound, on the generated times: every decile of the year's response and completion times read as
    its bucket's middle is within `time_bucket_error` of the true one (3 minutes below 10 hours, 0.5% above), and the
    median shown (hours, one decimal) moves by at most a tenth below 10 hours."""
    period = Period(TODAY - datetime.timedelta(days=365), TODAY)
    facts = CaseFact.objects.filter(completed_at__gte=period.since, completed_at__lt=period.until)
    with connection.cursor() as cursor:
        for column in ("response_seconds", "completion_seconds"):
            values = sorted(v for v in facts.values_list(column, flat=True) if v is not None)
            assert len(values) > 500
            cursor.execute(
                "SELECT width_bucket(v, %s) FROM unnest(%s::int[]) v ORDER BY v",
                [list(TIME_EDGES), values],
            )
            buckets = [bucket for (bucket,) in cursor.fetchall()]
            for decile in range(1, 10):
                rank = len(values) * decile // 10
                estimate, exact = time_bucket_midpoint(buckets[rank]), values[rank]
                assert abs(estimate - exact) <= time_bucket_error(exact), (column, decile, estimate, exact)
                if exact < TIME_EDGES[100]:
                    assert abs(round(estimate / 3600, 1) - round(exact / 3600, 1)) <= 0.1 + 1e-9
    # The city statistics' own median (its bucket from the histograms, the value from the facts) is the exact one.
    statistics = city_statistics(start=period.start, end=period.end, by="category")
    exact = [fact.completion_seconds for fact in facts]
    assert statistics.total.median_completion_hours == round(median(exact) / 3600, 1)


def test_a_long_period_reads_months_not_days(city, generated):
    """A year by station: the counts read the station months and, at its edges, the fewer of the days inside or
    outside the period (7 December 2025 to 7 December 2026: December 2025's month less its first six days, and
    December 2026's first seven days), and the city's medians the category histograms the same way."""
    start, end = TODAY - datetime.timedelta(days=365), TODAY
    assert Period(start, end).parts() == [
        (True, 1, datetime.date(2026, 1, 1), datetime.date(2026, 11, 1)),
        (True, 1, datetime.date(2025, 12, 1), datetime.date(2025, 12, 1)),
        (False, -1, datetime.date(2025, 12, 1), datetime.date(2025, 12, 6)),
        (False, 1, datetime.date(2026, 12, 1), datetime.date(2026, 12, 7)),
    ]
    with CaptureQueriesContext(connection) as queries:
        city_statistics(start=start, end=end, by="station")
    counted = next(q["sql"] for q in queries.captured_queries if "sum(f.received)" in q["sql"])
    assert "FROM stats_stationmonth " in counted and "FROM stats_stationday " in counted
    assert any("FROM stats_categorydaytimes " in q["sql"] for q in queries.captured_queries)


def test_period_parts_add_up_to_its_days():
    """Whatever the period, its parts count each of its days once and no other day."""
    randomly = random.Random(21)  # noqa: S311  (test data)
    for _case in range(300):
        start = datetime.date(2025, 1, 1) + datetime.timedelta(days=randomly.randrange(700))
        end = start + datetime.timedelta(days=randomly.choice([0, 1, 5, 20, 40, 62, 63, 200, 365, 500]))
        counted: dict[datetime.date, int] = {}
        for monthly, sign, first, last in Period(start, end).parts():
            if monthly:  # first and last are months: every day of each
                last = (last + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)
            for n in range((last - first).days + 1):
                day = first + datetime.timedelta(days=n)
                counted[day] = counted.get(day, 0) + sign
        assert {day for day, times in counted.items() if times} == {
            start + datetime.timedelta(days=n) for n in range((end - start).days + 1)
        }, (start, end)
        assert set(counted.values()) <= {0, 1}, (start, end)


def test_by_category_the_city_histogram_is_the_categories_summed(city, generated):
    """By category, the city's medians come from the categories' histograms, read once (not a second time for the
    city), and equal those sorted from the facts."""
    start, end = TODAY - datetime.timedelta(days=365), TODAY
    with CaptureQueriesContext(connection) as queries:
        new = city_statistics(start=start, end=end, by="category")
    assert sum("stats_categorymonthtimes" in q["sql"] for q in queries.captured_queries) == 1
    old = city_statistics(start=start, end=end, by="category", from_days=True)
    assert new.total == old.total and new.total.median_completion_hours is not None
