"""A real browser follows a public complaint to closure (clauses 6.1 and 6.5): an anonymous visitor leaves a complaint
on alpha's public opinion page; alpha's staff open it as a complaint, acknowledge it, investigate, respond and close it
with the complainant's feedback; they answer the opinion and publish its result, which the public page then shows
(and never the complaint's own words).

The web server runs in its own process and sees only committed data; everything committed is removed afterwards."""

import re

import pytest
from django_tenants.utils import get_public_schema_name

from tenants.models import Station, StationStatus
from tests.browser.test_referral import high_water_marks, remove_rows_added_since, sign_in
from tests.committed import on_own_connection, set_status

pytestmark = [pytest.mark.browser]

COMPLAINT = "窗口人员办事拖拉，材料来回退了三次"
RESULT = "已对窗口人员进行培训，并公示一次性告知清单"


@pytest.mark.clause("6.1")
@pytest.mark.clause("6.5")
def test_an_anonymous_complaint_is_followed_to_closure_and_its_result_published(city, web_server, browser):
    marks = high_water_marks([city.alpha.schema_name, get_public_schema_name()])
    was = on_own_connection(lambda: Station.objects.get(pk=city.alpha.pk).status)
    try:
        set_status(city.alpha.pk, StationStatus.PUBLISHED)
        alpha = f"http://alpha.localhost:{web_server}"

        # An anonymous visitor leaves a complaint (a person takes a few seconds: the spam guard refuses faster forms).
        visitor = browser.new_page()
        visitor.goto(f"{alpha}/feedback/")
        assert visitor.locator("#no-results").count() == 1
        visitor.select_option("#id_kind", "complaint")
        visitor.fill("#id_text", COMPLAINT)
        assert visitor.is_checked("#id_anonymous")
        visitor.wait_for_timeout(3500)
        visitor.click("#feedback-submit")
        visitor.wait_for_selector("#thanks")

        # Staff find it among the opinions: it is a complaint already (opened when it was sent, with its reference).
        staff = browser.new_page()
        sign_in(staff, alpha, city.alpha_staff.username, "/supervision/")
        staff.click("table.opinions tbody tr[data-state=received] a")
        staff.wait_for_selector("#opinion-text")
        assert COMPLAINT in staff.text_content("#opinion-text")
        staff.click("#complaint-link")
        staff.wait_for_url(re.compile(r".*/complaints/\d+/$"))
        complaint_page = staff.url
        assert staff.get_attribute("#complaint-state", "data-state") == "received"
        assert staff.locator("#acknowledge-due").count() == 1 and staff.locator("#response-due").count() == 1

        # Acknowledged, investigated, responded, closed with the complainant's feedback.
        staff.click("#step-acknowledged button[type=submit]")
        staff.wait_for_selector("#complaint-state[data-state=acknowledged]")
        staff.click("#step-investigating button[type=submit]")
        staff.wait_for_selector("#complaint-state[data-state=investigating]")
        staff.fill("#step-responded textarea[name=text]", "经核实情况属实，已向投诉人致歉并说明材料要求")
        staff.click("#step-responded button[type=submit]")
        staff.wait_for_selector("#complaint-state[data-state=responded]")
        staff.select_option("#step-closed select[name=feedback]", "satisfied")
        staff.fill("#step-closed textarea[name=feedback_text]", "投诉人电话回访表示满意")
        staff.click("#step-closed button[type=submit]")
        staff.wait_for_selector("#complaint-state[data-state=closed]")
        assert staff.get_attribute("#complaint-feedback", "data-feedback") == "satisfied"
        steps = staff.eval_on_selector_all("#timeline li[data-kind=state]", "items => items.map(i => i.dataset.to)")
        assert steps == ["received", "acknowledged", "investigating", "responded", "closed"]

        # The opinion is answered and its result published.
        staff.click("#facts a[href*='/supervision/']")
        staff.wait_for_selector("#answer-form")
        staff.fill("#answer-form textarea[name=answer]", "已处理，详见投诉答复")
        staff.click("#answer-form button[type=submit]")
        staff.wait_for_selector("#opinion-state[data-state=answered]")
        staff.fill("#publish-form textarea[name=public_result]", RESULT)
        staff.click("#publish-form button[type=submit]")
        staff.wait_for_selector("#unpublish-form")
        assert staff.locator("#complaint-link").count() == 1
        staff.goto(complaint_page)
        assert staff.get_attribute("#complaint-state", "data-state") == "closed"
        staff.close()

        # The public page shows the published result, never the complaint's words.
        visitor.goto(f"{alpha}/feedback/")
        published = visitor.text_content("#published-results")
        assert RESULT in published and COMPLAINT not in published
        visitor.close()
    finally:
        set_status(city.alpha.pk, was)
        remove_rows_added_since(marks)
