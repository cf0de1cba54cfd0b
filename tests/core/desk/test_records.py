"""The service record of Appendix B (clause 6.2), written as the work happens and amended once closed (clause 7.2)."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.catalog.models import FormBox
from core.desk import services
from core.desk.models import CaseState, EventKind, PlanKind, RecordAmendment
from core.directory.models import Institution
from tests.core.desk.builders import case_completed, case_in_service, take_demand


@pytest.mark.clause("6.2")
def test_the_record_starts_from_what_the_desk_knows_and_derives_its_durations(city, alpha, enterprise):
    case = case_in_service(city, enterprise)
    record = services.record_save(case=case, user=city.alpha_staff)
    assert record.requested_at == case.demand.created_at and record.received_at == case.received_at
    assert record.staff == city.alpha_staff and record.request == case.request
    assert record.category == FormBox.objects.get(form="B", label="计量服务")
    assert record.response_time is None and record.total_time is None
    requested = timezone.now() - datetime.timedelta(days=1)
    record = services.record_save(
        case=case,
        user=city.alpha_staff,
        requested_at=requested,
        received_at=requested + datetime.timedelta(minutes=10),
        answered_at=requested + datetime.timedelta(hours=2),
        on_site_at=requested + datetime.timedelta(hours=5),
        ended_at=requested + datetime.timedelta(hours=8),
    )
    assert record.number.startswith(f"ALPHA-JL-{timezone.localdate().year}-")
    assert record.response_time == datetime.timedelta(hours=2)
    assert record.handling_time == datetime.timedelta(hours=3)
    assert record.total_time == datetime.timedelta(hours=8)


@pytest.mark.clause("6.2")
def test_an_institution_plan_fills_the_institution_part_of_the_record(city, alpha, enterprise):
    case = take_demand(city, enterprise).cases.get()
    institution = Institution.objects.create(name="铁岭市计量测试所（记录测试）", kind="metrology")
    services.case_plan(
        case=case,
        user=city.alpha_staff,
        kind=PlanKind.INSTITUTION,
        evaluation="需送检",
        institution=institution,
        technician="李工",
        agreed_items=list(case.items.all()),
    )
    case.refresh_from_db()
    record = services.record_save(case=case, user=city.alpha_staff)
    assert record.institution == institution and record.technician == "李工"
    assert all(item.name in record.items_and_expected_time for item in case.items.all())


@pytest.mark.clause("7.2")
def test_every_change_of_an_open_record_goes_on_the_timeline_with_old_and_new_values(city, alpha, enterprise):
    case = case_in_service(city, enterprise)
    record = services.record_save(case=case, user=city.alpha_staff, resolution="初步检查")
    record = services.record_save(
        case=case, user=city.alpha_head, expected_version=record.version, resolution="更换压力表后复检合格"
    )
    events = list(case.events.filter(kind=EventKind.RECORD).order_by("id"))
    assert len(events) == 2 and record.number in events[0].text
    assert "初步检查 → 更换压力表后复检合格" in events[1].text and events[1].actor == city.alpha_head
    with pytest.raises(ValidationError, match="刷新") as raised:
        services.record_save(case=case, user=city.alpha_staff, expected_version=1, resolution="x")
    assert "version" in raised.value.message_dict


@pytest.mark.clause("6.2")
def test_times_out_of_order_are_refused_field_by_field(city, alpha, enterprise):
    case = case_in_service(city, enterprise)
    requested = case.demand.created_at
    with pytest.raises(ValidationError) as raised:
        services.record_save(
            case=case,
            user=city.alpha_staff,
            answered_at=requested - datetime.timedelta(hours=1),
            ended_at=timezone.now() + datetime.timedelta(days=1),
            staff=city.beta_staff,
        )
    assert set(raised.value.message_dict) == {"answered_at", "ended_at", "staff"}
    assert not hasattr(case, "record") or case.record is None


def test_a_case_not_yet_evaluated_has_no_record(city, alpha, enterprise):
    case = take_demand(city, enterprise).cases.get()
    with pytest.raises(ValidationError, match="评估"):
        services.record_save(case=case, user=city.alpha_staff)


@pytest.mark.clause("7.2")
def test_a_closed_record_is_corrected_only_by_an_amendment_that_keeps_the_original(city, alpha, enterprise):
    case = case_completed(city, enterprise)
    record = case.record
    assert case.state == CaseState.COMPLETED
    with pytest.raises(ValidationError, match="更正"):
        services.record_save(case=case, user=city.alpha_staff, resolution="改写")
    with pytest.raises(ValidationError) as raised:
        services.record_amend(record=record, user=city.alpha_head, reason="", resolution="改写")
    assert "reason" in raised.value.message_dict
    original = record.resolution
    services.record_amend(
        record=record, user=city.alpha_head, reason="漏记复检", resolution=original + "；复检合格", technician="张工"
    )
    record.refresh_from_db()
    assert record.resolution == original + "；复检合格" and record.version == 2
    amendments = {a.field: a for a in RecordAmendment.objects.filter(record=record)}
    assert set(amendments) == {"resolution", "technician"}
    assert amendments["resolution"].old_value == original and amendments["technician"].old_value == ""
    assert amendments["resolution"].actor == city.alpha_head and amendments["resolution"].reason == "漏记复检"
    event = case.events.get(kind=EventKind.AMENDMENT)
    assert "漏记复检" in event.text and original in event.text
    with pytest.raises(ValidationError, match="没有"):
        services.record_amend(record=record, user=city.alpha_head, reason="再改", technician="张工")


def test_an_open_record_is_not_amended(city, alpha, enterprise):
    case = case_in_service(city, enterprise)
    record = services.record_save(case=case, user=city.alpha_staff)
    with pytest.raises(ValidationError, match="直接"):
        services.record_amend(record=record, user=city.alpha_head, reason="x", technician="张工")
