"""The forms left after the other journeys (issue 15: every form of the product is submitted in a browser): a station
referral declined by the station it went to, re-routed to a third and withdrawn; an opinion classified, opened as a
complaint, closed and its publication withdrawn; the survey link sent to an address staff add afterwards; the head's
corrections (a training corrected and cancelled, a qualification withdrawn, an item of equipment retired, the public
display, a service item removed); a disposal refused within the retention period; the directory's export and an
institution entered by the bureau. At 调兵山 (the referral also visits 银州 and 开原), so the story of the other journeys
is left as it is."""

import datetime
import re
import time
import zoneinfo

import pytest

from tests.journeys.conftest import Journey, submit

pytestmark = [pytest.mark.browser]

STATION = "diaobingshan"
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
REFERRAL_NUMBER = re.compile(r"[A-Z]+-ZJ-\d{4}-\d{6}")


def now() -> datetime.datetime:
    return datetime.datetime.now(SHANGHAI)


def case_links(walk: Journey, state: str, station: str = STATION) -> list[str]:
    """The links of the cases in a state, as staff filter 全部服务事项."""
    walk.goto("/desk/cases/", station)
    walk.page.select_option("main form [name$=state]", state)
    walk.page.click("main form button[type=submit]")
    walk.page.wait_for_load_state("networkidle")
    links = walk.page.locator("main table a[href*='/desk/cases/']")
    return [links.nth(i).get_attribute("href") for i in range(min(links.count(), 30))]


def reload_until(walk: Journey, check, what: str, *, timeout: float = 60) -> None:
    """Reload until `check()` holds: what the worker carries between stations takes a moment."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            walk.step("never", check=False)
            pytest.fail(f"{what} never happened\nworker:\n{walk.site.worker_log()}")
        walk.page.wait_for_timeout(1000)
        walk.page.reload()
        walk.page.wait_for_load_state("networkidle")


def refer_to(walk: Journey, station: str, reason: str, name: str) -> str:
    """On the refer page: choose `station`, say why and what is asked, record consent; the new referral's number."""
    page = walk.page
    page.check(f"tr[data-station={station}] input[type=radio]")
    page.fill("#id_reason", reason)
    page.fill("#id_ask", "请协助办理")
    page.select_option("#id_consent_channel", "phone")
    page.fill("#id_consent_at", (now() - datetime.timedelta(minutes=20)).strftime("%Y-%m-%dT%H:%M"))
    submit(walk, "form.refer-form", name)
    assert page.get_attribute("#referral-state", "data-state") == "requested", walk.text()
    return REFERRAL_NUMBER.search(walk.text("h1")).group(0)


@pytest.mark.clause("5.2.2")
def test_a_referral_declined_by_one_station_is_rerouted_to_another_and_withdrawn(site, journey):
    walk = journey("referral-declined")
    page = walk.page
    walk.sign_in("diaobingshan-staff", STATION)
    for href in case_links(walk, "in_service") + case_links(walk, "planned"):
        page.goto(walk.site.url(href, STATION))
        page.wait_for_load_state("networkidle")
        if page.locator("#refer").count():
            break
    else:
        pytest.fail("no open case of 调兵山 can be referred")
    case_url = page.url
    page.click("#refer")
    page.wait_for_load_state("networkidle")
    walk.step("refer-page")
    first = refer_to(walk, "yinzhou", "本站检测能力已满，请银州站协助", "referred-to-yinzhou")

    head = journey("referral-declined-receiver")
    head.sign_in("yinzhou-head", "yinzhou")
    head.goto("/desk/referrals/?tab=in", "yinzhou")
    row = head.page.locator(f"main a:has-text('{first}')")
    reload_until(head, lambda: row.count() > 0, f"referral {first} reaching 银州")
    row.first.click()
    head.page.wait_for_load_state("networkidle")
    head.step("referral-received")
    head.page.fill("#decline-form [name$=reason]", "本站本月检测排期已满，建议转开原站")
    submit(head, "#decline-form", "declined")
    assert head.page.get_attribute("#referral-state", "data-state") == "declined"
    assert "本站本月检测排期已满" in head.page.inner_text("#state-reason")

    # The sender learns of it on the referral's page (the answer comes back through the worker) and re-routes.
    page.goto(case_url)
    page.wait_for_load_state("networkidle")
    page.click(f"main a:has-text('{first}')")
    page.wait_for_load_state("networkidle")
    reload_until(walk, lambda: page.get_attribute("#referral-state", "data-state") == "declined", "the decline")
    walk.step("declined-at-the-sender")
    assert "本站本月检测排期已满" in page.inner_text("#state-reason")
    page.click("#reroute")
    page.wait_for_load_state("networkidle")
    walk.step("reroute-page")
    assert first in page.inner_text("#reroute") and "已拒绝" in page.inner_text("#reroute")
    second = refer_to(walk, "kaiyuan", "银州站排期已满，改转开原站", "rerouted-to-kaiyuan")
    assert second != first
    assert first in page.inner_text("#chain")  # the new referral keeps where the case has been

    # The enterprise found another way meanwhile: the sender withdraws the second referral, with a reason.
    page.fill("#withdraw-form [name$=reason]", "企业已自行联系检测机构，无需再转介")
    submit(walk, "#withdraw-form", "withdrawn")
    assert page.get_attribute("#referral-state", "data-state") == "withdrawn"
    assert "企业已自行联系检测机构" in page.inner_text("#state-reason")

    receiver = journey("referral-withdrawn-receiver")
    receiver.sign_in("kaiyuan-head", "kaiyuan")
    receiver.goto("/desk/referrals/?tab=in", "kaiyuan")
    row = receiver.page.locator(f"main a:has-text('{second}')")
    reload_until(receiver, lambda: row.count() > 0, f"referral {second} reaching 开原")
    row.first.click()
    receiver.page.wait_for_load_state("networkidle")
    reload_until(
        receiver, lambda: receiver.page.get_attribute("#referral-state", "data-state") == "withdrawn", "the withdrawal"
    )
    receiver.step("withdrawn-at-the-receiver")
    assert not receiver.page.locator("#accept-form").count()  # nothing left to accept


OPINION = "建议在服务大厅增加饮水机和等候座椅"


@pytest.mark.clause("6.1")
def test_an_opinion_is_classified_opened_as_a_complaint_closed_and_its_publication_withdrawn(site, journey):
    walk = journey("opinion-more")
    page = walk.page
    walk.sign_in("diaobingshan-staff", STATION)
    walk.goto("/supervision/new/", STATION)
    page.select_option("#log-form [name$=channel]", "in_person")
    page.select_option("#log-form [name$=kind]", "other")
    page.fill("#log-form [name$=text]", OPINION)
    page.fill("#log-form [name$=name]", "孙先生")
    page.fill("#log-form [name$=phone]", "13941000099")
    submit(walk, "#log-form", "logged")

    page.select_option("#classify-form [name$=kind]", "suggestion")
    topic = page.locator("#classify-form select[name$=topic] option:not([value=''])").first.get_attribute("value")
    page.select_option("#classify-form [name$=topic]", topic)
    submit(walk, "#classify-form", "classified")
    assert page.get_attribute("#opinion-state", "data-state") == "received"
    assert page.input_value("#classify-form [name$=kind]") == "suggestion"

    opinion_url = page.url
    if page.locator("#open-complaint-form").count():
        submit(walk, "#open-complaint-form", "opened-as-complaint")
        assert "/complaints/" in page.url, page.url
        assert OPINION in page.inner_text("#complaint-subject")
        page.goto(opinion_url)
        page.wait_for_load_state("networkidle")

    page.fill("#answer-form [name$=answer]", "已采购饮水机，座椅下周到位")
    submit(walk, "#answer-form", "answered")
    page.fill("#publish-form [name$=public_result]", "服务大厅已增设饮水机和等候座椅")
    submit(walk, "#publish-form", "published")
    submit(walk, "#unpublish-form", "publication-withdrawn")
    assert not page.locator("#unpublish-form").count()
    public = journey("opinion-more-public")
    public.goto("/feedback/", STATION)
    assert "服务大厅已增设饮水机" not in public.text()
    public.step("public-page-without-it")

    submit(walk, "#close-form", "closed")
    assert page.get_attribute("#opinion-state", "data-state") == "closed"


@pytest.mark.clause("5.2.4")
def test_staff_add_the_enterprises_email_and_the_survey_link_goes_out(site, journey):
    walk = journey("survey-link-added")
    page = walk.page
    walk.sign_in("diaobingshan-staff", STATION)
    for href in case_links(walk, "completed"):
        page.goto(walk.site.url(href, STATION))
        page.wait_for_load_state("networkidle")
        if page.locator("#survey-link[data-state=no_address] #survey-link-form").count():
            break
    else:
        pytest.fail("no completed case of 调兵山 waits for an address to send its survey link")
    number = walk.text("h1").split()[0]
    walk.step("no-address")
    page.fill("#survey-link-form [name$=email]", "not an address")
    submit(walk, "#survey-link-form", "address-refused")
    error = page.inner_text("#survey-link-form .field-error")
    assert re.search(r"[\u4e00-\u9fff]", error), error
    assert page.input_value("#survey-link-form [name$=email]") == "not an address"  # kept as typed
    page.fill("#survey-link-form [name$=email]", "zhou.changzhang@example.cn")
    submit(walk, "#survey-link-form", "address-added")
    assert page.get_attribute("#survey-link", "data-state") in {"sending", "sent"}
    link = site.mail_matching(r"https?://\S+/survey/\S+")
    assert link
    reload_until(walk, lambda: page.get_attribute("#survey-link", "data-state") == "sent", f"{number}'s link sent")
    walk.step("link-sent")
    assert "zhou.changzhang@example.cn" in page.inner_text("#survey-link")


@pytest.mark.clause("4.4.1")
@pytest.mark.clause("4.2.2")
def test_the_head_corrects_cancels_withdraws_retires_and_keeps_the_display(site, journey):
    walk = journey("head-corrections")
    page = walk.page
    walk.sign_in("diaobingshan-head", STATION)
    today = now().date()

    # A training recorded by mistake twice: the second one is corrected, then cancelled with its reason.
    walk.goto("/operations/", STATION)
    form = page.locator("#training-form")
    form.locator("[name$=title]").fill("计量器具使用规范培训（重复录入）")
    form.locator("[name$=held_on]").fill(today.isoformat())
    form.locator("[name$=hours]").fill("2")
    form.locator("input[name$=kind]").last.check()
    form.locator("input[name$=attendees]").first.check()
    submit(walk, "#training-form", "training-recorded")
    row = page.locator("#trainings tr", has_text="计量器具使用规范培训（重复录入）")
    row.locator("a[href$='/edit/']").first.click()
    page.wait_for_load_state("networkidle")
    walk.step("training-edit")
    page.fill("#edit-form [name$=hours]", "1.5")
    submit(walk, "#edit-form", "training-corrected")
    row = page.locator("#trainings tr", has_text="计量器具使用规范培训（重复录入）")
    assert "1.5" in row.inner_text()
    row.locator("a[href$='/edit/']").first.click()
    page.wait_for_load_state("networkidle")
    page.fill("#cancel-form [name$=reason]", "与上一条培训记录重复")
    submit(walk, "#cancel-form", "training-cancelled")
    row = page.locator("#trainings tr[data-cancelled=yes]", has_text="计量器具使用规范培训（重复录入）")
    assert "与上一条培训记录重复" in row.inner_text()

    # The qualification the head added in an earlier journey expired: withdrawn, with its date and reason.
    page.locator("#register [data-qualification]", has_text="二级注册计量师").locator("a").first.click()
    page.wait_for_load_state("networkidle")
    page.fill("#withdraw-form [name$=withdrawn_on]", today.isoformat())
    page.fill("#withdraw-form [name$=reason]", "证书注销，已重新申请")
    submit(walk, "#withdraw-form", "qualification-withdrawn")
    withdrawn = page.locator("#register [data-qualification]", has_text="二级注册计量师").inner_text()
    assert "证书注销，已重新申请" in withdrawn or "撤销" in withdrawn, withdrawn

    # An item of equipment is decommissioned: the date is refused in the future, then retired.
    walk.goto("/operations/equipment/", STATION)
    items = page.locator("#equipment a[href*='/operations/equipment/'][href$='/edit/']")
    if not items.count():
        page.locator("#equipment a[href*='/operations/equipment/']").first.click()
        page.wait_for_load_state("networkidle")
        page.locator("main a[href$='/edit/']").first.click()
    else:
        items.first.click()
    page.wait_for_load_state("networkidle")
    name = walk.text("h1")
    page.fill("#retire-form [name$=retired_on]", (today + datetime.timedelta(days=30)).isoformat())
    page.fill("#retire-form [name$=reason]", "设备老化，计量性能无法满足要求，报废处理")
    submit(walk, "#retire-form", "retirement-refused")
    assert page.locator("#retire-form .field-error").count(), walk.text()
    assert page.input_value("#retire-form [name$=reason]") == "设备老化，计量性能无法满足要求，报废处理"
    page.fill("#retire-form [name$=retired_on]", today.isoformat())
    submit(walk, "#retire-form", "retired")
    assert "设备老化" in page.inner_text("#retired")
    walk.goto("/operations/equipment/", STATION)
    assert name in page.inner_text("#retired-equipment")

    # The public display: the service process written for the board at the entrance.
    walk.goto("/operations/display/", STATION)
    page.fill("#display-form [name$=process]", "一、登记需求\n二、评估并制定服务方案\n三、实施服务\n四、跟踪回访")
    page.fill("#display-form [name$=notes]", "每周三下午计量所专家现场答疑")
    submit(walk, "#display-form", "display-saved")
    assert "制定服务方案" in page.inner_text("#display-process")
    assert "计量所专家现场答疑" in page.inner_text("#display")

    # A service item the station no longer offers is removed.
    walk.goto("/station/items/", STATION)
    ticked = page.locator("main form input[name=items]:checked")
    count = ticked.count()
    value = ticked.last.get_attribute("value")
    ticked.last.uncheck()
    submit(walk, "main form.demand-form", "item-removed")
    walk.goto("/station/items/", STATION)
    assert page.locator("main form input[name=items]:checked").count() == count - 1
    assert not page.is_checked(f"main form input[name=items][value='{value}']")


@pytest.mark.clause("7.4")
def test_a_disposal_within_the_retention_period_is_refused_with_the_date_it_ends(site, journey):
    walk = journey("archive-disposal")
    page = walk.page
    walk.sign_in("diaobingshan-staff", STATION)
    walk.goto("/archive/", STATION)
    page.locator("main table a[href*='/archive/enterprises/']").first.click()
    page.wait_for_load_state("networkidle")
    walk.step("enterprise-archive")
    page.fill("main form [name$=reason]", "企业已注销，申请销毁档案")
    walk.step("disposal-filled")
    page.click("main form button[value=dispose]")
    page.wait_for_load_state("networkidle")
    walk.step("disposal-refused")
    refusal = walk.text()
    assert re.search(r"\d{4}-\d{2}-\d{2} 之前不得销毁", refusal), refusal
    assert page.input_value("main form [name$=reason]") == "企业已注销，申请销毁档案"


@pytest.mark.clause("5.1.9")
def test_the_bureau_enters_an_institution_and_staff_export_the_directory(site, journey):
    bureau = journey("institution-entry")
    page = bureau.page
    bureau.sign_in("bureau")
    bureau.goto("/directory/institutions/new/")
    bureau.step("institution-form")
    page.fill("main form [name$=name]", "铁岭市清河区计量检定服务中心")
    submit(bureau, "main form", "institution-refused")
    assert page.locator("main form .field-error").count(), bureau.text()
    assert page.input_value("main form [name$=name]") == "铁岭市清河区计量检定服务中心"
    for field in page.locator("main form [required]").all():
        if not field.input_value():
            tag = field.evaluate("e => e.tagName")
            if tag == "SELECT":
                field.select_option(index=1)
            else:
                field.fill("024-72612345" if "phone" in (field.get_attribute("name") or "") else "铁岭市银州区")
    submit(bureau, "main form", "institution-added")
    assert "铁岭市清河区计量检定服务中心" in bureau.text()
    bureau.goto("/directory/institutions/?q=铁岭市清河区计量检定服务中心")
    assert "铁岭市清河区计量检定服务中心" in bureau.text("main table")

    walk = journey("directory-export")
    walk.sign_in("diaobingshan-staff", STATION)
    walk.goto("/directory/enterprises/", STATION)
    walk.step("enterprises")
    export = walk.page.locator("main form.inline button[type=submit]").first
    export.click()
    walk.page.wait_for_load_state("networkidle")
    reload_until(walk, lambda: walk.page.locator("#result:not([hidden]) a").count() > 0, "the export")
    walk.step("export-ready")
    with walk.page.expect_download() as download:
        walk.page.locator("#result a").click()
    content = download.value.path().read_bytes()
    assert content[:2] == b"PK" or "统一社会信用代码" in content.decode("utf-8-sig", errors="replace")
