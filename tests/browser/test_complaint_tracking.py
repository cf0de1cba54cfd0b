"""A real browser follows a complaint from the public form to its tracking page (clause 6.5): a visitor leaves a
complaint with their name and mobile number on alpha's public page, the thanks page gives its reference number and
tracking link, and the tracking page (no sign-in) shows the complaint as received with its deadlines; once the staff
acknowledge it, the page says so.

The web server runs in its own process and sees only committed data; everything committed is removed afterwards."""

import os
import re
from pathlib import Path

import pytest
from django_tenants.utils import get_public_schema_name, schema_context

from core.complaints import services
from core.complaints.models import Complaint
from tenants.models import Station, StationStatus
from tests.browser.test_referral import high_water_marks, remove_rows_added_since
from tests.committed import on_own_connection, set_status

pytestmark = [pytest.mark.browser]

COMPLAINT = "检定证书超期十天未出具，电话询问无人答复"


def _screens(tmp_path) -> Path:
    base = os.environ.get("STATIONNET_VAR_DIR")
    folder = Path(base) / "screens" if base else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.mark.clause("6.5")
def test_a_visitor_gets_the_reference_and_follows_the_complaint_on_its_tracking_page(
    city, web_server, browser, tmp_path
):
    marks = high_water_marks([city.alpha.schema_name, get_public_schema_name()])
    was = on_own_connection(lambda: Station.objects.get(pk=city.alpha.pk).status)
    screens = _screens(tmp_path)
    try:
        set_status(city.alpha.pk, StationStatus.PUBLISHED)
        alpha = f"http://alpha.localhost:{web_server}"

        visitor = browser.new_page(viewport={"width": 390, "height": 844})
        visitor.goto(f"{alpha}/feedback/")
        visitor.select_option("#id_kind", "complaint")
        visitor.fill("#id_text", COMPLAINT)
        visitor.uncheck("#id_anonymous")
        visitor.fill("#id_name", "赵经理")
        visitor.fill("#id_phone", "13941000077")
        visitor.wait_for_timeout(3500)  # a person takes a few seconds: the spam guard refuses faster forms
        visitor.click("#feedback-submit")
        visitor.wait_for_selector("#complaint-reference")
        reference = visitor.inner_text("#complaint-reference")
        assert re.fullmatch(r"ALPHA-TS-\d{4}-\d{6}", reference), reference
        visitor.screenshot(path=str(screens / "complaint-thanks.png"), full_page=True)

        visitor.click("#complaint-tracking-link")
        visitor.wait_for_selector("#complaint-state")
        assert "/track/complaint/" in visitor.url
        assert reference in visitor.inner_text("#complaint-reference")
        assert visitor.get_attribute("#complaint-state", "data-state") == "received"
        assert COMPLAINT in visitor.inner_text("#your-complaint")
        assert visitor.locator("#response-due").count() == 1
        visitor.screenshot(path=str(screens / "complaint-tracking.png"), full_page=True)

        def acknowledge():
            with schema_context(city.alpha.schema_name):
                complaint = Complaint.objects.get(reference=reference)
                services.complaint_transition(complaint=complaint, user=city.alpha_staff, to="acknowledged")

        on_own_connection(acknowledge)
        visitor.reload()
        assert visitor.get_attribute("#complaint-state", "data-state") == "acknowledged"
        visitor.close()
    finally:
        set_status(city.alpha.pk, was)
        remove_rows_added_since(marks)
