"""The city statistics' read model: fed by the stations through the outbox, it gives the figures worked out by hand
on the fixed data set, the same figures as the naive loop over every station's schema, and the same facts as a
rebuild from the schemas."""

import datetime
import io
from statistics import median

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from core.catalog.models import ServiceCategory
from core.stats import services
from core.stats.facts import DAY_COUNTS
from core.stats.models import CaseFact, CategoryDay, StationDay
from core.stats.selectors import GROUPINGS, city_statistics, city_statistics_from_schemas
from tests.core.stats import dataset

pytestmark = pytest.mark.django_db


@pytest.fixture
def cases(city, published):
    return dataset.build(city)


def _group(statistics, key):
    return next(group.figures for group in statistics.groups if group.key == key)


def test_figures_by_station_as_worked_out_by_hand(city, cases):
    statistics = city_statistics(start=dataset.START, end=dataset.END, by="station")
    alpha = _group(statistics, city.alpha.pk)
    assert (alpha.demands, alpha.received, alpha.to_institutions, alpha.to_stations) == (4, 4, 1, 1)
    assert (alpha.completed, alpha.on_time, alpha.on_time_rate) == (2, 1, 0.5)
    assert (alpha.median_response_hours, alpha.median_completion_hours) == (2.0, 54.0)
    assert alpha.surveys == 2
    assert alpha.satisfaction == {
        "q1": 0.5,
        **dict.fromkeys(("q2", "q3", "q4", "q6", "q7", "q8", "q9"), 1.0),
        "q10": 0.5,
    }
    assert (alpha.overall_satisfaction, alpha.solved, alpha.solved_rate) == (0.5, 1, 0.5)
    assert (alpha.complaints, alpha.escalated) == (2, 1)

    beta = _group(statistics, city.beta.pk)
    assert (beta.demands, beta.received, beta.to_institutions, beta.to_stations) == (1, 1, 0, 0)
    assert (beta.completed, beta.on_time, beta.on_time_rate) == (1, 1, 1.0)
    assert (beta.median_response_hours, beta.median_completion_hours) == (2.0, 96.0)
    assert (beta.surveys, beta.overall_satisfaction, beta.solved_rate) == (0, None, None)

    city_total = statistics.total
    assert (city_total.demands, city_total.received, city_total.to_institutions, city_total.to_stations) == (5, 5, 1, 1)
    assert (city_total.completed, city_total.on_time) == (3, 2)
    assert (city_total.median_response_hours, city_total.median_completion_hours) == (2.0, 60.0)
    assert (city_total.surveys, city_total.overall_satisfaction, city_total.solved_rate) == (2, 0.5, 0.5)
    assert (city_total.complaints, city_total.escalated) == (2, 1)
    assert beta.complaints == 0


def test_figures_by_category_and_district_as_worked_out_by_hand(city, cases):
    by_category = city_statistics(start=dataset.START, end=dataset.END, by="category")
    metrology = _group(by_category, cases["a1"].category_id)
    testing = _group(by_category, cases["a2"].category_id)
    assert (metrology.received, metrology.completed, metrology.median_completion_hours) == (4, 2, 72.0)
    assert (testing.received, testing.completed, testing.on_time) == (1, 1, 0)
    others = [
        group.figures
        for group in by_category.groups
        if group.key not in (metrology, testing) and group.key not in (cases["a1"].category_id, cases["a2"].category_id)
    ]
    assert all(figures.received == figures.completed == 0 for figures in others)
    assert len(by_category.groups) == ServiceCategory.objects.count()
    # c1 is about a metrology case; c2 about no case: in the city's count only.
    assert (metrology.complaints, metrology.escalated, testing.complaints) == (1, 1, 0)
    assert (by_category.total.complaints, by_category.total.escalated) == (2, 1)

    by_district = city_statistics(start=dataset.START, end=dataset.END, by="district")
    assert _group(by_district, city.alpha.district).received == 4
    assert _group(by_district, city.beta.district).completed == 1


def test_trend_per_day_as_worked_out_by_hand(city, cases):
    statistics = city_statistics(start=dataset.START, end=dataset.END)
    assert statistics.trend_unit == "day"
    days = {point.day.day: point for point in statistics.trend}
    assert sorted(days) == [2, 3, 4, 5, 6]
    assert [days[day].received for day in sorted(days)] == [1, 1, 1, 1, 1]
    assert [days[day].completed for day in sorted(days)] == [0, 1, 1, 1, 0]
    assert [days[day].surveys for day in sorted(days)] == [0, 0, 0, 1, 1]
    assert (days[5].overall_satisfaction, days[6].overall_satisfaction) == (1.0, 0.0)


def test_drill_down_to_one_station(city, cases):
    statistics = city_statistics(start=dataset.START, end=dataset.END, by="category", station=city.alpha)
    assert statistics.total.received == 4
    assert _group(statistics, cases["a2"].category_id).completed == 1


def test_months_for_a_longer_period(city, cases):
    statistics = city_statistics(start=datetime.date(2026, 9, 1), end=datetime.date(2026, 11, 30))
    assert statistics.trend_unit == "month"
    assert [(point.day.month, point.received, point.completed) for point in statistics.trend] == [
        (9, 0, 0),
        (10, 1, 0),
        (11, 6, 3),
    ]


@pytest.mark.parametrize("by", GROUPINGS)
@pytest.mark.parametrize(
    "period",
    [
        (dataset.START, dataset.END),
        (datetime.date(2026, 10, 1), datetime.date(2026, 11, 30)),
        (dataset.END, dataset.END),
    ],
)
def test_read_model_agrees_with_the_loop_over_schemas(city, cases, by, period):
    start, end = period
    read_model = city_statistics(start=start, end=end, by=by)
    naive = city_statistics_from_schemas(start=start, end=end, by=by)
    assert read_model.total.as_dict() == naive.total.as_dict()
    assert [(g.key, g.figures.as_dict()) for g in read_model.groups] == [
        (g.key, g.figures.as_dict()) for g in naive.groups
    ]


DAY_QUESTIONS = [
    ({"by": "station"}, "stats_stationday"),
    ({"by": "district"}, "stats_stationday"),
    ({"by": "category"}, "stats_categoryday"),
    ({"by": "station", "district": "yinzhou"}, "stats_stationday"),
    ({"by": "district", "district": "kaiyuan"}, "stats_stationday"),
    ({"by": "category", "category": "first"}, "stats_categoryday"),
    ({"by": "station", "category": "first"}, "stats_casefact"),
    ({"by": "category", "station": "alpha"}, "stats_casefact"),
]


@pytest.mark.parametrize("question, table", DAY_QUESTIONS)
@pytest.mark.parametrize("period", [(dataset.START, dataset.END), (datetime.date(2026, 9, 1), dataset.END)])
def test_the_day_counts_answer_as_the_facts_do(city, cases, question, table, period):
    """The questions the day counts can answer are answered from them (one query for the counts), with the same
    groups, total and trend (per day and per month) as from the facts; the others from the facts."""
    start, end = period
    question = dict(question)
    if question.get("category") == "first":
        question["category"] = ServiceCategory.objects.get(pk=cases["a1"].category_id)
    if question.get("station") == "alpha":
        question["station"] = city.alpha
    with CaptureQueriesContext(connection) as queries:
        from_days = city_statistics(start=start, end=end, **question)
    counted = [q["sql"] for q in queries.captured_queries if "sum(" in q["sql"] and "sum(cases)" not in q["sql"]]
    assert counted and all(f"FROM {table} " in sql for sql in counted)
    if table != "stats_casefact" and (end - start).days > 62:  # a trend by month: the whole months from their table
        assert all(f"FROM {table.replace('day', 'month')} " in sql for sql in counted)
    from_facts = city_statistics(start=start, end=end, from_facts=True, **question)
    assert from_days == from_facts


@pytest.mark.parametrize("question, table", DAY_QUESTIONS)
def test_the_medians_of_each_group_and_filter_are_those_of_its_facts(city, cases, question, table):
    """The medians (each group's from its own range of an index, the city's from all) against the median of the
    group's completed facts worked out here, for every grouping and filter the console asks."""
    start, end = dataset.START, dataset.END
    question = dict(question)
    facts = CaseFact.objects.filter(completed_at__isnull=False).select_related("station")
    if question.get("category") == "first":
        question["category"] = ServiceCategory.objects.get(pk=cases["a1"].category_id)
        facts = facts.filter(category=question["category"])
    if question.get("station") == "alpha":
        question["station"] = city.alpha
        facts = facts.filter(station=city.alpha)
    if question.get("district"):
        facts = facts.filter(station__district=question["district"])
    statistics = city_statistics(start=start, end=end, **question)
    by = question["by"]
    period = [fact for fact in facts if start <= timezone.localdate(fact.completed_at) <= end]

    def hours(values):
        return round(median(values) / 3600, 1) if values else None

    def medians(group):
        return (
            hours([fact.response_seconds for fact in group if fact.response_seconds is not None]),
            hours([fact.completion_seconds for fact in group]),
        )

    key = {
        "station": lambda f: f.station_id,
        "district": lambda f: f.station.district,
        "category": lambda f: f.category_id,
    }
    assert period, "the data set completes cases in the period"
    assert (statistics.total.median_response_hours, statistics.total.median_completion_hours) == medians(period)
    for group in statistics.groups:
        expected = medians([fact for fact in period if key[by](fact) == group.key])
        assert (group.figures.median_response_hours, group.figures.median_completion_hours) == expected, group.key


def _days() -> list[tuple]:
    rows = []
    for model in (StationDay, CategoryDay):
        key = "station_id" if model is StationDay else "category_id"
        counts = list(DAY_COUNTS)
        # A day whose counts went back to zero (a case's later reading moved them, a removed station) is no row.
        rows += [(model.__name__, *row) for row in model.objects.values_list(key, "day", *counts) if any(row[2:])]
    return sorted(rows, key=str)


def test_the_day_counts_follow_a_rebuild_and_are_written_again_the_same(city, cases):
    # A day whose counts all went back to zero (as when a station is removed) is left behind, and is no day.
    CategoryDay.objects.create(category_id=cases["a1"].category_id, day=datetime.date(2026, 1, 5))
    fed = _days()
    assert sum(row[3 + list(DAY_COUNTS).index("received")] for row in fed if row[0] == "StationDay") == len(cases)
    services.case_facts_rebuild(station=city.alpha)
    services.case_facts_rebuild(station=city.alpha)
    assert _days() == fed
    StationDay.objects.all().delete()
    CategoryDay.objects.all().delete()
    services.day_counts_rebuild()
    assert _days() == fed


def _facts() -> list[tuple]:
    fields = [field.attname for field in CaseFact._meta.concrete_fields if field.name not in ("id", "as_of")]
    return sorted(CaseFact.objects.values_list(*fields))


def test_a_rebuild_from_the_schemas_gives_the_same_facts(city, cases):
    fed = _facts()
    assert len(fed) == len(cases)
    CaseFact.objects.all().delete()
    written = sum(services.case_facts_rebuild(station=station) for station in (city.alpha, city.beta))
    assert written == len(cases)
    assert _facts() == fed


def test_an_older_reading_never_overwrites_a_newer_one(city, cases):
    fact = CaseFact.objects.get(station=city.alpha, case_id=cases["a1"].pk)
    with schema_context(city.alpha.schema_name), connection.cursor():
        rows = services._fact_rows("WHERE c.id = %s", [cases["a1"].pk])
    stale = rows[0] | {"state": "received", "as_of": fact.as_of - datetime.timedelta(seconds=1)}
    payload = {k: v.isoformat() if isinstance(v, datetime.datetime) else v for k, v in stale.items()}
    assert services.case_fact_apply(payload=payload, source=city.alpha.schema_name) is None
    assert CaseFact.objects.get(pk=fact.pk).state == "evaluated"


def test_only_a_station_feeds_the_read_model(city, cases):
    with pytest.raises(PermissionDenied):
        services.case_fact_apply(payload={"case_id": 1}, source="public")


def test_each_change_of_a_case_reaches_the_read_model(city, cases):
    fact = CaseFact.objects.get(station=city.beta, case_id=cases["b2"].pk)
    assert (fact.state, fact.completed_at) == ("cancelled", None)
    a1 = CaseFact.objects.get(station=city.alpha, case_id=cases["a1"].pk)
    assert (a1.state, a1.plan_kind, a1.response_seconds, a1.q10, a1.q5) == ("evaluated", "self", 3 * 3600, 4, True)
    # Received Monday 09:00, first completed Wednesday 09:00 (a re-plan since does not move it).
    assert a1.completion_seconds == 48 * 3600 == (a1.completed_at - a1.received_at).total_seconds()
    a4 = CaseFact.objects.get(station=city.alpha, case_id=cases["a4"].pk)
    assert a4.plan_kind == "station"


def test_stats_check_finds_a_difference_and_stats_rebuild_repairs_it(city, cases):
    period = ["--from", dataset.START.isoformat(), "--to", dataset.END.isoformat()]
    out = io.StringIO()
    call_command("stats_check", *period, stdout=out)
    assert "agrees" in out.getvalue()
    CaseFact.objects.filter(station=city.alpha, case_id=cases["a1"].pk).delete()
    errors = io.StringIO()
    with pytest.raises(CommandError, match="difference"):
        call_command("stats_check", *period, stdout=io.StringIO(), stderr=errors)
    assert city.alpha.name in errors.getvalue()
    call_command("stats_rebuild", city.alpha.code, stdout=io.StringIO())
    call_command("stats_check", *period, stdout=io.StringIO())
    assert CaseFact.objects.filter(station=city.alpha, case_id=cases["a1"].pk).exists()

    # A day count gone wrong (which no code path does) is found and repaired the same way.
    StationDay.objects.filter(station=city.beta).update(received=7)
    with pytest.raises(CommandError, match="difference"):
        call_command("stats_check", *period, stdout=io.StringIO(), stderr=io.StringIO())
    call_command("stats_rebuild", stdout=io.StringIO())
    call_command("stats_check", *period, stdout=io.StringIO())
