"""A real browser refers a case from station alpha to station beta, and beta accepts it (clause 5.2.2).

The web server runs in its own process and sees only committed data, so, as in `test_demand_form.py`, this test
writes through connections of its own: the stations' status with raw psycopg2, the demand and its case through the
services in a thread of its own (autocommit). The referral crosses from alpha's schema to beta's through the outbox;
here the delivery runs inline, between the browser's steps, in a thread of its own (`deliver_all`, what the Celery
worker does). That is reliable: when the test looks, the message has arrived, with no polling and no timing; a worker
started for the test (the `celery_worker` fixture) would deliver at its own pace, so every step would have to wait
and poll. The tasks the web server queues meanwhile find their messages delivered already, and do nothing.

Everything it committed is removed afterwards (the rows added to alpha's, beta's and the public schema since it
started, the append-only timelines included), and the stations' status restored, so the tests that run after it in the
same session find the schemas as they expect them (no referral, no pending message)."""

import random
import re

import psycopg2
import pytest
from django.utils import translation
from django_tenants.utils import get_public_schema_name, schema_context
from psycopg2 import sql

from core.desk.models import CaseState, ServiceCase
from core.directory import uscc
from core.directory.models import Enterprise
from core.referrals.models import Direction, Referral, ReferralState
from tenants.models import Station, StationStatus, User
from tests.committed import on_own_connection, set_status
from tests.core.desk.builders import take_demand
from tests.core.referrals.builders import deliver_all
from tests.factories import PASSWORD, totp_code, two_factor_ready
from tests.processes import database_url

pytestmark = [pytest.mark.browser]


# --- Removing what the test committed -------------------------------------------------------------------------------

TABLES = """
SELECT c.table_schema, c.table_name FROM information_schema.columns c
JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
WHERE c.column_name = 'id' AND c.data_type IN ('integer', 'bigint') AND t.table_type = 'BASE TABLE'
  AND c.table_schema = ANY(%s)
"""


def _table(schema: str, table: str) -> sql.Composed:
    return sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(table))


def high_water_marks(schemas: list[str]) -> dict[tuple[str, str], int]:
    """The highest id of every table of `schemas` now: whatever has a higher one later was added since."""
    db = psycopg2.connect(database_url())
    try:
        with db, db.cursor() as cursor:
            cursor.execute(TABLES, [schemas])
            marks = {}
            for schema, table in cursor.fetchall():
                cursor.execute(sql.SQL("SELECT coalesce(max(id), 0) FROM {}").format(_table(schema, table)))
                marks[(schema, table)] = cursor.fetchone()[0]
            return marks
    finally:
        db.close()


def remove_rows_added_since(marks: dict[tuple[str, str], int]) -> None:
    """Delete, in one transaction, every row added since `marks` was taken. The append-only timelines' triggers
    (user triggers) are off meanwhile; foreign keys stay checked, so the tables are emptied in whichever order they
    allow."""
    db = psycopg2.connect(database_url())
    try:
        with db, db.cursor() as cursor:
            # Django's foreign keys are deferred: check them at each delete, not at the commit.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            # A lock held elsewhere (this test's own ORM transaction, should it ever query) fails it rather than hangs it.
            cursor.execute("SET LOCAL lock_timeout = '15s'")
            pending = {}
            for (schema, table), mark in marks.items():
                cursor.execute(
                    sql.SQL("SELECT exists(SELECT 1 FROM {} WHERE id > %s)").format(_table(schema, table)), [mark]
                )
                if cursor.fetchone()[0]:
                    pending[(schema, table)] = mark
            for schema, table in pending:
                cursor.execute(sql.SQL("ALTER TABLE {} DISABLE TRIGGER USER").format(_table(schema, table)))
            left = dict(pending)
            while left:
                removed = False
                for (schema, table), mark in list(left.items()):
                    cursor.execute("SAVEPOINT cleanup")
                    try:
                        cursor.execute(sql.SQL("DELETE FROM {} WHERE id > %s").format(_table(schema, table)), [mark])
                    except psycopg2.errors.ForeignKeyViolation:
                        cursor.execute("ROLLBACK TO SAVEPOINT cleanup")
                    else:
                        cursor.execute("RELEASE SAVEPOINT cleanup")
                        del left[(schema, table)]
                        removed = True
                assert removed, f"cannot remove the rows the test added to {sorted(left)}"
            for schema, table in pending:
                cursor.execute(sql.SQL("ALTER TABLE {} ENABLE TRIGGER USER").format(_table(schema, table)))
    finally:
        db.close()


# --- Reads and writes on the test's own connection -----------------------------------------------------------------


def _open_case(city, code: str) -> ServiceCase:
    enterprise = Enterprise.objects.create(
        uscc=code,
        name="铁岭市银州区浏览器转介测试厂",
        district="yinzhou",
        contact_person="吴联系",
        phone="024-72000000",
        legal_representative="周法人",
    )
    with schema_context(city.alpha.schema_name):
        return take_demand(city, enterprise).cases.get()


def _copies(city, case_id: int) -> tuple[Referral | None, Referral | None, str]:
    """Alpha's referral of the case, beta's copy of it, and the state of alpha's case."""
    with schema_context(city.alpha.schema_name):
        outgoing = Referral.objects.filter(case_id=case_id, direction=Direction.OUTGOING).first()
        case_state = ServiceCase.objects.get(pk=case_id).state
    incoming = None
    if outgoing is not None:
        with schema_context(city.beta.schema_name):
            incoming = Referral.objects.select_related("case").filter(uid=outgoing.uid).first()
    return outgoing, incoming, case_state


def sign_in(page, base: str, username: str, next_path: str) -> None:
    # Whose role requires two-factor sign-in has an authenticator (made, committed, if missing) and enters its code.
    on_own_connection(lambda: two_factor_ready(User.objects.get(username=username)))
    page.goto(f"{base}/accounts/login/?next={next_path}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    if "/accounts/2fa/verify/" in page.url:
        page.fill("#id_code", on_own_connection(lambda: totp_code(User.objects.get(username=username))))
        page.click("#twofactor-verify button[type=submit]")
    page.wait_for_url(f"{base}{next_path}")


@pytest.mark.clause("5.2.2")
def test_alpha_refers_a_case_in_the_browser_and_beta_accepts_it(city, web_server, browser, tmp_path):
    schemas = [city.alpha.schema_name, city.beta.schema_name, get_public_schema_name()]
    marks = high_water_marks(schemas)
    was = on_own_connection(
        lambda: dict(Station.objects.filter(code__in=["alpha", "beta"]).values_list("pk", "status"))
    )
    try:
        # Only published stations take referrals; the web server's process must see both published.
        for station_id in was:
            set_status(station_id, StationStatus.PUBLISHED)
        code = uscc.generate(random.Random(4403))  # noqa: S311  (test data)
        case = on_own_connection(_open_case, city, code)

        # Alpha's staff member opens the case and refers it to beta.
        alpha = f"http://alpha.localhost:{web_server}"
        page = browser.new_page()
        sign_in(page, alpha, city.alpha_staff.username, f"/desk/cases/{case.pk}/")
        page.click("#refer")
        page.wait_for_url(f"{alpha}/desk/referrals/cases/{case.pk}/refer/")
        assert page.locator("tr[data-station=alpha]").count() == 0
        page.check("tr[data-station=beta] input[name=station]")
        page.fill("#id_reason", "本站无压力表检定能力")
        page.fill("#id_ask", "请为企业安排压力表检定")
        page.check("input[name=parts][value=instruments]")
        page.select_option("#id_consent_channel", "phone")
        assert page.input_value("#id_consent_at")  # now, by default
        page.screenshot(path=str(tmp_path / "alpha-refer-form.png"), full_page=True)
        page.click("form.refer-form button[type=submit]")
        page.wait_for_url(re.compile(r".*/desk/referrals/\d+/$"))
        assert page.get_attribute("#referral-state", "data-state") == ReferralState.REQUESTED
        outgoing, incoming, _state = on_own_connection(_copies, city, case.pk)
        assert outgoing is not None and outgoing.number in page.text_content("h1")
        assert outgoing.shared_parts == ["instruments"] and outgoing.consent_channel == "phone"
        assert incoming is None  # nothing reaches beta before the outbox is delivered
        page.screenshot(path=str(tmp_path / "alpha-referred.png"), full_page=True)

        assert on_own_connection(deliver_all, city) > 0

        # Beta's staff member finds it among the referrals to beta, reads what was shared, and accepts it.
        beta = f"http://beta.localhost:{web_server}"
        theirs = browser.new_page()
        sign_in(theirs, beta, city.beta_staff.username, "/desk/referrals/")
        theirs.click("#referral-tabs a[href='?tab=in']")
        theirs.wait_for_url(f"{beta}/desk/referrals/?tab=in")
        theirs.click(f"tr[data-referral='{outgoing.number}'] a")
        theirs.wait_for_url(re.compile(r".*/desk/referrals/\d+/$"))
        shared = theirs.text_content("#shared")
        assert "压力表" in shared and code in shared
        for unshared in ("024-72000000", "周法人", "吴联系"):
            assert unshared not in theirs.content()  # contact not shared
        theirs.click("#accept-form button[type=submit]")
        theirs.wait_for_selector("#referral-state[data-state=accepted]")
        assert theirs.locator("#local-case").count() == 1
        theirs.screenshot(path=str(tmp_path / "beta-accepted.png"), full_page=True)
        _outgoing, incoming, _state = on_own_connection(_copies, city, case.pk)
        assert incoming.state == ReferralState.ACCEPTED and incoming.case is not None
        assert incoming.case.assignee_id == city.beta_staff.pk and incoming.case.number in theirs.content()

        assert on_own_connection(deliver_all, city) > 0

        # Back at alpha, the referral is accepted and the case is in service.
        page.reload()
        state = page.locator("#referral-state")
        assert state.get_attribute("data-state") == ReferralState.ACCEPTED
        with translation.override("zh-hans"):  # the page speaks Chinese whatever the browser asks for
            assert state.text_content().strip() == str(ReferralState.ACCEPTED.label)
        assert page.locator("#timeline li[data-to=accepted]").count() == 1
        outgoing, _incoming, case_state = on_own_connection(_copies, city, case.pk)
        assert outgoing.state == ReferralState.ACCEPTED and case_state == CaseState.IN_SERVICE
        page.close()
        theirs.close()
    finally:
        for station_id, status in was.items():
            set_status(station_id, status)
        remove_rows_added_since(marks)
