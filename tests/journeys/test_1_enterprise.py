"""The enterprise: the portal on its phone, a demand submitted online with rows in its tables, and the station's public
feedback page reached from the QR code. (Its survey link comes once a station has served it: see
`test_2_station.py`.)"""

import random
import re

import pytest

from core.directory import uscc
from tests.journeys.conftest import PHONE

pytestmark = [pytest.mark.browser]

STATION = "kaiyuan"  # 开原市经济开发区一站式质量服务站 in the demo city
STATION_NAME = "开原市经济开发区一站式质量服务站"


@pytest.mark.clause("5.2.1.2")
def test_an_enterprise_finds_a_station_on_its_phone_and_submits_a_demand_with_its_tables(site, journey):
    walk = journey("enterprise-online-demand", viewport=PHONE)
    page = walk.page
    walk.goto("/")
    assert page.locator("#published-stations [data-station]").count() == 3
    walk.step("portal")

    page.click(f"[data-station={STATION}] a:has-text('提交需求')")
    page.wait_for_load_state("networkidle")
    assert page.input_value("#id_station") == STATION or STATION_NAME in page.inner_text("#id_station")
    walk.step("demand-form-empty")

    page.fill("#id_enterprise_name", "铁岭开原旅程阀门有限公司")
    page.fill("#id_uscc", site.story.setdefault("online_uscc", uscc.generate(random.Random(1501))))  # noqa: S311
    page.fill("#id_legal_representative", "韩立")
    page.fill("#id_contact_person", "韩经理")
    page.fill("#id_email", "valve@journeys.example.test")
    page.fill("#id_phone", "13941000001")
    page.fill("#id_address", "开原市经济开发区阀门路9号")
    page.select_option("#id_district", "kaiyuan")
    page.check("label.box:has-text('计量检定、校准') input")
    page.fill("#id_instruments-0-name", "压力表")
    page.fill("#id_instruments-0-measuring_range", "0-1.6MPa")
    page.check("label.box:has-text('定期检验') input")
    page.fill("#id_special_equipment-0-category", "压力容器")
    page.fill("#id_special_equipment-0-count", "2")
    page.fill("#id_opinions", "希望本月内上门")
    walk.step("demand-form-filled")
    page.click("main form.demand-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    walk.step("demand-thanks")

    notice = walk.text()
    match = re.search(r"kaiyuan-\d{4}-\d{6}|[A-Z]+-\d{4}-\d{6}", notice, re.IGNORECASE)
    assert match, notice
    assert STATION_NAME in notice and "024-73100001" in notice
    site.story["online_demand"] = match.group(0)


@pytest.mark.clause("6.1")
def test_the_public_leaves_a_suggestion_on_the_feedback_page_of_the_qr_code(site, journey):
    walk = journey("enterprise-feedback", viewport=PHONE)
    page = walk.page
    walk.goto("/feedback/", STATION)
    walk.step("feedback-form")
    page.select_option("#id_kind", "suggestion")
    page.fill("#id_text", "服务站周六能否开放半天？")
    page.uncheck("#id_anonymous")
    page.fill("#id_name", "韩经理")
    page.fill("#id_phone", "13941000001")
    walk.step("feedback-filled")
    # The form refuses what comes back sooner than a person could have typed it (a robot's): a person takes seconds.
    page.wait_for_timeout(3000)
    page.click("#feedback-submit")
    page.wait_for_load_state("networkidle")
    walk.step("feedback-thanks")
    assert "/feedback/thanks/" in page.url


@pytest.mark.clause("3")
def test_the_portal_lists_the_published_stations_on_a_desktop_screen(site, journey):
    """At 1366 px the stations' names read on one line, and each station's page shows what was published."""
    walk = journey("enterprise-portal-desktop")
    page = walk.page
    walk.goto("/")
    walk.step("portal")
    row = page.locator(f"#published-stations [data-station={STATION}]")
    assert STATION_NAME in row.inner_text() and "024-73100001" in row.inner_text()
    row.locator(f"a:has-text('{STATION_NAME}')").click()
    page.wait_for_load_state("networkidle")
    walk.step("station-page")
    assert STATION_NAME in walk.text() and "开原市经济开发区兴开大街18号" in walk.text()
