"""A real Chromium signs in on the public host and on a station host, against a real web server process."""

import re

import pytest

from tests.committed import on_own_connection
from tests.factories import PASSWORD, totp_code, totp_device

pytestmark = [pytest.mark.browser]


def test_station_head_signs_in_and_sees_the_station_home_in_chinese(city, web_server, browser, tmp_path):
    server = web_server
    on_own_connection(totp_device, city.alpha_head)
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
    # A station head passes the second factor (core.twofactor): the code of their authenticator.
    page.wait_for_url(re.compile(r".*/accounts/2fa/verify/"))
    page.fill("#id_code", on_own_connection(totp_code, city.alpha_head))
    page.click("#twofactor-verify button[type=submit]")
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


def test_bureau_admin_signs_in_on_the_public_host_and_opens_the_console(city, web_server, browser):
    server = web_server
    on_own_connection(totp_device, city.bureau_admin)
    page = browser.new_page(locale="en-US")  # Chinese whatever the browser asks for
    page.goto(f"http://localhost:{server}/accounts/login/?next=/console/")
    page.fill("#id_username", city.bureau_admin.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/accounts/2fa/verify/"))
    page.fill("#id_code", on_own_connection(totp_code, city.bureau_admin))
    page.click("#twofactor-verify button[type=submit]")
    page.wait_for_url(f"http://localhost:{server}/console/")
    assert "局端管理台" in page.text_content("h1")
    assert city.alpha.name in page.content()
    page.close()
