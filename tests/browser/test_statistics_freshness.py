"""A real browser on a web server configured with a replica (`DATABASE_REPLICA_URL`, issue 21 item 2): the bureau
viewer submits the city statistics' period form and the page says its figures come from the replica and as of when;
on a server whose replica is down, the same page says it read the primary instead."""

import os
import re
from pathlib import Path

import pytest

from tests.browser.test_referral import sign_in
from tests.processes import database_url, serving
from tests.replicas import closed_port

pytestmark = [pytest.mark.browser]

PAGE = "/console/statistics/"


def _screens(tmp_path: Path) -> Path:
    screens = Path(os.environ.get("STATIONNET_VAR_DIR", tmp_path)) / "screens"
    screens.mkdir(parents=True, exist_ok=True)
    return screens


def test_the_statistics_say_how_fresh_their_figures_are_in_the_browser(city, browser, tmp_path):
    screens = _screens(tmp_path)
    (tmp_path / "replica").mkdir()
    # The replica is the test database itself: a second connection, as a standby that is caught up would be.
    with serving(tmp_path / "replica", DATABASE_REPLICA_URL=database_url()) as port:
        base = f"http://localhost:{port}"
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        sign_in(page, base, city.bureau_viewer.username, PAGE)
        assert page.get_attribute("#data-freshness", "data-source") == "replica"
        page.fill("#id_start", "2026-11-02")
        page.fill("#id_end", "2026-11-06")
        page.click("#statistics-period button[type=submit]")
        page.wait_for_url(lambda url: "start=2026-11-02" in url and "end=2026-11-06" in url)
        assert page.get_attribute("#data-freshness", "data-source") == "replica"
        text = page.text_content("#data-freshness")
        assert re.fullmatch(r"数据来自只读副本，截至 \d\d:\d\d:\d\d（延迟 0 秒）", text), text
        page.screenshot(path=str(screens / "statistics-from-replica.png"), full_page=False)
        page.close()

    (tmp_path / "down").mkdir()
    down = f"postgres://postgres@127.0.0.1:{closed_port()}/stationnet"
    with serving(tmp_path / "down", DATABASE_REPLICA_URL=down) as port:
        base = f"http://localhost:{port}"
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        sign_in(page, base, city.bureau_viewer.username, PAGE)
        assert page.get_attribute("#data-freshness", "data-source") == "primary-fallback"
        assert page.text_content("#data-freshness") == "只读副本不可用，已改读主库"
        assert page.locator("#statistics table").count() >= 1
        page.screenshot(path=str(screens / "statistics-replica-down.png"), full_page=False)
        page.close()
