"""The documents' pages: the "files" section of the case and demand pages, an upload (a refused one keeps the kind
and title and says why on the file), a new version, the release to the enterprise, and the download, for the
station's members who may see the case only."""

import pytest
from django.urls import reverse
from django_tenants.utils import schema_context

from core.archive import services as archive_services
from core.desk.models import CaseEvent
from core.documents.models import Document
from tests.conftest import host_client
from tests.core.desk.builders import take_demand
from tests.core.documents.builders import PDF, PNG, TEXT_PDF, report, upload


@pytest.fixture
def staff(city, alpha_host):
    return host_client(alpha_host, city.alpha_staff)


@pytest.fixture
def case(city, alpha, enterprise):
    return take_demand(city, enterprise).cases.get()


def text(response) -> str:
    return response.content.decode()


def test_a_file_uploaded_on_the_case_page_is_listed_with_its_archive_number(city, staff, case):
    page = staff.get(reverse("desk:case", args=[case.pk]))
    assert page.status_code == 200
    body = text(page)
    assert 'id="documents"' in body and 'enctype="multipart/form-data"' in body
    assert reverse("documents:case_upload", args=[case.pk]) in body
    response = staff.post(
        reverse("documents:case_upload", args=[case.pk]),
        {"kind": "report", "title": "压力表检定报告", "file": upload("报告.pdf", PDF)},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("desk:case", args=[case.pk]) + "#documents"
    with schema_context(city.alpha.schema_name):
        document = Document.objects.get(case=case)
    page = text(staff.get(reverse("desk:case", args=[case.pk])))
    assert "压力表检定报告" in page and "档案号" in page
    assert "ALPHA-DA-" in page and reverse("documents:download", args=[document.pk]) in page
    assert "发放给企业" in page and "上传新版本" in page


def test_a_refused_upload_says_why_and_keeps_what_was_typed(city, staff, case):
    response = staff.post(
        reverse("documents:case_upload", args=[case.pk]),
        {"kind": "certificate", "title": "计量器具检定证书", "file": upload("证书.pdf", TEXT_PDF)},
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert form["title"].value() == "计量器具检定证书" and form["kind"].value() == "certificate"
    assert "不属于可接受的类型" in form.errors["file"][0]
    body = text(response)
    assert "计量器具检定证书" in body and "不属于可接受的类型" in body
    with schema_context(city.alpha.schema_name):
        assert not Document.objects.exists()


def test_a_demand_takes_files_of_its_own_and_lists_its_cases_files(city, staff, case):
    demand_url = reverse("desk:demand", args=[case.demand_id])
    response = staff.post(
        reverse("documents:demand_upload", args=[case.demand_id]),
        {"kind": "scan", "title": "营业执照扫描件", "file": upload("执照.png", PNG)},
    )
    assert response.status_code == 302 and response["Location"] == demand_url + "#documents"
    with schema_context(city.alpha.schema_name):
        report(city, case, title="案件报告")
    body = text(staff.get(demand_url))
    assert "营业执照扫描件" in body and "案件报告" in body and case.number in body


def test_a_new_version_keeps_the_old_one_listed_and_downloadable(city, staff, case):
    with schema_context(city.alpha.schema_name):
        first = report(city, case)
    assert staff.get(reverse("documents:version", args=[first.pk])).status_code == 200
    response = staff.post(reverse("documents:version", args=[first.pk]), {"title": "", "file": upload("v2.pdf", PDF)})
    assert response.status_code == 302
    body = text(staff.get(reverse("desk:case", args=[case.pk])))
    assert "版本 1（已被替换）" in body and "版本 2" in body
    old = staff.get(reverse("documents:download", args=[first.pk]))
    assert old.status_code == 200 and b"".join(old.streaming_content) == PDF
    assert old["Content-Disposition"].startswith("attachment;") and old["Content-Type"] == "application/pdf"
    # A new version of the replaced one is refused with the reason; the file field says it.
    refused = staff.post(reverse("documents:version", args=[first.pk]), {"file": upload("v3.pdf", PDF)})
    assert refused.status_code == 400 and "已被替换" in refused.context["form"].errors["file"][0]


@pytest.mark.clause("5.1.7.4")
def test_the_release_button_records_the_release_on_the_timeline(city, staff, case):
    with schema_context(city.alpha.schema_name):
        document = report(city, case)
    assert staff.get(reverse("documents:release", args=[document.pk])).status_code == 405
    response = staff.post(reverse("documents:release", args=[document.pk]))
    assert response.status_code == 302
    with schema_context(city.alpha.schema_name):
        document.refresh_from_db()
        assert document.released_by == city.alpha_staff and document.released_at is not None
        assert CaseEvent.objects.filter(case=case, text="发放报告：压力表检定报告").exists()
    again = staff.post(reverse("documents:release", args=[document.pk]), follow=True)
    assert "已于" in text(again)


def test_outsiders_and_who_may_not_see_the_case_are_refused(city, alpha_host, beta_host, staff, case):
    with schema_context(city.alpha.schema_name):
        document = report(city, case)
    download = reverse("documents:download", args=[document.pk])
    for user in (city.beta_staff, city.bureau_admin, city.outsider):
        assert host_client(alpha_host, user).get(download).status_code == 403
    # On beta's host the number is no document of beta's.
    assert host_client(beta_host, city.beta_staff).get(download).status_code == 404
    # A confidential case's documents are hidden from whoever may not see the case, like a missing one.
    with schema_context(city.alpha.schema_name):
        archive_services.case_confidential_mark(case=case, user=city.alpha_head)
    assert staff.get(download).status_code == 404
    assert staff.post(reverse("documents:release", args=[document.pk])).status_code == 404
    assert staff.post(reverse("documents:case_upload", args=[case.pk]), {"kind": "report"}).status_code == 404
    allowed = host_client(alpha_host, city.alpha_head).get(download)
    assert allowed.status_code == 200 and b"".join(allowed.streaming_content) == PDF  # read to the end: closed
