"""A real browser imports a file on a station host and watches the progress bar reach 100 %, with a real web
server and a real Celery worker in their own processes."""

import random

import pytest

from core.directory import uscc
from core.directory.columns import ENTERPRISE_COLUMNS
from core.directory.tables import write_csv
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser]
ROWS = 2500


def test_import_shows_progress_to_100_percent_and_offers_the_report(city, web_server, celery_worker, browser, tmp_path):
    rng = random.Random(2026)  # noqa: S311  (test data)
    rows = [
        [f"浏览器导入企业{n}", uscc.generate(rng), "", "", "银州区", "制造业", "小型", "", "", ""] for n in range(ROWS)
    ]
    rows.append(["坏行企业", "123", "", "", "银州区", "", "", "", "", ""])
    upload = tmp_path / "企业名录.csv"
    upload.write_bytes(write_csv([c.header for c in ENTERPRISE_COLUMNS], rows))

    page = browser.new_page()
    page.goto(f"http://alpha.localhost:{web_server}/accounts/login/?next=/directory/import/")
    page.fill("#id_username", "alpha-staff")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"http://alpha.localhost:{web_server}/directory/import/")
    page.set_input_files("#id_file", str(upload))
    page.click("main button[type=submit]")
    page.wait_for_url("**/jobs/*/")

    # A function, not an expression: Playwright evaluates an expression with eval(), which the page's CSP refuses.
    page.wait_for_function(
        "() => document.getElementById('percent').textContent === '100'", timeout=90_000, polling=100
    )
    assert page.get_attribute(".progress", "aria-valuenow") == "100"
    assert page.text_content("#status") == "已完成"
    assert f"新增 {ROWS}" in page.text_content("#summary")
    assert "失败 1" in page.text_content("#summary")
    assert page.is_visible("#result a")
    with page.expect_download() as download:
        page.click("#result a")
    report = download.value.path().read_bytes().decode("utf-8-sig")
    assert "坏行企业" in report
    assert "统一社会信用代码" in report
    page.screenshot(path=str(tmp_path / "import-done.png"), full_page=True)
    page.close()
