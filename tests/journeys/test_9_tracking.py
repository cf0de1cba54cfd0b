"""The enterprise in the loop (issue 19): it submits a demand on its phone, gets the tracking link by SMS (the
development gateway's file), follows its need as the station refers it to another station, which serves it, uploads
the inspection report and releases it; the report travels back with the referral's completion and the enterprise
downloads it from its tracking page."""

import random
import re

import pytest

from core.directory import uscc
from tests.core.evaluation.builders import PDF
from tests.journeys.conftest import PHONE
from tests.journeys.test_2_station import PARTNER, PARTNER_NAME, STATION, local, move, open_case, save_plan

pytestmark = [pytest.mark.browser]

MOBILE = "13941000009"
ENTERPRISE = "铁岭银州跟踪锅炉有限公司"
REPORT = PDF  # a real one-page PDF: the upload is checked by its content


@pytest.mark.clause("5.1.8.2")
def test_an_enterprise_follows_its_referred_need_on_its_phone_and_downloads_the_released_report(
    site, journey, tmp_path
):
    # 1. On its phone, the enterprise submits its demand; the thanks page and an SMS give it the tracking link.
    phone = journey("enterprise-tracking", viewport=PHONE)
    page = phone.page
    phone.goto(f"/demand/?station={STATION}")
    page.fill("#id_enterprise_name", ENTERPRISE)
    page.fill("#id_uscc", uscc.generate(random.Random(1909)))  # noqa: S311
    page.fill("#id_contact_person", "周经理")
    page.fill("#id_phone", "1394100")  # a digit short: refused on the field, nothing else lost
    page.select_option("#id_district", "yinzhou")
    page.check("label.box:has-text('定期检验') input")
    page.fill("#id_special_equipment-0-category", "锅炉")
    page.fill("#id_special_equipment-0-count", "1")
    page.click("main form.demand-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    phone.step("demand-wrong-phone")
    assert "11位手机号码" in phone.text()
    assert page.input_value("#id_enterprise_name") == ENTERPRISE
    page.fill("#id_phone", MOBILE)
    page.click("main form.demand-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    phone.step("demand-thanks-with-tracking-link")
    shown = page.get_attribute("#tracking-link a", "href")
    sms = site.sms_matching(r"(http://\S+/track/\S+/)", to=MOBILE)
    link = sms.group(1)
    assert link == shown
    number = re.search(r"YINZHOU-\d{4}-\d{6}", phone.text()).group(0)

    page.goto(link)
    page.wait_for_load_state("networkidle")
    phone.step("tracking-received")
    assert number in phone.text() and "已受理" in phone.text()

    # 2. The station refers the need to the partner station, with the enterprise's consent.
    staff = journey("tracking-station-refers")
    sp = staff.page
    staff.sign_in("yinzhou-staff", STATION)
    open_case(staff, f"{number}-1")
    sp.click("#refer")
    sp.wait_for_load_state("networkidle")
    sp.check(f"tr[data-station={PARTNER}] input[type=radio]")
    sp.fill("#id_reason", "本站不提供特种设备服务")
    sp.fill("#id_ask", "锅炉定期检验")
    sp.check("#parts label.box:has-text('联系方式') input")
    sp.select_option("#id_consent_channel", "phone")
    sp.fill("#id_consent_at", local(-10))
    sp.click("form.refer-form button[type=submit]")
    sp.wait_for_load_state("networkidle")
    staff.step("referred")
    referral = re.search(r"YINZHOU-ZJ-\d{4}-\d{6}", staff.text()).group(0)

    phone.page.reload()
    phone.page.wait_for_load_state("networkidle")
    phone.step("tracking-referral-waiting")
    assert PARTNER_NAME in phone.text()

    # 3. The partner's head accepts it, serves it, uploads the inspection report and releases it, and completes it.
    head = journey("tracking-partner-serves")
    hp = head.page
    head.sign_in("kaiyuan-head", PARTNER)
    head.goto("/desk/referrals/?tab=in", PARTNER)
    hp.click(f"main a:has-text('{referral}')")
    hp.wait_for_load_state("networkidle")
    hp.select_option("#accept-form select[name=assignee]", label="赵丽娜")
    hp.click("#accept-form button[type=submit]")
    hp.wait_for_load_state("networkidle")
    hp.click("#local-case")
    hp.wait_for_load_state("networkidle")
    move(head, "evaluating")
    save_plan(head, kind="self", evaluation="锅炉定检", appointment_at=local(30), staff="赵丽娜")
    move(head, "in_service")
    report = tmp_path / "report.pdf"
    report.write_bytes(REPORT)
    hp.click("#documents details summary:has-text('上传文件')")
    upload = hp.locator("#documents form.wide")
    upload.locator("[name=kind]").select_option("report")
    upload.locator("[name=title]").fill("锅炉定期检验报告")
    upload.locator("[name=file]").set_input_files(str(report))
    head.step("report-chosen")
    upload.locator("button[type=submit]").click()
    hp.wait_for_load_state("networkidle")
    head.step("report-uploaded")
    assert "锅炉定期检验报告" in hp.inner_text("#documents")
    hp.click("#documents button:has-text('发放给企业')")
    hp.wait_for_load_state("networkidle")
    head.step("report-released")
    record = hp.locator("#record form")
    for name, value in (("requested_at", local(-60)), ("received_at", local(-50)), ("ended_at", local(-1))):
        record.locator(f"[name={name}]").fill(value)
    record.locator("[name=resolution]").fill("锅炉定期检验完成，报告已发放")
    record.locator("button[type=submit]").click()
    hp.wait_for_load_state("networkidle")
    move(head, "following_up")
    move(head, "completed")
    head.step("partner-completed")

    # 4. The enterprise was told who serves it; its tracking page shows the partner and the released report.
    assert PARTNER_NAME in site.sms_matching(r".*开原.*", to=MOBILE).group(0)
    for _attempt in range(40):
        phone.page.reload()
        phone.page.wait_for_load_state("networkidle")
        if "锅炉定期检验报告" in phone.text():
            break
        phone.page.wait_for_timeout(1000)
    phone.step("tracking-report-released")
    assert "锅炉定期检验报告" in phone.text()
    with phone.page.expect_download() as download:
        phone.page.click("#documents a:has-text('锅炉定期检验报告')")
    saved = tmp_path / "downloaded.pdf"
    download.value.save_as(saved)
    assert saved.read_bytes() == REPORT
