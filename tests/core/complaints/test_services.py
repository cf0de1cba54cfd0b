"""Complaints (clause 6.5, after GB/T 19012): opened from an opinion or by staff, acknowledged and responded to within
working-day deadlines on the Chinese calendar, every step on the timeline, closed with the complainant's feedback;
escalated to the bureau (GB/T 19013) by message and its handling sent back."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django_tenants.utils import schema_context

from core.complaints import selectors, services
from core.complaints.models import Complaint, ComplaintEvent, ComplaintState
from core.escalations import services as escalation_services
from core.escalations.models import Escalation
from core.supervision import services as supervision
from tests.core.referrals.builders import deliver_all

S = ComplaintState
SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture
def alpha(city):
    with schema_context(city.alpha.schema_name):
        yield city.alpha


def staff_complaint(city, **extra) -> Complaint:
    values = {"channel": "phone", "subject": "上门服务迟到两小时", "complainant_name": "赵六"} | extra
    return services.complaint_create(user=city.alpha_staff, **values)


def walk(city, complaint: Complaint, feedback: str = "satisfied") -> Complaint:
    for to, extra in (
        (S.ACKNOWLEDGED, {}),
        (S.INVESTIGATING, {}),
        (S.RESPONDED, {"text": "经核实属实，已批评教育相关人员"}),
        (S.CLOSED, {"feedback": feedback, "feedback_text": "还行"}),
    ):
        complaint = services.complaint_transition(complaint=complaint, user=city.alpha_staff, to=to, **extra)
    return complaint


@pytest.mark.clause("6.5")
def test_a_complaint_from_a_public_opinion_walks_to_closure_with_every_step_on_its_timeline(city, alpha):
    opinion = supervision.opinion_submit_public(
        client_address="x", kind="complaint", text="态度差", anonymous=False, name="钱七", phone="137"
    )
    complaint = services.complaint_open_from_opinion(opinion=opinion, user=city.alpha_staff)
    assert (complaint.subject, complaint.complainant_name, complaint.channel) == ("态度差", "钱七", "web")
    with pytest.raises(ValidationError):
        services.complaint_open_from_opinion(opinion=opinion, user=city.alpha_staff)

    complaint = walk(city, complaint, feedback="not_satisfied")
    assert complaint.state == S.CLOSED and complaint.feedback == "not_satisfied"
    assert complaint.acknowledged_at and complaint.responded_at and complaint.closed_at
    steps = list(ComplaintEvent.objects.filter(complaint=complaint).values_list("from_state", "to_state"))
    assert steps == [
        ("", S.RECEIVED),
        (S.RECEIVED, S.ACKNOWLEDGED),
        (S.ACKNOWLEDGED, S.INVESTIGATING),
        (S.INVESTIGATING, S.RESPONDED),
        (S.RESPONDED, S.CLOSED),
    ]


@pytest.mark.clause("6.5")
def test_only_opinions_of_kind_complaint_open_a_complaint(city, alpha):
    opinion = supervision.opinion_submit_public(client_address="x", kind="praise", text="好")
    with pytest.raises(ValidationError) as refused:
        services.complaint_open_from_opinion(opinion=opinion, user=city.alpha_staff)
    assert "opinion" in refused.value.message_dict


@pytest.mark.clause("6.5")
def test_steps_follow_the_state_machine_and_need_their_facts(city, alpha):
    complaint = staff_complaint(city)
    with pytest.raises(ValidationError) as refused:
        services.complaint_transition(complaint=complaint, user=city.alpha_staff, to=S.RESPONDED, text="x")
    assert "to" in refused.value.message_dict
    complaint = services.complaint_transition(complaint=complaint, user=city.alpha_staff, to=S.ACKNOWLEDGED)
    complaint = services.complaint_transition(complaint=complaint, user=city.alpha_staff, to=S.INVESTIGATING)
    with pytest.raises(ValidationError) as refused:
        services.complaint_transition(complaint=complaint, user=city.alpha_staff, to=S.RESPONDED, text=" ")
    assert "text" in refused.value.message_dict
    complaint = services.complaint_transition(complaint=complaint, user=city.alpha_staff, to=S.RESPONDED, text="答复")
    with pytest.raises(ValidationError) as refused:
        services.complaint_transition(complaint=complaint, user=city.alpha_staff, to=S.CLOSED)
    assert "feedback" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        services.complaint_transition(
            complaint=complaint, user=city.alpha_staff, to=S.CLOSED, feedback="satisfied", version=1
        )
    assert "version" in refused.value.message_dict


@pytest.mark.clause("7.2")
def test_the_timeline_is_append_only(city, alpha):
    complaint = staff_complaint(city)
    with pytest.raises(IntegrityError), transaction.atomic():
        ComplaintEvent.objects.filter(complaint=complaint).update(text="改写")


@pytest.mark.clause("6.5")
def test_deadlines_count_working_days_on_the_chinese_calendar_and_flag_overdue(city, alpha):
    # Received on Tuesday 2025-09-30, the eve of the National Day holiday (10-01 to 10-08; 09-28 and 10-11 are
    # make-up working Sundays/Saturdays): acknowledged by the end of the next working day, 10-09; responded to within
    # five working days: 10-09, 10-10, 10-11 (make-up Saturday), 10-13, 10-14.
    with time_machine.travel(at(2025, 9, 30, 10, 0), tick=False):
        complaint = staff_complaint(city)
    assert complaint.acknowledge_due_at.astimezone(SHANGHAI).date() == datetime.date(2025, 10, 9)
    assert complaint.response_due_at.astimezone(SHANGHAI).date() == datetime.date(2025, 10, 14)

    with time_machine.travel(at(2025, 10, 9, 18, 0), tick=False):
        current = selectors.complaint_get(pk=complaint.pk)
        assert not current.acknowledge_overdue and not current.response_overdue
    with time_machine.travel(at(2025, 10, 10, 9, 0), tick=False):
        current = selectors.complaint_get(pk=complaint.pk)
        assert current.acknowledge_overdue and not current.response_overdue
        assert list(selectors.complaint_list(overdue=True)) == [current]
        services.complaint_transition(complaint=complaint, user=city.alpha_staff, to=S.ACKNOWLEDGED)
        assert not selectors.complaint_get(pk=complaint.pk).acknowledge_overdue
    with time_machine.travel(at(2025, 10, 15, 9, 0), tick=False):
        assert selectors.complaint_get(pk=complaint.pk).response_overdue


@pytest.mark.clause("6.5")
def test_deadlines_follow_the_settings(city, alpha, settings):
    settings.COMPLAINT_ACKNOWLEDGE_WORKING_DAYS = 2
    settings.COMPLAINT_RESPONSE_WORKING_DAYS = 10
    with time_machine.travel(at(2026, 3, 2, 9, 0), tick=False):  # a Monday
        complaint = staff_complaint(city)
    assert complaint.acknowledge_due_at.astimezone(SHANGHAI).date() == datetime.date(2026, 3, 4)
    assert complaint.response_due_at.astimezone(SHANGHAI).date() == datetime.date(2026, 3, 16)


@pytest.mark.clause("6.5")
def test_an_unsettled_complaint_escalates_to_the_bureau_and_its_handling_comes_back(city):
    with schema_context(city.alpha.schema_name):
        complaint = staff_complaint(city)
        with pytest.raises(ValidationError):
            services.complaint_escalate(complaint=complaint, user=city.alpha_staff, reason="不满意")
        complaint = walk(city, complaint, feedback="not_satisfied")
        complaint = services.complaint_escalate(complaint=complaint, user=city.alpha_head, reason="投诉人不满意答复")
        with pytest.raises(ValidationError):
            services.complaint_escalate(complaint=complaint, user=city.alpha_head, reason="再次")
    deliver_all(city)
    assert deliver_all(city) == 0  # nothing applied twice
    escalation = Escalation.objects.get(uid=complaint.uid)
    assert (escalation.station_id, escalation.subject, escalation.feedback) == (
        city.alpha.pk,
        "上门服务迟到两小时",
        "not_satisfied",
    )
    with pytest.raises(PermissionDenied):
        escalation_services.escalation_handle(escalation=escalation, user=city.bureau_viewer, handling="x")
    escalation_services.escalation_handle(
        escalation=escalation, user=city.bureau_admin, handling="已约谈站长，督促整改"
    )
    deliver_all(city)
    with schema_context(city.alpha.schema_name):
        complaint.refresh_from_db()
        assert complaint.bureau_handling == "已约谈站长，督促整改" and complaint.bureau_handled_at is not None
        kinds = list(ComplaintEvent.objects.filter(complaint=complaint).values_list("kind", flat=True))
        assert kinds[-2:] == ["escalation", "bureau"]
