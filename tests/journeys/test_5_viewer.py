"""The bureau's viewer (`bureau-viewer`, 局端查看员): reads everything the administrator reads (the console's station
list, a station's page, an evaluation round, the statistics, the referral flows and deadline, the escalated
complaints) and meets no write control: no onboarding, no evaluation, review, publication or suspension, no deadline
form, no handling of a complaint; the onboarding page itself is refused. Without the `stats.view_case_list`
permission the viewer does not see a station's case list, and is told why."""

import re

import pytest

pytestmark = [pytest.mark.browser]

NEW_CODE = "qinghe"  # the station the administrator onboarded in test_4_bureau.py
DEMO_STATION = "kaiyuan"


def console_station_pk(walk, code: str) -> int:
    """The console id of a station, read from its link in the console's list."""
    walk.goto("/console/")
    row = walk.page.locator("main table tbody tr", has=walk.page.locator(f"td:text-is('{code}')"))
    href = row.locator("a[href*='/console/stations/']").first.get_attribute("href")
    return int(re.search(r"/console/stations/(\d+)/", href).group(1))


@pytest.mark.clause("3")
def test_the_viewer_reads_the_console_and_meets_no_write_control(site, journey):
    walk = journey("bureau-viewer")
    page = walk.page
    walk.sign_in("bureau-viewer")

    walk.goto("/console/")
    codes = page.eval_on_selector_all("main table tbody tr td:first-child", "cells => cells.map(c => c.innerText)")
    assert {"yinzhou", "kaiyuan", "diaobingshan"} <= set(codes), codes
    assert page.locator("main a:has-text('新建服务站')").count() == 0  # neither the button nor the tab
    assert page.locator("main form[method=post]").count() == 0
    walk.step("console-home")

    # The onboarding page is refused outright (typed in, as a bookmark would).
    response = walk.goto("/console/stations/new/")
    assert response.status == 403
    assert page.locator("#station-new").count() == 0
    refusal = walk.text()
    assert "无权访问" in refusal and "站长" not in refusal, refusal  # no station host's advice on the console
    walk.step("onboarding-refused")

    # A published demo station: its facts, members, status history and evaluation rounds; nothing to press.
    pk = console_station_pk(walk, DEMO_STATION)
    walk.goto(f"/console/stations/{pk}/")
    assert page.get_attribute("#station-status", "data-status") == "published"
    assert "开原市经济开发区一站式质量服务站" in page.inner_text("#station-facts")
    assert page.locator("#station-members tr[data-role=head]").count() == 1
    for control in ("#status-action", "#publish", "#start-evaluation", "#schedule", "#station-status-change"):
        assert page.locator(control).count() == 0, control
    assert page.locator("main form[method=post]").count() == 0
    assert "管理员" in walk.text()  # says who may suspend or reactivate
    rounds = page.locator("#evaluation-history tr[data-round] a")
    assert rounds.count() >= 1
    walk.step("station-page")

    rounds.first.click()
    page.wait_for_load_state("networkidle")
    assert page.locator("#round-facts").count() == 1 and page.locator("[data-item]").count() >= 20
    assert page.locator("#review, #conclude, #save-review, #conclude-round").count() == 0
    assert page.locator("main input[type=radio], main textarea").count() == 0
    walk.step("evaluation-round")

    # The station the administrator onboarded, reviewed and published in test_4 (when that journey ran): its round
    # with the head's evidence, read-only.
    new = site.story.get("new_station")
    if new is not None:
        walk.goto(f"/console/stations/{new['pk']}/")
        assert page.get_attribute("#station-status", "data-status") == "published"
        assert page.locator("#status-action, #publish, #schedule").count() == 0
        assert page.locator("#station-status-history tr[data-change='published:suspended']").count() == 1
        walk.step("new-station-page")
        walk.goto(f"/console/stations/{new['pk']}/evaluations/1/")
        assert page.get_attribute("#round-conclusion", "data-conclusion") == "approved"
        assert page.locator("[data-item='4.2.1'] ul.evidence a").count() == 1
        assert page.locator("#review").count() == 0
        walk.step("new-station-round")

    # The referral flows, and the deadline without its form.
    walk.goto("/console/referrals/")
    assert page.locator("table.matrix, #period").count() >= 1
    walk.step("referral-flows")
    page.click("main form.search button[type=submit]")  # the period form reads; every role may use it
    page.wait_for_load_state("networkidle")
    walk.step("referral-flows-period")
    walk.goto("/console/referrals/policy/")
    assert re.fullmatch(r"\d+", page.inner_text("#accept-working-days"))
    assert page.locator("#id_accept_working_days").count() == 0
    assert "管理员" in walk.text()
    walk.step("referral-deadline")

    # The escalated complaints: the list, and one of them if a station escalated one, without the handling form.
    walk.goto("/console/escalations/")
    assert page.locator("table.escalations").count() == 1
    walk.step("escalations")
    escalations = page.locator("table.escalations tr[data-escalation] a")
    if escalations.count():
        escalations.first.click()
        page.wait_for_load_state("networkidle")
        assert page.locator("#handling-form").count() == 0
        assert "管理员" in walk.text()
        walk.step("escalation")


@pytest.mark.clause("3")
def test_the_viewer_reads_the_statistics_but_not_a_station_s_case_list(site, journey):
    walk = journey("bureau-viewer-statistics")
    page = walk.page
    walk.sign_in("bureau-viewer")
    walk.goto("/console/statistics/")
    total = page.locator("tr.total [data-figure=demands]")
    assert re.fullmatch(r"\d+", total.inner_text().strip())
    assert page.locator("#statistics tbody tr[data-group]").count() >= 3
    walk.step("statistics")

    page.locator("#statistics tbody tr[data-group] a:has-text('开原')").first.click()
    page.wait_for_load_state("networkidle")
    assert "/console/statistics/stations/" in page.url
    pk = int(re.search(r"/statistics/stations/(\d+)/", page.url).group(1))
    assert page.locator("#case-list-link").count() == 0
    assert page.locator("#case-list-accesses").count() == 0  # who looked is the administrators' to read
    said = page.inner_text("#case-list-note")
    assert "案件清单" in said and "管理员" in said, said
    walk.step("station-statistics")

    response = walk.goto(f"/console/statistics/stations/{pk}/cases/")
    assert response.status == 403
    assert page.locator("table.cases").count() == 0
    refusal = walk.text()
    assert "无权访问" in refusal and "案件清单" in refusal and "管理员" in refusal, refusal
    assert "站长" not in refusal  # not the station hosts' advice to ask a station head for membership
    walk.step("case-list-refused")
