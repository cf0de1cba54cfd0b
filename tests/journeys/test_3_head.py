"""The station head: the workspace, a review of a case, the monthly assessment of a member, the operations registers
(a training, an equipment item with its maintenance, a new version of a written system) and the evaluation."""

import datetime
import zoneinfo

import pytest

from tests.journeys.conftest import submit
from tests.journeys.test_2_station import STATION, open_case

pytestmark = [pytest.mark.browser]

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def today() -> str:
    return datetime.datetime.now(SHANGHAI).date().isoformat()


@pytest.mark.clause("6.3")
def test_the_head_starts_from_the_workspace_and_reviews_a_case(site, journey):
    walk = journey("station-head-review")
    page = walk.page
    walk.sign_in("yinzhou-head", STATION)
    walk.step("workspace")
    text = walk.text()
    assert "今日新需求" in text and "本月与上月对比" in text
    number = site.story["served"]
    assert page.locator("main").inner_text().count("YINZHOU-") >= 1

    open_case(walk, number)
    page.click("a:has-text('站长监督评价')")
    page.wait_for_load_state("networkidle")
    walk.step("review-page")
    if page.locator("#mark-form").count():
        page.fill("#mark-form textarea", "首件计量服务，抽查记录完整性")
        submit(walk, "#mark-form", "marked")
    page.fill("#write-form textarea[name$=findings]", "记录完整，响应及时，现场校准规范")
    page.select_option("#write-form select[name$=conclusion]", index=1)
    submit(walk, "#write-form", "reviewed")
    assert "记录完整，响应及时" in walk.text()


@pytest.mark.clause("6.4")
def test_the_head_assesses_a_member_for_the_month_and_confirms(site, journey):
    walk = journey("station-head-assessment")
    page = walk.page
    walk.sign_in("yinzhou-head", STATION)
    walk.goto("/assessment/staff/", STATION)
    walk.step("assessments")
    page.select_option("#open-form select[name=period_kind]", "month")
    page.fill("#open-form input[name=day]", today())
    page.select_option("#open-form select[name=member]", label="李晓梅")
    submit(walk, "#open-form", "opened")
    assert "考核已发起" in walk.text()
    page.click("main tr:has-text('草稿') a:has-text('李晓梅')")
    page.wait_for_load_state("networkidle")
    walk.step("draft")
    remark = page.locator("#adjust-form [name=remark]")
    if remark.count():
        remark.fill("本月服务及时，企业评价非常满意")
        submit(walk, "#adjust-form", "adjusted")
    submit(walk, "#confirm-form", "confirmed")
    assert "已确认" in walk.text()


@pytest.mark.clause("4.4.1")
def test_the_head_keeps_the_operations_registers(site, journey):
    walk = journey("station-head-operations")
    page = walk.page
    walk.sign_in("yinzhou-head", STATION)
    walk.goto("/operations/", STATION)
    walk.step("staff-register")

    form = page.locator("#training-form")
    form.locator("[name$=title]").fill("《计量法》及器具送检流程培训")
    form.locator("[name$=held_on]").fill(today())
    form.locator("[name$=hours]").fill("2")
    form.locator("input[name$=kind][value=ongoing]").check()
    form.locator("[name$=trainer]").fill("市计量测试所 刘工")
    form.get_by_role("checkbox", name="李晓梅").check()
    submit(walk, "#training-form", "training-recorded")
    assert "《计量法》及器具送检流程培训" in walk.text()

    walk.goto("/operations/equipment/", STATION)
    walk.step("equipment-register")
    form = page.locator("#equipment-form")
    form.locator("[name$=kind]").select_option("screens")
    form.locator("[name$=name]").fill("服务大厅触摸查询屏")
    form.locator("[name$=location]").fill("一楼服务大厅")
    form.locator("[name$=maintenance_interval_days]").fill("90")
    due = form.locator("[name$=next_maintenance_due]")
    if due.count():
        due.fill((datetime.datetime.now(SHANGHAI).date() + datetime.timedelta(days=30)).isoformat())
    submit(walk, "#equipment-form", "equipment-added")
    page.click("main a:has-text('服务大厅触摸查询屏')")
    page.wait_for_load_state("networkidle")
    page.fill("#maintenance-form [name$=performed_on]", today())
    page.fill("#maintenance-form [name$=work]", "清洁屏幕，校准触控")
    submit(walk, "#maintenance-form", "maintained")
    assert "清洁屏幕，校准触控" in walk.text()

    walk.goto("/operations/systems/", STATION)
    walk.step("written-systems")
    page.click("main table a:has-text('岗位职责')")
    page.wait_for_load_state("networkidle")
    walk.step("system")
    page.fill("#version-form [name$=effective_on]", today())
    page.fill("#version-form [name$=text]", "一、服务流程……（2026 年修订）")
    submit(walk, "#version-form", "system-version")
    assert "2026 年修订" in walk.text() or "一、服务流程" in walk.text()


@pytest.mark.clause("3")
def test_the_head_reads_the_stations_evaluation_with_its_evidence(site, journey):
    walk = journey("station-head-evaluation")
    walk.sign_in("yinzhou-head", STATION)
    walk.goto("/station/evaluation/", STATION)
    walk.step("evaluation")
    text = walk.text()
    assert "4.1.1" in text or "场所" in text
