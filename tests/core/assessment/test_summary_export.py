"""The period summary as XLSX (clause 6.6): the page's figures for the fixed data set of `dataset.py` (November 2026),
the period in the title row, Chinese headers; whoever the page refuses is refused the file too."""

import io

import pytest
from openpyxl import load_workbook

from core.stats.reports import share_text
from tests.conftest import host_client
from tests.core.assessment.dataset import build
from tests.core.assessment.test_pages import in_alpha

pytestmark = pytest.mark.django_db

QUERY = "?period_kind=month&day=2026-11-05"
PAGE, EXPORT = "/assessment/", "/assessment/summary.xlsx"


def _cells(response) -> list[list]:
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


@pytest.mark.clause("6.6")
def test_the_workbook_holds_the_figures_of_the_page(city, alpha_host):
    in_alpha(city, build, city=city)
    head = host_client(alpha_host, city.alpha_head)
    page = head.get(PAGE + QUERY)
    assert f'href="{EXPORT}?period_kind=month&amp;day=2026-11-01"' in page.content.decode()
    response = head.get(EXPORT + QUERY)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert 'filename="summary-2026-11-01-2026-11-30.xlsx"' in response["Content-Disposition"]
    rows = _cells(response)
    assert rows[0][0] == f"{city.alpha.name}服务结果汇总（2026-11-01 – 2026-11-30）"
    assert rows[1] == ["类别", "项目", "数值"]
    figures = {(section, label): value for section, label, value in rows[2:]}
    assert len(figures) == len(rows) - 2  # every figure once

    summary = page.context["summary"]
    # The page's figures, as the page shows them and as the data set was worked out by hand.
    expected = {
        ("服务", "需求数"): summary.figures.demands,
        ("服务", "受理案件数"): 5,
        ("服务", "转介至服务机构"): summary.figures.to_institutions,
        ("服务", "转介至其他服务站"): summary.figures.to_stations,
        ("服务", "办结案件数"): 4,
        ("服务", "按时办结数"): 3,
        ("服务", "按时办结率（%）"): 75,
        ("满意度", "满意度评价数"): 5,
        ("满意度", "总体满意度（第10题）（%）"): 80,
        ("满意度", "问题解决率（第5题）（%）"): 60,
        ("投诉", "已接收"): 1,
        ("投诉", "涉及服务事项"): 1,
        ("投诉", "已办结"): summary.complaints["closed"],
        ("投诉", "已上报市场监管局"): summary.complaints["escalated"],
        ("站长监督评价", "标记的服务事项"): summary.reviews["marked"],
        ("站长监督评价", "已完成的评价"): summary.reviews["reviewed"],
        ("已确认的人员考核", "已确认的人员考核"): summary.assessments["confirmed"],
    }
    for key, value in expected.items():
        assert figures[key] == value, key
    html = page.content.decode()
    for figure, key in (("received", ("服务", "受理案件数")), ("completed", ("服务", "办结案件数"))):
        assert f'data-figure="{figure}">{figures[key]}<' in html
    assert f'data-figure="overall">{figures["满意度", "总体满意度（第10题）（%）"]:.0f}%<' in html
    # One share per survey question, as the page lists them (Q1 … Q10), and the levels of each dimension.
    page_shares = dict(page.context["satisfaction"])
    assert len([label for _section, label in figures if label.endswith("满意率（%）")]) == len(page_shares)
    for name, text in page_shares.items():
        value = figures["满意度", f"问题{name[1:]}满意率（%）"]
        assert share_text(None if value is None else value / 100) == text, name
    levels = [(dimension, counts) for dimension, counts in page.context["levels"]]
    for dimension, counts in levels:
        for label, count in counts:
            assert figures["已确认的人员考核", f"{dimension} · {label}"] == count


@pytest.mark.clause("6.6")
@pytest.mark.parametrize("who", ["alpha_staff", "beta_head", "beta_staff", "bureau_admin", "outsider"])
def test_the_file_is_refused_as_the_page_is(city, alpha_host, public_host, who):
    client = host_client(alpha_host, getattr(city, who))
    page, export = client.get(PAGE + QUERY), client.get(EXPORT + QUERY)
    assert export.status_code == page.status_code
    assert export.status_code == (200 if who == "alpha_staff" else 403)  # every member reads the summary
    assert host_client(alpha_host).get(EXPORT).status_code == 302
    assert host_client(public_host, city.bureau_admin).get(EXPORT).status_code == 404


def test_a_bad_period_is_answered_with_the_page_and_its_errors(city, alpha_host):
    response = host_client(alpha_host, city.alpha_head).get(EXPORT + "?period_kind=month&day=soon")
    assert response.status_code == 400 and 'id="period-form"' in response.content.decode()
