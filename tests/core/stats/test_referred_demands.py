"""Issue 15: the city counts a demand once. A case a station opened by accepting another station's referral is a case
it received and one referred from a station, but no new demand; its completion and survey count where it was served.

The story, in the week of Monday 16 November 2026 (Asia/Shanghai): the enterprises bring alpha two demand forms, d1
(Mon 09:00) and d2 (Mon 10:00), both metrology. Alpha refers d2's case to beta (Mon 11:00); beta accepts it (Tue
09:00: its desk opens a demand with the channel "referred by another station" and one case), serves it, completes it
(Wed 15:00) and keys in its survey (Thu 10:00). By hand:
- alpha: 2 demands, 2 received, 1 referred to a station, none from one; nothing completed.
- beta: no demand, 1 received, 1 referred from a station; 1 completed, 1 survey.
- city: 2 demands (not 3), 3 cases received, 1 referred to and 1 from a station, 1 completed, 1 survey.
"""

import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation
from django_tenants.utils import schema_context

from core.catalog.models import ServiceCategory
from core.desk.models import Channel, ServiceCase
from core.referrals import services as referrals
from core.referrals.models import Direction, Referral, ReferralState
from core.stats import reports, services
from core.stats.facts import DAY_COUNTS
from core.stats.models import CaseFact, CategoryDay, StationDay
from core.stats.selectors import GROUPINGS, city_statistics, city_statistics_from_schemas
from tests.core.referrals.builders import deliver_all, finish, refer, serve
from tests.core.stats import dataset

pytestmark = pytest.mark.django_db

START, END = datetime.date(2026, 11, 16), datetime.date(2026, 11, 20)


def at(day: int, hour: int) -> datetime.datetime:
    return dataset.at(day, hour)


@pytest.fixture
def story(city, published) -> dict[str, ServiceCase]:
    with schema_context(city.alpha.schema_name):
        d1 = dataset._demand(city, city.alpha, city.alpha_staff, at(16, 9))
        d2 = dataset._demand(city, city.alpha, city.alpha_staff, at(16, 10))
        with dataset._clock(at(16, 11)):
            outgoing = refer(city, d2)
    deliver_all(city)
    with schema_context(city.beta.schema_name):
        incoming = Referral.objects.get(uid=outgoing.uid, direction=Direction.INCOMING)
        with dataset._clock(at(17, 9)):
            incoming = referrals.referral_transition(referral=incoming, user=city.beta_staff, to=ReferralState.ACCEPTED)
            received = serve(city, incoming.case)
        with dataset._clock(at(18, 15)):
            received = finish(city, received)
        dataset._survey(city.beta_staff, received, at(19, 10))
    deliver_all(city)
    return {"d1": d1, "d2": d2, "received": received}


def _figures(statistics, key):
    return next(group.figures for group in statistics.groups if group.key == key)


def _counts(figures) -> tuple:
    return (figures.demands, figures.received, figures.to_stations, figures.from_stations)


def test_a_referral_accepted_by_another_station_is_no_second_demand(city, story):
    received = CaseFact.objects.get(station=city.beta, case_id=story["received"].pk)
    assert (received.channel, received.first_of_demand) == (Channel.REFERRAL, True)  # the fact is as the desk has it

    statistics = city_statistics(start=START, end=END, by="station")
    assert _counts(statistics.total) == (2, 3, 1, 1)
    alpha, beta = _figures(statistics, city.alpha.pk), _figures(statistics, city.beta.pk)
    assert _counts(alpha) == (2, 2, 1, 0)
    assert (alpha.completed, alpha.surveys) == (0, 0)
    # Beta's row: the case it accepted is work it received and served, not a demand it took.
    assert _counts(beta) == (0, 1, 0, 1)
    assert (beta.completed, beta.surveys, beta.overall_satisfaction, beta.solved_rate) == (1, 1, 1.0, 1.0)
    assert (statistics.total.completed, statistics.total.surveys) == (1, 1)

    by_district = city_statistics(start=START, end=END, by="district")
    assert _counts(_figures(by_district, city.alpha.district)) == (2, 2, 1, 0)
    assert _counts(_figures(by_district, city.beta.district)) == (0, 1, 0, 1)

    metrology = ServiceCategory.objects.get(pk=story["d1"].category_id)
    by_category = city_statistics(start=START, end=END, by="category")
    assert _counts(_figures(by_category, metrology.pk)) == (2, 3, 1, 1)
    assert _counts(by_category.total) == (2, 3, 1, 1)
    # Beta by category (from the facts, not the day counts): the same.
    beta_by_category = city_statistics(start=START, end=END, by="category", station=city.beta)
    assert _counts(_figures(beta_by_category, metrology.pk)) == (0, 1, 0, 1)
    assert _figures(beta_by_category, metrology.pk).completed == 1


@pytest.mark.parametrize("by", GROUPINGS)
def test_the_day_counts_the_facts_and_the_stations_schemas_agree(city, story, by):
    from_days = city_statistics(start=START, end=END, by=by)
    assert from_days == city_statistics(start=START, end=END, by=by, from_facts=True)
    naive = city_statistics_from_schemas(start=START, end=END, by=by)
    assert from_days.total.as_dict() == naive.total.as_dict()
    assert [(g.key, g.figures.as_dict()) for g in from_days.groups] == [
        (g.key, g.figures.as_dict()) for g in naive.groups
    ]
    assert naive.total.demands == 2


def _days() -> list[tuple]:
    rows = []
    for model, key in ((StationDay, "station_id"), (CategoryDay, "category_id")):
        rows += [(model.__name__, *row) for row in model.objects.values_list(key, "day", *DAY_COUNTS) if any(row[2:])]
    return sorted(rows, key=str)


def test_a_rebuild_counts_the_cases_from_stations_as_the_messages_did(city, story):
    fed = _days()
    beta_tuesday = next(row for row in fed if row[:3] == ("StationDay", city.beta.pk, datetime.date(2026, 11, 17)))
    names = list(DAY_COUNTS)
    assert (beta_tuesday[3 + names.index("demands")], beta_tuesday[3 + names.index("from_stations")]) == (0, 1)
    for station in (city.alpha, city.beta):
        services.case_facts_rebuild(station=station)
    assert _days() == fed
    StationDay.objects.all().delete()
    CategoryDay.objects.all().delete()
    services.day_counts_rebuild()
    assert _days() == fed


def test_stats_check_finds_the_old_count_and_stats_rebuild_repairs_it(city, story):
    period = ["--from", START.isoformat(), "--to", END.isoformat()]
    call_command("stats_check", *period, stdout=io.StringIO())
    # The day counts as they were before issue 15: beta's accepted referral counted as a demand, none from stations.
    StationDay.objects.filter(station=city.beta, day=datetime.date(2026, 11, 17)).update(demands=1, from_stations=0)
    errors = io.StringIO()
    with pytest.raises(CommandError, match="difference"):
        call_command("stats_check", *period, stdout=io.StringIO(), stderr=errors)
    assert city.beta.name in errors.getvalue()
    call_command("stats_rebuild", stdout=io.StringIO())
    call_command("stats_check", *period, stdout=io.StringIO())
    assert city_statistics(start=START, end=END).total.demands == 2


def test_the_table_names_the_cases_from_stations_and_says_how_demands_count(city, story):
    with translation.override("zh-hans"):
        headers, rows = reports.statistics_table(city_statistics(start=START, end=END, by="station"))
        definitions = {str(term): str(text) for term, text in reports.DEFINITIONS}
    by_station = {row[0]: dict(zip(headers, row, strict=True)) for row in rows}
    assert by_station[city.beta.name]["需求数"] == 0
    assert by_station[city.beta.name]["其他服务站转入"] == 1
    assert by_station[city.alpha.name]["转介至其他服务站"] == 1
    assert "不再计为需求" in definitions["需求数、受理案件数、转介"]
