"""The city statistics through the API (issue 6, clause 3), for the bureau's reporting tools: the hand-computed
figures of the fixed data set (`tests/core/stats/dataset.py`), bad parameters refused per field, a query count that
does not grow with the rows, a station's case list only for the bureau roles that may see it and every call logged,
and everyone else refused."""

import json

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator

from api.v1.statistics import CityStatisticsSerializer, StationStatisticsSerializer, statistics_data
from core.stats.models import CaseListAccess
from core.stats.selectors import city_statistics
from tests.conftest import host_client
from tests.core.stats import dataset
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CITY = "/api/v1/statistics/"
PERIOD = {"from": "2026-11-02", "to": "2026-11-06"}


def station_path(station) -> str:
    return f"/api/v1/statistics/stations/{station.pk}/"


def cases_path(station) -> str:
    return f"/api/v1/statistics/stations/{station.pk}/cases/"


def with_case_lists(user):
    user.user_permissions.add(Permission.objects.get(content_type__app_label="stats", codename="view_case_list"))
    return user


@pytest.fixture
def cases(city, published):
    return dataset.build(city)


@pytest.fixture
def viewer(city, public_host):
    return host_client(public_host, city.bureau_viewer)


@pytest.fixture
def admin(city, public_host):
    return host_client(public_host, city.bureau_admin)


def group(body: dict, key) -> dict:
    return next(g for g in body["groups"] if g["key"] == str(key))


def test_the_city_figures_are_those_worked_out_by_hand(city, cases, viewer):
    response = viewer.get(CITY, PERIOD)
    assert response.status_code == 200
    body = response.json()
    assert (body["from"], body["to"], body["by"], body["trend_unit"]) == ("2026-11-02", "2026-11-06", "station", "day")
    alpha = group(body, city.alpha.pk)
    assert alpha["label"] == city.alpha.name
    assert alpha["station"] == {"id": city.alpha.pk, "code": "alpha", "name": city.alpha.name}
    assert alpha["figures"] == {
        "demands": 4,
        "received": 4,
        "to_institutions": 1,
        "to_stations": 1,
        "from_stations": 0,
        "completed": 2,
        "on_time": 1,
        "on_time_rate": 0.5,
        "median_response_hours": 2.0,
        "median_completion_hours": 54.0,
        "surveys": 2,
        "satisfaction": {"q1": 0.5, **dict.fromkeys(("q2", "q3", "q4", "q6", "q7", "q8", "q9"), 1.0), "q10": 0.5},
        "overall_satisfaction": 0.5,
        "solved": 1,
        "solved_rate": 0.5,
        "complaints": 2,
        "escalated": 1,
    }
    beta = group(body, city.beta.pk)["figures"]
    assert (beta["on_time_rate"], beta["median_completion_hours"], beta["overall_satisfaction"]) == (1.0, 96.0, None)
    total = body["total"]
    assert (total["demands"], total["received"], total["completed"], total["on_time"]) == (5, 5, 3, 2)
    assert (total["median_response_hours"], total["median_completion_hours"]) == (2.0, 60.0)
    assert (total["surveys"], total["overall_satisfaction"], total["solved_rate"]) == (2, 0.5, 0.5)
    trend = {point["day"]: point for point in body["trend"]}
    assert [trend[day]["received"] for day in sorted(trend)] == [1, 1, 1, 1, 1]
    assert [trend[day]["completed"] for day in sorted(trend)] == [0, 1, 1, 1, 0]
    assert (trend["2026-11-06"]["surveys"], trend["2026-11-06"]["overall_satisfaction"]) == (1, 0.0)


def test_the_city_figures_by_district_and_category_and_filtered(city, cases, viewer):
    by_district = viewer.get(CITY, {**PERIOD, "by": "district"}).json()
    assert group(by_district, "yinzhou")["figures"]["received"] == 4
    assert group(by_district, "kaiyuan")["figures"]["completed"] == 1
    metrology = cases["a1"].category_id
    by_category = viewer.get(CITY, {**PERIOD, "by": "category"}).json()
    assert group(by_category, metrology)["label"] == cases["a1"].category.name
    assert group(by_category, metrology)["figures"]["median_completion_hours"] == 72.0
    only_kaiyuan = viewer.get(CITY, {**PERIOD, "district": "kaiyuan"}).json()
    assert [g["key"] for g in only_kaiyuan["groups"]] == [str(city.beta.pk)]
    assert only_kaiyuan["total"]["received"] == 1
    only_metrology = viewer.get(CITY, {**PERIOD, "category": metrology}).json()
    assert only_metrology["total"]["received"] == 4 and group(only_metrology, city.alpha.pk)["figures"]["received"] == 3


def test_a_long_period_has_a_monthly_trend_and_the_default_is_the_last_90_days(city, viewer):
    body = viewer.get(CITY, {"from": "2026-01-01", "to": "2026-12-31"}).json()
    assert body["trend_unit"] == "month" and len(body["trend"]) == 12 and body["trend"][0]["day"] == "2026-01-01"
    default = viewer.get(CITY).json()
    assert default["trend_unit"] == "month" and default["by"] == "station"


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ({"from": "yesterday"}, ["from"]),
        ({"from": "2026-11-06", "to": "2026-11-02"}, ["to"]),
        ({"from": "1990-01-01", "to": "2026-11-02"}, ["to"]),
        ({"by": "enterprise"}, ["by"]),
        ({"district": "shenyang"}, ["district"]),
        ({"category": "999999"}, ["category"]),
        ({"from": "x", "by": "y"}, ["by", "from"]),
    ],
)
def test_bad_parameters_are_refused_per_field(city, viewer, query, fields):
    response = viewer.get(CITY, query)
    assert response.status_code == 400
    assert sorted(response.json()) == fields


def test_bad_periods_of_a_station_are_refused(city, viewer, admin):
    assert list(viewer.get(station_path(city.alpha), {"to": "someday"}).json()) == ["to"]
    response = admin.get(cases_path(city.alpha), {"from": "2026-11-06", "to": "2026-11-02"})
    assert response.status_code == 400 and response.json() == {"to": ["结束日期不能早于开始日期。"]}


def test_the_city_query_count_does_not_grow_with_the_rows(city, published, viewer, django_assert_num_queries):
    by_category = {**PERIOD, "by": "category"}
    counted = {}
    for name, question in (("station", PERIOD), ("category", by_category)):
        with CaptureQueriesContext(connection) as baseline:
            assert viewer.get(CITY, question).json()["total"]["received"] == 0
        counted[name] = len(baseline)
    # By category the city's histogram is the categories' summed: one query fewer.
    assert counted["category"] == counted["station"] - 1 > 0
    dataset.build(city)
    with django_assert_num_queries(counted["station"]):
        assert viewer.get(CITY, PERIOD).json()["total"]["received"] == 5
    with django_assert_num_queries(counted["category"]):
        assert viewer.get(CITY, by_category).json()["total"]["received"] == 5


def test_a_station_figures_by_category(city, cases, viewer):
    response = viewer.get(station_path(city.alpha), PERIOD)
    assert response.status_code == 200
    body = response.json()
    assert body["station"]["code"] == "alpha" and body["by"] == "category"
    assert group(body, cases["a1"].category_id)["figures"]["received"] == 3
    assert group(body, cases["a2"].category_id)["figures"]["median_completion_hours"] == 60.0
    assert (body["total"]["received"], body["total"]["on_time_rate"], body["total"]["median_completion_hours"]) == (
        4,
        0.5,
        54.0,
    )
    assert viewer.get("/api/v1/statistics/stations/999999/").status_code == 404


@pytest.mark.parametrize("by", ["station", "district", "category"])
def test_the_answer_is_what_the_documented_serializers_give(city, cases, by):
    """The views build their answer directly (`statistics_data`); the serializers are the documented schema."""
    start, end = dataset.START, dataset.END
    statistics = city_statistics(start=start, end=end, by=by)
    assert statistics_data(statistics) == CityStatisticsSerializer(statistics).data
    one = city_statistics(start=start, end=end, by="category", station=city.alpha)
    one.station = city.alpha
    assert statistics_data(one) == StationStatisticsSerializer(one).data
    assert json.dumps(statistics_data(one)) == json.dumps(StationStatisticsSerializer(one).data)


@pytest.mark.clause("7.3")
def test_an_administrator_reads_a_case_list_and_every_call_is_logged(city, cases, admin, django_assert_num_queries):
    with CaptureQueriesContext(connection) as baseline:
        first = admin.get(cases_path(city.alpha), {**PERIOD, "limit": 1})
    assert first.status_code == 200
    counted = len(baseline)
    body = first.json()
    assert body["count"] == 4 and len(body["results"]) == 1
    with django_assert_num_queries(counted):  # a page of four costs what a page of one does
        body = admin.get(cases_path(city.alpha), PERIOD).json()
    by_number = {row["number"]: row for row in body["results"]}
    assert set(by_number) == {cases[name].number for name in ("a1", "a2", "a3", "a4")}
    a2 = by_number[cases["a2"].number]
    assert (a2["on_time"], a2["response_hours"], a2["state"], a2["plan_kind"]) == (False, 1.0, "evaluated", "self")
    assert a2["category"]["name"] == cases["a2"].category.name
    assert a2["survey"]["q10"] == 1 and a2["survey"]["q5"] is False
    assert a2["received_at"] == "2026-11-03T09:00:00+08:00"
    assert by_number[cases["a3"].number]["survey"] is None and by_number[cases["a3"].number]["on_time"] is None
    assert by_number[cases["a4"].number]["plan_kind"] == "station"

    accesses = list(CaseListAccess.objects.order_by("id"))
    assert [(a.user, a.station, a.what) for a in accesses] == [(city.bureau_admin, city.alpha, "api")] * 2
    assert accesses[0].period == "2026-11-02–2026-11-06" and accesses[0].path.startswith(cases_path(city.alpha))
    assert admin.get(cases_path(city.beta), PERIOD).json()["count"] == 1  # b2 (b1 was received before)


def test_a_viewer_needs_the_permission_to_read_case_lists(city, cases, viewer, public_host):
    assert viewer.get(cases_path(city.alpha), PERIOD).status_code == 403
    assert viewer.get("/api/v1/statistics/stations/999999/cases/").status_code == 403
    assert not CaseListAccess.objects.exists()
    allowed_user = with_case_lists(UserFactory(bureau_role="viewer"))
    allowed = host_client(public_host, allowed_user)
    assert allowed.get(cases_path(city.alpha), PERIOD).json()["count"] == 4
    assert CaseListAccess.objects.get().user == allowed_user
    assert allowed.get("/api/v1/statistics/stations/999999/cases/").status_code == 404


# --- who gets in ---------------------------------------------------------------------------------------------------


def all_paths(city) -> list[str]:
    return [CITY, station_path(city.alpha), cases_path(city.alpha)]


@pytest.mark.parametrize("who", ["outsider", "alpha_staff", "alpha_head", "beta_staff", "beta_head"])
def test_non_bureau_users_are_refused(city, public_host, who):
    client = host_client(public_host, with_case_lists(getattr(city, who)))
    for path in all_paths(city):
        assert client.get(path).status_code == 403, path
        assert host_client(public_host).get(path).status_code in {401, 403}, path
    assert not CaseListAccess.objects.exists()


def test_the_statistics_endpoints_are_not_on_station_hosts(city, alpha_host):
    for path in all_paths(city):
        # A station host serves the station's own endpoints only: the bureau's are not there, for anyone.
        assert host_client(alpha_host, city.alpha_head).get(path).status_code == 404, path
        assert host_client(alpha_host, city.bureau_admin).get(path).status_code == 403, path
    assert not CaseListAccess.objects.exists()


def test_the_public_schema_lists_the_statistics_endpoints_without_warnings(city):
    with GENERATOR_STATS.silence():
        schema = SchemaGenerator(urlconf="stationnet.urls_public").get_schema(request=None, public=True)
    assert not GENERATOR_STATS, (dict(GENERATOR_STATS._warn_cache), dict(GENERATOR_STATS._error_cache))
    paths = {"/api/v1/statistics/", "/api/v1/statistics/stations/{id}/", "/api/v1/statistics/stations/{id}/cases/"}
    assert paths <= set(schema["paths"]), sorted(schema["paths"])
    parameters = {p["name"] for p in schema["paths"]["/api/v1/statistics/"]["get"]["parameters"]}
    assert {"from", "to", "by", "district", "category"} <= parameters
