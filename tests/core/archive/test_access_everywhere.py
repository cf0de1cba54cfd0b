"""Every look at an enterprise's information is logged (clause 7.3), not only the archive's pages: the desk's demand
and case pages, the printed forms and their PDFs, the API's reads and lists of demands, cases and records, exports;
and the head reads the log per enterprise and per member."""

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_tenants.utils import schema_context

from core.archive import selectors, services
from core.archive.looks import look_of
from core.archive.models import AccessAction, AccessChannel, ArchiveAccess, LookKind
from core.desk import print_views
from tenants.selectors import PLATFORM
from tests.conftest import host_client
from tests.core.archive.test_archive import evaluated_case, other_staff  # noqa: F401  (fixture)
from tests.core.desk.builders import new_enterprise, take_demand


def _log(**filters) -> list[ArchiveAccess]:
    return list(ArchiveAccess.objects.filter(**filters).order_by("id"))


def _new_rows(before: int) -> list[ArchiveAccess]:
    return list(ArchiveAccess.objects.filter(pk__gt=before).order_by("id"))


def _last_id() -> int:
    last = ArchiveAccess.objects.order_by("-id").first()
    return last.pk if last else 0


@pytest.fixture
def fake_pdf(monkeypatch):
    """The PDFs without Chromium: what is logged does not depend on the printer."""
    monkeypatch.setattr(print_views, "pdf_from_html", lambda *, html: b"%PDF-1.4 test")


@pytest.mark.clause("7.3")
def test_each_page_look_writes_one_row_naming_the_user_the_enterprise_and_what(
    city, alpha, enterprise, alpha_host, fake_pdf
):
    case = evaluated_case(city, enterprise)
    demand = case.demand
    record = case.record
    staff = host_client(alpha_host, city.alpha_staff)
    looks = [
        (reverse("desk:demand", args=[demand.pk]), AccessAction.DEMAND_VIEW, LookKind.DEMAND, demand.pk, demand.number),
        (reverse("desk:case", args=[case.pk]), AccessAction.CASE_VIEW, LookKind.CASE, case.pk, case.number),
        (reverse("desk:print_demand", args=[case.pk]), AccessAction.PRINT, LookKind.FORM_A, demand.pk, demand.number),
        (reverse("desk:print_demand_pdf", args=[case.pk]), AccessAction.PDF, LookKind.FORM_A, demand.pk, demand.number),
        (reverse("desk:print_record", args=[case.pk]), AccessAction.PRINT, LookKind.FORM_B, case.pk, case.number),
        (reverse("desk:print_record_pdf", args=[case.pk]), AccessAction.PDF, LookKind.FORM_B, case.pk, case.number),
    ]
    assert record is not None
    for path, action, kind, object_id, label in looks:
        before = _last_id()
        response = staff.get(path)
        assert response.status_code == 200, path
        rows = _new_rows(before)
        assert len(rows) == 1, path
        row = rows[0]
        assert (row.user_id, row.user_name) == (city.alpha_staff.pk, str(city.alpha_staff))
        assert (row.enterprise_id, row.enterprise_name) == (enterprise.pk, demand.enterprise_name)
        assert (row.action, row.channel, row.object_kind, row.object_id, row.object_label) == (
            action,
            AccessChannel.PAGE,
            kind,
            object_id,
            label,
        ), path
        assert row.detail == path
    # A write is no look (it is in the activity log); a refused one neither.
    before = _last_id()
    staff.post(reverse("desk:case", args=[case.pk]), {"action": "event", "kind": "note", "text": "电话回访"})
    assert staff.get(reverse("desk:case", args=[case.pk + 1000])).status_code == 404
    assert _new_rows(before) == []


@pytest.mark.clause("7.3")
def test_each_api_read_and_list_writes_a_row(city, alpha, enterprise, alpha_host):
    case = evaluated_case(city, enterprise)
    demand, record = case.demand, case.record
    api = host_client(alpha_host, city.alpha_staff)
    reads = [
        (f"/api/v1/desk/demands/{demand.pk}/", AccessAction.DEMAND_VIEW, LookKind.DEMAND, demand.pk, demand.number),
        (f"/api/v1/desk/cases/{case.pk}/", AccessAction.CASE_VIEW, LookKind.CASE, case.pk, case.number),
        (f"/api/v1/desk/cases/{case.pk}/record/", AccessAction.RECORD_VIEW, LookKind.RECORD, record.pk, record.number),
        ("/api/v1/desk/demands/", AccessAction.LIST, LookKind.DEMAND, demand.pk, demand.number),
        ("/api/v1/desk/cases/", AccessAction.LIST, LookKind.CASE, case.pk, case.number),
    ]
    for path, action, kind, object_id, label in reads:
        before = _last_id()
        assert api.get(path).status_code == 200, path
        (row,) = _new_rows(before)
        assert (row.user_id, row.enterprise_id, row.action, row.channel) == (
            city.alpha_staff.pk,
            enterprise.pk,
            action,
            AccessChannel.API,
        ), path
        assert (row.object_kind, row.object_id, row.object_label, row.detail) == (kind, object_id, label, path)
    # Another read about the case (its timeline's referrals) is a look at the case too; a write is not.
    before = _last_id()
    assert api.get(f"/api/v1/desk/cases/{case.pk}/referrals/").status_code == 200
    assert [(r.action, r.object_id) for r in _new_rows(before)] == [(AccessAction.CASE_VIEW, case.pk)]
    before = _last_id()
    api.post(f"/api/v1/desk/cases/{case.pk}/events/", {"kind": "note", "text": "回访"}, content_type="application/json")
    assert _new_rows(before) == []


@pytest.mark.clause("7.3")
def test_a_list_read_is_one_row_per_enterprise_in_one_insert(
    city, alpha, enterprise, alpha_host, django_assert_num_queries
):
    api = host_client(alpha_host, city.alpha_staff)
    first = take_demand(city, enterprise)
    api.get("/api/v1/desk/demands/")  # warm the session
    with CaptureQueriesContext(connection) as one:
        api.get("/api/v1/desk/demands/")
    other = new_enterprise(name="铁岭市开原测试化工有限公司")
    second, third = take_demand(city, enterprise), take_demand(city, other)
    before = _last_id()
    with django_assert_num_queries(len(one)):
        assert api.get("/api/v1/desk/demands/").json()["count"] == 3
    rows = {row.enterprise_id: row for row in _new_rows(before)}
    assert set(rows) == {enterprise.pk, other.pk}
    mine = rows[enterprise.pk]
    assert mine.action == AccessAction.LIST and mine.object_id is None
    assert set(mine.object_label.split(", ")) == {first.number, second.number}
    assert rows[other.pk].object_label == third.number and rows[other.pk].object_id == third.pk
    # Nothing shown, nothing logged.
    before = _last_id()
    assert api.get("/api/v1/desk/cases/", {"q": "没有这个企业"}).json()["count"] == 0
    assert _new_rows(before) == []


@pytest.mark.clause("7.3")
def test_the_archive_view_and_export_are_logged_with_their_channel(city, alpha, enterprise, alpha_host):
    take_demand(city, enterprise)
    staff = host_client(alpha_host, city.alpha_staff)
    before = _last_id()
    staff.get(reverse("archive:enterprise", args=[enterprise.pk]))
    staff.get(f"/api/v1/archive/enterprises/{enterprise.pk}/")
    assert staff.post(reverse("archive:enterprise", args=[enterprise.pk]), {"action": "export"}).status_code == 302
    assert staff.post(f"/api/v1/archive/enterprises/{enterprise.pk}/exports/").status_code == 202
    rows = _new_rows(before)
    assert [(r.action, r.channel, r.object_kind, r.enterprise_id, r.user_id) for r in rows] == [
        (AccessAction.VIEW, AccessChannel.PAGE, LookKind.ARCHIVE, enterprise.pk, city.alpha_staff.pk),
        (AccessAction.VIEW, AccessChannel.API, LookKind.ARCHIVE, enterprise.pk, city.alpha_staff.pk),
        (AccessAction.EXPORT, AccessChannel.PAGE, LookKind.ARCHIVE, enterprise.pk, city.alpha_staff.pk),
        (AccessAction.EXPORT, AccessChannel.API, LookKind.ARCHIVE, enterprise.pk, city.alpha_staff.pk),
    ]


@pytest.mark.clause("7.3")
def test_the_head_reads_the_log_per_enterprise_and_per_member(city, alpha, enterprise, alpha_host):
    other = new_enterprise(name="铁岭市开原测试化工有限公司")
    mine, theirs = take_demand(city, enterprise), take_demand(city, other)
    staff = host_client(alpha_host, city.alpha_staff)
    head = host_client(alpha_host, city.alpha_head)
    staff.get(reverse("desk:demand", args=[mine.pk]))
    staff.get(reverse("desk:demand", args=[theirs.pk]))
    head.get(reverse("desk:demand", args=[mine.pk]))

    page = head.get(reverse("archive:access_log"), {"enterprise": enterprise.pk})
    assert page.status_code == 200
    assert {a.enterprise_id for a in page.context["page"]} == {enterprise.pk}
    assert {a.user_id for a in page.context["page"]} == {city.alpha_staff.pk, city.alpha_head.pk}
    assert page.context["enterprise"] == enterprise and mine.number in page.content.decode()
    page = head.get(reverse("archive:access_log"), {"user": city.alpha_staff.pk})
    assert {(a.user_id, a.enterprise_id) for a in page.context["page"]} >= {
        (city.alpha_staff.pk, enterprise.pk),
        (city.alpha_staff.pk, other.pk),
    }
    assert {a.user_id for a in page.context["page"]} == {city.alpha_staff.pk}
    both = head.get(reverse("archive:access_log"), {"user": city.alpha_staff.pk, "enterprise": other.pk})
    assert [(a.object_label, a.action) for a in both.context["page"]] == [(theirs.number, AccessAction.DEMAND_VIEW)]

    api = head.get("/api/v1/archive/access-log/", {"enterprise": enterprise.pk, "user": city.alpha_head.pk})
    assert api.status_code == 200
    results = api.json()["results"]
    assert [(r["enterprise_id"], r["user_id"], r["action"], r["object_label"], r["channel"]) for r in results] == [
        (enterprise.pk, city.alpha_head.pk, "demand_view", mine.number, "page")
    ]
    by_member = head.get("/api/v1/archive/access-log/", {"user": city.alpha_staff.pk, "channel": "page"}).json()
    assert {r["user_id"] for r in by_member["results"]} == {city.alpha_staff.pk}
    assert {r["enterprise_id"] for r in by_member["results"]} >= {enterprise.pk, other.pk}
    assert head.get("/api/v1/archive/access-log/", {"enterprise": "abc"}).status_code == 400


@pytest.mark.clause("7.3")
def test_the_archive_and_the_members_page_link_the_heads_log(city, alpha, enterprise, alpha_host):
    take_demand(city, enterprise)
    head = host_client(alpha_host, city.alpha_head)
    archive = head.get(reverse("archive:enterprise", args=[enterprise.pk])).content.decode()
    assert f"{reverse('archive:access_log')}?enterprise={enterprise.pk}" in archive
    members = head.get(reverse("station_members")).content.decode()
    assert f"{reverse('archive:access_log')}?user={city.alpha_staff.pk}" in members
    staff = host_client(alpha_host, city.alpha_staff)
    assert "?enterprise=" not in staff.get(reverse("archive:enterprise", args=[enterprise.pk])).content.decode()
    assert reverse("archive:access_log") not in staff.get(reverse("station_members")).content.decode()


@pytest.mark.clause("7.3")
def test_only_the_head_reads_the_log(city, alpha, enterprise, alpha_host, beta_host):
    take_demand(city, enterprise)
    staff = host_client(alpha_host, city.alpha_staff)
    for params in ({}, {"enterprise": enterprise.pk}, {"user": city.alpha_staff.pk}):
        assert staff.get(reverse("archive:access_log"), params).status_code == 403
        assert staff.get("/api/v1/archive/access-log/", params).status_code == 403
    # The selector checks it too, whoever calls it.
    with pytest.raises(PermissionDenied):
        selectors.access_log(viewer=city.alpha_staff)
    with pytest.raises(PermissionDenied):
        selectors.access_log(viewer=city.beta_head, enterprise=enterprise.pk)
    assert selectors.access_log(viewer=city.alpha_head, enterprise=enterprise.pk).count() == 0
    # Another station's users and outsiders are refused on alpha's host, and read only their own log on theirs.
    for user in (city.outsider, city.beta_staff, city.beta_head, city.bureau_admin):
        client = host_client(alpha_host, user)
        assert client.get(reverse("archive:access_log"), {"enterprise": enterprise.pk}).status_code == 403
        assert client.get("/api/v1/archive/access-log/", {"user": city.alpha_staff.pk}).status_code == 403
    host_client(alpha_host, city.alpha_staff).get("/api/v1/desk/demands/")
    assert ArchiveAccess.objects.filter(enterprise=enterprise).exists()
    with schema_context(city.beta.schema_name):
        # (other tests' committed data may have left beta's own rows: none is about alpha's look at this enterprise)
        response = host_client(beta_host, city.beta_head).get(
            "/api/v1/archive/access-log/", {"enterprise": enterprise.pk}
        )
        assert response.status_code == 200 and response.json()["count"] == 0


@pytest.mark.clause("7.3")
def test_a_confidential_case_refused_or_left_out_is_not_logged(city, alpha, enterprise, alpha_host, other_staff):  # noqa: F811
    case = evaluated_case(city, enterprise)
    services.case_confidential_mark(case=case, user=city.alpha_head, reason="涉密")
    other = host_client(alpha_host, other_staff)
    before = _last_id()
    assert other.get(reverse("desk:case", args=[case.pk])).status_code == 404
    assert other.get(reverse("desk:demand", args=[case.demand_id])).status_code == 404
    assert other.get(reverse("desk:print_record", args=[case.pk])).status_code == 404
    assert other.get(f"/api/v1/desk/cases/{case.pk}/").status_code == 404
    assert other.get("/api/v1/desk/cases/").json()["count"] == 0
    assert other.get("/api/v1/desk/demands/").json()["count"] == 0
    assert _new_rows(before) == []
    # Its assignee's look is logged, and the log is the head's alone, who sees the case anyway.
    host_client(alpha_host, city.alpha_staff).get(reverse("desk:case", args=[case.pk]))
    (row,) = _new_rows(before)
    assert (row.user_id, row.object_id) == (city.alpha_staff.pk, case.pk)


@pytest.mark.clause("7.3")
def test_background_reads_log_nothing(city, alpha, enterprise):
    demand = take_demand(city, enterprise)
    before = _last_id()
    look = look_of(demand)
    for nobody in (PLATFORM, None):
        assert services.enterprise_access_log(user=nobody, looks=[look], action="demand_view", channel="api") == []
    assert _new_rows(before) == []
    (row,) = services.enterprise_access_log(
        user=city.alpha_staff, looks=[look], action=AccessAction.DEMAND_VIEW, channel=AccessChannel.API
    )
    assert (row.enterprise_id, row.object_label) == (enterprise.pk, demand.number)
