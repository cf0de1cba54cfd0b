"""Two-factor sign-in (GB/T 22239-2019 身份鉴别: two authentication techniques for administrators, one of them
cryptographic), through the pages.

The bureau's administrator set up an authenticator at their first sign-in (in this run, before the first journey: the
journeys' `sign_in` reads the key under the QR code, as a phone scans it, and enters the app's first code); from then
on the password is followed by the app's code: a wrong one is refused and asked again, the right one opens the
console. The bureau's viewer, for whom it is optional, turns it on from their two-factor page: the QR code drawn by the
server and the key in groups, a wrong first code refused (the same key shown again), the right one, ten recovery codes
shown once; signed out and in again, the app's code; once more, a recovery code, which says how many are left.
"""

import time

import pytest

from tests.journeys.conftest import PASSWORD, Journey

pytestmark = [pytest.mark.browser]


def password_step(walk: Journey, username: str) -> None:
    """The sign-in form with the password: the second factor is asked next."""
    walk.goto("/accounts/login/")
    walk.page.fill("#id_username", username)
    walk.page.fill("#id_password", PASSWORD)
    walk.page.click("main form button[type=submit]")
    walk.page.wait_for_load_state("networkidle")
    assert "/accounts/2fa/verify/" in walk.page.url, walk.page.url


def enter_code(walk: Journey, form: str, code: str) -> None:
    walk.page.fill("#id_code", code)
    walk.page.click(f"{form} button[type=submit]")
    walk.page.wait_for_load_state("networkidle")


def wrong(code: str) -> str:
    """A code that is not `code` (nor, but by a one-in-a-million chance, the neighbouring steps')."""
    return f"{(int(code) + 500_000) % 1_000_000:06d}"


def test_the_administrator_enters_the_code_of_their_authenticator_after_the_password(site, journey):
    walk = journey("administrator-two-factor")
    page = walk.page
    password_step(walk, "bureau")
    assert "身份验证器" in walk.text()
    walk.step("asked-for-the-code")

    enter_code(walk, "#twofactor-verify", wrong(walk.totp_code("bureau")))
    assert "/accounts/2fa/verify/" in page.url
    assert "验证码不正确" in walk.text("[data-field=code]")
    assert "再输错 4 次将退出登录" in walk.text("#tries-left")
    walk.step("wrong-code-refused")
    # Nothing of the console before the code.
    walk.goto("/console/")
    assert "/accounts/2fa/verify/" in page.url

    time.sleep(1.2)  # after a wrong code the authenticator takes the next one a second later (django-otp)
    enter_code(walk, "#twofactor-verify", walk.totp_code("bureau"))
    assert page.url.endswith("/console/"), page.url
    assert "局端管理台" in walk.text("h1")
    walk.step("console-after-the-code")


def test_the_viewer_turns_two_factor_sign_in_on_and_signs_in_with_it(site, journey):
    walk = journey("viewer-two-factor")
    page = walk.page
    walk.sign_in("bureau-viewer")  # optional for a viewer: the password alone, until they turn it on
    assert page.url.endswith("/console/"), page.url

    walk.goto("/accounts/2fa/")
    assert walk.text("#twofactor-enrolled") == "未开启"
    walk.step("two-factor-off")
    page.click("#twofactor-setup-link")
    page.wait_for_load_state("networkidle")
    assert page.locator("#totp-qr svg[role=img] path").count() >= 1  # drawn by the server, no image fetched
    assert page.locator("#totp-qr img").count() == 0
    secret = walk.text("#totp-secret")
    assert len(secret.replace(" ", "")) == 32, secret
    walk.step("setup-qr-code-and-key")

    # The phone scanned the code: the journey keeps the key, as the app does.
    site.story.setdefault("totp", {})["bureau-viewer"] = {"secret": secret, "last_t": -1}
    enter_code(walk, "#twofactor-setup", wrong(walk.totp_code("bureau-viewer")))
    assert "验证码不正确" in walk.text("[data-field=code]")
    assert walk.text("#totp-secret") == secret  # the same key, to try again
    walk.step("wrong-first-code-refused")

    time.sleep(1.2)
    enter_code(walk, "#twofactor-setup", walk.totp_code("bureau-viewer"))
    assert "双因素登录已开启" in walk.text("#twofactor-on")
    codes = page.locator("#recovery-codes li").all_inner_texts()
    assert len(codes) == 10 and len(set(codes)) == 10, codes
    walk.step("recovery-codes-shown-once")
    page.click("#twofactor-continue")
    page.wait_for_load_state("networkidle")
    walk.goto("/accounts/2fa/")
    assert walk.text("#twofactor-enrolled") == "已开启" and walk.text("#recovery-codes-left") == "10"
    walk.step("two-factor-on")
    walk.sign_out()

    # Signing in again: the password, then the app's code.
    password_step(walk, "bureau-viewer")
    walk.step("viewer-asked-for-the-code")
    enter_code(walk, "#twofactor-verify", walk.totp_code("bureau-viewer"))
    assert page.url.endswith("/console/"), page.url
    walk.step("viewer-console-after-the-code")
    walk.sign_out()

    # Without the phone: a recovery code, used up.
    password_step(walk, "bureau-viewer")
    enter_code(walk, "#twofactor-verify", codes[0])
    assert "/accounts/2fa/" in page.url and "还剩 9 个" in walk.text()
    walk.step("signed-in-with-a-recovery-code")
    page.click("#twofactor-continue")
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/console/"), page.url
    walk.sign_out()
    password_step(walk, "bureau-viewer")
    enter_code(walk, "#twofactor-verify", codes[0])
    assert "验证码不正确" in walk.text("[data-field=code]")
    walk.step("a-used-recovery-code-refused")
