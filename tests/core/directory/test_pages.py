"""Directory pages: Chinese field-level errors that keep what was typed, who may edit, import form checks."""

import random

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.directory import uscc
from core.directory.models import Enterprise
from core.jobs.models import Job
from tests.conftest import host_client
from tests.core.directory.builders import full_width, spaced

pytestmark = pytest.mark.django_db
RNG = random.Random(11)  # noqa: S311  (test data)


def test_a_bad_enterprise_form_says_what_is_wrong_in_chinese_and_keeps_the_input(city, alpha_host):
    client = host_client(alpha_host, city.alpha_staff)
    response = client.post(
        "/directory/enterprises/new/", {"name": "填了一半的企业", "uscc": "91211200", "district": "yinzhou"}
    )
    assert response.status_code == 400
    body = response.content.decode()
    error = response.context["form"].errors["uscc"][0]
    assert "18" in error and "位" in error  # in Chinese, next to the field
    assert error in body
    assert response.context["form"]["name"].value() == "填了一半的企业"
    assert 'value="91211200"' in body
    assert not Enterprise.objects.filter(name="填了一半的企业").exists()


def test_a_good_enterprise_form_saves_and_shows_the_entry(city, alpha_host):
    code = uscc.generate(RNG)
    response = host_client(alpha_host, city.alpha_staff).post(
        "/directory/enterprises/new/",
        {"name": "页面新增企业", "uscc": code.lower(), "district": "yinzhou"},
        follow=True,
    )
    assert response.status_code == 200
    enterprise = Enterprise.objects.get(uscc=code)  # stored in its compact, upper-case form
    assert enterprise.source_station == city.alpha
    assert "已保存" in response.content.decode()


def test_a_spaced_uscc_is_taken_in_its_compact_form(city, alpha_host):
    code = uscc.generate(RNG)
    response = host_client(alpha_host, city.alpha_staff).post(
        "/directory/enterprises/new/", {"name": "空格代码企业", "uscc": spaced(code), "district": "yinzhou"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Enterprise.objects.get(name="空格代码企业").uscc == code


def test_a_known_uscc_typed_differently_is_refused_on_its_field_naming_the_enterprise(city, alpha_host):
    code = uscc.generate(RNG)
    Enterprise.objects.create(name="名录已有企业", uscc=code, district="yinzhou")
    client = host_client(alpha_host, city.alpha_staff)
    for typed in (full_width(code), spaced(code), code):
        response = client.post(
            "/directory/enterprises/new/", {"name": "重复登记企业", "uscc": typed, "district": "yinzhou"}
        )
        assert response.status_code == 400, typed
        [error] = response.context["form"].errors["uscc"]
        assert "已登记在企业名录中" in error and "名录已有企业" in error
        assert error in response.content.decode()
        assert "已存在" not in response.content.decode()  # never Django's own “具有…的企业已存在”
    assert list(Enterprise.objects.filter(uscc=code).values_list("name", flat=True)) == ["名录已有企业"]


def test_another_station_sees_but_cannot_edit(city, alpha_host, beta_host):
    enterprise = Enterprise.objects.create(
        name="银州本站企业", uscc=uscc.generate(RNG), district="yinzhou", source_station=city.alpha
    )
    page = host_client(beta_host, city.beta_staff).get(f"/directory/enterprises/{enterprise.pk}/")
    assert page.status_code == 200
    assert page.context["may_edit"] is False
    assert "只有市局和登记该条目的服务站可以修改它" in page.content.decode()
    refused = host_client(beta_host, city.beta_staff).post(
        f"/directory/enterprises/{enterprise.pk}/", {"name": "改名", "uscc": enterprise.uscc, "district": "yinzhou"}
    )
    assert refused.status_code == 403
    assert host_client(alpha_host, city.alpha_staff).get(f"/directory/enterprises/{enterprise.pk}/").context["may_edit"]


def test_bureau_viewer_reads_and_cannot_import(city, public_host):
    client = host_client(public_host, city.bureau_viewer)
    assert client.get("/directory/enterprises/").status_code == 200
    upload = SimpleUploadedFile("e.csv", "企业名称,统一社会信用代码,所在区县\n".encode())
    assert client.post("/directory/import/", {"what": "enterprises", "file": upload}).status_code == 403


def test_the_import_form_refuses_other_file_types_in_chinese(city, alpha_host, django_capture_on_commit_callbacks):
    client = host_client(alpha_host, city.alpha_staff)
    response = client.post("/directory/import/", {"what": "enterprises", "file": SimpleUploadedFile("e.pdf", b"%PDF")})
    assert response.status_code == 400
    assert "请上传 CSV 或 XLSX 文件" in response.content.decode()
    with django_capture_on_commit_callbacks() as queued:
        upload = SimpleUploadedFile("e.csv", "企业名称,统一社会信用代码,所在区县\n".encode())
        started = client.post("/directory/import/", {"what": "enterprises", "file": upload})
    assert started.status_code == 302
    job = Job.objects.get()
    assert started["Location"] == f"/jobs/{job.pk}/"
    assert len(queued) == 1  # the Celery task is sent once the job is committed
    assert host_client(alpha_host, city.alpha_staff).get(started["Location"]).status_code == 200


def test_a_station_job_is_not_visible_from_another_station(city, alpha_host, beta_host):
    from django_tenants.utils import schema_context

    from core.jobs.services import job_create

    with schema_context(city.alpha.schema_name):
        job = job_create(kind="directory.enterprise_import", input_name="alpha.csv")
    assert host_client(alpha_host, city.alpha_staff).get(f"/api/v1/jobs/{job.pk}/").status_code == 200
    # The beta schema has no such job: "not yours" is answered as "does not exist".
    assert host_client(beta_host, city.beta_staff).get(f"/api/v1/jobs/{job.pk}/").status_code == 404
    assert host_client(beta_host, city.beta_staff).get(f"/jobs/{job.pk}/").status_code == 404


def test_a_list_longer_than_the_cap_says_more_than_and_pages_up_to_it(city, public_host):
    Enterprise.objects.bulk_create(
        Enterprise(name=f"封顶计数企业{n:04d}", uscc=uscc.generate(RNG), district="yinzhou") for n in range(1001)
    )
    client = host_client(public_host, city.bureau_viewer)
    page = client.get("/directory/enterprises/", {"q": "封顶计数"}).content.decode()
    assert "超过 1000 条" in page
    last = client.get("/directory/enterprises/", {"q": "封顶计数", "page": "20"}).content.decode()
    assert "20 / 20" in last
    api = client.get("/api/v1/enterprises/", {"q": "封顶计数", "limit": 20, "offset": 980}).json()
    assert (api["count"], api["count_capped"], api["next"]) == (1000, True, None)


def test_the_import_form_refuses_a_file_over_the_limit_saying_the_limit(city, alpha_host, settings):
    settings.IMPORT_MAX_BYTES = 1024
    client = host_client(alpha_host, city.alpha_staff)
    data = ("企业名称,统一社会信用代码,所在区县\n" + "某企业,91211200MA0000000X,银州区\n" * 100).encode()
    response = client.post("/directory/import/", {"what": "enterprises", "file": SimpleUploadedFile("e.csv", data)})
    assert response.status_code == 400
    (error,) = response.context["form"].errors["file"]
    assert "1.0\xa0KB" in error  # the limit, as filesizeformat writes it
    assert not Job.objects.filter(input_name="e.csv").exists()
