"""The product's existing actions are in the audit trail where they happen: onboarding, status changes and
publication of stations, evaluation conclusions, directory changes and imports, exports and downloads (the directory's,
the archive's ZIP, Appendix A/B PDFs, evaluation evidence), archive reads. Each entry says who, where (host, station),
from which address, on what, and the outcome."""

import os
import random
import shutil

import pytest
from django_tenants.utils import schema_context

from core.archive import services as archive_services
from core.archive.models import ArchiveExport
from core.audit.models import AuditAction, AuditEntry, AuditOutcome
from core.directory import uscc
from core.directory.exports import directory_export_run, directory_sample
from core.directory.imports import directory_import_run
from core.directory.models import Enterprise
from core.directory.services import directory_import_start
from core.evaluation.services import Review, evidence_add, round_review_save
from tenants.models import Station, StationStatus
from tests.conftest import host_client
from tests.core.audit.conftest import last_entry
from tests.core.desk.builders import case_in_service, new_enterprise, take_demand
from tests.core.evaluation.builders import CODES, PDF, open_round, submitted_round, upload
from tests.platform.console.test_evaluation_pages import review_data
from tests.platform.console.test_onboarding import FORM

pytestmark = pytest.mark.django_db

RNG = random.Random(18)  # noqa: S311  (test data)
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
needs_chromium = pytest.mark.skipif(
    not os.path.exists(CHROMIUM) and not os.environ.get("CI"), reason="Debian's chromium is not installed"
)
ADDRESS = "127.0.0.1"


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def alpha(city):
    with schema_context(city.alpha.schema_name):
        yield city.alpha


def check(entry: AuditEntry, *, user, host: str, station: str, target: str, address=ADDRESS, role: str = "") -> None:
    assert (entry.user_id, entry.username) == (user.pk, user.username)
    assert (entry.host, entry.station_code, entry.address) == (host, station, address)
    assert entry.target == target
    assert entry.outcome == AuditOutcome.SUCCESS
    if role:
        assert entry.role == role


# --- Stations -------------------------------------------------------------------------------------------------------


def test_onboarding_a_station(city, public_host, spare_waiting):
    response = host_client(public_host, city.bureau_admin).post("/console/stations/new/", FORM)
    assert response.status_code == 302
    entry = last_entry(AuditAction.STATION_ONBOARDED)
    check(entry, user=city.bureau_admin, host=public_host, station="changtu", target=FORM["name"], role="admin")
    assert entry.detail == FORM["head_email"]


def test_suspending_a_station(city, public_host, published):
    response = host_client(public_host, city.bureau_admin).post(
        f"/console/stations/{city.alpha.pk}/", {"status": StationStatus.SUSPENDED, "reason": "投诉查实，暂停整改"}
    )
    assert response.status_code == 302
    entry = last_entry(AuditAction.STATION_STATUS_CHANGED)
    check(entry, user=city.bureau_admin, host=public_host, station="alpha", target=city.alpha.name)
    assert entry.detail == "published → suspended: 投诉查实，暂停整改"


def test_concluding_an_evaluation_and_publishing(city, public_host):
    submitted_round(city)
    admin = host_client(public_host, city.bureau_admin)
    page = f"/console/stations/{city.alpha.pk}/evaluations/1/"
    assert admin.post(page, review_data(action="conclude", conclusion="approved")).status_code == 302
    concluded = last_entry(AuditAction.EVALUATION_CONCLUDED)
    check(concluded, user=city.bureau_admin, host=public_host, station="alpha", target=f"{city.alpha.name} #1")
    assert concluded.detail == "approved"

    assert admin.post(f"/console/stations/{city.alpha.pk}/publish/").status_code == 302
    published = last_entry(AuditAction.STATION_PUBLISHED)
    check(published, user=city.bureau_admin, host=public_host, station="alpha", target=city.alpha.name)
    assert published.detail.startswith("notice until ")
    status = last_entry(AuditAction.STATION_STATUS_CHANGED)
    assert status.detail == "evaluating → published" and status.address == ADDRESS


def test_a_rejection_through_the_api_records_the_conclusion_and_the_status(city, public_host):
    evaluation_round = submitted_round(city)
    reviews = [Review(code=code, met=True, remark="") for code in CODES]
    round_review_save(evaluation_round=evaluation_round, user=city.bureau_admin, reviews=reviews)
    response = host_client(public_host, city.bureau_admin).post(
        f"/api/v1/evaluation/stations/{city.alpha.pk}/rounds/1/conclude/",
        {"conclusion": "rejected", "summary": "场地不符"},
        "application/json",
    )
    assert response.status_code == 200, response.content
    entry = last_entry(AuditAction.EVALUATION_CONCLUDED)
    check(entry, user=city.bureau_admin, host=public_host, station="alpha", target=f"{city.alpha.name} #1")
    assert entry.detail == "rejected"
    status = last_entry(AuditAction.STATION_STATUS_CHANGED)
    assert status.detail.startswith("evaluating → draft: ") and status.address == ADDRESS


# --- The directory --------------------------------------------------------------------------------------------------


def test_adding_and_changing_an_enterprise(city, alpha_host, public_host):
    code = uscc.generate(RNG)
    response = host_client(alpha_host, city.alpha_staff).post(
        "/directory/enterprises/new/", {"name": "审计新增企业", "uscc": code, "district": "yinzhou"}
    )
    assert response.status_code == 302
    enterprise = Enterprise.objects.get(uscc=code)
    added = last_entry(AuditAction.DIRECTORY_CHANGED)
    target = f"enterprise #{enterprise.pk} 审计新增企业"
    check(added, user=city.alpha_staff, host=alpha_host, station="alpha", target=target, role="staff")
    assert added.detail == "created"

    response = host_client(public_host, city.bureau_admin).patch(
        f"/api/v1/enterprises/{enterprise.pk}/", {"phone": "024-72000000"}, "application/json"
    )
    assert response.status_code == 200, response.content
    changed = last_entry(AuditAction.DIRECTORY_CHANGED)
    check(changed, user=city.bureau_admin, host=public_host, station="", target=target, role="admin")
    assert changed.detail == "changed: phone"


def test_adding_an_institution_through_the_api(city, public_host):
    response = host_client(public_host, city.bureau_admin).post(
        "/api/v1/institutions/",
        {"name": "铁岭市审计检测所", "kind": "testing", "districts": ["yinzhou"]},
        "application/json",
    )
    assert response.status_code == 201, response.content
    entry = last_entry(AuditAction.DIRECTORY_CHANGED)
    check(
        entry,
        user=city.bureau_admin,
        host=public_host,
        station="",
        target=f"institution #{response.json()['id']} 铁岭市审计检测所",
    )


def test_an_import_is_recorded_once_it_has_run(city, alpha):
    name, content, _type = directory_sample(what="enterprises", file_format="csv")
    job = directory_import_start(
        what="enterprises", user=city.alpha_staff, station=city.alpha, file=upload(name, content)
    )
    directory_import_run(job_id=job.pk, station_id=city.alpha.pk)  # what the worker does
    entry = last_entry(AuditAction.DIRECTORY_CHANGED)
    # A worker has no request: who and where, without an address.
    check(entry, user=city.alpha_staff, host="", station="alpha", target=f"import {name} (job {job.pk})", address=None)
    assert "created=1" in entry.detail


# --- Exports and downloads ------------------------------------------------------------------------------------------


def test_a_directory_export_and_its_download(city, public_host):
    viewer = host_client(public_host, city.bureau_viewer)
    response = viewer.post("/directory/enterprises/", {"format": "csv", "district": "yinzhou"})
    assert response.status_code == 302
    exported = last_entry(AuditAction.EXPORTED)
    job_id = int(exported.target.rsplit(" ", 1)[-1].rstrip(")"))
    check(
        exported, user=city.bureau_viewer, host=public_host, station="", target=f"directory enterprises (job {job_id})"
    )
    assert exported.detail == "district=yinzhou"

    directory_export_run(job_id=job_id, filters={"district": "yinzhou"})
    assert viewer.get(f"/api/v1/jobs/{job_id}/result/").status_code == 200
    downloaded = last_entry(AuditAction.DOWNLOADED)
    check(downloaded, user=city.bureau_viewer, host=public_host, station="", target=f"enterprises.csv (job {job_id})")


def test_archive_reads_exports_and_downloads(city, alpha, alpha_host):
    enterprise = new_enterprise()
    take_demand(city, enterprise)
    staff = host_client(alpha_host, city.alpha_staff)
    target = f"archive of enterprise #{enterprise.pk} {enterprise.name}"

    assert staff.get(f"/archive/enterprises/{enterprise.pk}/").status_code == 200
    viewed = last_entry(AuditAction.ARCHIVE_VIEWED)
    check(viewed, user=city.alpha_staff, host=alpha_host, station="alpha", target=target, role="staff")
    assert staff.get(f"/api/v1/archive/enterprises/{enterprise.pk}/").status_code == 200
    assert last_entry(AuditAction.ARCHIVE_VIEWED).pk > viewed.pk

    response = staff.post(f"/archive/enterprises/{enterprise.pk}/", {"action": "export"})
    assert response.status_code == 302
    exported = last_entry(AuditAction.EXPORTED)
    check(exported, user=city.alpha_staff, host=alpha_host, station="alpha", target=target)
    job_id = int(exported.detail.removeprefix("job "))

    # The ZIP as the worker leaves it (printing is the archive's own tests'), then its download.
    ArchiveExport.objects.filter(job_id=job_id).update(name="archive.zip", data=b"PK\x05\x06" + bytes(18))
    assert staff.get(f"/archive/exports/{job_id}/download/").status_code == 200
    downloaded = last_entry(AuditAction.DOWNLOADED)
    check(downloaded, user=city.alpha_staff, host=alpha_host, station="alpha", target=target)
    assert downloaded.detail == "archive.zip"


def test_archive_service_calls_without_a_request_still_name_who_and_where(city, alpha):
    enterprise = new_enterprise()
    archive_services.archive_access_log(user=city.alpha_head, enterprise=enterprise, action="view")
    entry = last_entry(AuditAction.ARCHIVE_VIEWED)
    check(
        entry,
        user=city.alpha_head,
        host="",
        station="alpha",
        target=f"archive of enterprise #{enterprise.pk} {enterprise.name}",
        address=None,
        role="head",
    )


@needs_chromium
def test_appendix_a_and_b_pdfs(city, alpha, alpha_host):
    case = case_in_service(city, new_enterprise())
    staff = host_client(alpha_host, city.alpha_staff)
    response = staff.get(f"/desk/cases/{case.pk}/print/demand.pdf")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    demand = last_entry(AuditAction.DOWNLOADED)
    number = case.demand.number
    check(demand, user=city.alpha_staff, host=alpha_host, station="alpha", target=f"{number}.pdf (case {case.number})")
    assert demand.detail == "demand"
    response = staff.get(f"/desk/cases/{case.pk}/print/record.pdf")
    assert response.status_code == 200
    record = last_entry(AuditAction.DOWNLOADED)
    assert record.pk > demand.pk and record.detail == "record" and record.address == ADDRESS


def test_evaluation_evidence_downloads(city, alpha_host, public_host):
    evaluation_round = open_round(city)
    evidence = evidence_add(item=evaluation_round.items.first(), user=city.alpha_head, file=upload("证明.pdf", PDF))
    target = f"evaluation evidence #{evidence.pk} 证明.pdf"

    response = host_client(alpha_host, city.alpha_staff).get(f"/station/evaluation/evidence/{evidence.pk}/")
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    check(last_entry(AuditAction.DOWNLOADED), user=city.alpha_staff, host=alpha_host, station="alpha", target=target)

    console = f"/console/stations/{city.alpha.pk}/evaluations/evidence/{evidence.pk}/"
    response = host_client(public_host, city.bureau_viewer).get(console)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    entry = last_entry(AuditAction.DOWNLOADED)
    check(entry, user=city.bureau_viewer, host=public_host, station="alpha", target=target, role="viewer")


def test_a_platform_action_is_named_by_the_platform(city):
    """A command or a test acting as the platform (no person): the entry names it, never an account."""
    from tenants.selectors import PLATFORM
    from tenants.services import station_change_status

    station_change_status(station=Station.objects.get(pk=city.alpha.pk), status=StationStatus.EVALUATING, user=PLATFORM)
    entry = last_entry(AuditAction.STATION_STATUS_CHANGED)
    assert (entry.user_id, entry.username, entry.role, entry.station_code) == (
        None,
        PLATFORM.role,
        PLATFORM.role,
        "alpha",
    )
    assert (entry.host, entry.address) == ("", None)
