"""A real browser records an institution's qualification and the items it covers (issue 20): station staff, on the
page of an institution their station added, submit the qualification form once wrong (no certificate number) and
once right, leaving one of the institution's items out of the certificate."""

import os
from pathlib import Path

import pytest
from django_tenants.utils import get_public_schema_name

from core.catalog.models import ServiceItem
from core.directory.models import Institution, Qualification
from tests.browser.test_referral import high_water_marks, remove_rows_added_since, sign_in
from tests.committed import on_own_connection

pytestmark = [pytest.mark.browser]
COVERED, LEFT_OUT = "5.1.6.2", "5.1.6.3"


def _institution(station_id: int) -> tuple[int, dict[str, str]]:
    institution = Institution.objects.create(
        name="铁岭市浏览器资质计量所", kind="metrology", districts=["yinzhou"], source_station_id=station_id
    )
    items = list(ServiceItem.objects.filter(clause__in=[COVERED, LEFT_OUT]))
    institution.items.set(items)
    return institution.pk, {item.clause: item.name for item in items}


def _recorded(number: str) -> list[str] | None:
    qualification = Qualification.objects.filter(number=number).first()
    return None if qualification is None else sorted(item.clause for item in qualification.items.all())


def test_staff_record_a_qualification_with_the_items_it_covers(city, web_server, browser, tmp_path):
    marks = high_water_marks([get_public_schema_name()])
    screens = Path(os.environ.get("STATIONNET_VAR_DIR", tmp_path)) / "screens"
    screens.mkdir(parents=True, exist_ok=True)
    try:
        pk, names = on_own_connection(_institution, city.alpha.pk)
        base = f"http://alpha.localhost:{web_server}"
        page = browser.new_page()
        sign_in(page, base, city.alpha_staff.username, f"/directory/institutions/{pk}/")

        # Every item the institution offers is ticked to start with; the certificate covers one of them.
        covered = page.get_by_label(names[COVERED], exact=True)
        left_out = page.get_by_label(names[LEFT_OUT], exact=True)
        assert covered.is_checked() and left_out.is_checked()
        page.select_option("#id_qualification-kind", "cma")
        page.fill("#id_qualification-valid_until", "2030-06-30")
        left_out.uncheck()
        page.click("button:has-text('登记资质')")
        page.wait_for_load_state()
        assert "qualifications/new/" in page.url
        assert page.is_visible("#id_qualification-number_error")
        assert "必填" in page.text_content("#id_qualification-number_error")
        # What was typed and ticked is kept.
        assert page.input_value("#id_qualification-valid_until") == "2030-06-30"
        assert not page.get_by_label(names[LEFT_OUT], exact=True).is_checked()
        page.screenshot(path=str(screens / "qualification-form-refused.png"), full_page=True)

        page.fill("#id_qualification-number", "210012340000")
        page.click("button:has-text('登记资质')")
        page.wait_for_url(f"{base}/directory/institutions/{pk}/")
        assert "资质已登记" in page.text_content("main")
        row = page.locator("tr", has_text="210012340000")
        assert names[COVERED] in row.text_content() and names[LEFT_OUT] not in row.text_content()
        page.screenshot(path=str(screens / "qualification-form-saved.png"), full_page=True)
        assert on_own_connection(_recorded, "210012340000") == [COVERED]
        page.close()
    finally:
        remove_rows_added_since(marks)
