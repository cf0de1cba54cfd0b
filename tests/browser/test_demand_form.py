"""A real browser fills the demand form of Appendix A: a station's staff member on the desk, and an enterprise on the
public portal. The web server runs in its own process and commits, so these tests use station beta and leave its
status as they found it."""

import random

import pytest
from django_tenants.utils import schema_context

from core.desk.models import Channel, Demand
from core.directory import uscc
from core.directory.models import Enterprise
from tenants.models import Station, StationStatus
from tests.committed import on_own_connection, set_status
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser]


def beta_demand(code: str) -> Demand | None:
    return on_own_connection(_beta_demand, code)


def _beta_demand(code: str) -> Demand | None:
    with schema_context(Station.objects.get(code="beta").schema_name):
        demand = Demand.objects.filter(uscc=code).prefetch_related("cases", "instruments", "special_equipment").first()
        if demand is not None:
            demand.rows = (
                list(demand.instruments.all()),
                list(demand.special_equipment.all()),
                len(demand.cases.all()),
            )
        return demand


def fill_demand(page, *, name: str, code: str) -> None:
    page.fill("#id_enterprise_name", name)
    page.fill("#id_uscc", code)
    page.select_option("#id_district", "kaiyuan")
    page.fill("#id_contact_person", "浏览器联系人")
    page.fill("#id_phone", "13800000000")
    page.check("label.box:has-text('计量检定、校准') input")
    page.check("label.box:has-text('定期检验') input")
    page.fill("#id_instruments-0-name", "压力表")
    page.fill("#id_instruments-0-measuring_range", "0-1.6MPa")
    page.click("[data-prefix=special_equipment] .add-row")
    page.fill("#id_special_equipment-0-category", "锅炉")
    page.fill("#id_special_equipment-0-count", "1")
    page.fill("#id_special_equipment-1-category", "压力容器")
    page.fill("#id_special_equipment-1-count", "0")  # a bad row
    page.fill("#id_opinions", "希望尽快上门")


@pytest.mark.clause("5.2.1.4")
def test_staff_fill_the_demand_form_fix_a_marked_row_and_open_cases(city, web_server, browser):
    code = uscc.generate(random.Random(4401))  # noqa: S311  (test data)
    page = browser.new_page()
    base = f"http://beta.localhost:{web_server}"
    page.goto(f"{base}/accounts/login/?next=/desk/demands/new/")
    page.fill("#id_username", "beta-staff")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/desk/demands/new/")
    page.select_option("#id_channel", "visit")
    fill_demand(page, name="铁岭市开原浏览器测试厂", code=code)
    page.click("main form.demand-form button[type=submit]")

    page.wait_for_selector("tr.row-error")
    assert page.locator("tr.row-error").count() == 1
    assert page.input_value("#id_special_equipment-1-category") == "压力容器"
    assert page.input_value("#id_instruments-0-name") == "压力表"
    assert page.input_value("#id_opinions") == "希望尽快上门"
    assert page.is_checked("label.box:has-text('定期检验') input")
    assert beta_demand(code) is None
    page.fill("#id_special_equipment-1-count", "2")
    page.click("main form.demand-form button[type=submit]")
    page.wait_for_url(f"{base}/desk/demands/*/")
    demand = beta_demand(code)
    assert demand is not None and demand.number in page.text_content("h1")
    instruments, equipment, cases = demand.rows
    assert [i.name for i in instruments] == ["压力表"] and [(e.category, e.count) for e in equipment] == [
        ("锅炉", 1),
        ("压力容器", 2),
    ]
    assert cases == 2 and demand.channel == Channel.VISIT and demand.created_by_id == city.beta_staff.pk
    added = on_own_connection(lambda: Enterprise.objects.get(uscc=code))
    assert added.source_station_id == city.beta.pk
    page.close()


@pytest.mark.clause("5.2.1.3")
def test_an_enterprise_fills_the_demand_form_on_the_portal(city, web_server, browser):
    code = uscc.generate(random.Random(4402))  # noqa: S311  (test data)
    was = on_own_connection(lambda: Station.objects.get(pk=city.beta.pk).status)
    # The web server's process must see the station published: committed on a connection of its own, and restored.
    set_status(city.beta.pk, StationStatus.PUBLISHED)
    try:
        page = browser.new_page()
        page.goto(f"http://localhost:{web_server}/")
        page.click("tr:has-text('开原测试站') a:has-text('提交需求')")
        assert page.input_value("#id_station") == "beta"
        fill_demand(page, name="铁岭市开原线上浏览器测试厂", code=code)
        page.click("main form.demand-form button[type=submit]")
        page.wait_for_selector("tr.row-error")
        page.fill("#id_special_equipment-1-count", "2")
        page.click("main form.demand-form button[type=submit]")
        page.wait_for_url("**/demand/thanks/")
        demand = beta_demand(code)
        assert demand is not None and demand.number in page.text_content("main")
        assert demand.channel == Channel.ONLINE and demand.created_by is None
        page.close()
    finally:
        set_status(city.beta.pk, was)
