"""Accounts in a real browser (issue 18): the head invites a new staff member on the members page (a wrong address
first), the new member opens the e-mailed link, is refused a weak password with the reason, sets a strong one and
signs in; then the forgotten-password page answers without telling whether the address exists."""

import re

import pytest

from tests.journeys.conftest import submit
from tests.journeys.test_2_station import STATION

pytestmark = [pytest.mark.browser]

NEW_STAFF = "zhao.liu@example.test"
NEW_PASSWORD = "Yinzhou-Quality-2027"


def test_the_head_invites_a_member_who_sets_a_password_and_signs_in(site, journey):
    head = journey("accounts-head-invites")
    page = head.page
    head.sign_in("yinzhou-head", STATION)
    head.goto("/station/members/", STATION)
    head.step("members")
    page.fill("#invite [name=full_name]", "赵六")
    page.fill("#invite [name=email]", "zhao.liu@")
    submit(head, "#invite form", "invite-refused")
    assert page.locator("#invite [name=full_name]").input_value() == "赵六"  # what was typed is kept
    assert "合法的邮件地址" in head.text("#invite")
    page.fill("#invite [name=email]", NEW_STAFF)
    submit(head, "#invite form", "invited")
    assert "已将 赵六 添加到本站" in head.text()
    assert NEW_STAFF in head.text("#members")

    link = site.mail_matching(rf"(http://\S+/accounts/invite/[^/\s]+/[^/\s]+/)[\s\S]*{re.escape(NEW_STAFF)}").group(1)
    member = journey("accounts-new-member")
    page = member.page
    page.goto(link)
    page.wait_for_load_state("networkidle")
    member.step("invitation")
    page.fill("#id_new_password1", "abcdefgh")
    page.fill("#id_new_password2", "abcdefgh")
    submit(member, "main form", "weak-password-refused")
    assert "密码太短" in member.text() or "至少使用 3 种字符" in member.text()
    page.fill("#id_new_password1", NEW_PASSWORD)
    page.fill("#id_new_password2", NEW_PASSWORD)
    submit(member, "main form", "password-set")
    member.sign_in(NEW_STAFF, STATION, password=NEW_PASSWORD)
    member.step("signed-in")
    assert "赵六" in member.text("header")
    member.goto("/accounts/sessions/", STATION)
    member.step("my-sessions")
    assert "当前会话" in member.text()


def test_a_forgotten_password_page_answers_alike(site, journey):
    walk = journey("accounts-forgotten-password")
    page = walk.page
    walk.goto("/accounts/login/", STATION)
    page.click("#forgot-password")
    page.wait_for_load_state("networkidle")
    page.fill("#id_email", "not-an-address")
    submit(walk, "main form", "reset-refused")
    assert page.locator("#id_email").input_value() == "not-an-address"
    page.fill("#id_email", "nobody@example.test")
    submit(walk, "main form", "reset-sent")
    assert page.locator("#reset-sent").count() == 1
