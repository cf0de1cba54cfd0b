"""An enterprise submits the demand form (Appendix A) on the public portal; it lands in the chosen station's inbox
with channel "online"."""

import pytest
from django_tenants.utils import schema_context

from core.catalog.models import FormBox
from core.desk.models import Channel, Demand
from core.directory import uscc
from core.directory.models import Enterprise
from tenants.models import Station, StationStatus
from tests.conftest import host_client
from tests.core.desk.builders import RNG, full_demand
from tests.core.desk.test_pages import form_post
from tests.core.directory.builders import full_width


@pytest.fixture
def published(city):
    Station.objects.filter(pk=city.alpha.pk).update(status=StationStatus.PUBLISHED)
    Station.objects.filter(pk=city.beta.pk).update(status=StationStatus.SUSPENDED)


def online_post(values: dict, station: str) -> dict:
    data = form_post(values)
    data.pop("channel", None)
    data.pop("filled_on", None)
    return data | {"station": station}


def demands(city) -> list[Demand]:
    with schema_context(city.alpha.schema_name):
        return list(Demand.objects.prefetch_related("cases", "instruments"))


@pytest.mark.clause("5.2.1.3")
def test_an_enterprise_submits_its_demand_and_it_lands_in_the_stations_inbox(city, public_host, published):
    visitor = host_client(public_host)
    page = visitor.get("/demand/?station=alpha")
    assert page.status_code == 200 and "银州测试站" in page.content.decode()
    assert "开原测试站" not in page.content.decode()  # not published: not offered
    code = uscc.generate(RNG)
    values = full_demand(Enterprise(uscc=code)) | {"enterprise_name": "铁岭市线上提交测试厂", "district": "yinzhou"}
    response = visitor.post("/demand/", online_post(values, "alpha"))
    assert response.status_code == 302, response.content.decode()[:3000]
    thanks = visitor.get(response["Location"]).content.decode()
    [demand] = demands(city)
    assert demand.number in thanks and "024-70000001" in thanks
    assert demand.channel == Channel.ONLINE and demand.created_by is None
    assert demand.enterprise_name == "铁岭市线上提交测试厂"
    assert [row.serial_number for row in demand.instruments.all()] == ["P-001"]
    assert len(demand.cases.all()) == 4
    added = Enterprise.objects.get(uscc=code)
    assert added.source_station_id == city.alpha.pk and added.created_by_id is None
    staff = host_client(f"alpha.{public_host}", city.alpha_staff)
    assert demand.number[:-2] in staff.get("/desk/cases/?view=inbox").content.decode()


def test_a_known_uscc_in_full_width_attaches_the_online_demand_to_that_enterprise(city, public_host, published):
    code = uscc.generate(RNG)
    known = Enterprise.objects.create(name="铁岭市名录已有线上企业", uscc=code, district="yinzhou")
    values = full_demand(known) | {"uscc": full_width(code), "enterprise_name": "名录已有线上企业", "district": ""}
    response = host_client(public_host).post("/demand/", online_post(values, "alpha"))
    assert response.status_code == 302, response.content.decode()[:3000]
    [demand] = demands(city)
    assert (demand.enterprise_id, demand.uscc) == (known.pk, code)
    assert list(Enterprise.objects.filter(uscc=code)) == [known]


def test_bad_input_is_shown_back_marked_and_kept(city, public_host, published):
    visitor = host_client(public_host)
    values = full_demand(Enterprise(uscc=uscc.generate(RNG))) | {"district": "yinzhou"}
    values["tables"]["special_equipment"][0]["count"] = 0
    response = visitor.post("/demand/", online_post(values, "alpha"))
    html = response.content.decode()
    assert response.status_code == 400 and 'class="row row-error"' in html and "希望上门服务" in html
    assert demands(city) == []
    nowhere = visitor.post("/demand/", online_post(values, "beta"))
    assert nowhere.status_code == 400 and "field-error" in nowhere.content.decode()


def test_a_robot_filling_every_field_is_thanked_and_nothing_is_kept(city, public_host, published):
    visitor = host_client(public_host)
    values = {
        "enterprise_name": "机器人",
        "uscc": uscc.generate(RNG),
        "district": "yinzhou",
        "boxes": [FormBox.objects.get(form="A", label="产品检验检测").pk],
        "tables": {},
    }
    response = visitor.post("/demand/", online_post(values, "alpha") | {"website": "http://spam.example"})
    assert response.status_code == 302 and demands(city) == []
