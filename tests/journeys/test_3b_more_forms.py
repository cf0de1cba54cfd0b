"""The forms no other journey submits (issue 15), at 调兵山 so that the other journeys' figures stay as they are: a
complaint taken through its steps and escalated to the bureau, which answers it; an opinion logged, answered, planned
for and published on the public page; an enterprise's archive exported as a ZIP by a background job; the directory's
enterprise form and CSV import; a paper survey keyed in and a closed record amended; the head's station items,
qualifications, staff register and equipment."""

import csv
import datetime
import io
import random
import re
import time
import zoneinfo
from pathlib import Path

import pytest

from core.directory import uscc
from tests.journeys.conftest import Journey, submit

pytestmark = [pytest.mark.browser]

STATION = "diaobingshan"
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def today() -> datetime.date:
    return datetime.datetime.now(SHANGHAI).date()


def wait_for_text(walk: Journey, selector: str, text: str, *, timeout: float = 60) -> str:
    """Reload the page until `selector` shows `text` (what a background job or the worker brings); its text."""
    deadline = time.monotonic() + timeout
    while True:
        shown = walk.page.inner_text(selector) if walk.page.locator(selector).count() else ""
        if text in shown:
            return shown
        if time.monotonic() > deadline:
            pytest.fail(f"{selector} never showed {text!r}: {shown!r}\nworker:\n{walk.site.worker_log()}")
        walk.page.wait_for_timeout(1000)
        walk.page.reload()
        walk.page.wait_for_load_state("networkidle")


def bar_full(walk: Journey) -> None:
    """Wait for the progress bar to be drawn full (it slides to its width), as the person reads it at the end."""
    walk.page.wait_for_function(
        "() => { const bar = document.querySelector('#job .progress .bar');"
        " return bar.getBoundingClientRect().width >= bar.parentElement.getBoundingClientRect().width - 1; }"
    )


COMPLAINT = "企业反映：送检的压力表超过约定期限十天仍未出具证书，多次电话询问无人答复"


@pytest.mark.clause("6.5")
def test_a_complaint_is_taken_through_its_steps_escalated_and_answered_by_the_bureau(site, journey):
    walk = journey("complaint")
    page = walk.page
    walk.sign_in("diaobingshan-staff", STATION)
    walk.goto("/complaints/", STATION)
    walk.step("complaints")
    walk.goto("/complaints/new/", STATION)
    walk.step("complaint-form")
    page.select_option("#complaint-form [name$=channel]", "phone")
    page.fill("#complaint-form [name$=subject]", COMPLAINT)
    page.fill("#complaint-form [name$=complainant_name]", "赵经理")
    page.fill("#complaint-form [name$=complainant_phone]", "13941000077")
    submit(walk, "#complaint-form", "complaint-recorded")
    assert COMPLAINT in page.inner_text("#complaint-subject")
    assert page.get_attribute("#complaint-state", "data-state") == "received"
    assert page.inner_text("#complaint-state") == "已接收"

    def step(to: str, name: str, **fields: str) -> None:
        form = f"#step-{to}"
        for field, value in fields.items():
            if page.eval_on_selector(f"{form} [name$={field}]", "e => e.tagName") == "SELECT":
                page.select_option(f"{form} [name$={field}]", value)
            else:
                page.fill(f"{form} [name$={field}]", value)
        submit(walk, form, name)
        assert page.get_attribute("#complaint-state", "data-state") == to, walk.text()

    step("acknowledged", "acknowledged", text="已电话告知赵经理：投诉已受理，三个工作日内答复")
    step("investigating", "investigating", text="调取送检登记，联系计量所核实")
    step("responded", "responded", text="证书已于今日出具并寄出，已向企业致歉，今后超期将主动告知")
    assert "证书已于今日出具" in page.inner_text("#complaint-response")
    step("closed", "closed", feedback="not_satisfied", feedback_text="认为应减免检定费用")
    assert page.get_attribute("#complaint-feedback", "data-feedback") == "not_satisfied"
    assert "认为应减免检定费用" in page.inner_text("#complaint-feedback")

    page.fill("#escalate-form [name$=reason]", "企业对答复不满意，要求减免检定费用，超出本站权限")
    submit(walk, "#escalate-form", "escalated")
    assert "企业对答复不满意" in page.inner_text("#escalated")
    assert page.inner_text("#bureau-handling") == "待市场监管局处理"
    complaint_url = page.url

    bureau = journey("complaint-bureau")
    bureau.sign_in("bureau")
    bureau.goto("/console/escalations/")
    row = bureau.page.locator("table.escalations tr", has_text="送检的压力表超过约定期限")
    deadline = time.monotonic() + 60
    while not row.count():  # the escalation travels through the worker
        assert time.monotonic() < deadline, f"the escalation never reached the bureau:\n{site.worker_log()}"
        bureau.page.wait_for_timeout(1000)
        bureau.goto("/console/escalations/")
    bureau.step("escalations")
    assert "调兵山" in row.first.inner_text()
    assert "不满意" in row.first.inner_text() and "not_satisfied" not in row.first.inner_text()
    row.first.locator("a").click()
    bureau.page.wait_for_load_state("networkidle")
    bureau.step("escalation")
    assert COMPLAINT in bureau.page.inner_text("#escalation-subject")
    assert bureau.page.inner_text("#escalation-feedback") == "不满意 认为应减免检定费用"  # in words, not a code
    bureau.page.fill(
        "#handling-form [name$=handling]", "经核实，检定费用按规定收取，不予减免；已责成计量所改进出证时限"
    )
    submit(bureau, "#handling-form", "handled")
    assert "不予减免" in bureau.page.inner_text("#escalation-handling")

    page.goto(complaint_url)
    page.wait_for_load_state("networkidle")
    handling = wait_for_text(walk, "#bureau-handling", "不予减免")
    walk.step("bureau-answer-seen")
    assert "已责成计量所改进出证时限" in handling


OPINION = "建议服务大厅增设企业自助查询送检进度的终端"
RESULT = "已在服务大厅增设送检进度自助查询终端，企业也可扫码查询"


@pytest.mark.clause("6.1")
def test_an_opinion_by_phone_is_answered_planned_for_and_published(site, journey):
    walk = journey("supervision")
    page = walk.page
    walk.sign_in("diaobingshan-staff", STATION)
    walk.goto("/supervision/", STATION)
    walk.step("opinions")
    walk.goto("/supervision/new/", STATION)
    walk.step("log-form")
    page.select_option("#log-form [name$=channel]", "phone")
    page.select_option("#log-form [name$=kind]", "suggestion")
    page.fill("#log-form [name$=text]", OPINION)
    page.fill("#log-form [name$=name]", "钱女士")
    page.fill("#log-form [name$=phone]", "13941000088")
    submit(walk, "#log-form", "logged")
    assert OPINION in page.inner_text("#opinion-text")
    assert page.get_attribute("#opinion-state", "data-state") == "received"

    page.fill("#answer-form [name$=answer]", "感谢建议，我站将于本月内增设自助查询终端")
    submit(walk, "#answer-form", "answered")
    assert page.get_attribute("#opinion-state", "data-state") == "answered"
    assert "本月内增设" in page.inner_text("#opinion-answer")

    plan = page.locator("#plan-form")
    plan.locator("[name$=what]").fill("采购并安装送检进度自助查询终端")
    plan.locator("select[name$=owner]").select_option(index=0)
    plan.locator("[name$=due_on]").fill((today() + datetime.timedelta(days=20)).isoformat())
    submit(walk, "#plan-form", "planned")
    assert "采购并安装送检进度自助查询终端" in page.inner_text("#plans")

    page.fill("#publish-form [name$=public_result]", RESULT)
    submit(walk, "#publish-form", "published")
    assert RESULT in page.inner_text("#opinion-published")

    public = journey("supervision-public")
    public.goto("/feedback/", STATION)
    public.step("public-page")
    results = public.page.inner_text("#published-results")
    assert RESULT in results
    assert f"公示于 {today().isoformat()}" in results and "是否公示" not in results, results


@pytest.mark.clause("7.1")
def test_an_enterprises_archive_is_exported_as_a_zip_and_the_head_reads_the_access_log(site, journey):
    walk = journey("archive")
    page = walk.page
    walk.sign_in("diaobingshan-staff", STATION)
    walk.goto("/archive/", STATION)
    walk.step("archive")
    first = page.locator("main table a[href*='/archive/enterprises/']").first
    enterprise = first.inner_text().strip()
    first.click()
    page.wait_for_load_state("networkidle")
    walk.step("enterprise-archive")
    assert enterprise in page.inner_text("h1")
    assert page.locator("main table tbody tr").count() >= 1

    page.click("main button[name=action][value=export]")
    page.wait_for_load_state("networkidle")
    assert "/archive/exports/" in page.url
    page.wait_for_function(
        "() => document.getElementById('percent').textContent.trim() === '100'"
        " && !document.getElementById('result').hidden",
        timeout=120_000,
    )
    bar_full(walk)
    walk.step("export-done")
    assert page.inner_text("#status") == "已完成"
    assert page.inner_text("#error").strip() == ""
    assert page.get_attribute("#job .progress", "aria-valuenow") == "100"
    with page.expect_download() as download:
        page.click("#result a")
    name = download.value.suggested_filename
    assert name.endswith(".zip"), name
    path = download.value.path()
    assert path is not None and path.read_bytes()[:2] == b"PK"  # a ZIP indeed

    head = journey("archive-head")
    head.sign_in("diaobingshan-head", STATION)
    head.goto("/archive/access-log/", STATION)
    head.step("access-log")
    rows = head.page.locator("main table tbody tr", has_text=enterprise)
    actions = " ".join(rows.nth(i).inner_text() for i in range(min(rows.count(), 10)))
    assert "导出了档案" in actions and "下载了导出文件" in actions and "孙雪" in actions, actions


NEW_ENTERPRISE = "调兵山旅程煤机配件有限公司"


def code(seed: int) -> str:
    """A valid unified social credit code, the same on every run."""
    return uscc.generate(random.Random(seed))  # noqa: S311  (test data)


@pytest.mark.clause("5.2.1.1")
def test_the_directory_takes_an_enterprise_and_a_csv_import(site, journey, tmp_path):
    walk = journey("directory")
    page = walk.page
    walk.sign_in("diaobingshan-staff", STATION)
    walk.goto("/directory/", STATION)
    walk.step("enterprises")
    walk.goto("/directory/enterprises/new/", STATION)
    walk.step("enterprise-form")
    form = page.locator("main form[method=post]")
    form.locator("[name$=name]").first.fill(NEW_ENTERPRISE)
    form.locator("[name$=uscc]").fill("91211282MA0XXXXX1")  # one character short, and not a code at all
    form.locator("[name$=legal_representative]").fill("孙长河")
    form.locator("[name$=address]").fill("调兵山市经济开发区煤机路8号")
    form.locator("select[name$=district]").select_option("diaobingshan")
    form.locator("[name$=contact_person]").fill("孙经理")
    form.locator("[name$=phone]").fill("024-76000008")
    walk.step("enterprise-bad-uscc-filled")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    walk.step("enterprise-bad-uscc")
    error = page.locator(".field:has([name$=uscc]) .field-error")
    assert error.count() == 1 and re.search(r"[\u4e00-\u9fff]", error.inner_text()), walk.text()
    assert page.input_value("main form [name$=uscc]") == "91211282MA0XXXXX1"  # what was typed is kept
    assert page.input_value("main form [name$=legal_representative]") == "孙长河"

    page.fill("main form [name$=uscc]", code(7007))
    page.click("main form[method=post] button[type=submit]")
    page.wait_for_load_state("networkidle")
    walk.step("enterprise-added")
    assert "/new/" not in page.url
    walk.goto(f"/directory/enterprises/?q={NEW_ENTERPRISE}", STATION)
    walk.step("enterprise-found")
    assert NEW_ENTERPRISE in walk.text()

    walk.goto("/directory/import/", STATION)
    walk.step("import")
    with page.expect_download() as download:
        page.click("main a:has-text('(CSV)') >> nth=0")
    sample = Path(download.value.path()).read_text(encoding="utf-8-sig")
    header = next(csv.reader(io.StringIO(sample)))
    assert "统一社会信用代码" in header and "企业名称" in header, header
    rows = [
        {
            "企业名称": "调兵山导入甲机械有限公司",
            "统一社会信用代码": code(7101),
            "所在区县": "调兵山市",
        },
        {
            "企业名称": "调兵山导入乙化工有限公司",
            "统一社会信用代码": code(7102),
            "所在区县": "调兵山市",
        },
        {"企业名称": "调兵山导入丙错误有限公司", "统一社会信用代码": "123", "所在区县": "调兵山市"},
    ]
    upload = tmp_path / "企业导入.csv"
    with upload.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=header)
        writer.writeheader()
        for row in rows:
            writer.writerow({column: row.get(column, "") for column in header})
    page.select_option("main form [name$=what]", "enterprises")
    page.set_input_files("main form [name$=file]", str(upload))
    submit(walk, "main form[method=post]", "import-started")
    page.wait_for_function(
        "() => ['已完成', '失败'].includes(document.getElementById('status').textContent.trim())", timeout=120_000
    )
    bar_full(walk)
    walk.step("import-done")
    assert page.inner_text("#status") == "已完成", walk.text()
    assert page.inner_text("#counts") == "3 / 3"
    summary = page.inner_text("#summary")
    assert "2" in summary and "1" in summary, summary
    with page.expect_download() as download:
        page.click("#result a")
    report = Path(download.value.path()).read_bytes()
    text = report.decode("utf-8-sig", errors="replace")
    assert "调兵山导入丙错误有限公司" in text, text[:400]
    walk.goto("/directory/enterprises/?q=调兵山导入", STATION)
    walk.step("imported")
    listed = walk.text()
    assert "调兵山导入甲机械有限公司" in listed and "调兵山导入乙化工有限公司" in listed
    assert "调兵山导入丙错误有限公司" not in listed


def completed_cases(walk: Journey) -> list[str]:
    """The links of the completed cases in 全部服务事项, as staff find them."""
    walk.goto("/desk/cases/", STATION)
    walk.page.select_option("main form [name$=state]", "completed")
    walk.page.click("main form button[type=submit]")
    walk.page.wait_for_load_state("networkidle")
    walk.step("completed-cases")
    links = walk.page.locator("main table a[href*='/desk/cases/']")
    return [links.nth(i).get_attribute("href") for i in range(min(links.count(), 20))]


@pytest.mark.clause("5.2.4")
def test_staff_key_in_a_signed_paper_survey_on_a_completed_case(site, journey):
    walk = journey("paper-survey")
    page = walk.page
    walk.sign_in("diaobingshan-staff", STATION)
    for href in completed_cases(walk):
        page.goto(walk.site.url(href, STATION))
        page.wait_for_load_state("networkidle")
        if page.locator("#survey details summary").count():
            break
    else:
        pytest.fail("no completed case of 调兵山 waits for its survey")
    assert page.inner_text("h1 .badge") == "已完成"
    page.click("#survey details summary")
    form = page.locator("#survey form:has(input[name=action][value=survey])")
    for question in ("q1", "q2", "q3", "q4", "q6", "q7", "q8", "q10"):
        form.locator(f"input[name={question}][value=satisfied]").check()
    form.locator("input[name=q9][value=very_satisfied]").check()
    form.locator("input[name=q5][value=yes]").check()
    form.locator("[name$=opinions]").fill("纸质表：希望增加上门服务次数")
    form.locator("[name$=signatory]").fill("周厂长")
    walk.step("paper-survey-filled")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    walk.step("paper-survey-saved")
    survey = page.inner_text("#survey")
    assert "希望增加上门服务次数" in survey and "周厂长" in survey, survey
    assert not page.locator("#survey details summary").count()  # keyed in once, shown from then on


@pytest.mark.clause("6.2")
def test_staff_amend_a_closed_service_record_with_a_reason(site, journey):
    walk = journey("record-amendment")
    page = walk.page
    walk.sign_in("diaobingshan-staff", STATION)
    for href in completed_cases(walk):
        page.goto(walk.site.url(href, STATION))
        page.wait_for_load_state("networkidle")
        if page.locator("#record details summary").count():
            break
    else:
        pytest.fail("no completed case of 调兵山 has a closed record")
    page.click("#record details summary")
    form = page.locator("#record form:has(input[name=action][value=amend])")
    form.locator("[name$=resolution]").fill("已指导企业完成执行标准自我声明公开（更正：补录公开编号 ZB-2026-031）")
    form.locator("[name$=reason]").fill("原记录漏填公开编号，企业来电核对后更正")
    walk.step("amendment-filled")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    walk.step("amended")
    record = page.inner_text("#record")
    assert "补录公开编号 ZB-2026-031" in record, record
    assert "原记录漏填公开编号，企业来电核对后更正" in record  # the amendment is listed with its reason


@pytest.mark.clause("4.4.1")
def test_the_head_keeps_station_items_qualifications_staff_register_and_equipment(site, journey):
    walk = journey("head-forms")
    page = walk.page
    walk.sign_in("diaobingshan-head", STATION)
    walk.goto("/station/items/", STATION)
    walk.step("station-items")
    boxes = page.locator("main form input[name=items]")
    unticked = [i for i in range(boxes.count()) if not boxes.nth(i).is_checked()]
    assert unticked, "every item is served already"
    target = boxes.nth(unticked[0])
    value = target.get_attribute("value")
    target.check()
    submit(walk, "main form.demand-form", "station-items-saved")
    walk.goto("/station/items/", STATION)
    assert page.is_checked(f"main form input[name=items][value='{value}']")

    walk.goto("/operations/", STATION)
    walk.step("staff-register")
    form = page.locator("#qualification-form")
    form.locator("select[name$=member]").select_option(label="孙雪")
    form.locator("[name$=name]").fill("二级注册计量师")
    form.locator("[name$=number]").fill("JL-2026-0815")
    form.locator("[name$=valid_until]").fill((today() + datetime.timedelta(days=3 * 365)).isoformat())
    submit(walk, "#qualification-form", "qualification-added")
    row = page.locator("#register tr", has_text="孙雪")
    assert "二级注册计量师" in row.inner_text() and "JL-2026-0815" in row.inner_text()
    row.locator("[data-qualification]", has_text="二级注册计量师").locator("a").click()
    page.wait_for_load_state("networkidle")
    walk.step("qualification-edit")
    page.fill("#edit-form [name$=number]", "JL-2026-0816")
    submit(walk, "#edit-form", "qualification-corrected")
    walk.goto("/operations/", STATION)
    assert "JL-2026-0816" in page.locator("#register tr", has_text="孙雪").inner_text()

    form = page.locator("#record-form")
    form.locator("select[name$=member]").select_option(label="孙雪")
    form.locator("[name$=duty_start]").fill("2024-03-01")
    form.locator("[name$=background]").fill("机械工程专业，从事计量检定工作六年")
    submit(walk, "#record-form", "register-entry")
    row = page.locator("#register tr", has_text="孙雪")
    assert "从事计量检定工作六年" in row.inner_text() and "2024-03-01" in row.inner_text()

    walk.goto("/operations/equipment/", STATION)
    walk.step("equipment")
    page.locator("main table a[href*='/operations/equipment/']:not([href$='/edit/'])").first.click()
    page.wait_for_load_state("networkidle")
    walk.step("equipment-item")
    edit = page.locator("main a[href$='/edit/']")
    edit.first.click()
    page.wait_for_load_state("networkidle")
    walk.step("equipment-edit")
    page.fill("#edit-form [name$=location]", "二楼检测准备室")
    page.fill("#edit-form [name$=maintenance_interval_days]", "120")
    submit(walk, "#edit-form", "equipment-corrected")
    assert "二楼检测准备室" in walk.text()
