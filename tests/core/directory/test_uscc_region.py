"""A USCC registered outside the city, or in another district than the enterprise's, is accepted with a visible
warning, never refused (issue 20)."""

import random

import pytest

from core.directory import uscc
from core.directory.models import Enterprise
from core.directory.services import enterprise_create
from core.districts import CITY_REGION, REGION_CODES, District
from tests.conftest import host_client

pytestmark = pytest.mark.django_db
RNG = random.Random(2022)  # noqa: S311  (test data)
SHENYANG = "210102"  # 沈阳市和平区


def test_every_district_has_its_division_code():
    assert set(REGION_CODES) == set(District.values)
    assert all(code.startswith(CITY_REGION[:4]) for code in REGION_CODES.values())
    assert REGION_CODES[District.KAIYUAN] == "211282" and REGION_CODES[District.DIAOBINGSHAN] == "211281"


def test_region_warning():
    assert uscc.region_warning(uscc.generate(RNG, region="211282"), district="kaiyuan") == ""
    assert uscc.region_warning(uscc.generate(RNG, region=CITY_REGION), district="kaiyuan") == ""
    outside = uscc.region_warning(uscc.generate(RNG, region=SHENYANG), district="kaiyuan")
    assert SHENYANG in outside and "不在铁岭市" in outside
    elsewhere = uscc.region_warning(uscc.generate(RNG, region="211282"), district="yinzhou")
    assert "211282" in elsewhere and "开原市" in elsewhere and "银州区" in elsewhere
    assert uscc.region_warning(uscc.generate(RNG, region="211282")) == "", "no district chosen: no district to differ"


def test_the_service_saves_an_out_of_city_code(city):
    code = uscc.generate(RNG, region=SHENYANG)
    enterprise_create(user=city.alpha_staff, station=city.alpha, name="外地登记企业", uscc=code, district="yinzhou")
    assert Enterprise.objects.filter(uscc=code).exists()


def test_the_page_saves_and_shows_the_warning(city, alpha_host):
    client = host_client(alpha_host, city.alpha_staff)
    code = uscc.generate(RNG, region=SHENYANG)
    response = client.post(
        "/directory/enterprises/new/",
        {"name": "沈阳来的企业有限公司", "uscc": code, "district": "yinzhou"},
        follow=True,
    )
    assert response.status_code == 200
    assert Enterprise.objects.filter(uscc=code).exists()
    page = response.content.decode()
    assert "不在铁岭市" in page and 'class="notice warning"' in page


def test_a_code_of_another_district_is_saved_and_warned_of(city, alpha_host):
    client = host_client(alpha_host, city.alpha_staff)
    code = uscc.generate(RNG, region=REGION_CODES[District.KAIYUAN])
    response = client.post(
        "/directory/enterprises/new/", {"name": "开原登记的企业", "uscc": code, "district": "yinzhou"}, follow=True
    )
    assert Enterprise.objects.filter(uscc=code, district="yinzhou").exists()
    assert "属于开原市，而不是银州区" in response.content.decode()


def test_a_code_of_its_own_district_has_no_warning(city, alpha_host):
    client = host_client(alpha_host, city.alpha_staff)
    code = uscc.generate(RNG, region=REGION_CODES[District.YINZHOU])
    response = client.post(
        "/directory/enterprises/new/", {"name": "银州本地企业", "uscc": code, "district": "yinzhou"}, follow=True
    )
    assert Enterprise.objects.filter(uscc=code).exists()
    assert 'class="notice warning"' not in response.content.decode()


def test_the_api_accepts_and_returns_warnings(city, alpha_host, public_host):
    client = host_client(alpha_host, city.alpha_staff)
    code = uscc.generate(RNG, region=SHENYANG)
    response = client.post("/api/v1/enterprises/", {"name": "接口外地企业", "uscc": code, "district": "kaiyuan"})
    assert response.status_code == 201
    assert len(response.json()["warnings"]) == 1 and SHENYANG in response.json()["warnings"][0]
    local = client.post(
        "/api/v1/enterprises/",
        {"name": "接口本地企业", "uscc": uscc.generate(RNG, region="211282"), "district": "kaiyuan"},
    )
    assert local.status_code == 201 and local.json()["warnings"] == []
    institution = host_client(public_host, city.bureau_admin).post(
        "/api/v1/institutions/",
        {"name": "辽宁省外地检测院", "kind": "testing", "uscc": uscc.generate(RNG, region=SHENYANG)},
        content_type="application/json",
    )
    assert institution.status_code == 201 and SHENYANG in institution.json()["warnings"][0]
