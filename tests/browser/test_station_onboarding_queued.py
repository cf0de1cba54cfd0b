"""A real browser onboards a station while no spare schema waits: the form's wrong field comes back at once with
what was typed kept; once corrected, the request queues the onboarding, the progress page follows a real worker to the
end and links to the new station. Everything committed is removed afterwards."""

import os
import re
from functools import partial
from pathlib import Path

import pytest
from django_tenants.utils import get_public_schema_name

from core.jobs.models import Job
from core.onboarding.services import ONBOARDING_KIND
from tenants.services import schema_name_for
from tenants.spare_schemas import spare_schemas_refill
from tests.browser.test_referral import high_water_marks, remove_rows_added_since, sign_in
from tests.browser.test_station_lifecycle import drop_schema
from tests.committed import on_own_connection
from tests.processes import working

pytestmark = [pytest.mark.browser]

CODE = "xifeng"


def _screens() -> Path:
    path = Path(os.environ.get("STATIONNET_VAR_DIR", "var")) / "screens"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _fill(page, code: str) -> None:
    page.fill("#id_name", "西丰县一站式质量服务站")
    page.fill("#id_code", code)
    page.select_option("#id_district", "xifeng")
    page.fill("#id_address", "铁岭市西丰县西丰镇1号")
    page.fill("#id_service_phone", "024-75900001")
    page.fill("#id_complaint_phone", "024-75900002")
    page.fill("#id_hours", "周一至周五 8:30–17:00")
    page.fill("#id_founding_body", "西丰县市场监督管理局")
    page.fill("#id_head_full_name", "赵西丰")
    page.fill("#id_head_phone", "13900000019")
    page.fill("#id_head_email", "xifeng-head@example.test")


def test_an_onboarding_with_no_spare_shows_its_progress_to_the_end(city, web_server, browser, tmp_path):
    marks = high_water_marks([get_public_schema_name()])
    try:
        on_own_connection(partial(spare_schemas_refill, size=0))
        public = f"http://localhost:{web_server}"
        admin = browser.new_page()
        sign_in(admin, public, city.bureau_admin.username, "/console/stations/new/")

        # A code another station has: refused on its field at once, in Chinese, everything typed kept.
        _fill(admin, "alpha")
        admin.click("#station-new button[type=submit]")
        admin.wait_for_selector("[data-field=code] .field-error")
        assert re.search(r"[\u4e00-\u9fff]", admin.inner_text("[data-field=code] .field-error"))
        assert admin.input_value("#id_name") == "西丰县一站式质量服务站"
        assert admin.input_value("#id_head_email") == "xifeng-head@example.test"

        # Corrected: no spare waits, so the onboarding is queued and its page shows it waiting for a worker.
        admin.fill("#id_code", CODE)
        admin.click("#station-new button[type=submit]")
        admin.wait_for_url(re.compile(r".*/console/stations/new/\d+/$"))
        assert admin.get_attribute("#onboarding", "data-status") == "queued"
        admin.screenshot(path=str(_screens() / "onboarding-queued.png"), full_page=True)

        # A worker replays a schema and opens the station; the page (reloading itself) ends with a link to it.
        with working(tmp_path, STATIONNET_SPARE_SCHEMAS="0"):
            admin.wait_for_selector("#onboarding[data-status=succeeded]", timeout=120_000)
        admin.screenshot(path=str(_screens() / "onboarding-succeeded.png"), full_page=True)
        assert "西丰县一站式质量服务站" in admin.inner_text("#result")
        assert admin.locator("li.step-done").count() == 3
        admin.click("#result a.button")
        admin.wait_for_url(re.compile(r".*/console/stations/\d+/$"))
        assert admin.get_attribute("#station-status", "data-status") == "draft"
        admin.close()
    finally:
        drop_schema(schema_name_for(CODE))
        remove_rows_added_since(marks)
        on_own_connection(lambda: Job.objects.filter(kind=ONBOARDING_KIND, input_name__startswith="西丰县").delete())
        on_own_connection(partial(spare_schemas_refill, size=0))
