"""A real browser (clause 7.3): staff open a demand; the head finds that look in the access log from the members page
(per member), narrows it with the log's filter form, and follows the enterprise to its own log (per enterprise).

The web server runs in its own process and sees only committed data; everything committed is removed afterwards."""

import os
import random
from pathlib import Path

import pytest
from django_tenants.utils import get_public_schema_name, schema_context

from core.directory import uscc
from core.directory.models import Enterprise
from tests.browser.test_referral import high_water_marks, remove_rows_added_since, sign_in
from tests.committed import on_own_connection
from tests.core.desk.builders import take_demand

pytestmark = [pytest.mark.browser]


def _demand(city):
    enterprise = Enterprise.objects.create(
        uscc=uscc.generate(random.Random(7303)),  # noqa: S311  (test data)
        name="铁岭市银州区访问日志测试厂",
        district="yinzhou",
    )
    with schema_context(city.alpha.schema_name):
        return take_demand(city, enterprise)


def _screens() -> Path:
    path = Path(os.environ.get("STATIONNET_VAR_DIR", "var")) / "screens"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.mark.clause("7.3")
def test_the_head_reads_a_members_looks_and_an_enterprises_in_the_browser(city, web_server, browser):
    marks = high_water_marks([city.alpha.schema_name, get_public_schema_name()])
    try:
        demand = on_own_connection(_demand, city)
        alpha = f"http://alpha.localhost:{web_server}"
        staff = browser.new_page()
        sign_in(staff, alpha, city.alpha_staff.username, f"/desk/demands/{demand.pk}/")
        assert demand.number in staff.content()

        head = browser.new_page(viewport={"width": 1280, "height": 900})
        sign_in(head, alpha, city.alpha_head.username, "/station/members/")
        head.click(f"tr[data-member='{city.alpha_staff.username}'] a[href$='?user={city.alpha_staff.pk}']")
        head.wait_for_url(f"{alpha}/archive/access-log/?user={city.alpha_staff.pk}")
        assert demand.number in head.text_content("table")

        # The filter form: the member's looks through pages, at demands.
        head.select_option("#id_channel", "page")
        head.select_option("#id_action", "demand_view")
        head.click("form.filters button")
        head.wait_for_url(lambda url: "channel=page" in url and "action=demand_view" in url)
        assert head.input_value("#id_user") == str(city.alpha_staff.pk)
        rows = head.locator("tbody tr")
        assert rows.count() == 1 and demand.number in rows.first.text_content()
        head.screenshot(path=str(_screens() / "access-log-member.png"), full_page=True)

        # The enterprise's own log, and back to its archive.
        head.click(f"tbody a[href='?enterprise={demand.enterprise_id}']")
        head.wait_for_url(f"{alpha}/archive/access-log/?enterprise={demand.enterprise_id}")
        assert "铁岭市银州区访问日志测试厂" in head.text_content("h1")
        head.screenshot(path=str(_screens() / "access-log-enterprise.png"), full_page=True)
        head.click(f"a[href='/archive/enterprises/{demand.enterprise_id}/']")
        head.wait_for_selector("h1")
        head.click(f"a[href='/archive/access-log/?enterprise={demand.enterprise_id}']")
        head.wait_for_url(f"{alpha}/archive/access-log/?enterprise={demand.enterprise_id}")
        assert head.locator("tbody tr").count() >= 2  # the staff member's look and the head's own at the archive
    finally:
        remove_rows_added_since(marks)
