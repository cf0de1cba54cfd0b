"""The desk API on station hosts: demands in and back out whole, cases filtered and moved, errors keyed and Chinese,
only the station's members let in, other stations' cases nowhere to be found."""

import datetime
import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from core.catalog.models import FormBox
from core.desk import services
from core.desk.models import ServiceCase
from core.directory import uscc
from core.directory.models import Enterprise, Institution
from tests.conftest import host_client
from tests.core.desk.builders import full_demand

RNG = random.Random(41)  # noqa: S311  (test data)
CJK = range(0x4E00, 0xA000)


def chinese(messages: list[str]) -> bool:
    return any(ord(char) in CJK for message in messages for char in message)


@pytest.fixture
def enterprise(city):
    return Enterprise.objects.create(
        name="铁岭市银州区接口测试阀门有限公司", uscc=uscc.generate(RNG), district="yinzhou", contact_person="李经理"
    )


@pytest.fixture
def staff(city, alpha_host):
    return host_client(alpha_host, city.alpha_staff)


def box_ids(*labels: str) -> list[int]:
    return [FormBox.objects.get(form="A", label=label).pk for label in labels]


def take_case(city, enterprise, labels=("计量检定、校准",)) -> ServiceCase:
    """Take a demand in alpha through the service; answers its first case (in case-number order)."""
    with schema_context(city.alpha.schema_name):
        demand = services.demand_create(
            station=city.alpha,
            user=city.alpha_staff,
            enterprise=enterprise,
            channel="phone",
            boxes=FormBox.objects.filter(form="A", label__in=labels),
        )
        return demand.cases.order_by("number").first()


def test_a_demand_posted_comes_back_whole(city, staff, enterprise):
    sent = full_demand(enterprise)
    created = staff.post("/api/v1/desk/demands/", sent, content_type="application/json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["number"].startswith(f"ALPHA-{timezone.localdate().year}-")
    assert {case["category"] for case in body["cases"]} == {"5.1.6", "5.1.7", "5.1.8", "5.1.11"}
    assert {case["state"] for case in body["cases"]} == {"received"}
    assert all(case["number"].startswith(body["number"] + "-") for case in body["cases"])

    read = staff.get(f"/api/v1/desk/demands/{body['id']}/").json()
    assert read == body
    for field, value in sent.items():
        if field == "tables":
            continue
        assert (sorted(read[field]) if field == "boxes" else read[field]) == (
            sorted(value) if field == "boxes" else value
        ), field
    for table, rows in sent["tables"].items():
        got = [{k: v for k, v in row.items() if k not in {"id", "position"}} for row in read["tables"][table]]
        assert got == rows, table
        assert [row["position"] for row in read["tables"][table]] == list(range(1, len(rows) + 1))

    listed = staff.get("/api/v1/desk/demands/").json()
    assert [d["number"] for d in listed["results"]] == [body["number"]]


def test_a_bad_table_row_is_refused_by_row_in_chinese(city, staff, enterprise):
    sent = full_demand(enterprise)
    sent["tables"] = {"special_equipment": [{"category": "锅炉", "count": 1}, {"category": "电梯", "count": 0}]}
    refused = staff.post("/api/v1/desk/demands/", sent, content_type="application/json")
    assert refused.status_code == 400
    errors = refused.json()
    # Positions count from 1, like the form's "no." column: the second row is `.2.`.
    assert list(errors) == ["special_equipment.2.count"]
    assert chinese(errors["special_equipment.2.count"])
    # A type error inside a row is keyed the same way.
    sent["tables"] = {"instruments": [{"name": "压力表", "valid_until": "not a date"}]}
    refused = staff.post("/api/v1/desk/demands/", sent, content_type="application/json")
    assert refused.status_code == 400
    assert list(refused.json()) == ["instruments.1.valid_until"]
    assert chinese(refused.json()["instruments.1.valid_until"])
    assert staff.get("/api/v1/desk/demands/").json()["count"] == 0


def test_a_demand_field_error_is_keyed_by_field(city, staff, enterprise):
    refused = staff.post(
        "/api/v1/desk/demands/",
        {"enterprise": enterprise.pk, "channel": "pigeon", "boxes": []},
        content_type="application/json",
    )
    assert refused.status_code == 400
    assert {"channel", "boxes"} <= set(refused.json())
    assert chinese(refused.json()["boxes"])


def test_case_list_filters(city, staff, enterprise):
    other = Enterprise.objects.create(name="铁岭市另一家测试有限公司", uscc=uscc.generate(RNG), district="yinzhou")
    metrology = take_case(city, enterprise)
    inspection = take_case(city, other, labels=("产品检验检测",))
    with schema_context(city.alpha.schema_name):
        services.case_assign(case=inspection, user=city.alpha_staff, assignee=city.alpha_staff)
        services.case_transition(case=metrology, to="evaluating", user=city.alpha_staff)

    def numbers(query: str = "") -> set[str]:
        response = staff.get(f"/api/v1/desk/cases/{query}")
        assert response.status_code == 200, response.json()
        return {case["number"] for case in response.json()["results"]}

    both = {metrology.number, inspection.number}
    assert numbers() == both
    assert numbers("?state=evaluating") == {metrology.number}
    assert numbers("?category=5.1.7") == {inspection.number}
    assert numbers("?assignee=me") == {inspection.number}
    assert numbers(f"?assignee={city.alpha_staff.pk}") == {inspection.number}
    assert numbers(f"?assignee={city.alpha_head.pk}") == set()
    assert numbers(f"?enterprise={other.pk}") == {inspection.number}
    today = timezone.localdate()
    assert numbers(f"?received_from={today}&received_to={today}") == both
    assert numbers(f"?received_to={today - datetime.timedelta(days=1)}") == set()
    assert numbers(f"?received_from={today + datetime.timedelta(days=1)}") == set()
    refused = staff.get("/api/v1/desk/cases/?assignee=someone&received_from=yesterday")
    assert refused.status_code == 400 and {"assignee", "received_from"} <= set(refused.json())


def test_case_list_queries_do_not_grow_with_the_list(city, staff, enterprise):
    take_case(city, enterprise)
    with CaptureQueriesContext(connection) as one:
        assert staff.get("/api/v1/desk/cases/").json()["count"] == 1
    for labels in (("产品检验检测",), ("计量检定、校准", "产品检验检测"), ("计量器具溯源途径",)):
        case = take_case(city, enterprise, labels=labels)
        with schema_context(city.alpha.schema_name):
            services.case_assign(case=case, user=city.alpha_staff, assignee=city.alpha_head)
    with CaptureQueriesContext(connection) as many:
        assert staff.get("/api/v1/desk/cases/").json()["count"] == 5
    assert len(many) == len(one)


def test_case_list_query_count_is_fixed(city, staff, enterprise, django_assert_num_queries):
    for labels in (("计量检定、校准",), ("产品检验检测",), ("计量检定、校准", "产品检验检测")):
        take_case(city, enterprise, labels=labels)
    staff.get("/api/v1/desk/cases/")  # warm the session and caches
    with CaptureQueriesContext(connection) as baseline:
        staff.get("/api/v1/desk/cases/")
    take_case(city, enterprise, labels=("产品检验检测",))
    with django_assert_num_queries(len(baseline)):
        assert staff.get("/api/v1/desk/cases/").json()["count"] == 5


def test_plan_transition_and_events(city, staff, enterprise):
    case = take_case(city, enterprise)
    url = f"/api/v1/desk/cases/{case.pk}/"
    detail = staff.get(url).json()
    assert detail["state"] == "received" and detail["current_plan"] is None
    assert [e["to_state"] for e in detail["events"]] == ["received"]

    appointment = (timezone.now() + datetime.timedelta(days=2)).replace(microsecond=0)
    planned = staff.post(
        url + "plan/",
        {
            "kind": "self",
            "evaluation": "压力表需送检",
            "appointment_at": appointment.isoformat(),
            "staff": city.alpha_staff.pk,
            "agreed_items": ["5.1.6.1"],
            "period_start": "2026-03-10",
            "period_end": "2026-03-20",
            "version": detail["version"],
        },
        content_type="application/json",
    )
    assert planned.status_code == 201, planned.json()
    body = planned.json()
    assert body["state"] == "planned" and body["assignee"]["id"] == city.alpha_staff.pk
    assert body["current_plan"]["kind"] == "self" and body["current_plan"]["agreed_items"] == ["5.1.6.1"]
    assert body["current_plan"]["staff"]["id"] == city.alpha_staff.pk

    replanned = staff.post(
        url + "plan/",
        {
            "kind": "self",
            "evaluation": "改为现场校准",
            "appointment_at": appointment.isoformat(),
            "staff": city.alpha_head.pk,
            "version": body["version"],
        },
        content_type="application/json",
    ).json()
    assert replanned["current_plan"]["evaluation"] == "改为现场校准"
    assert [p["evaluation"] for p in replanned["plans"]] == ["改为现场校准", "压力表需送检"]
    assert replanned["plans"][1]["superseded_at"] is not None

    moved = staff.post(
        url + "transition/", {"to": "in_service", "version": replanned["version"]}, content_type="application/json"
    )
    assert moved.status_code == 200, moved.json()
    assert moved.json()["state"] == "in_service"

    noted = staff.post(url + "events/", {"kind": "problem", "text": "压力表超期未检"}, content_type="application/json")
    assert noted.status_code == 201 and noted.json()["kind"] == "problem"
    assert noted.json()["actor"]["id"] == city.alpha_staff.pk
    timeline = staff.get(url).json()["events"]
    assert [e["kind"] for e in timeline][-1] == "problem"
    assert [e["to_state"] for e in timeline if e["kind"] == "state"] == [
        "received",
        "evaluating",
        "planned",
        "evaluating",
        "planned",
        "in_service",
    ]

    refused = staff.post(url + "events/", {"kind": "state", "text": "x"}, content_type="application/json")
    assert refused.status_code == 400 and chinese(refused.json()["kind"])


def test_a_refused_transition_and_a_stale_version_are_400s_in_chinese(city, staff, enterprise):
    case = take_case(city, enterprise)
    url = f"/api/v1/desk/cases/{case.pk}/"
    refused = staff.post(url + "transition/", {"to": "completed", "version": 1}, content_type="application/json")
    assert refused.status_code == 400
    assert chinese(refused.json()["state"])
    no_reason = staff.post(url + "transition/", {"to": "cancelled", "version": 1}, content_type="application/json")
    assert no_reason.status_code == 400 and chinese(no_reason.json()["reason"])

    moved = staff.post(url + "transition/", {"to": "evaluating", "version": 1}, content_type="application/json")
    assert moved.status_code == 200 and moved.json()["version"] == 2
    stale = staff.post(
        url + "transition/", {"to": "on_hold", "reason": "等待", "version": 1}, content_type="application/json"
    )
    assert stale.status_code == 400
    assert list(stale.json()) == ["version"] and chinese(stale.json()["version"])
    stale_plan = staff.post(
        url + "plan/", {"kind": "self", "evaluation": "x", "version": 1}, content_type="application/json"
    )
    assert stale_plan.status_code == 400 and "version" in stale_plan.json()
    missing = staff.post(url + "transition/", {"to": "on_hold"}, content_type="application/json")
    assert missing.status_code == 400 and "version" in missing.json()


def test_a_plan_names_only_the_stations_members_as_staff(city, staff, enterprise):
    case = take_case(city, enterprise)
    refused = staff.post(
        f"/api/v1/desk/cases/{case.pk}/plan/",
        {
            "kind": "self",
            "evaluation": "x",
            "appointment_at": timezone.now().isoformat(),
            "staff": city.beta_staff.pk,
            "version": 1,
        },
        content_type="application/json",
    )
    assert refused.status_code == 400 and "staff" in refused.json()


def desk_requests(case_pk: int, demand_pk: int) -> list[tuple[str, str]]:
    return [
        ("get", "/api/v1/desk/demands/"),
        ("post", "/api/v1/desk/demands/"),
        ("get", f"/api/v1/desk/demands/{demand_pk}/"),
        ("get", "/api/v1/desk/cases/"),
        ("get", f"/api/v1/desk/cases/{case_pk}/"),
        ("post", f"/api/v1/desk/cases/{case_pk}/transition/"),
        ("post", f"/api/v1/desk/cases/{case_pk}/plan/"),
        ("post", f"/api/v1/desk/cases/{case_pk}/events/"),
        ("get", f"/api/v1/desk/cases/{case_pk}/record/"),
        ("post", f"/api/v1/desk/cases/{case_pk}/record/"),
        ("post", f"/api/v1/desk/cases/{case_pk}/record/amendments/"),
    ]


@pytest.mark.parametrize("who", ["outsider", "beta_staff"])
def test_non_members_are_refused_on_every_desk_endpoint(city, alpha_host, enterprise, who):
    case = take_case(city, enterprise)
    client = host_client(alpha_host, getattr(city, who))
    for method, path in desk_requests(case.pk, case.demand_id):
        response = getattr(client, method)(path, {"to": "evaluating", "version": 1}, content_type="application/json")
        assert response.status_code == 403, (method, path)
    with schema_context(city.alpha.schema_name):
        case.refresh_from_db()
        assert case.state == "received"


def test_another_stations_case_is_not_found(city, alpha_host, beta_host, enterprise):
    with schema_context(city.beta.schema_name):
        demand = services.demand_create(
            station=city.beta,
            user=city.beta_staff,
            enterprise=enterprise,
            channel="phone",
            boxes=FormBox.objects.filter(form="A", label="产品检验检测"),
        )
        case = demand.cases.get()
    # Alpha holds nothing with these ids (each test's rows are rolled back).
    beta = host_client(beta_host, city.beta_staff)
    assert beta.get(f"/api/v1/desk/cases/{case.pk}/").status_code == 200
    alpha = host_client(alpha_host, city.alpha_staff)
    for method, path in desk_requests(case.pk, case.demand_id):
        if path.endswith("/desk/demands/") or path.endswith("/desk/cases/"):
            continue
        response = getattr(alpha, method)(path, {"to": "evaluating", "version": 1}, content_type="application/json")
        assert response.status_code == 404, (method, path)


@pytest.mark.clause("6.2")
def test_every_field_of_the_record_round_trips_and_a_closed_one_is_amended(city, staff, enterprise):
    case = take_case(city, enterprise)
    url = f"/api/v1/desk/cases/{case.pk}/"
    assert staff.get(url + "record/").status_code == 404
    early = staff.post(url + "record/", {}, content_type="application/json")
    assert early.status_code == 400 and chinese(early.json()["state"])
    with schema_context(city.alpha.schema_name):
        institution = Institution.objects.create(name="铁岭市计量测试所（接口记录）", kind="metrology")
        services.case_plan(
            case=case,
            user=city.alpha_staff,
            kind="institution",
            evaluation="送检",
            institution=institution,
            agreed_items=list(case.items.all()),
        )
    requested = (timezone.now() - datetime.timedelta(days=2)).replace(microsecond=0)
    hour = datetime.timedelta(hours=1)
    sent = {
        "requested_at": requested.isoformat(),
        "staff": city.alpha_head.pk,
        "received_at": (requested + hour).isoformat(),
        "answered_at": (requested + 2 * hour).isoformat(),
        "on_site_at": (requested + 5 * hour).isoformat(),
        "ended_at": (requested + 9 * hour).isoformat(),
        "category": FormBox.objects.get(form="B", label="产品检验检测服务").pk,
        "request": "阀门出厂检验",
        "institution": institution.pk,
        "technician": "周工",
        "items_and_expected_time": "壳体强度试验，3 个工作日",
        "resolution": "送检合格，出具报告",
    }
    created = staff.post(url + "record/", sent, content_type="application/json")
    assert created.status_code == 201, created.json()
    record = staff.get(url + "record/").json()
    assert record["number"].startswith("ALPHA-JL-")
    assert record["staff"]["id"] == city.alpha_head.pk and record["institution"]["id"] == institution.pk
    assert record["category"]["id"] == sent["category"]
    for name in ("request", "technician", "items_and_expected_time", "resolution"):
        assert record[name] == sent[name], name
    for name in ("requested_at", "received_at", "answered_at", "on_site_at", "ended_at"):
        assert datetime.datetime.fromisoformat(record[name]) == datetime.datetime.fromisoformat(sent[name]), name
    assert (record["response_seconds"], record["handling_seconds"], record["total_seconds"]) == (7200, 14400, 32400)

    stale = staff.post(url + "record/", {"resolution": "x", "version": 0}, content_type="application/json")
    assert stale.status_code == 400 and chinese(stale.json()["version"])
    bad = staff.post(
        url + "record/", {"ended_at": (requested - hour).isoformat(), "version": 1}, content_type="application/json"
    )
    assert bad.status_code == 400 and chinese(bad.json()["ended_at"])

    version = staff.get(url).json()["version"]
    for state in ("in_service", "following_up", "completed"):
        moved = staff.post(url + "transition/", {"to": state, "version": version}, content_type="application/json")
        assert moved.status_code == 200, moved.json()
        version = moved.json()["version"]
    closed = staff.post(url + "record/", {"resolution": "改写"}, content_type="application/json")
    assert closed.status_code == 400 and chinese(closed.json()["state"])
    no_reason = staff.post(url + "record/amendments/", {"technician": "吴工"}, content_type="application/json")
    assert no_reason.status_code == 400 and "reason" in no_reason.json()
    amended = staff.post(
        url + "record/amendments/", {"technician": "吴工", "reason": "技术人员写错"}, content_type="application/json"
    )
    assert amended.status_code == 201, amended.json()
    body = amended.json()
    assert body["technician"] == "吴工" and body["version"] == 2
    assert [(a["field"], a["old_value"], a["new_value"]) for a in body["amendments"]] == [
        ("technician", "周工", "吴工")
    ]
    assert staff.get(url).json()["record"]["amendments"][0]["reason"] == "技术人员写错"


def test_case_list_views_inbox_mine_and_due(city, staff, enterprise):
    fresh = take_case(city, enterprise)
    with schema_context(city.alpha.schema_name):
        services.case_assign(case=fresh, user=city.alpha_head, assignee=city.alpha_staff)
        late = take_case(city, enterprise)
        ServiceCase.objects.filter(pk=late.pk).update(due_at=timezone.now() - datetime.timedelta(hours=1))

    def numbers(query: str) -> list[str]:
        response = staff.get(f"/api/v1/desk/cases/?{query}")
        assert response.status_code == 200, response.json()
        return [case["number"] for case in response.json()["results"]]

    assert {fresh.number, late.number} <= set(numbers("view=inbox"))
    assert fresh.number in numbers("view=mine") and late.number not in numbers("view=mine")
    assert numbers("view=due")[0] == late.number
    assert staff.get("/api/v1/desk/cases/?view=nope").status_code == 400
