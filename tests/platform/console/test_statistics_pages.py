"""The city statistics in the bureau console (issue 6, clause 3): the figures of the fixed data set as worked out by
hand (`tests/core/stats/dataset.py`), per station, district and category, the period form, the charts, the XLSX
exports, the drill-down to a station and its case list (only for the bureau roles that may see it, every look
logged), and who is refused."""

import io
import re

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.utils.translation import gettext
from openpyxl import load_workbook

from console.charts import line_chart
from core.common.periods import default_period
from core.stats.models import CaseListAccess
from tests.conftest import host_client
from tests.core.stats import dataset
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PAGE = "/console/statistics/"
PERIOD = {"start": "2026-11-02", "end": "2026-11-06"}


def main_of(html: str) -> str:
    """The page's own content, between <main> and </main> (the layout around it has the site's scripts)."""
    return html.split("<main", 1)[1].split("</main>", 1)[0]


def text(response) -> str:
    return response.content.decode()


def station_page(station) -> str:
    return f"/console/statistics/stations/{station.pk}/"


def cases_page(station) -> str:
    return f"/console/statistics/stations/{station.pk}/cases/"


def paths(station) -> list[str]:
    """Every page and export of the statistics."""
    return [
        PAGE,
        f"{PAGE}groups.xlsx",
        f"{PAGE}trend.xlsx",
        station_page(station),
        f"{station_page(station)}groups.xlsx",
        f"{station_page(station)}trend.xlsx",
        cases_page(station),
        f"/console/statistics/stations/{station.pk}/cases.xlsx",
    ]


def figure(html: str, group, name: str) -> str:
    """The text of figure `name` in the table row of `group` (a key, or "total")."""
    # The group's rows: one in the table of figures, one in the table of satisfaction per question.
    rows = re.findall(rf'<tr data-group="{group}"[^>]*>(.*?)</tr>', html, re.S)
    assert rows, f"no row {group}"
    cells = [cell for row in rows for cell in re.findall(rf'data-figure="{name}">(.*?)</td>', row, re.S)]
    assert len(cells) == 1, f"no figure {name} in row {group}"
    return cells[0].strip()


def sheet_rows(response) -> list[list]:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def viewer_with_case_lists():
    viewer = UserFactory(bureau_role="viewer")
    viewer.user_permissions.add(Permission.objects.get(content_type__app_label="stats", codename="view_case_list"))
    return viewer


@pytest.fixture
def cases(city, published):
    return dataset.build(city)


@pytest.fixture
def viewer(city, public_host):
    return host_client(public_host, city.bureau_viewer)


@pytest.fixture
def admin(city, public_host):
    return host_client(public_host, city.bureau_admin)


# --- the city ------------------------------------------------------------------------------------------------------


def test_the_city_page_shows_the_figures_worked_out_by_hand(city, cases, viewer):
    response = viewer.get(PAGE, PERIOD)
    assert response.status_code == 200
    html = text(response)
    alpha, beta = city.alpha.pk, city.beta.pk
    assert [figure(html, alpha, name) for name in ("demands", "received", "to_institutions", "to_stations")] == [
        "4",
        "4",
        "1",
        "1",
    ]
    assert [figure(html, alpha, name) for name in ("completed", "on_time", "on_time_rate")] == ["2", "1", "50%"]
    assert figure(html, alpha, "median_response_hours") == "2.0"
    assert figure(html, alpha, "median_completion_hours") == "54.0"
    assert figure(html, alpha, "overall_satisfaction") == "50%"
    assert figure(html, alpha, "solved_rate") == "50%"
    assert figure(html, alpha, "satisfaction_q1") == "50%"
    assert figure(html, alpha, "satisfaction_q2") == "100%"
    assert figure(html, beta, "on_time_rate") == "100%"
    assert figure(html, beta, "median_completion_hours") == "96.0"
    assert figure(html, beta, "overall_satisfaction") == "—"  # no survey: nothing to divide by
    assert [figure(html, "total", name) for name in ("demands", "received", "completed", "on_time")] == [
        "5",
        "5",
        "3",
        "2",
    ]
    assert figure(html, "total", "on_time_rate") == "66.7%"
    assert figure(html, "total", "median_response_hours") == "2.0"
    assert figure(html, "total", "median_completion_hours") == "60.0"
    # Each station's row leads to its own figures, for the same period.
    assert f'href="{station_page(city.alpha)}?start=2026-11-02&amp;end=2026-11-06"' in html
    # How the figures are counted is said on the page, and the survey questions in the standard's words.
    assert (
        gettext("How these are counted") in html and gettext("Local days (Asia/Shanghai), both ends included.") in html
    )
    assert "10.您对本次服务总体评价" in html


def test_the_city_page_groups_by_district_and_category_and_filters(city, cases, viewer):
    html = text(viewer.get(PAGE, {**PERIOD, "by": "district"}))
    assert figure(html, "yinzhou", "received") == "4"
    assert figure(html, "kaiyuan", "completed") == "1"
    assert figure(html, "qinghe", "received") == "0"
    assert 'data-by="district" class="active"' in html

    html = text(viewer.get(PAGE, {**PERIOD, "by": "category"}))
    metrology, testing = cases["a1"].category_id, cases["a2"].category_id
    assert (figure(html, metrology, "received"), figure(html, metrology, "completed")) == ("4", "2")
    assert figure(html, metrology, "median_completion_hours") == "72.0"
    assert (figure(html, testing, "received"), figure(html, testing, "on_time_rate")) == ("1", "0%")

    # Only Kaiyuan: beta's figures, and a total of its own.
    html = text(viewer.get(PAGE, {**PERIOD, "district": "kaiyuan"}))
    assert f'data-group="{city.alpha.pk}"' not in html
    assert figure(html, city.beta.pk, "received") == "1"
    assert figure(html, "total", "received") == "1"
    # Only metrology.
    html = text(viewer.get(PAGE, {**PERIOD, "category": metrology}))
    assert figure(html, city.alpha.pk, "received") == "3"
    assert figure(html, "total", "received") == "4"


def test_the_city_page_draws_the_trend_the_categories_the_ranking_and_the_satisfaction(city, cases, viewer):
    html = text(viewer.get(PAGE, PERIOD))
    trend = re.search(r'<section class="card" id="trend">(.*?)</section>', html, re.S).group(1)
    assert "<polyline" in trend and "<script" not in main_of(html)
    # One point per day and series; the received line has 1 on each of the five days.
    assert trend.count("<circle") == 10
    assert f"2026-11-04 · {gettext('Cases completed')}: 1" in trend
    categories = re.search(r'<section class="card" id="categories">(.*?)</section>', html, re.S).group(1)
    assert cases["a1"].category.name in categories and '<rect class="value"' in categories
    ranking = re.search(r'<section class="card" id="ranking">(.*?)</section>', html, re.S).group(1)
    # beta completed its one case on time, alpha one of two: beta ranks first.
    assert ranking.index(city.beta.name) < ranking.index(city.alpha.name)
    assert "100% (1/1)" in ranking and "50% (1/2)" in ranking
    satisfaction = re.search(r'<section class="card" id="satisfaction">(.*?)</section>', html, re.S).group(1)
    assert "1.您对本次服务站的服务的满意程度" in satisfaction and "50% (2)" in satisfaction


def test_a_month_long_period_and_more_draws_months(city, cases, viewer):
    html = text(viewer.get(PAGE, {"start": "2026-09-01", "end": "2026-11-30"}))
    trend = re.search(r'<section class="card" id="trend">(.*?)</section>', html, re.S).group(1)
    assert ">2026-09<" in trend and ">2026-11<" in trend and trend.count("<circle") == 6


def test_the_default_period_is_the_last_90_days(city, viewer):
    response = viewer.get(PAGE)
    assert response.status_code == 200
    start, end = default_period()
    assert f'value="{start.isoformat()}"' in text(response) and f'value="{end.isoformat()}"' in text(response)


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"start": "2026-11-06", "end": "2026-11-02"}, "end", "结束日期不能早于开始日期。"),
        ({"start": "yesterday", "end": "2026-11-02"}, "start", "输入一个有效的日期。"),
        ({"start": "2026-11-02", "end": ""}, "end", "该字段是必填项。"),
        ({"start": "2001-01-01", "end": "2026-11-02"}, "end", None),
    ],
)
def test_a_bad_period_is_refused_with_the_input_kept(city, cases, viewer, query, field, message):
    with time_machine.travel(dataset.at(20, 12), tick=False):  # the last 90 days hold the whole data set
        response = viewer.get(PAGE, {**query, "by": "district"})
        start, end = default_period()
    assert response.status_code == 400
    html = text(response)
    box = re.search(rf'data-field="{field}">(.*?)</div>', html, re.S).group(1)
    assert 'class="field-error"' in box
    if message:
        assert message in box
    for value in query.values():
        if value:
            assert f'value="{value}"' in html  # what was typed is kept
    # The figures shown are the default period's, grouped as asked: a5 (9 November) is in it too.
    assert f"{start.isoformat()}" in re.search(r'id="period">(.*?)</p>', html, re.S).group(1)
    assert figure(html, "yinzhou", "received") == "5" and end.isoformat() in html


def test_the_statistics_table_and_the_trend_export_to_xlsx(city, cases, viewer):
    rows = sheet_rows(viewer.get(f"{PAGE}groups.xlsx", PERIOD))
    headers, body = rows[0], {row[0]: row for row in rows[1:]}
    assert headers[0] == "服务站"
    alpha = dict(zip(headers, body[city.alpha.name], strict=True))
    received = gettext("Cases received")
    assert alpha[received] == 4
    assert 50 in alpha.values() and 54.0 in alpha.values()
    total = body[rows[-1][0]]
    assert rows[-1][0] == gettext("Total") and total[headers.index(received)] == 5 and 60.0 in total

    by_category = sheet_rows(viewer.get(f"{PAGE}groups.xlsx", {**PERIOD, "by": "category"}))
    assert by_category[0][0] == "服务类别" and len(by_category) == 11 + 2

    trend = sheet_rows(viewer.get(f"{PAGE}trend.xlsx", PERIOD))
    assert [row[0] for row in trend[1:]] == [f"2026-11-0{day}" for day in range(2, 7)]
    assert [row[1] for row in trend[1:]] == [1, 1, 1, 1, 1]  # received
    assert [row[2] for row in trend[1:]] == [0, 1, 1, 1, 0]  # completed


def test_an_export_with_a_bad_period_shows_the_errors(city, viewer):
    response = viewer.get(f"{PAGE}groups.xlsx", {"start": "2026-11-06", "end": "2026-11-02"})
    assert response.status_code == 400 and "结束日期不能早于开始日期。" in text(response)


# --- one station ---------------------------------------------------------------------------------------------------


def test_a_station_page_shows_its_figures_by_category_and_its_trend(city, cases, viewer):
    response = viewer.get(station_page(city.alpha), PERIOD)
    assert response.status_code == 200
    html = text(response)
    metrology, testing = cases["a1"].category_id, cases["a2"].category_id
    assert (figure(html, metrology, "received"), figure(html, metrology, "completed")) == ("3", "1")
    assert (figure(html, testing, "received"), figure(html, testing, "median_completion_hours")) == ("1", "60.0")
    assert [figure(html, "total", name) for name in ("received", "on_time_rate", "median_completion_hours")] == [
        "4",
        "50%",
        "54.0",
    ]
    assert "<polyline" in html
    rows = sheet_rows(viewer.get(f"{station_page(city.alpha)}groups.xlsx", PERIOD))
    assert rows[-1][0] == gettext("Total") and 54.0 in rows[-1]
    assert len(sheet_rows(viewer.get(f"{station_page(city.alpha)}trend.xlsx", PERIOD))) == 6


def test_an_unknown_station_does_not_exist(city, admin):
    for path in (station_page(city.alpha), cases_page(city.alpha)):
        assert admin.get(path.replace(f"/{city.alpha.pk}/", "/999999/")).status_code == 404


# --- the case list -------------------------------------------------------------------------------------------------


@pytest.mark.clause("7.3")
def test_an_administrator_sees_a_station_case_list_and_the_look_is_logged(city, cases, admin):
    html = text(admin.get(station_page(city.alpha), PERIOD))
    assert f'href="{cases_page(city.alpha)}?start=2026-11-02&amp;end=2026-11-06"' in html
    assert CaseListAccess.objects.count() == 0

    response = admin.get(cases_page(city.alpha), PERIOD)
    assert response.status_code == 200
    html = text(response)
    for name in ("a1", "a2", "a3", "a4"):
        assert f'data-case="{cases[name].number}"' in html
    assert cases["a5"].number not in html  # received after the period
    a2 = re.search(rf'<tr data-case="{cases["a2"].number}">(.*?)</tr>', html, re.S).group(1)
    assert 'data-column="on_time">否<' in a2 and 'data-column="response_hours">1.0<' in a2
    assert 'data-column="overall">不满意<' in a2

    access = CaseListAccess.objects.get()
    assert (access.user, access.station, access.what) == (city.bureau_admin, city.alpha, "page")
    assert access.period == "2026-11-02–2026-11-06" and access.path.startswith(cases_page(city.alpha))

    rows = sheet_rows(admin.get(f"/console/statistics/stations/{city.alpha.pk}/cases.xlsx", PERIOD))
    assert sorted(row[0] for row in rows[1:]) == sorted(cases[name].number for name in ("a1", "a2", "a3", "a4"))
    assert CaseListAccess.objects.filter(what="xlsx", user=city.bureau_admin, station=city.alpha).count() == 1

    # The administrators see who looked.
    html = text(admin.get(station_page(city.alpha), PERIOD))
    log = re.search(r'id="case-list-accesses">(.*?)</section>', html, re.S).group(1)
    assert log.count("<tr data-access=") == 2 and city.bureau_admin.username in log


def test_the_case_list_is_paginated(city, cases, admin):
    from console import statistics

    html = text(admin.get(cases_page(city.alpha), PERIOD))
    assert html.count("<tr data-case=") == 4
    original, statistics.PAGE_SIZE = statistics.PAGE_SIZE, 3
    try:
        first = text(admin.get(cases_page(city.alpha), PERIOD))
        second = text(admin.get(cases_page(city.alpha), {**PERIOD, "page": 2}))
    finally:
        statistics.PAGE_SIZE = original
    assert first.count("<tr data-case=") == 3 and second.count("<tr data-case=") == 1
    assert "1 / 2" in first and "page=2" in first
    assert CaseListAccess.objects.filter(what="page").count() == 3  # every page is a look


def test_a_viewer_needs_the_permission_to_see_case_lists(city, cases, viewer, public_host):
    html = text(viewer.get(station_page(city.alpha), PERIOD))
    assert 'id="case-list-link"' not in html and "case-list-accesses" not in html
    assert viewer.get(cases_page(city.alpha), PERIOD).status_code == 403
    assert viewer.get(f"/console/statistics/stations/{city.alpha.pk}/cases.xlsx", PERIOD).status_code == 403
    assert not CaseListAccess.objects.exists()

    allowed_user = viewer_with_case_lists()
    allowed = host_client(public_host, allowed_user)
    assert 'id="case-list-link"' in text(allowed.get(station_page(city.alpha), PERIOD))
    assert allowed.get(cases_page(city.alpha), PERIOD).status_code == 200
    assert CaseListAccess.objects.get().user == allowed_user
    # The access log is the administrators'.
    assert "case-list-accesses" not in text(allowed.get(station_page(city.alpha), PERIOD))
    # A viewer sees no change buttons anywhere here.
    for path in (PAGE, station_page(city.alpha), cases_page(city.alpha)):
        assert 'method="post"' not in main_of(text(allowed.get(path, PERIOD)))


# --- who gets in ---------------------------------------------------------------------------------------------------


def test_the_console_tabs_lead_to_the_statistics(city, viewer):
    assert f'href="{PAGE}"' in text(viewer.get("/console/"))


@pytest.mark.parametrize("who", ["outsider", "alpha_staff", "alpha_head", "beta_staff", "beta_head"])
def test_non_bureau_users_are_refused_everywhere(city, public_host, who):
    user = getattr(city, who)
    user.user_permissions.add(Permission.objects.get(content_type__app_label="stats", codename="view_case_list"))
    client = host_client(public_host, user)
    for path in paths(city.alpha):
        assert client.get(path, PERIOD).status_code == 403, path
    assert not CaseListAccess.objects.exists()


def test_anonymous_visitors_are_sent_to_sign_in(city, public_host):
    for path in paths(city.alpha):
        response = host_client(public_host).get(path)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), path


@pytest.mark.parametrize("who", ["alpha_head", "alpha_staff", "bureau_admin"])
def test_the_pages_do_not_exist_on_a_station_host(city, alpha_host, who):
    client = host_client(alpha_host, getattr(city, who))
    for path in paths(city.alpha):
        # A station's members find nothing there; anyone else is refused before routing, as on every station host.
        assert client.get(path).status_code == (403 if who == "bureau_admin" else 404), path
    assert not CaseListAccess.objects.exists()


# --- the line chart's geometry --------------------------------------------------------------------------------------


def test_the_line_chart_scales_to_a_round_top_and_thins_its_labels():
    points = [(f"d{n}", [n, None if n == 3 else 2 * n]) for n in range(30)]
    chart = line_chart(title="t", series=["a", "b"], points=points)
    assert [tick.text for tick in chart.y_ticks] == ["0", "20", "40", "60"]  # the largest value is 58
    assert chart.y_ticks[0].y == chart.bottom and chart.y_ticks[-1].y == chart.top
    assert len(chart.x_labels) <= 12 and chart.x_labels[0].text == "d0"
    first, second = chart.lines
    assert len(first.dots) == 30 and len(second.dots) == 29  # no value, no point
    assert first.dots[0].x == chart.left and first.dots[-1].x == chart.right
    assert second.dots[-1].y == round(chart.bottom - (chart.bottom - chart.top) * 58 / 60, 1)
    assert line_chart(title="t", series=["a"], points=[]).lines == []
