"""The desk's services in a station schema: intake of Appendix A, the case state machine, plans and re-plans, the
append-only timeline and version checks."""

import datetime
import threading
import time
from functools import partial

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from core.catalog.models import ServiceItem
from core.common.shared_rows import shared_row_delete
from core.desk import services
from core.desk.models import CaseEvent, CaseState, Demand, EventKind, PlanKind, ServiceCase, ServicePlan
from core.directory import uscc
from core.directory.models import Enterprise, Institution
from core.operations.demo import pre_duty_training_record
from tenants.models import Membership
from tests.committed import on_own_connection
from tests.core.desk.builders import RNG, boxes, take_demand
from tests.core.directory.builders import full_width, spaced


@pytest.mark.clause("5.2.1.4")
def test_a_demand_is_numbered_keeps_its_rows_and_opens_one_case_per_section(city, alpha, enterprise):
    demand = take_demand(
        city,
        enterprise,
        boxes=boxes("计量检定、校准", "产品检验检测"),
        exam_categories=["boiler"],
        other_needs="想了解出口认证",
    )
    year = timezone.localdate().year
    assert demand.number.startswith(f"ALPHA-{year}-")
    assert demand.enterprise_name == enterprise.name and demand.contact_person == "王经理"
    assert [row.name for row in demand.instruments.all()] == ["压力表"]
    cases = list(demand.cases.order_by("number"))
    assert [case.number for case in cases] == [f"{demand.number}-{n}" for n in (1, 2, 3, 4)]
    assert {case.category.clause for case in cases} == {"5.1.6", "5.1.7", "5.1.8", "5.1.11"}
    assert all(case.state == CaseState.RECEIVED and case.due_at > case.received_at for case in cases)


def test_a_bad_table_row_is_reported_by_row_and_nothing_is_saved(city, alpha, enterprise):
    with pytest.raises(ValidationError) as raised:
        take_demand(
            city,
            enterprise,
            tables={"special_equipment": [{"category": "锅炉", "count": 2}, {"category": "电梯", "count": 0}]},
        )
    assert list(raised.value.message_dict) == ["special_equipment.2.count"]
    assert not Demand.objects.exists()


def test_a_demand_without_any_need_is_refused(city, alpha, enterprise):
    with pytest.raises(ValidationError) as raised:
        take_demand(city, enterprise, boxes=[])
    assert "boxes" in raised.value.message_dict


def test_a_demand_keeps_the_uscc_as_its_compact_code(city, alpha, enterprise):
    assert take_demand(city, enterprise, uscc=full_width(enterprise.uscc)).uscc == enterprise.uscc
    assert take_demand(city, enterprise, uscc=spaced(enterprise.uscc)).uscc == enterprise.uscc


def test_the_enterprise_block_finds_a_known_uscc_however_it_is_typed(city, alpha, enterprise):
    for typed in (full_width(enterprise.uscc), spaced(enterprise.uscc)):
        found = services.demand_enterprise_get_or_add(
            station=city.alpha, user=city.alpha_staff, enterprise_name="另一个名字", uscc=typed
        )
        assert found == enterprise
    assert Enterprise.objects.filter(uscc=enterprise.uscc).count() == 1


def _enterprise_remove(code: str) -> None:
    with shared_row_delete():
        Enterprise.objects.filter(uscc=code).delete()


def test_two_desks_adding_the_same_new_enterprise_at_once_get_one_entry(city, alpha):
    # A holds its new entry uncommitted while B, not seeing it, inserts the same code and waits on the unique index;
    # when A commits, B's insert fails: B takes A's entry instead of answering with an error.
    code, inserted, release, found, errors = uscc.generate(RNG), threading.Event(), threading.Event(), {}, []

    def add(who: str, typed: str):
        try:
            with schema_context(city.alpha.schema_name), transaction.atomic():
                found[who] = services.demand_enterprise_get_or_add(
                    station=city.alpha, user=city.alpha_staff, enterprise_name=f"同时登记企业{who}", uscc=typed
                ).pk
                if who == "A":
                    inserted.set()
                    assert release.wait(20)
        except Exception as error:  # noqa: BLE001  (reported below)
            errors.append(error)
        finally:
            inserted.set()
            connection.close()

    first = threading.Thread(target=add, args=("A", code))
    second = threading.Thread(target=add, args=("B", full_width(code)))
    try:
        first.start()
        assert inserted.wait(20)
        second.start()
        deadline = time.monotonic() + 20
        while not _someone_waits_on_a_lock() and time.monotonic() < deadline:
            time.sleep(0.05)
        release.set()
        first.join()
        second.join()
        assert errors == []
        assert found["A"] == found["B"]
        assert on_own_connection(lambda: list(Enterprise.objects.filter(uscc=code).values_list("pk", flat=True))) == [
            found["A"]
        ]
    finally:
        release.set()
        on_own_connection(partial(_enterprise_remove, code))


def _someone_waits_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # else the test's transaction sees its first snapshot
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


@pytest.mark.clause("5.2.2")
def test_self_served_path_to_evaluated(city, alpha, enterprise):
    case = take_demand(city, enterprise).cases.get()
    services.case_plan(
        case=case,
        user=city.alpha_staff,
        kind=PlanKind.SELF,
        evaluation="企业自有压力表需送检",
        appointment_at=timezone.now() + datetime.timedelta(days=1),
        staff=city.alpha_staff,
    )
    case.refresh_from_db()
    assert case.state == CaseState.PLANNED and case.assignee == city.alpha_staff
    for state in (CaseState.IN_SERVICE, CaseState.FOLLOWING_UP):
        case = services.case_transition(case=case, to=state, user=city.alpha_staff)
    with pytest.raises(ValidationError, match="服务记录"):
        services.case_transition(case=case, to=CaseState.COMPLETED, user=city.alpha_staff)
    now = timezone.now()
    services.record_save(
        case=case,
        user=city.alpha_staff,
        requested_at=now - datetime.timedelta(days=3),
        received_at=now - datetime.timedelta(days=3),
        answered_at=now - datetime.timedelta(days=2),
        ended_at=now,
        request="压力表检定",
    )
    case = services.case_transition(case=case, to=CaseState.COMPLETED, user=city.alpha_staff)
    with pytest.raises(ValidationError, match="满意度评价"):
        services.case_transition(case=case, to=CaseState.EVALUATED, user=city.alpha_staff)
    answers = {f"q{n}": "satisfied" for n in (1, 2, 3, 4, 6, 7, 8, 9, 10)}
    services.survey_submit(case=case, channel="paper", user=city.alpha_staff, q5=True, **answers)
    case.refresh_from_db()
    assert case.closed_at is not None
    states = [e.to_state for e in case.events.filter(kind=EventKind.STATE)]
    assert states == ["received", "evaluating", "planned", "in_service", "following_up", "completed", "evaluated"]


NOT_CLEARED = "人员台账中尚无该成员已完成的上岗前培训记录。"


@pytest.mark.clause("4.4.1")
def test_only_a_member_cleared_for_duty_is_booked_on_a_plan(city, alpha, enterprise):
    invitee = Membership.objects.select_related("user").get(pk=city.invitee_membership_id).user  # never trained
    case = take_demand(city, enterprise).cases.get()
    events = case.events.count()

    def plan(staff):
        return services.case_plan(
            case=case,
            user=city.alpha_head,
            kind=PlanKind.SELF,
            evaluation="企业自有压力表需送检",
            appointment_at=timezone.now() + datetime.timedelta(days=1),
            staff=staff,
        )

    with pytest.raises(ValidationError) as raised:
        plan(invitee)
    assert raised.value.message_dict == {"staff": [NOT_CLEARED]}
    case.refresh_from_db()
    assert case.state == CaseState.RECEIVED and case.assignee_id is None and case.version == 1
    assert not ServicePlan.objects.filter(case=case).exists() and case.events.count() == events

    pre_duty_training_record(station=city.alpha, members=[invitee])
    plan(invitee)
    case.refresh_from_db()
    assert case.state == CaseState.PLANNED and case.assignee == invitee


@pytest.mark.clause("5.2.3.2")
def test_referred_to_an_institution_then_re_planned_keeps_the_earlier_plan(city, alpha, enterprise):
    case = take_demand(city, enterprise).cases.get()
    institution = Institution.objects.create(name="铁岭市计量测试所（前台测试）", kind="metrology")
    calibration = ServiceItem.objects.get(clause="5.1.6.2")
    first = services.case_plan(
        case=case,
        user=city.alpha_staff,
        kind=PlanKind.INSTITUTION,
        evaluation="需检定",
        institution=institution,
        technician="李工",
        agreed_items=[calibration],
    )
    case = services.case_transition(case=case, to=CaseState.IN_SERVICE, user=city.alpha_staff)
    services.case_event_add(case=case, user=city.alpha_staff, kind=EventKind.PROBLEM, text="量程不符")
    second = services.case_plan(
        case=case, user=city.alpha_staff, kind=PlanKind.INSTITUTION, evaluation="换机构", institution=institution,
        technician="张工", agreed_items=[calibration],
    )  # fmt: skip
    first.refresh_from_db()
    assert first.superseded_at is not None and second.superseded_at is None
    case.refresh_from_db()
    assert case.state == CaseState.PLANNED
    assert case.plans.count() == 2


def test_an_institution_plan_needs_the_institution_and_the_agreed_items(city, alpha, enterprise):
    case = take_demand(city, enterprise).cases.get()
    with pytest.raises(ValidationError) as raised:
        services.case_plan(case=case, user=city.alpha_staff, kind=PlanKind.INSTITUTION, evaluation="x")
    assert {"institution", "agreed_items"} <= set(raised.value.message_dict)


def test_a_new_deadline_after_a_hold_gets_its_own_reminders(city, alpha, enterprise):
    case = take_demand(city, enterprise).cases.get()
    ServiceCase.objects.filter(pk=case.pk).update(reminded_at=timezone.now(), escalated_at=timezone.now())
    case = services.case_transition(case=case, to=CaseState.ON_HOLD, user=city.alpha_staff, reason="等企业备料")
    case = services.case_transition(case=case, to=CaseState.RECEIVED, user=city.alpha_staff)
    assert case.reminded_at is None and case.escalated_at is None


def test_on_hold_resumes_where_it_was_and_needs_a_reason(city, alpha, enterprise):
    case = take_demand(city, enterprise).cases.get()
    case = services.case_transition(case=case, to=CaseState.EVALUATING, user=city.alpha_staff)
    with pytest.raises(ValidationError, match="原因"):
        services.case_transition(case=case, to=CaseState.ON_HOLD, user=city.alpha_staff)
    case = services.case_transition(case=case, to=CaseState.ON_HOLD, user=city.alpha_staff, reason="企业停产")
    assert case.due_at is None  # the clock stops while on hold
    with pytest.raises(ValidationError):
        services.case_transition(case=case, to=CaseState.IN_SERVICE, user=city.alpha_staff)
    case = services.case_transition(case=case, to=CaseState.EVALUATING, user=city.alpha_staff)
    assert case.due_at is not None


def test_cancelled_needs_a_reason_and_is_final(city, alpha, enterprise):
    case = take_demand(city, enterprise).cases.get()
    case = services.case_transition(case=case, to=CaseState.CANCELLED, user=city.alpha_staff, reason="企业撤回")
    with pytest.raises(ValidationError, match="不能"):
        services.case_transition(case=case, to=CaseState.EVALUATING, user=city.alpha_staff)


def test_a_stale_version_is_refused(city, alpha, enterprise):
    case = take_demand(city, enterprise).cases.get()
    services.case_transition(case=case, to=CaseState.EVALUATING, user=city.alpha_staff, expected_version=1)
    with pytest.raises(ValidationError) as raised:
        services.case_transition(case=case, to=CaseState.ON_HOLD, user=city.alpha_head, reason="x", expected_version=1)
    assert "version" in raised.value.message_dict


@pytest.mark.clause("7.2")
def test_the_timeline_is_append_only(city, alpha, enterprise):
    case = take_demand(city, enterprise).cases.get()
    event = case.events.get()
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        CaseEvent.objects.filter(pk=event.pk).update(text="改写")
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        CaseEvent.objects.filter(pk=event.pk).delete()


def test_records_point_at_directory_rows_the_database_keeps(city, alpha, enterprise):
    demand = take_demand(city, enterprise)
    with pytest.raises(IntegrityError, match="is kept"), transaction.atomic():
        Enterprise.objects.filter(pk=enterprise.pk).delete()
    demand.refresh_from_db()
    assert demand.enterprise == enterprise


def test_only_members_of_the_station_are_booked_or_assigned(city, alpha, enterprise):
    case = take_demand(city, enterprise).cases.get()
    with pytest.raises(ValidationError) as raised:
        services.case_plan(
            case=case, user=city.alpha_staff, kind=PlanKind.SELF, evaluation="x",
            appointment_at=timezone.now(), staff=city.beta_staff,
        )  # fmt: skip
    assert "staff" in raised.value.message_dict
    with pytest.raises(ValidationError, match="成员"):
        services.case_assign(case=case, user=city.alpha_head, assignee=city.outsider)
    assert services.case_assign(case=case, user=city.alpha_head, assignee=city.alpha_staff).assignee == city.alpha_staff
