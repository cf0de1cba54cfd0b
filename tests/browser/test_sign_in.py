"""A real Chromium signs in on the public host and on a station host, against a real web server process."""

import os
import shutil
import socket
import time
import urllib.request

import pytest

from tests.factories import PASSWORD
from tests.processes import running

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM) and not os.environ.get("CI"),
        reason="Debian's chromium is not installed (bin/ensure-chromium installs it)",
    ),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(city, tmp_path_factory):
    port = free_port()
    log = tmp_path_factory.mktemp("web") / "gunicorn.log"
    command = ["gunicorn", "stationnet.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", "1"]
    with running(command, log, STATIONNET_URL_PORT=str(port)) as process:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):  # noqa: S310  (our own server)
                    break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    pytest.fail(f"web server did not start:\n{log.read_text()}")
                time.sleep(0.3)
        yield port


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
        )
        yield chromium
        chromium.close()


def test_station_head_signs_in_and_sees_the_station_home_in_chinese(city, server, browser, tmp_path):
    page = browser.new_page(locale="en-US")  # Chinese whatever the browser asks for
    page.goto(f"http://alpha.localhost:{server}/")
    assert "/accounts/login/" in page.url
    page.fill("#id_username", "nobody")
    page.fill("#id_password", "wrong")
    page.click("button[type=submit]")
    assert "请输入一个正确的" in page.text_content("[role=alert]")
    assert page.input_value("#id_username") == "nobody"

    page.fill("#id_username", city.alpha_head.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"http://alpha.localhost:{server}/")
    heading = page.text_content("h1")
    assert city.alpha.name in heading
    assert "站长" in page.text_content(".who")
    assert "最近动态" in page.content()
    page.screenshot(path=str(tmp_path / "station-home.png"), full_page=True)

    # The same browser, signed in at alpha, is refused at beta (a separate host, a separate session).
    page.goto(f"http://beta.localhost:{server}/")
    assert "/accounts/login/" in page.url
    page.close()


def test_bureau_admin_signs_in_on_the_public_host_and_opens_the_console(city, server, browser):
    page = browser.new_page(locale="en-US")  # Chinese whatever the browser asks for
    page.goto(f"http://localhost:{server}/accounts/login/?next=/console/")
    page.fill("#id_username", city.bureau_admin.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"http://localhost:{server}/console/")
    assert "局端管理台" in page.text_content("h1")
    assert city.alpha.name in page.content()
    page.close()
