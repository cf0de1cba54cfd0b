"""A real browser follows an objection to a publication (公示异议, clause 3, issue 20): during alpha's public notice a
visitor objects on its portal page (once without a way to be reached, refused with what was typed kept; then right);
a bureau administrator dismisses it with a reason in the console; the portal then shows the outcome and the reason,
never who objected.

The web server runs in its own process and sees only committed data; everything committed is removed afterwards."""

import datetime
import os
from pathlib import Path

import pytest
from django.utils import timezone
from django_tenants.utils import get_public_schema_name

from core.evaluation.models import PublicationOutcome
from tenants.models import Station, StationPublication, StationStatus, User
from tenants.selectors import station_public_facts
from tests.browser.test_referral import high_water_marks, remove_rows_added_since, sign_in
from tests.committed import on_own_connection, set_status

pytestmark = [pytest.mark.browser]

OBJECTION = "公示的“计量器具检定”项目该站实际并不办理，我上周去问过"
REASON = "经现场核查，该站已与检定机构签订委托协议，可受理该项目，异议不成立。"


def _screens(tmp_path) -> Path:
    base = os.environ.get("STATIONNET_VAR_DIR")
    folder = Path(base) / "screens" if base else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _publish_committed(station_id: int) -> int:
    """alpha's publication in notice (with its outcome), as `station_publish` writes them."""
    station = Station.objects.get(pk=station_id)
    admin = User.objects.get(username="bureau-admin")
    now = timezone.now()
    publication = StationPublication.objects.create(
        station=station,
        published_at=now,
        notice_until=now + datetime.timedelta(days=7),
        published_by=admin,
        snapshot=station_public_facts(station=station),
    )
    PublicationOutcome.objects.create(publication=publication)
    return publication.pk


@pytest.mark.clause("3")
def test_a_visitor_objects_and_the_bureau_dismisses_it_in_the_browser(city, web_server, browser, tmp_path):
    screens = _screens(tmp_path)
    marks = high_water_marks([get_public_schema_name()])
    was = on_own_connection(lambda: Station.objects.get(pk=city.alpha.pk).status)
    try:
        set_status(city.alpha.pk, StationStatus.PUBLISHED)
        on_own_connection(_publish_committed, city.alpha.pk)
        portal = f"http://localhost:{web_server}"

        # A visitor objects, first without a phone or an e-mail address: refused on the field, the text kept.
        visitor = browser.new_page()
        visitor.goto(f"{portal}/stations/alpha/")
        assert visitor.get_attribute("#station-current .publication-outcome", "data-publication-state") == "notice"
        visitor.fill("#id_name", "王五")
        visitor.fill("#id_text", OBJECTION)
        visitor.wait_for_timeout(3500)  # a person takes a few seconds: the spam guard refuses faster forms
        visitor.click("#objection-submit")
        visitor.wait_for_selector("#id_phone_error")
        assert visitor.input_value("#id_text") == OBJECTION and visitor.input_value("#id_name") == "王五"
        visitor.screenshot(path=str(screens / "objection-refused.png"), full_page=True)
        visitor.fill("#id_phone", "139 8765 4321")
        visitor.wait_for_timeout(3500)
        visitor.click("#objection-submit")
        visitor.wait_for_selector("#objection-thanks")
        visitor.screenshot(path=str(screens / "objection-thanks.png"), full_page=True)

        # A bureau administrator finds it waiting and dismisses it with a reason (once without one: refused).
        admin = browser.new_page()
        sign_in(admin, portal, "bureau-admin", "/console/objections/")
        admin.click("table.objections tbody tr[data-state=received] a")
        admin.wait_for_selector("#objection-handling-form")
        assert OBJECTION in admin.text_content("#objection-text") and "王五" in admin.text_content("#objection-contact")
        admin.check("#objection-handling-form input[name=state][value=dismissed]")
        admin.click("#objection-handling-form button[type=submit]")
        admin.wait_for_selector("#id_reason_error")
        admin.fill("#id_reason", REASON)
        admin.click("#objection-handling-form button[type=submit]")
        admin.wait_for_selector("#objection-state[data-state=dismissed]")
        admin.screenshot(path=str(screens / "objection-handled.png"), full_page=True)
        admin.close()

        # The portal shows the outcome with its reason, never who objected or what they wrote.
        visitor.goto(f"{portal}/stations/alpha/")
        current = visitor.text_content("#station-current")
        assert REASON in current and "王五" not in visitor.content() and OBJECTION not in visitor.content()
        assert visitor.locator("#station-current [data-objection-state=dismissed]").count() == 1
        visitor.screenshot(path=str(screens / "objection-outcome.png"), full_page=True)
        visitor.close()
    finally:
        set_status(city.alpha.pk, was)
        remove_rows_added_since(marks)
