"""The pages' scripts are static files (frontend_templates/static/stationnet/) that run under the Content-Security-
Policy, in a real Chromium, with no violation on its console:
- the desk's demand form looks the enterprise up in the directory (demand-form.js): the directory's list answers
  contact details masked (api.masking), so the form is filled from the entry's own endpoint, whole; its tables add
  rows (demand-rows.js). Nothing is submitted: the enterprise committed here is deleted afterwards;
- the console's new station form shows the host name as the code is typed (station-new.js). Nothing is submitted."""

import random

import pytest

from core.common.shared_rows import shared_row_delete
from core.directory import uscc
from core.directory.models import Enterprise
from tests.browser.test_referral import sign_in
from tests.committed import on_own_connection

pytestmark = [pytest.mark.browser]

PHONE, EMAIL = "13912345678", "lookup@example.test"


def _enterprise_add(code: str) -> int:
    return Enterprise.objects.create(
        uscc=code,
        name="铁岭市开原浏览器查找测试厂",
        district="kaiyuan",
        contact_person="查找联系人",
        phone=PHONE,
        email=EMAIL,
    ).pk


def _enterprise_delete(pk: int) -> None:
    with shared_row_delete():
        Enterprise.objects.filter(pk=pk).delete()


def watched(browser) -> tuple[object, list[str]]:
    """A new page, and the list its console's CSP violations land in."""
    page = browser.new_page()
    blocked = []
    page.on("console", lambda message: "Content Security Policy" in message.text and blocked.append(message.text))
    return page, blocked


def test_the_demand_form_is_filled_whole_from_the_entry_picked(city, web_server, browser):
    code = uscc.generate(random.Random(4403))  # noqa: S311  (test data)
    pk = on_own_connection(_enterprise_add, code)
    try:
        page, blocked = watched(browser)
        sign_in(page, f"http://beta.localhost:{web_server}", city.beta_staff.username, "/desk/demands/new/")
        with page.expect_response(lambda response: response.url.endswith(f"/api/v1/enterprises/{pk}/")):
            page.fill("#id_uscc", code)
            page.press("#id_uscc", "Tab")  # its change event: the lookup by code
        # A function, not an expression: Playwright evaluates an expression with eval(), which the CSP refuses.
        page.wait_for_function(f"() => document.getElementById('id_phone').value === '{PHONE}'")
        assert page.input_value("#id_enterprise_name") == "铁岭市开原浏览器查找测试厂"
        assert page.input_value("#id_email") == EMAIL
        assert page.input_value("#id_contact_person") == "查找联系人"
        rows = page.locator("[data-prefix=special_equipment] tbody tr.row").count()
        page.click("[data-prefix=special_equipment] .add-row")
        assert page.locator("[data-prefix=special_equipment] tbody tr.row").count() == rows + 1
        assert not blocked, blocked
        page.close()
    finally:
        on_own_connection(_enterprise_delete, pk)


def test_the_new_station_form_shows_its_host_as_the_code_is_typed(city, web_server, browser):
    page, blocked = watched(browser)
    sign_in(page, f"http://localhost:{web_server}", city.bureau_admin.username, "/console/stations/new/")
    assert page.inner_text("#host-preview") == "<code>.localhost"
    page.fill("#id_code", "Qinghe")
    assert page.inner_text("#host-preview") == "qinghe.localhost"
    assert not blocked, blocked
    page.close()
