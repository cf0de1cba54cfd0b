"""The audit trail in the console (安全审计): the audit administrator alone searches it (date range, user, station,
action, outcome; newest first, paginated, the form keeping what was typed) and exports what it finds as CSV (UTF-8
with a BOM), the export itself recorded; every other role is refused."""

import csv
import datetime
import io

import pytest
from django.utils import timezone

from core.audit.models import AuditAction, AuditEntry, AuditOutcome
from core.audit.services import audit_record
from tenants.models import BureauRole
from tests.conftest import host_client
from tests.core.audit.conftest import last_entry
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

PAGE = "/console/audit/"
EXPORT = "/console/audit/export.csv"


@pytest.fixture
def auditor(city):
    return UserFactory(username="audit-admin", bureau_role=BureauRole.AUDITOR)


@pytest.fixture
def entries(city):
    """Three entries of this test: a failed sign-in at alpha, a sign-in at beta, an export at the bureau."""
    return [
        audit_record(
            action=AuditAction.SIGN_IN_FAILED,
            username="zz-mallory",
            station_code="alpha",
            target="zz-mallory",
            outcome=AuditOutcome.FAILURE,
        ),
        audit_record(action=AuditAction.SIGN_IN, user=city.beta_staff, station_code="beta", target="beta-staff"),
        audit_record(action=AuditAction.EXPORTED, user=city.bureau_admin, target="directory enterprises (job 1)"),
    ]


def shown(response) -> list[int]:
    return [entry.pk for entry, _role in response.context["rows"]]


def test_the_auditor_reads_every_entry_newest_first(city, public_host, auditor, entries):
    response = host_client(public_host, auditor).get(PAGE)
    assert response.status_code == 200
    mine = {entry.pk for entry in entries}
    assert [pk for pk in shown(response) if pk in mine] == [entries[2].pk, entries[1].pk, entries[0].pk]
    assert shown(response)[0] == last_entry(AuditAction.SIGN_IN).pk  # the auditor's own sign-in, the newest
    html = response.content.decode()
    assert f'data-entry="{entries[0].pk}" data-action="sign_in_failed" data-outcome="failure"' in html
    assert 'href="/console/audit/"' in html and 'class="active"' in html  # the auditor's tab
    assert 'href="/console/stations/new/"' not in html  # nothing else of the console


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"username": "MALLORY"}, [0]),
        ({"station_code": "BETA", "action": "sign_in"}, [1]),
        ({"action": "exported", "username": "bureau-admin"}, [2]),
        ({"outcome": "failure", "username": "zz-"}, [0]),
    ],
    ids=["user", "station", "action", "outcome"],
)
def test_the_filters_find_what_they_say_and_keep_what_was_typed(city, public_host, auditor, entries, query, expected):
    response = host_client(public_host, auditor).get(PAGE, query)
    assert response.status_code == 200
    assert shown(response) == [entries[i].pk for i in expected]
    form = response.context["form"]
    for name, value in query.items():
        assert form[name].value() == value


def test_the_date_range_finds_the_days_between(city, public_host, auditor, entries):
    today = timezone.localdate()
    client = host_client(public_host, auditor)
    found = shown(client.get(PAGE, {"date_from": today.isoformat(), "date_to": today.isoformat()}))
    assert {e.pk for e in entries} <= set(found)
    yesterday = today - datetime.timedelta(days=1)
    assert shown(client.get(PAGE, {"date_to": yesterday.isoformat(), "username": "zz-mallory"})) == []


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"date_from": "2026-13-40"}, "date_from", "输入一个有效的日期。"),
        ({"date_from": "2026-06-02", "date_to": "2026-06-01"}, "date_to", "结束日期不能早于开始日期。"),
        ({"date_to": "1800-01-01"}, "date_to", "1900"),
        ({"action": "drop_table"}, "action", "选择一个有效的选项"),
    ],
    ids=["not-a-date", "end-before-start", "out-of-range", "unknown-action"],
)
def test_bad_filters_are_refused_in_chinese_with_the_input_kept(city, public_host, auditor, query, field, message):
    response = host_client(public_host, auditor).get(PAGE, query)
    assert response.status_code == 400
    errors = response.context["form"].errors[field]
    assert any(message in error for error in errors), errors
    html = response.content.decode()
    for value in query.values():
        assert value in html  # what was typed is still in the form
    assert host_client(public_host, auditor).get(EXPORT, query).status_code == 400


def test_the_trail_is_paginated(city, public_host, auditor):
    for number in range(55):
        audit_record(action=AuditAction.SIGN_IN_FAILED, username=f"pager-{number:02d}", outcome=AuditOutcome.FAILURE)
    client = host_client(public_host, auditor)
    first = client.get(PAGE, {"username": "pager-"})
    assert len(shown(first)) == 50 and first.context["page"].paginator.count == 55
    second = client.get(PAGE, {"username": "pager-", "page": 2})
    names = [entry.username for entry, _role in second.context["rows"]]
    assert names == [f"pager-{number:02d}" for number in range(4, -1, -1)]
    assert "?username=pager-&page=1" in second.content.decode()


def test_the_export_is_csv_with_a_bom_of_what_the_search_finds_and_is_recorded(city, public_host, auditor, entries):
    response = host_client(public_host, auditor).get(EXPORT, {"username": "mallory"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="audit-')
    content = b"".join(response.streaming_content)
    assert content.startswith(b"\xef\xbb\xbf")  # Excel reads the Chinese as UTF-8
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0] == ["时间", "用户", "角色", "服务站", "访问地址", "IP 地址", "操作", "对象", "结果", "详情"]
    assert len(rows) == 2
    assert rows[1][1] == "zz-mallory" and rows[1][3] == "alpha" and rows[1][8] == str(AuditOutcome.FAILURE.label)

    entry = last_entry(AuditAction.AUDIT_EXPORTED)
    assert (entry.user_id, entry.role, entry.outcome) == (auditor.pk, BureauRole.AUDITOR, AuditOutcome.SUCCESS)
    assert (entry.host, entry.address, entry.station_code) == (public_host, "127.0.0.1", "")
    assert entry.target == "audit trail" and entry.detail == "username=mallory"


def test_a_typed_formula_is_exported_inert(city, public_host, auditor):
    audit_record(action=AuditAction.SIGN_IN_FAILED, username="=HYPERLINK(1)", outcome=AuditOutcome.FAILURE)
    content = b"".join(host_client(public_host, auditor).get(EXPORT, {"username": "hyperlink"}).streaming_content)
    assert list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))[1][1] == "'=HYPERLINK(1)"


@pytest.mark.parametrize("role", [BureauRole.ADMIN, BureauRole.VIEWER, BureauRole.SECURITY])
def test_every_other_bureau_role_is_refused(city, public_host, role):
    client = host_client(public_host, UserFactory(bureau_role=role))
    before = AuditEntry.objects.filter(action=AuditAction.AUDIT_EXPORTED).count()
    assert client.get(PAGE).status_code == 403
    assert client.get(EXPORT).status_code == 403
    assert AuditEntry.objects.filter(action=AuditAction.AUDIT_EXPORTED).count() == before


def test_outsiders_members_and_anonymous_visitors_are_refused(city, public_host, alpha_host, auditor):
    for user in (city.outsider, city.alpha_head):
        client = host_client(public_host, user)
        assert client.get(PAGE).status_code == 403 and client.get(EXPORT).status_code == 403
    anonymous = host_client(public_host).get(PAGE)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
    # Only on the public host: a station host has no audit page, even for the auditor.
    assert host_client(alpha_host, city.alpha_head).get(PAGE).status_code == 404
    # Nobody changes the trail from the page.
    assert host_client(public_host, auditor).post(PAGE, {}).status_code == 405


def test_the_auditor_lands_on_the_audit_trail_after_signing_in(city, public_host, auditor):
    response = host_client(public_host).post("/accounts/login/", {"username": "audit-admin", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == PAGE


def test_the_link_is_shown_to_the_auditor_only(city, public_host, auditor):
    link = 'href="/console/audit/"'
    assert link in host_client(public_host, auditor).get("/").content.decode()
    assert link not in host_client(public_host, city.bureau_admin).get("/console/").content.decode()
