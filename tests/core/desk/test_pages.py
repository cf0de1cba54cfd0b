"""The station workspace pages: the demand form of Appendix A through the browser's form post (every field kept,
bad rows marked), the case lists and the case page's actions."""

import datetime
import re

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from core.catalog.models import FormBox
from core.desk.models import DEMAND_TABLES, CaseState, Demand, ServiceCase, ServiceRecord
from core.directory import uscc
from core.directory.models import Enterprise, Institution
from tests.conftest import host_client
from tests.core.desk.builders import RNG, case_completed, case_in_service, full_demand, take_demand
from tests.core.directory.builders import full_width, spaced


@pytest.fixture
def staff(city, alpha_host):
    return host_client(alpha_host, city.alpha_staff)


def form_post(values: dict) -> dict:
    """The API-shaped demand as the page's form posts it: lists repeated, tables as formsets."""
    data = {}
    tables = values.get("tables", {})
    for key, value in values.items():
        if key in ("enterprise", "tables"):
            continue
        data[key] = ["" if v is None else str(v) for v in value] if isinstance(value, list) else value
    for name in DEMAND_TABLES:
        rows = tables.get(name, [])
        data |= {f"{name}-TOTAL_FORMS": str(len(rows) + 1), f"{name}-INITIAL_FORMS": "0"}
        for index, row in enumerate(rows):
            for field, value in row.items():
                if isinstance(value, bool):
                    value = "true" if value else "false"
                data[f"{name}-{index}-{field}"] = "" if value is None else str(value)
    return data


def text(response) -> str:
    return response.content.decode()


@pytest.mark.clause("5.2.1.4")
def test_every_field_of_the_demand_form_round_trips_through_the_page(city, staff, enterprise):
    assert staff.get("/desk/demands/new/").status_code == 200
    values = full_demand(enterprise)
    sent = form_post(values)
    response = staff.post("/desk/demands/new/", sent)
    assert response.status_code == 302, text(response)[:3000]
    with schema_context(city.alpha.schema_name):
        demand = Demand.objects.get(pk=int(response["Location"].rstrip("/").rsplit("/", 1)[1]))
        assert demand.enterprise == enterprise and demand.channel == "visit" and demand.created_by == city.alpha_staff
        for name in (
            "enterprise_name", "legal_representative", "uscc", "contact_person", "email", "phone", "address",
            "inspection_materials", "exam_categories", "training_mode", "other_needs", "opinions", "signatory",
        ):  # fmt: skip
            assert getattr(demand, name) == values[name], name
        assert str(demand.filled_on) == values["filled_on"] and str(demand.signed_on) == values["signed_on"]
        assert sorted(b.pk for b in demand.boxes.all()) == sorted(values["boxes"])
        for name in DEMAND_TABLES:
            stored = list(getattr(demand, name).all())
            assert len(stored) == len(values["tables"][name]), name
            for row, sent_row in zip(stored, values["tables"][name], strict=True):
                for field, value in sent_row.items():
                    got = getattr(row, field)
                    assert (str(got) if isinstance(got, datetime.date) else got) == value, (name, field)
        cases = demand.cases.count()
    page = staff.get(response["Location"])
    assert page.status_code == 200 and demand.number in text(page) and "压力表" in text(page)
    assert cases == 4


@pytest.mark.clause("5.2.1.4")
def test_a_bad_row_is_marked_and_everything_typed_is_kept(city, staff, enterprise):
    values = full_demand(enterprise)
    values["tables"]["special_equipment"][1]["count"] = 0
    values["tables"]["instruments"][0]["name"] = ""
    before = _demand_count(city)
    response = staff.post("/desk/demands/new/", form_post(values))
    assert response.status_code == 400
    html = text(response)
    assert html.count('class="row row-error"') == 2
    for kept in ("接口测试阀门（填表时的名称）", "通用阀门 法兰连接铁制闸阀", "储气罐", "希望上门服务", "P-001"):
        assert kept in html, kept
    assert re.search(r'name="exam_categories" value="welding"[^>]*checked', html)
    assert _demand_count(city) == before


def _demand_count(city) -> int:
    with schema_context(city.alpha.schema_name):
        return Demand.objects.count()


def test_an_enterprise_new_to_the_directory_is_added_on_the_spot(city, staff):
    code = uscc.generate(RNG)
    values = {
        "channel": "walk_in",
        "filled_on": "2026-11-20",
        "enterprise_name": "铁岭市银州区现场新增测试厂",
        "uscc": code,
        "district": "yinzhou",
        "boxes": [FormBox.objects.get(form="A", label="产品检验检测").pk],
        "tables": {},
    }
    bad = staff.post("/desk/demands/new/", form_post(values | {"uscc": code[:-1] + "I"}))
    assert bad.status_code == 400 and "field-error" in text(bad)
    assert not Enterprise.objects.filter(name=values["enterprise_name"]).exists()
    response = staff.post("/desk/demands/new/", form_post(values))
    assert response.status_code == 302, text(response)[:2000]
    added = Enterprise.objects.get(uscc=code)
    assert added.source_station == city.alpha and added.name == values["enterprise_name"]


@pytest.mark.parametrize("typing", [full_width, spaced])
def test_a_known_uscc_typed_in_full_width_or_with_spaces_picks_the_enterprise(city, staff, enterprise, typing):
    enterprises = Enterprise.objects.count()
    values = full_demand(enterprise) | {"uscc": typing(enterprise.uscc), "district": "yinzhou"}
    response = staff.post("/desk/demands/new/", form_post(values))
    assert response.status_code == 302, text(response)[:3000]
    with schema_context(city.alpha.schema_name):
        demand = Demand.objects.get(pk=int(response["Location"].rstrip("/").rsplit("/", 1)[1]))
        assert demand.enterprise_id == enterprise.pk
        assert demand.uscc == enterprise.uscc  # kept in its compact form
    assert Enterprise.objects.count() == enterprises


def test_case_lists_inbox_mine_and_due(city, staff, enterprise):
    with schema_context(city.alpha.schema_name):
        fresh = take_demand(city, enterprise).cases.get()
        mine = case_in_service(city, enterprise)
        late = take_demand(city, enterprise).cases.get()
        ServiceCase.objects.filter(pk=late.pk).update(due_at=timezone.now() - datetime.timedelta(days=1))
    inbox = text(staff.get("/desk/cases/?view=inbox"))
    assert fresh.number in inbox and mine.number not in inbox
    own = text(staff.get("/desk/cases/?view=mine"))
    assert mine.number in own and fresh.number not in own
    due = text(staff.get("/desk/cases/?view=due"))
    assert late.number in due and 'class="overdue"' in due
    filtered = text(staff.get(f"/desk/cases/?state=in_service&q={enterprise.name[:6]}"))
    assert mine.number in filtered and fresh.number not in filtered
    assert staff.get("/desk/demands/").status_code == 200


def test_case_list_query_count_is_fixed(city, staff, enterprise, django_assert_max_num_queries):
    with schema_context(city.alpha.schema_name):
        for _ in range(3):
            take_demand(city, enterprise)
    staff.get("/desk/cases/")
    with django_assert_max_num_queries(15):
        staff.get("/desk/cases/")
    with schema_context(city.alpha.schema_name):
        for _ in range(6):
            take_demand(city, enterprise)
    with django_assert_max_num_queries(15):
        staff.get("/desk/cases/")


@pytest.mark.clause("5.2.2")
def test_the_case_page_plans_moves_follows_up_and_records(city, staff, enterprise):
    with schema_context(city.alpha.schema_name):
        case = take_demand(city, enterprise).cases.get()
    institution = Institution.objects.create(name="铁岭市计量测试所（页面测试）", kind="metrology")
    url = f"/desk/cases/{case.pk}/"
    assert staff.get(url).status_code == 200
    no_staff = staff.post(url, {"action": "plan", "kind": "self", "evaluation": "需上门", "version": 1})
    assert no_staff.status_code == 400 and "需上门" in text(no_staff) and "field-error" in text(no_staff)
    appointment = timezone.localtime() + datetime.timedelta(days=1)
    planned = staff.post(
        url,
        {
            "action": "plan",
            "kind": "self",
            "evaluation": "需上门",
            "appointment_at": appointment.strftime("%Y-%m-%dT%H:%M"),
            "staff": city.alpha_staff.pk,
            "version": 1,
        },
    )
    assert planned.status_code == 302, text(planned)[:2000]
    with schema_context(city.alpha.schema_name):
        case.refresh_from_db()
    assert case.state == CaseState.PLANNED
    stale = staff.post(url, {"action": "transition", "to": "in_service", "version": 1})
    assert stale.status_code == 400 and "刷新" in text(stale)
    moved = staff.post(url, {"action": "transition", "to": "in_service", "version": case.version})
    assert moved.status_code == 302
    held = staff.post(url, {"action": "transition", "to": "on_hold", "version": case.version + 1, "reason": ""})
    assert held.status_code == 400 and "请填写原因" in text(held)
    noted = staff.post(url, {"action": "event", "kind": "contact_enterprise", "text": "已电话确认上门时间"})
    assert noted.status_code == 302
    requested = timezone.localtime() - datetime.timedelta(days=1)
    record = {
        "action": "record",
        "requested_at": requested.strftime("%Y-%m-%dT%H:%M"),
        "received_at": (requested + datetime.timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M"),
        "answered_at": (requested + datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "on_site_at": (requested + datetime.timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
        "ended_at": (requested - datetime.timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
        "staff": city.alpha_staff.pk,
        "category": FormBox.objects.get(form="B", label="计量服务").pk,
        "request": "压力表检定",
        "institution": institution.pk,
        "technician": "郑工",
        "items_and_expected_time": "压力表检定，2 个工作日",
        "resolution": "现场检定",
    }
    refused = staff.post(url, record)
    assert refused.status_code == 400 and "现场检定" in text(refused)
    record["ended_at"] = (requested + datetime.timedelta(hours=6)).strftime("%Y-%m-%dT%H:%M")
    saved = staff.post(url, record)
    assert saved.status_code == 302, text(saved)[:3000]
    page = text(staff.get(url))
    assert "已电话确认上门时间" in page and "ALPHA-JL-" in page and "现场检定" in page
    with schema_context(city.alpha.schema_name):
        stored = ServiceRecord.objects.get(case=case)
    for name, value in record.items():
        if name == "action":
            continue
        got = getattr(stored, name + "_id" if name in ("staff", "category", "institution") else name)
        if isinstance(got, datetime.datetime):
            got = timezone.localtime(got).strftime("%Y-%m-%dT%H:%M")
        assert got == value, name


@pytest.mark.clause("7.2")
def test_a_closed_case_is_amended_from_its_page(city, staff, enterprise):
    with schema_context(city.alpha.schema_name):
        case = case_completed(city, enterprise)
        record = case.record
    url = f"/desk/cases/{case.pk}/"
    page = text(staff.get(url))
    assert 'action" value="amend"' in page and 'value="record"' not in page
    data = {
        "action": "amend",
        "version": record.version,
        "reason": "补记",
        "requested_at": timezone.localtime(record.requested_at).strftime("%Y-%m-%dT%H:%M"),
        "received_at": timezone.localtime(record.received_at).strftime("%Y-%m-%dT%H:%M"),
        "answered_at": timezone.localtime(record.answered_at).strftime("%Y-%m-%dT%H:%M"),
        "on_site_at": timezone.localtime(record.on_site_at).strftime("%Y-%m-%dT%H:%M"),
        "ended_at": timezone.localtime(record.ended_at).strftime("%Y-%m-%dT%H:%M"),
        "staff": record.staff_id,
        "category": record.category_id,
        "request": record.request,
        "technician": "补记技术员",
        "resolution": record.resolution,
    }
    amended = staff.post(url, data)
    assert amended.status_code == 302, text(amended)[:3000]
    page = text(staff.get(url))
    assert "补记技术员" in page and "补记" in page
    with schema_context(city.alpha.schema_name):
        assert [a.field for a in record.amendments.all()] == ["technician"]


@pytest.mark.clause("5.2.4")
def test_staff_key_in_the_signed_paper_survey_once(city, staff, enterprise):
    with schema_context(city.alpha.schema_name):
        case = case_completed(city, enterprise)
    url = f"/desk/cases/{case.pk}/"
    answers = {f"q{n}": "very_satisfied" for n in (1, 2, 3, 4, 6, 7, 8, 9, 10)} | {"signatory": "王经理"}
    missing = staff.post(url, {"action": "survey", **answers})
    assert missing.status_code == 400 and "王经理" in text(missing)
    saved = staff.post(url, {"action": "survey", "q5": "yes", **answers})
    assert saved.status_code == 302, text(saved)[:2000]
    page = text(staff.get(url))
    assert "5.您的问题是否得到了解决" in page and 'name="action" value="survey"' not in page
    with schema_context(city.alpha.schema_name):
        case.refresh_from_db()
        assert case.state == CaseState.EVALUATED and case.survey.keyed_in_by == city.alpha_staff
