"""The city statistics after the journeys (runs last): the bureau's administrator reads the figures again and finds
them grown as the other journeys imply (at least the online demand the enterprise submitted at kaiyuan in
`test_1_enterprise.py`), chooses a period (a wrong one first), then drills down to a station and its case list, where
the case numbers are, and sees that look logged."""

import datetime
import re
import time
from zoneinfo import ZoneInfo

import pytest

from tests.journeys.conftest import dumps, figures

pytestmark = [pytest.mark.browser]

STATION = "kaiyuan"
STATION_NAME = "开原市经济开发区一站式质量服务站"
# The read model is fed through each station's outbox by the worker: a figure may lag a journey by a moment.
SETTLE_SECONDS = 60


def count(figures_by_name: dict[str, str], name: str) -> int:
    text = figures_by_name.get(name, "")
    assert re.fullmatch(r"\d+", text), f"{name}: {text!r} in {dumps(figures_by_name)}"
    return int(text)


@pytest.mark.clause("3")
@pytest.mark.clause("5.2.1.2")
def test_the_city_statistics_grew_with_the_journeys_and_drill_down_to_a_case(site, journey):
    before = site.story["figures_before"]
    assert before, "the figures before the journeys were not read"
    walk = journey("bureau-statistics-after")
    page = walk.page
    walk.sign_in("bureau")

    # The enterprise's online demand (test_1) is a demand received at kaiyuan: the total grew by it at least.
    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        after = figures(walk)
        if count(after, "demands") > count(before, "demands") or time.monotonic() > deadline:
            break
        time.sleep(2)
    assert count(after, "demands") > count(before, "demands"), f"before {dumps(before)}\nafter {dumps(after)}"
    assert count(after, "received") > count(before, "received")
    for name in ("demands", "received", "completed", "surveys", "complaints", "escalated"):
        assert count(after, name) >= count(before, name), f"{name} fell: {dumps(before)} → {dumps(after)}"
    walk.step("statistics-after")

    # The period form: an end before the start is refused on its field, the figures shown are the default period's.
    today = datetime.datetime.now(ZoneInfo("Asia/Shanghai")).date()
    page.fill("#id_start", today.isoformat())
    page.fill("#id_end", (today - datetime.timedelta(days=7)).isoformat())
    page.click("#statistics-period button[type=submit]")
    page.wait_for_load_state("networkidle")
    error = page.inner_text("#statistics-period [data-field=end] .field-error")
    assert re.search(r"[\u4e00-\u9fff]{4}", error), error
    assert page.input_value("#id_start") == today.isoformat()  # what was typed is kept
    assert count(figures_on(page), "demands") == count(after, "demands")
    walk.step("statistics-period-refused")

    # The last week: today's online demand is in it.
    start = today - datetime.timedelta(days=7)
    page.fill("#id_start", start.isoformat())
    page.fill("#id_end", today.isoformat())
    page.click("#statistics-period button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert start.isoformat() in page.inner_text("#period") and today.isoformat() in page.inner_text("#period")
    week = figures_on(page)
    assert 1 <= count(week, "demands") <= count(after, "demands"), dumps(week)
    kaiyuan = page.locator(f"#statistics tbody tr:has([data-figure=demands]):has(a:has-text('{STATION_NAME}'))")
    assert count(row_figures(kaiyuan), "demands") >= 1
    walk.step("statistics-last-week")

    # Drill down: the station's page, then its case list (administrators may), with the case numbers.
    kaiyuan.locator("a").first.click()
    page.wait_for_load_state("networkidle")
    assert STATION_NAME in page.inner_text("#statistics h2")
    assert start.isoformat() in page.inner_text("#period")
    assert count(figures_on(page), "received") >= 1
    walk.step("station-statistics")

    page.click("#case-list-link")
    page.wait_for_load_state("networkidle")
    numbers = page.eval_on_selector_all("table.cases tbody tr[data-case]", "rows => rows.map(r => r.dataset.case)")
    assert numbers, walk.text()
    assert all(re.fullmatch(r"[A-Z]+-\d{4}-\d{6}-\d+", number) for number in numbers), numbers
    demand = site.story.get("online_demand", "").upper()
    if demand:  # the enterprise ticked two sections of its online demand: two cases, numbered after the demand
        assert sorted(n for n in numbers if n.startswith(f"{demand}-")) == [f"{demand}-1", f"{demand}-2"], numbers
    online = page.locator(
        "table.cases tbody tr[data-case]", has=page.locator("td[data-column=channel]:text-is('网上提交')")
    )
    assert online.count() >= 1, walk.text()
    walk.step("case-list")

    # Every look at a case list is logged, with who looked.
    page.go_back()
    page.reload()
    page.wait_for_load_state("networkidle")
    looks = page.locator("#case-list-accesses tr[data-access=page]")
    assert looks.count() >= 1 and "刘局" in looks.first.inner_text()
    walk.step("case-list-accesses")


def figures_on(page) -> dict[str, str]:
    return page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('tr.total [data-figure]')]
             .map(e => [e.dataset.figure, e.innerText.trim()]))"""
    )


def row_figures(row) -> dict[str, str]:
    return row.evaluate(
        """(tr) => Object.fromEntries([...tr.querySelectorAll('[data-figure]')]
             .map(e => [e.dataset.figure, e.innerText.trim()]))"""
    )
