"""Documents on demands and cases (issue 19): an upload checked by its content and numbered into the enterprise's
archive at once, versions that keep the earlier ones, the release to the enterprise (clause 5.1.7.4), a trigger that
never lets a document be deleted or changed (but inside an approved disposal), and the files in the archive's ZIP."""

import datetime
import hashlib
import io
import os
import shutil
import zipfile

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone

from core.archive import services as archive_services
from core.archive.models import ArchiveEntry, ArchiveExport
from core.desk.models import CaseEvent, EventKind
from core.documents import selectors, services
from core.documents.models import Document
from tenants.selectors import PLATFORM
from tests.core.desk.builders import case_completed, take_demand
from tests.core.documents.builders import PDF, PNG, TEXT_PDF, office, report, upload

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
needs_chromium = pytest.mark.skipif(
    not os.path.exists(CHROMIUM) and not os.environ.get("CI"), reason="Debian's chromium is not installed"
)


def test_an_upload_is_kept_under_the_station_and_numbered_into_the_archive_at_once(city, alpha, enterprise, media):
    case = take_demand(city, enterprise).cases.get()
    document = report(city, case, name="C:\\扫描\\压力表报告.pdf")
    assert document.original_name == "压力表报告.pdf"
    assert document.content_type == "application/pdf" and document.size == len(PDF)
    assert document.sha256 == hashlib.sha256(PDF).hexdigest()
    year = timezone.localdate().year
    assert document.file.name.startswith(f"documents/alpha/{year}/") and document.file.name.endswith(".pdf")
    assert "压力表" not in document.file.name  # never the name it came with
    assert (media / document.file.name).read_bytes() == PDF
    assert (document.version, document.uploaded_by, document.uploaded_by_name) == (
        1,
        city.alpha_staff,
        city.alpha_staff.display_name,
    )
    entry = ArchiveEntry.objects.get(source="documents.document", object_id=document.pk)
    assert entry.enterprise_id == enterprise.pk and entry.number.startswith(f"ALPHA-DA-{year}-")
    assert selectors.document_archive_number(document=document) == entry.number
    assert CaseEvent.objects.filter(case=case, kind=EventKind.NOTE, text="上传文件：压力表检定报告").exists()
    listed = list(selectors.documents_of_case(case=case))
    assert [(d.pk, d.archive_number, d.uploaded_by) for d in listed] == [(document.pk, entry.number, city.alpha_staff)]


def test_a_file_that_is_not_what_its_name_says_is_refused_with_the_reason(city, alpha, enterprise, media):
    case = take_demand(city, enterprise).cases.get()
    with pytest.raises(ValidationError) as refused:
        report(city, case, name="报告.pdf", content=TEXT_PDF)
    assert "不属于可接受的类型" in refused.value.message_dict["file"][0]
    with pytest.raises(ValidationError) as refused:
        services.document_upload(
            user=city.alpha_staff, demand=case.demand, case=case, kind="nonsense", title="  ", file=upload("a.png", PNG)
        )
    assert set(refused.value.message_dict) == {"kind", "title"}
    assert not Document.objects.exists()
    assert not media.exists() or not any(media.rglob("*.pdf"))


def test_office_documents_photos_and_a_document_of_the_demand_as_a_whole(city, alpha, enterprise):
    demand = take_demand(city, enterprise)
    case = demand.cases.get()
    sheet = services.document_upload(
        user=city.alpha_staff,
        demand=demand,
        kind="scan",
        title="企业资料",
        file=upload("资料.xlsx", office("xl/workbook.xml")),
    )
    photo = report(city, case, kind="photo", title="现场照片", name="photo.png", content=PNG)
    assert sheet.case is None and sheet.file.name.endswith(".xlsx") and photo.file.name.endswith(".png")
    # A document of the demand as a whole is on every case's timeline, and listed on the demand with the case's.
    assert CaseEvent.objects.filter(case=case, text="上传文件：企业资料").exists()
    assert {d.pk for d in selectors.documents_of_demand(demand=demand)} == {sheet.pk, photo.pk}
    assert [d.pk for d in selectors.documents_of_case(case=case)] == [photo.pk]


def test_only_members_upload(city, alpha, enterprise):
    case = take_demand(city, enterprise).cases.get()
    for user in (city.beta_staff, city.bureau_admin, PLATFORM):
        with pytest.raises(PermissionDenied):
            report(city, case, user=user)


def test_a_new_version_keeps_the_earlier_one_which_is_never_deleted_or_changed(city, alpha, enterprise, media):
    case = take_demand(city, enterprise).cases.get()
    first = report(city, case)
    second = services.document_replace(user=city.alpha_head, document=first, file=upload("报告v2.pdf", PDF + b"\n"))
    first.refresh_from_db()
    assert (second.series, second.version, second.title, second.kind) == (first.series, 2, first.title, "report")
    assert first.superseded_at is not None and first.superseded_by == second
    assert (media / first.file.name).exists() and first.file.name != second.file.name
    third = services.document_replace(user=city.alpha_staff, document=second, file=upload("v3.pdf", PDF), title="新")
    assert (third.version, third.title) == (3, "新")
    # Listed newest version first, all of them, each with its own archive number.
    listed = list(selectors.documents_of_case(case=case))
    assert [d.version for d in listed] == [3, 2, 1]
    assert len({d.archive_number for d in listed}) == 3
    # Only the current version takes a new one.
    with pytest.raises(ValidationError) as refused:
        services.document_replace(user=city.alpha_staff, document=first, file=upload("x.pdf", PDF))
    assert "file" in refused.value.message_dict
    # The database itself refuses deleting or changing a document.
    with pytest.raises(IntegrityError, match="never deleted"), transaction.atomic():
        Document.objects.filter(pk=first.pk).delete()
    for change in ({"title": "改"}, {"file": "documents/alpha/other.pdf"}, {"sha256": "0" * 64}, {"version": 9}):
        with pytest.raises(IntegrityError, match="never changed"), transaction.atomic():
            Document.objects.filter(pk=third.pk).update(**change)
    with pytest.raises(IntegrityError, match="released or superseded"), transaction.atomic():
        Document.objects.filter(pk=first.pk).update(superseded_at=timezone.now())
    assert Document.objects.filter(series=first.series).count() == 3


@pytest.mark.clause("5.1.7.4")
def test_a_report_released_to_the_enterprise_keeps_when_and_who(city, alpha, enterprise):
    case = case_completed(city, enterprise)
    document = report(city, case)
    released = services.document_release(user=city.alpha_head, document=document)
    assert released.released_at is not None
    assert (released.released_by, released.released_by_name) == (city.alpha_head, city.alpha_head.display_name)
    assert CaseEvent.objects.filter(case=case, text="发放报告：压力表检定报告", actor=city.alpha_head).exists()
    assert selectors.documents_released(demand=case.demand) == [released]
    with pytest.raises(ValidationError) as twice:
        services.document_release(user=city.alpha_staff, document=document)
    assert "已于" in twice.value.message_dict["document"][0]
    with pytest.raises(IntegrityError), transaction.atomic():
        Document.objects.filter(pk=document.pk).update(released_at=timezone.now())


@pytest.mark.clause("5.1.7.4")
def test_a_replaced_version_is_not_released_and_the_enterprise_sees_current_versions_only(city, alpha, enterprise):
    case = take_demand(city, enterprise).cases.get()
    first = report(city, case)
    services.document_release(user=city.alpha_staff, document=first)
    second = services.document_replace(user=city.alpha_staff, document=first, file=upload("更正.pdf", PDF))
    with pytest.raises(ValidationError) as refused:
        services.document_release(user=city.alpha_staff, document=first)
    assert "已被替换" in refused.value.message_dict["document"][0]
    assert selectors.documents_released(demand=case.demand) == []
    services.document_release(user=city.alpha_staff, document=second)
    assert [d.pk for d in selectors.documents_released(demand=case.demand)] == [second.pk]
    with pytest.raises(PermissionDenied):
        services.document_release(user=city.beta_head, document=second)


def test_a_document_of_a_confidential_case_is_reached_by_whoever_sees_the_case_only(city, alpha, enterprise):
    case = take_demand(city, enterprise).cases.get()
    document = report(city, case)
    assert selectors.document_access(pk=document.pk, user=city.alpha_staff) == document
    archive_services.case_confidential_mark(case=case, user=city.alpha_head, reason="商业秘密")
    with pytest.raises(Http404):
        selectors.document_access(pk=document.pk, user=city.alpha_staff)
    assert selectors.document_access(pk=document.pk, user=city.alpha_head) == document
    with pytest.raises(Http404):
        selectors.document_access(pk=document.pk + 1000, user=city.alpha_head)
    with pytest.raises(TypeError, match="needs the user"):
        selectors.document_access(pk=document.pk, user=None)


@pytest.mark.clause("7.4")
def test_an_approved_disposal_removes_the_documents_and_their_files(city, alpha, enterprise, media):
    case = case_completed(city, enterprise)
    first = report(city, case)
    second = services.document_replace(user=city.alpha_staff, document=first, file=upload("v2.pdf", PDF))
    names = [first.file.name, second.file.name]
    with time_machine.travel(timezone.now() + datetime.timedelta(days=365 * 5 + 3), tick=False):
        disposal = archive_services.archive_dispose(enterprise=enterprise, user=city.alpha_staff, reason="保管期满")
        done = archive_services.archive_disposal_approve(disposal=disposal, user=city.alpha_head)
    assert done.removed_counts["documents.document"] == 2
    assert not Document.objects.filter(demand__enterprise=enterprise).exists()
    assert all((media / name).exists() for name in names)  # gone once the disposal is committed (never, in a test)


@needs_chromium
@pytest.mark.clause("7.1")
def test_the_archive_zip_holds_the_documents_files(city, alpha, enterprise):
    case = take_demand(city, enterprise).cases.get()
    document = report(city, case, name="压力表报告.pdf")
    photo = report(city, case, kind="photo", title="现场", name="现场.png", content=PNG)
    job = archive_services.archive_export_start(enterprise=enterprise, user=city.alpha_staff)
    archive_services.archive_export_run(job_id=job.pk)
    export = ArchiveExport.objects.get(job_id=job.pk)
    number = selectors.document_archive_number(document=document)
    with zipfile.ZipFile(io.BytesIO(bytes(export.data))) as archive:
        names = archive.namelist()
        assert archive.read(f"files/{number}-压力表报告.pdf") == PDF
        assert archive.read(f"files/{selectors.document_archive_number(document=photo)}-现场.png") == PNG
        assert any(name.endswith("documents-document.pdf") for name in names)  # their printed facts too
