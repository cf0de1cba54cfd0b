"""Documents through the API on a station host (issue 19): a case's and a demand's documents listed in a fixed number
of queries, an upload (multipart) with its archive number at once, a refused file keyed on `file` in Chinese, a new
version, the release (clause 5.1.7.4) and the file; outsiders and other stations' staff refused."""

import pathlib

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from tests.conftest import host_client
from tests.core.desk.builders import new_enterprise, take_demand
from tests.core.documents.builders import PDF, PNG, TEXT_PDF, report, upload


@pytest.fixture
def media(settings, tmp_path) -> pathlib.Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def staff(city, alpha_host):
    return host_client(alpha_host, city.alpha_staff)


@pytest.fixture
def case(city, media):
    with schema_context(city.alpha.schema_name):
        return take_demand(city, new_enterprise()).cases.get()


def test_upload_list_version_release_and_download(city, staff, case):
    url = f"/api/v1/desk/cases/{case.pk}/documents/"
    assert staff.get(url).json() == []
    created = staff.post(url, {"kind": "report", "title": "压力表检定报告", "file": upload("报告.pdf", PDF)})
    assert created.status_code == 201, created.content
    document = created.json()
    assert document["archive_number"].startswith("ALPHA-DA-")
    assert (document["version"], document["kind"], document["case"], document["case_number"]) == (
        1,
        "report",
        case.pk,
        case.number,
    )
    assert document["original_name"] == "报告.pdf" and document["released_at"] is None
    newer = staff.post(f"/api/v1/documents/{document['id']}/versions/", {"file": upload("v2.pdf", PDF)})
    assert newer.status_code == 201 and newer.json()["version"] == 2
    assert newer.json()["series"] == document["series"]
    listed = staff.get(url).json()
    assert [(d["version"], d["superseded_by"]) for d in listed] == [(2, None), (1, newer.json()["id"])]
    # The replaced version is not released; the current one is, once.
    refused = staff.post(f"/api/v1/documents/{document['id']}/release/")
    assert refused.status_code == 400 and "已被替换" in refused.json()["document"][0]
    released = staff.post(f"/api/v1/documents/{newer.json()['id']}/release/")
    assert released.status_code == 200
    assert released.json()["released_by_name"] == city.alpha_staff.display_name
    assert staff.post(f"/api/v1/documents/{newer.json()['id']}/release/").status_code == 400
    # The earlier version's file is still there.
    file = staff.get(document["download"])
    assert file.status_code == 200 and b"".join(file.streaming_content) == PDF
    assert file["Content-Disposition"].startswith("attachment;")


def test_a_refused_file_is_a_400_on_file_in_chinese(city, staff, case):
    url = f"/api/v1/desk/cases/{case.pk}/documents/"
    refused = staff.post(url, {"kind": "report", "title": "报告", "file": upload("报告.pdf", TEXT_PDF)})
    assert refused.status_code == 400
    assert "不属于可接受的类型" in refused.json()["file"][0]
    missing = staff.post(url, {"kind": "other-kind", "title": ""})
    assert missing.status_code == 400 and {"kind", "title", "file"} <= set(missing.json())


def test_a_demand_takes_documents_of_its_own(city, staff, case):
    url = f"/api/v1/desk/demands/{case.demand_id}/documents/"
    created = staff.post(url, {"kind": "scan", "title": "营业执照", "file": upload("执照.png", PNG)})
    assert created.status_code == 201 and created.json()["case"] is None
    with schema_context(city.alpha.schema_name):
        report(city, case)
    assert [d["case"] for d in staff.get(url).json()] == [case.pk, None]


@pytest.mark.parametrize("of", ["cases", "demands"])
def test_the_lists_take_a_fixed_number_of_queries(city, staff, case, of, django_assert_num_queries):
    pk = case.pk if of == "cases" else case.demand_id
    url = f"/api/v1/desk/{of}/{pk}/documents/"
    with schema_context(city.alpha.schema_name):
        report(city, case)
    staff.get(url)  # warm the session and caches
    with CaptureQueriesContext(connection) as baseline:
        assert len(staff.get(url).json()) == 1
    with schema_context(city.alpha.schema_name):
        for number in range(3):
            document = report(city, case, title=f"报告{number}")
        from core.documents import services

        services.document_replace(user=city.alpha_staff, document=document, file=upload("v2.pdf", PDF))
        services.document_release(user=city.alpha_head, document=report(city, case, title="发放"))
    with django_assert_num_queries(len(baseline)):
        assert len(staff.get(url).json()) == 6


def test_outsiders_and_other_stations_are_refused(city, alpha_host, beta_host, staff, case):
    with schema_context(city.alpha.schema_name):
        document = report(city, case)
    paths = [
        f"/api/v1/desk/cases/{case.pk}/documents/",
        f"/api/v1/desk/demands/{case.demand_id}/documents/",
        f"/api/v1/documents/{document.pk}/download/",
    ]
    for user in (city.beta_staff, city.beta_head, city.bureau_admin, city.outsider):
        client = host_client(alpha_host, user)
        for path in paths:
            assert client.get(path).status_code == 403, (user, path)
        assert client.post(f"/api/v1/documents/{document.pk}/release/").status_code == 403
    assert host_client(alpha_host).get(paths[0]).status_code == 401
    # On beta's host, alpha's numbers are nothing of beta's.
    beta = host_client(beta_host, city.beta_staff)
    assert beta.get(f"/api/v1/documents/{document.pk}/download/").status_code == 404
    assert beta.post(f"/api/v1/documents/{document.pk}/release/").status_code == 404
    with schema_context(city.alpha.schema_name):
        document.refresh_from_db()
        assert document.released_at is None
