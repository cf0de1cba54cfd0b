"""A real browser searches the directory as Chinese users type (`hxfm` → 恒信阀门), then adds an enterprise whose
USCC was registered outside the city: it is saved, with a visible warning (issue 20). The web server runs in its own
process, so the rows are committed on a connection of their own and removed afterwards."""

import os
import random
from pathlib import Path

import pytest

from core.common.shared_rows import shared_row_delete
from core.directory import uscc
from core.directory.models import Enterprise
from core.directory.pinyin import search_names_fill
from tests.committed import on_own_connection
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser]
NAME = "铁岭市恒信阀门浏览器有限公司"
OUTSIDE = "沈阳浏览器外地企业有限公司"


def _screens(tmp_path) -> Path:
    base = os.environ.get("STATIONNET_VAR_DIR")
    folder = Path(base) / "screens" if base else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _add(name: str, code: str) -> None:
    entry = Enterprise(name=name, uscc=code, district="yinzhou")
    search_names_fill(entry)
    entry.save()


def _remove() -> None:
    with shared_row_delete():
        Enterprise.objects.filter(name__in=[NAME, OUTSIDE]).delete()


def test_search_by_initials_and_an_out_of_city_code_warned_of(city, web_server, browser, tmp_path):
    rng = random.Random(2023)  # noqa: S311  (test data)
    outside_code = uscc.generate(rng, region="210102")
    on_own_connection(_remove)
    on_own_connection(_add, NAME, uscc.generate(rng))
    screens = _screens(tmp_path)
    base = f"http://alpha.localhost:{web_server}"
    try:
        page = browser.new_page()
        page.goto(f"{base}/accounts/login/?next=/directory/enterprises/")
        page.fill("#id_username", "alpha-staff")
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/directory/enterprises/")
        page.fill("#id_q", "hxfm")
        page.press("#id_q", "Enter")
        page.wait_for_url("**/directory/enterprises/?*q=hxfm*")
        assert NAME in page.text_content("main")
        page.screenshot(path=str(screens / "directory-pinyin-search.png"), full_page=True)

        page.goto(f"{base}/directory/enterprises/new/")
        page.fill("#id_name", OUTSIDE)
        page.fill("#id_uscc", outside_code)
        page.select_option("#id_district", "yinzhou")
        page.click("main form[method=post] button[type=submit]")
        page.wait_for_url("**/directory/enterprises/*/")
        warning = page.locator(".notice.warning")
        assert warning.is_visible()
        assert "不在铁岭市" in warning.text_content() and "210102" in warning.text_content()
        page.screenshot(path=str(screens / "directory-uscc-warning.png"), full_page=True)
        assert on_own_connection(lambda: Enterprise.objects.filter(uscc=outside_code).exists())
        page.close()
    finally:
        on_own_connection(_remove)
