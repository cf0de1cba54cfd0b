"""The enterprise quality archive (clause 7): numbered documents in date order, retention and disposal, the access
log, confidential cases with guardian object permissions, and the ZIP of PDFs."""

import datetime
import io
import os
import shutil
import zipfile

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone
from django_tenants.utils import schema_context

from core.archive import selectors, services
from core.archive.models import AccessAction, ArchiveAccess, ArchiveDisposal, ArchiveEntry, DisposalState
from core.desk import selectors as desk_selectors
from core.desk import services as desk_services
from core.desk.models import CaseEvent, Demand, ServiceCase, SurveyChannel
from core.jobs.models import Job, JobStatus
from core.operations.demo import pre_duty_training_record
from tenants.models import MemberRole
from tenants.selectors import PLATFORM
from tenants.services import membership_create
from tests.conftest import host_client
from tests.core.desk.builders import case_completed, take_demand
from tests.factories import UserFactory

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
needs_chromium = pytest.mark.skipif(
    not os.path.exists(CHROMIUM) and not os.environ.get("CI"), reason="Debian's chromium is not installed"
)
ANSWERS = dict.fromkeys(("q1", "q2", "q3", "q4", "q6", "q7", "q8", "q9", "q10"), "satisfied") | {"q5": True}


def evaluated_case(city, enterprise) -> ServiceCase:
    case = case_completed(city, enterprise)
    desk_services.survey_submit(case=case, channel=SurveyChannel.PAPER, user=city.alpha_staff, **ANSWERS)
    return case


@pytest.fixture
def other_staff(city):
    """A second staff member of alpha, not assigned to anything (trained: cleared for duty, clause 4.4.1)."""
    user = UserFactory()
    membership_create(actor=PLATFORM, user=user, station=city.alpha, role=MemberRole.STAFF)
    pre_duty_training_record(station=city.alpha, members=[user])
    return user


@pytest.mark.clause("7.1")
@pytest.mark.clause("7.4")
def test_the_archive_numbers_every_document_once_in_date_order(city, alpha, enterprise, alpha_host):
    case = evaluated_case(city, enterprise)
    rows = selectors.archive_rows(enterprise=enterprise)
    assert [row.entry.source for row in rows] == ["desk.demand", "desk.case", "desk.record", "desk.survey"]
    year = timezone.localdate().year
    numbers = [row.entry.number for row in rows]
    assert all(number.startswith(f"ALPHA-DA-{year}-") for number in numbers)
    assert numbers == sorted(numbers)
    assert [row.entry.recorded_at for row in rows] == sorted(row.entry.recorded_at for row in rows)
    # Filed once: a second filing gives the same numbers; a new document gets the next one.
    assert [row.entry.number for row in selectors.archive_rows(enterprise=enterprise)] == numbers
    take_demand(city, enterprise)
    again = selectors.archive_rows(enterprise=enterprise)
    assert [row.entry.number for row in again][:4] == numbers
    assert again[-1].entry.number > numbers[-1]

    response = host_client(alpha_host, city.alpha_staff).get(reverse("archive:enterprise", args=[enterprise.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert enterprise.uscc in page and enterprise.name in page
    for number in numbers:
        assert number in page
    assert case.number in page


@pytest.mark.clause("7.3")
def test_every_view_and_export_is_logged_and_the_head_reads_the_log(city, alpha, enterprise, alpha_host):
    take_demand(city, enterprise)
    staff = host_client(alpha_host, city.alpha_staff)
    staff.get(reverse("archive:enterprise", args=[enterprise.pk]))
    staff.get(f"/api/v1/archive/enterprises/{enterprise.pk}/")
    response = staff.post(reverse("archive:enterprise", args=[enterprise.pk]), {"action": "export"})
    assert response.status_code == 302
    log = list(ArchiveAccess.objects.filter(enterprise=enterprise).order_by("id"))
    assert [(a.user_id, a.action) for a in log] == [
        (city.alpha_staff.pk, AccessAction.VIEW),
        (city.alpha_staff.pk, AccessAction.VIEW),
        (city.alpha_staff.pk, AccessAction.EXPORT),
    ]
    # The head's page, with filters; staff are refused.
    head = host_client(alpha_host, city.alpha_head)
    page = head.get(reverse("archive:access_log"), {"action": "export", "user": city.alpha_staff.pk})
    assert page.status_code == 200
    assert page.context["page"].object_list[0].action == AccessAction.EXPORT
    assert len(page.context["page"].object_list) == 1
    assert staff.get(reverse("archive:access_log")).status_code == 403
    api = head.get("/api/v1/archive/access-log/", {"q": enterprise.name[:6]})
    assert api.status_code == 200 and api.json()["count"] == 3
    assert staff.get("/api/v1/archive/access-log/").status_code == 403


@pytest.mark.clause("7.4")
def test_nothing_is_disposed_of_within_five_years_and_the_attempt_is_logged(city, alpha, enterprise):
    take_demand(city, enterprise)
    with pytest.raises(ValidationError) as refused:
        services.archive_dispose(enterprise=enterprise, user=city.alpha_staff, reason="清理")
    assert "enterprise" in refused.value.message_dict
    refusal = ArchiveAccess.objects.get(enterprise=enterprise, action=AccessAction.DISPOSAL_REFUSED)
    assert refusal.user_id == city.alpha_staff.pk
    assert not ArchiveDisposal.objects.exists()
    assert Demand.objects.filter(enterprise=enterprise).exists()
    # Four years and eleven months later, still refused (and logged again).
    with time_machine.travel(timezone.now() + datetime.timedelta(days=365 * 5 - 30), tick=False):
        with pytest.raises(ValidationError):
            services.archive_dispose(enterprise=enterprise, user=city.alpha_staff, reason="清理")
    assert ArchiveAccess.objects.filter(enterprise=enterprise, action=AccessAction.DISPOSAL_REFUSED).count() == 2


@pytest.mark.clause("7.4")
def test_after_five_years_the_head_approves_a_disposal_that_removes_the_archive(city, alpha, enterprise):
    case = evaluated_case(city, enterprise)
    desk_services.record_amend(record=case.record, user=city.alpha_staff, reason="笔误", technician="李工")
    numbers = [row.entry.number for row in selectors.archive_rows(enterprise=enterprise)]
    with time_machine.travel(timezone.now() + datetime.timedelta(days=365 * 5 + 3), tick=False):
        disposal = services.archive_dispose(enterprise=enterprise, user=city.alpha_staff, reason="保管期满")
        assert disposal.state == DisposalState.REQUESTED
        with pytest.raises(PermissionDenied):
            services.archive_disposal_approve(disposal=disposal, user=city.alpha_staff)
        done = services.archive_disposal_approve(disposal=disposal, user=city.alpha_head)
    assert done.state == DisposalState.APPROVED
    assert done.requested_by == city.alpha_staff and done.approved_by == city.alpha_head
    assert done.removed_counts == {"desk.demand": 1, "desk.case": 1, "desk.record": 1, "desk.survey": 1}
    assert done.removed_numbers == numbers
    assert not Demand.objects.filter(enterprise=enterprise).exists()
    assert not ServiceCase.objects.filter(pk=case.pk).exists()
    assert not CaseEvent.objects.filter(case_id=case.pk).exists()
    assert not ArchiveEntry.objects.filter(enterprise=enterprise).exists()
    assert ArchiveAccess.objects.filter(enterprise=enterprise, action=AccessAction.DISPOSAL_APPROVED).exists()
    # The timeline is still append-only outside a disposal, and numbers are never given again.
    other = take_demand(city, enterprise).cases.get()
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        CaseEvent.objects.filter(case=other).delete()
    later = selectors.archive_rows(enterprise=enterprise)
    assert all(row.entry.number not in numbers for row in later)


@pytest.mark.clause("7.3")
def test_guardian_tables_are_in_the_station_schema(city, alpha):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = %s AND table_name = %s",
            [city.alpha.schema_name, "guardian_userobjectpermission"],
        )
        assert cursor.fetchone()[0] == 1
    # The station's content type of a case is the one auth's permission names (the ids agree across schemas).
    station_type = ContentType.objects.get_for_model(ServiceCase)
    with schema_context("public"):
        permission = Permission.objects.get(codename="view_servicecase")
    assert permission.content_type_id == station_type.pk


@pytest.mark.clause("7.3")
def test_a_confidential_case_is_seen_only_by_its_assignee_and_the_head(
    city, alpha, enterprise, other_staff, alpha_host
):
    case = evaluated_case(city, enterprise)  # assigned to alpha_staff
    plain = take_demand(city, enterprise).cases.get()
    with pytest.raises(PermissionDenied):
        services.case_confidential_mark(case=case, user=city.alpha_staff)
    head = host_client(alpha_host, city.alpha_head)
    response = head.post(reverse("archive:case_confidential", args=[case.pk]), {"confidential": "on"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert city.alpha_staff.has_perm("desk.view_servicecase", case)
    assert not other_staff.has_perm("desk.view_servicecase", case)

    for user, sees in ((city.alpha_staff, True), (city.alpha_head, True), (other_staff, False)):
        client = host_client(alpha_host, user)
        assert client.get(reverse("desk:case", args=[case.pk])).status_code == (200 if sees else 404)
        assert client.get(f"/api/v1/desk/cases/{case.pk}/").status_code == (200 if sees else 404)
        listed = {c["id"] for c in client.get("/api/v1/desk/cases/").json()["results"]}
        assert (case.pk in listed) is sees and plain.pk in listed
        archive = client.get(f"/api/v1/archive/enterprises/{enterprise.pk}/").json()["results"]
        assert any(e["source"] == "desk.case" and e["object_id"] == case.pk for e in archive) is sees
        assert any(e["source"] == "desk.case" and e["object_id"] == plain.pk for e in archive)
        assert (case.pk in {c.pk for c in desk_selectors.case_list(viewer=user)}) is sees

    # A confidential case without an assignee is the head's alone; planned for someone, it is theirs too.
    services.case_confidential_mark(case=plain, user=city.alpha_head)
    assert not ServiceCase.objects.get(pk=plain.pk).assignee_id
    assert host_client(alpha_host, other_staff).get(reverse("desk:case", args=[plain.pk])).status_code == 404
    desk_services.case_plan(
        case=plain,
        user=city.alpha_head,
        kind="self",
        evaluation="上门",
        appointment_at=timezone.now() + datetime.timedelta(days=1),
        staff=other_staff,
    )
    assert host_client(alpha_host, other_staff).get(reverse("desk:case", args=[plain.pk])).status_code == 200
    assert host_client(alpha_host, city.alpha_staff).get(reverse("desk:case", args=[plain.pk])).status_code == 404
    # Lifted: everyone sees it again.
    services.case_confidential_unmark(case=case, user=city.alpha_head)
    assert host_client(alpha_host, city.alpha_staff).get(reverse("desk:case", args=[case.pk])).status_code == 200


@needs_chromium
@pytest.mark.clause("7.1")
def test_the_archive_downloads_as_a_zip_of_pdfs(city, alpha, enterprise, alpha_host):
    evaluated_case(city, enterprise)
    client = host_client(alpha_host, city.alpha_staff)
    started = client.post(f"/api/v1/archive/enterprises/{enterprise.pk}/exports/")
    assert started.status_code == 202
    job_id = started.json()["id"]
    services.archive_export_run(job_id=job_id)  # what the Celery task does (its commit hook never runs in a test)
    job = Job.objects.get(pk=job_id)
    assert job.status == JobStatus.SUCCEEDED and job.percent == 100
    status = client.get(f"/api/v1/archive/exports/{job_id}/").json()
    assert status["ready"] is True
    # Only the requester downloads it, and the download is logged.
    assert host_client(alpha_host, city.alpha_head).get(status["download"]).status_code == 404
    response = client.get(status["download"])
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        names = archive.namelist()
        assert len(names) == 5  # the index and one PDF per kind: demands, cases, records, surveys
        for name in names:
            assert archive.read(name).startswith(b"%PDF")
    assert ArchiveAccess.objects.filter(enterprise=enterprise, action=AccessAction.DOWNLOAD).exists()
    # The generic job result does not hand it out.
    assert client.get(f"/api/v1/jobs/{job_id}/result/").status_code == 404


def test_outsiders_and_other_stations_are_refused(city, alpha, enterprise, alpha_host, beta_host):
    take_demand(city, enterprise)
    paths = [
        reverse("archive:index"),
        reverse("archive:enterprise", args=[enterprise.pk]),
        reverse("archive:access_log"),
        f"/api/v1/archive/enterprises/{enterprise.pk}/",
        "/api/v1/archive/access-log/",
    ]
    for user in (city.outsider, city.beta_staff, city.beta_head, city.bureau_admin):
        client = host_client(alpha_host, user)
        for path in paths:
            assert client.get(path).status_code == 403, (user, path)
    # On beta's host, alpha's enterprise has no archive.
    with schema_context(city.beta.schema_name):
        response = host_client(beta_host, city.beta_head).get(f"/api/v1/archive/enterprises/{enterprise.pk}/")
    assert response.status_code == 404


def test_lists_take_a_fixed_number_of_queries(city, alpha, enterprise, alpha_host, django_assert_num_queries):
    """The archive's entries and the access log: as many queries for 3 demands (12 documents) as for 6 (24)."""
    for _ in range(3):
        take_demand(city, enterprise)
    client = host_client(alpha_host, city.alpha_staff)
    url = f"/api/v1/archive/enterprises/{enterprise.pk}/"
    client.get(url)  # files the documents
    small = _count_queries(client, url)
    for _ in range(3):
        take_demand(city, enterprise)
    client.get(url)
    with django_assert_num_queries(small):
        response = client.get(url)
    assert response.json()["count"] == 12
    head = host_client(alpha_host, city.alpha_head)
    log = "/api/v1/archive/access-log/"
    few = _count_queries(head, log)
    client.get(url)
    client.get(url)
    with django_assert_num_queries(few):
        assert head.get(log).status_code == 200


def _count_queries(client, url) -> int:
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    return len(captured)
