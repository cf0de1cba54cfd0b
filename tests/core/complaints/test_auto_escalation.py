"""A complaint left without a response escalates to the bureau by itself (clause 6.5, GB/T 19012/19013): once its
response deadline has passed by `COMPLAINT_ESCALATE_AFTER_WORKING_DAYS` whole working days on the Chinese calendar,
the beat task escalates it through the manual escalation's path, exactly once (a retried run adds nothing), never one
responded to, closed or escalated already; its timeline says it was automatic, and the console's list shows it with
how many working days it was overdue."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django_tenants.utils import schema_context

from core.complaints import services
from core.complaints.models import Complaint, ComplaintEventKind
from core.complaints.tasks import complaint_escalate_overdue_all_task
from core.escalations.models import Escalation
from tests.conftest import host_client
from tests.core.referrals.builders import deliver_all

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=SHANGHAI)


# Received Tuesday 2026-03-10 10:00: respond by the end of Tuesday 03-17 (5 working days); three whole working days
# later (Wednesday, Thursday, Friday) it goes to the bureau: from Monday 03-23.
RECEIVED = at(2026, 3, 10, 10)


@pytest.fixture
def alpha(city):
    with schema_context(city.alpha.schema_name):
        yield city.alpha


def received(city, when=RECEIVED, subject="窗口人员态度生硬") -> Complaint:
    with time_machine.travel(when, tick=False):
        return services.complaint_create(user=city.alpha_staff, channel="phone", subject=subject)


def escalate_at(when: datetime.datetime) -> int:
    with time_machine.travel(when, tick=False):
        return services.complaint_escalate_overdue()


@pytest.mark.clause("6.5")
def test_the_escalation_waits_for_whole_working_days_and_happens_once(city, alpha, settings):
    settings.COMPLAINT_ESCALATE_AFTER_WORKING_DAYS = 3
    complaint = received(city)
    assert escalate_at(at(2026, 3, 20, 23, 0)) == 0  # Friday evening: the third working day is not over
    assert escalate_at(at(2026, 3, 23, 9, 35)) == 1  # Monday: Wednesday, Thursday and Friday have passed
    assert escalate_at(at(2026, 3, 23, 10, 35)) == 0  # the next run, or the same one retried: nothing more
    complaint.refresh_from_db()
    assert complaint.escalated_automatically and complaint.escalated_at == at(2026, 3, 23, 9, 35)
    assert complaint.state == "received"  # its own steps still wait for the station
    event = complaint.events.get(kind=ComplaintEventKind.ESCALATION)
    assert event.actor is None and "自动" in event.text and "3" in event.text
    assert complaint.escalation_reason == event.text
    deliver_all(city)
    deliver_all(city)
    with schema_context("public"):
        escalation = Escalation.objects.get()
    assert (escalation.uid, escalation.automatic, escalation.overdue_working_days) == (complaint.uid, True, 3)
    assert escalation.reference == complaint.reference


@pytest.mark.clause("6.5")
def test_the_working_days_follow_the_chinese_calendar(city, alpha, settings):
    """Received Wednesday 2026-04-22: respond by Wednesday 04-29; then Thursday 04-30, and after the Labour Day
    holiday (05-01 to 05-05) Wednesday 05-06 and Thursday 05-07: it escalates from Friday 05-08, not on 05-06 as
    Monday to Friday would have it."""
    settings.COMPLAINT_ESCALATE_AFTER_WORKING_DAYS = 3
    complaint = received(city, at(2026, 4, 22, 10))
    assert escalate_at(at(2026, 5, 6, 15)) == 0
    assert escalate_at(at(2026, 5, 7, 18)) == 0
    assert escalate_at(at(2026, 5, 8, 8, 35)) == 1
    deliver_all(city)
    with schema_context("public"):
        assert Escalation.objects.get(uid=complaint.uid).overdue_working_days == 3


@pytest.mark.clause("6.5")
def test_the_number_of_working_days_is_a_setting(city, alpha, settings):
    settings.COMPLAINT_ESCALATE_AFTER_WORKING_DAYS = 1
    received(city)
    assert escalate_at(at(2026, 3, 18, 15)) == 0
    assert escalate_at(at(2026, 3, 19, 8, 35)) == 1


@pytest.mark.clause("6.5")
def test_a_complaint_responded_to_closed_or_escalated_by_hand_is_not_escalated(city, alpha, settings):
    settings.COMPLAINT_ESCALATE_AFTER_WORKING_DAYS = 3
    responded = received(city, subject="已答复")
    for to, extra in (("acknowledged", {}), ("investigating", {}), ("responded", {"text": "已说明"})):
        responded = services.complaint_transition(complaint=responded, user=city.alpha_staff, to=to, **extra)
    by_hand = received(city, subject="人工上报")
    services.complaint_escalate(complaint=by_hand, user=city.alpha_head, reason="无法调解", unresolvable=True)
    waiting = received(city, subject="无人答复")
    assert escalate_at(at(2026, 3, 30, 9)) == 1
    assert set(Complaint.objects.filter(escalated_automatically=True).values_list("pk", flat=True)) == {waiting.pk}
    by_hand.refresh_from_db()
    assert not by_hand.escalated_automatically and by_hand.events.filter(kind="escalation").count() == 1
    responded.refresh_from_db()
    assert responded.escalated_at is None


@pytest.mark.clause("6.5")
def test_the_beat_task_escalates_in_every_station_and_the_console_shows_it(
    city, public_host, settings, django_capture_on_commit_callbacks
):
    settings.COMPLAINT_ESCALATE_AFTER_WORKING_DAYS = 3
    with schema_context(city.alpha.schema_name):
        complaint = received(city)
    with time_machine.travel(at(2026, 3, 23, 9, 35), tick=False):
        results = complaint_escalate_overdue_all_task.apply().get()
        again = complaint_escalate_overdue_all_task.apply().get()
    assert results["alpha"] == 1 and results["beta"] == 0 and again["alpha"] == 0
    deliver_all(city)
    page = host_client(public_host, city.bureau_admin).get("/console/escalations/").content.decode()
    assert complaint.reference in page and "data-automatic" in page and "自动上报" in page and "逾期 3 个工作日" in page
    escalation = Escalation.objects.get()
    detail = host_client(public_host, city.bureau_admin).get(f"/console/escalations/{escalation.pk}/").content.decode()
    assert 'id="escalation-automatic"' in detail and complaint.reference in detail
    api = host_client(public_host, city.bureau_admin).get("/api/v1/escalations/").json()
    row = api["results"][0]
    assert (row["reference"], row["automatic"], row["overdue_working_days"]) == (complaint.reference, True, 3)
