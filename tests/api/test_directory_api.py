"""The directory API: who reads, who edits, field-level Chinese errors, jobs through a real worker."""

import random

import pytest

from core.directory import uscc
from core.directory.models import Enterprise
from tests.conftest import host_client

pytestmark = pytest.mark.django_db
RNG = random.Random(99)  # noqa: S311  (test data)

LIST_ENDPOINTS = ["/api/v1/enterprises/", "/api/v1/institutions/", "/api/v1/catalog/"]


def new_enterprise(**changes) -> dict:
    return {"name": "铁岭新企业有限公司", "uscc": uscc.generate(RNG), "district": "yinzhou", **changes}


@pytest.mark.parametrize("path", LIST_ENDPOINTS)
@pytest.mark.parametrize("who", ["outsider", "alpha_staff"])
def test_on_the_public_host_only_bureau_roles_read_the_directory(city, public_host, path, who):
    assert host_client(public_host, getattr(city, who)).get(path).status_code == 403
    assert host_client(public_host, city.bureau_viewer).get(path).status_code == 200
    assert host_client(public_host).get(path).status_code in {401, 403}


def test_station_members_and_the_bureau_see_one_shared_directory(city, public_host, alpha_host, beta_host):
    created = host_client(alpha_host, city.alpha_staff).post("/api/v1/enterprises/", new_enterprise())
    assert created.status_code == 201
    assert created.json()["source_station"] == city.alpha.name
    for host, user in ((beta_host, city.beta_staff), (public_host, city.bureau_viewer)):
        found = host_client(host, user).get("/api/v1/enterprises/?q=铁岭新企业").json()
        assert [e["name"] for e in found["results"]] == ["铁岭新企业有限公司"]


def test_only_the_adding_station_and_bureau_admins_edit(city, public_host, alpha_host, beta_host):
    enterprise_id = (
        host_client(alpha_host, city.alpha_staff).post("/api/v1/enterprises/", new_enterprise()).json()["id"]
    )
    path = f"/api/v1/enterprises/{enterprise_id}/"
    change = {"contact_person": "赵六"}
    assert (
        host_client(beta_host, city.beta_staff).patch(path, change, content_type="application/json").status_code == 403
    )
    viewer = host_client(public_host, city.bureau_viewer).patch(path, change, content_type="application/json")
    assert viewer.status_code == 403
    assert (
        host_client(alpha_host, city.alpha_head).patch(path, change, content_type="application/json").status_code == 200
    )
    admin = host_client(public_host, city.bureau_admin).patch(path, {"phone": "024-1"}, content_type="application/json")
    assert admin.status_code == 200
    assert Enterprise.objects.get(pk=enterprise_id).contact_person == "赵六"


def test_bad_input_gets_field_level_chinese_messages(city, alpha_host):
    client = host_client(alpha_host, city.alpha_staff)
    code = uscc.generate(RNG)
    response = client.post("/api/v1/enterprises/", new_enterprise(uscc=code[:17] + ("0" if code[17] != "0" else "1")))
    assert response.status_code == 400
    assert list(response.json()) == ["uscc"]
    assert "校验" in response.json()["uscc"][0]
    first = client.post("/api/v1/enterprises/", new_enterprise(name="接口先登记企业", uscc=code))
    duplicate = client.post("/api/v1/enterprises/", new_enterprise(uscc=" ".join(code.lower())))
    assert duplicate.status_code == 400
    assert list(duplicate.json()) == ["uscc"]
    assert "已登记在企业名录中" in duplicate.json()["uscc"][0] and "接口先登记企业" in duplicate.json()["uscc"][0]
    other = client.post("/api/v1/enterprises/", new_enterprise()).json()
    moved = client.patch(f"/api/v1/enterprises/{other['id']}/", {"uscc": code.lower()}, content_type="application/json")
    assert moved.status_code == 400
    assert "接口先登记企业" in moved.json()["uscc"][0]
    assert first.status_code == 201 and Enterprise.objects.filter(uscc=code).count() == 1


def test_enterprise_list_query_count_does_not_grow_with_rows(city, public_host, django_assert_num_queries):
    for n in range(30):
        Enterprise.objects.create(name=f"查询计数企业{n}", uscc=uscc.generate(RNG), district="yinzhou")
    client = host_client(public_host, city.bureau_viewer)
    # search path, session, user, does any name contain it (else: names like it), the page with its count
    with django_assert_num_queries(6):
        response = client.get("/api/v1/enterprises/?q=查询计数&limit=25")
    assert len(response.json()["results"]) == 25
    assert response.json()["count"] == 30
    assert response.json()["count_capped"] is False


def test_sample_files_download(city, alpha_host):
    client = host_client(alpha_host, city.alpha_staff)
    csv_file = client.get("/api/v1/directory/samples/enterprises.csv")
    assert csv_file.status_code == 200
    assert csv_file.content.decode("utf-8-sig").startswith("企业名称,统一社会信用代码")
    assert client.get("/api/v1/directory/samples/institutions.xlsx").status_code == 200
    assert client.get("/api/v1/directory/samples/secrets.csv").status_code == 404


def test_institutions_are_created_with_items_and_found_by_item_and_district(city, public_host):
    client = host_client(public_host, city.bureau_admin)
    created = client.post(
        "/api/v1/institutions/",
        {"name": "开原市计量所", "kind": "metrology", "districts": ["kaiyuan"], "items": ["5.1.6.2"]},
        content_type="application/json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["items"] == ["5.1.6.2"]
    found = client.get("/api/v1/institutions/?item=5.1.6.2&district=kaiyuan").json()["results"]
    assert [i["name"] for i in found] == ["开原市计量所"]
    assert client.get("/api/v1/institutions/?item=5.1.6.2&district=xifeng").json()["results"] == []
    unknown = client.post(
        "/api/v1/institutions/", {"name": "x", "kind": "metrology", "items": ["9.9"]}, content_type="application/json"
    )
    assert unknown.status_code == 400
    assert list(unknown.json()) == ["items"]
