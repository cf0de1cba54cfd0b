"""Deadline reminders of complaints (clause 6.5): the station head and the complaint's handler are notified (in the
app, and by e-mail by default: core.notifications) once per complaint, deadline and kind when an acknowledgement or
response deadline falls within the next working day, and once more when it has passed; nothing before that, nothing
once the step is taken, nothing twice on a retry."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from core.complaints import selectors, services
from core.complaints.models import Complaint, ComplaintEvent, ComplaintReminder, ComplaintState
from core.complaints.tasks import complaint_deadline_remind_all_task
from tests.tasks import queued_tasks, run_queued

S = ComplaintState
SHANGHAI = ZoneInfo("Asia/Shanghai")
HEAD, STAFF = "alpha-head@example.test", "alpha-staff@example.test"


def at(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=SHANGHAI)


# Received Tuesday 2026-03-10 10:00: acknowledge by the end of Wednesday 03-11, respond by the end of Tuesday 03-17.
RECEIVED = at(2026, 3, 10, 10)


@pytest.fixture
def alpha(city):
    with schema_context(city.alpha.schema_name):
        yield city.alpha


def complaint_received(city) -> Complaint:
    with time_machine.travel(RECEIVED, tick=False):
        return services.complaint_create(
            user=city.alpha_staff, channel="phone", subject="窗口人员态度生硬", complainant_name="赵六"
        )


def remind(when: datetime.datetime, capture) -> tuple[dict, list]:
    with time_machine.travel(when, tick=False), capture() as callbacks:
        counts = services.complaint_deadline_remind()
    return counts, callbacks


@pytest.mark.clause("6.5")
def test_the_acknowledgement_is_reminded_once_the_day_before_and_once_more_when_overdue(
    city, alpha, mailoutbox, django_capture_on_commit_callbacks
):
    complaint = complaint_received(city)
    counts, callbacks = remind(RECEIVED, django_capture_on_commit_callbacks)
    assert counts == {"due_soon": 1, "overdue": 0}  # only the acknowledgement: the response is days away
    assert remind(RECEIVED + datetime.timedelta(hours=1), django_capture_on_commit_callbacks)[0] == {
        "due_soon": 0,
        "overdue": 0,
    }
    assert run_queued(callbacks, app="core.deliveries") == [True, True]  # one e-mail each
    assert sorted(mail.to[0] for mail in mailoutbox) == [
        HEAD,
        STAFF,
    ]  # the station head and the handler (who logged it)
    for mail in mailoutbox:
        assert f"#{complaint.pk}" in mail.subject and f"/complaints/{complaint.pk}/" in mail.body
    assert run_queued(callbacks, app="core.deliveries") == [False, False]  # a retried task sends nothing twice
    assert len(mailoutbox) == 2

    reminder = ComplaintReminder.objects.get(complaint=complaint)
    assert (reminder.deadline, reminder.kind, sorted(reminder.recipients)) == ("acknowledge", "due_soon", [HEAD, STAFF])
    assert reminder.due_at == complaint.acknowledge_due_at

    # Thursday morning: the acknowledgement is overdue, flagged on the list, and reminded once more, once.
    thursday = at(2026, 3, 12, 9)
    counts, callbacks = remind(thursday, django_capture_on_commit_callbacks)
    assert counts == {"due_soon": 0, "overdue": 1}
    assert remind(thursday, django_capture_on_commit_callbacks)[0] == {"due_soon": 0, "overdue": 0}
    assert run_queued(callbacks, app="core.deliveries") == [True, True]
    assert f"#{complaint.pk}" in mailoutbox[-1].subject and len(mailoutbox) == 4
    with time_machine.travel(thursday, tick=False):
        listed = selectors.complaint_list(overdue=True).get()
    assert listed.pk == complaint.pk and listed.acknowledge_overdue and not listed.response_overdue
    kinds = set(ComplaintReminder.objects.filter(complaint=complaint).values_list("deadline", "kind"))
    assert kinds == {("acknowledge", "due_soon"), ("acknowledge", "overdue")}
    timeline = ComplaintEvent.objects.filter(complaint=complaint, kind="reminder").order_by("id")
    assert timeline.count() == 2 and all(event.actor is None for event in timeline)
    assert city.alpha_head.display_name in timeline.last().text


@pytest.mark.clause("6.5")
def test_the_response_is_not_reminded_before_its_last_working_day(
    city, alpha, mailoutbox, django_capture_on_commit_callbacks
):
    complaint = complaint_received(city)
    with time_machine.travel(at(2026, 3, 10, 11), tick=False):
        services.complaint_transition(complaint=complaint, user=city.alpha_head, to=S.ACKNOWLEDGED)
    # Friday 03-13: the next working day is Monday 03-16, the response is due on Tuesday 03-17: not yet.
    assert remind(at(2026, 3, 13, 17), django_capture_on_commit_callbacks)[0] == {"due_soon": 0, "overdue": 0}
    # Monday 03-16: due within the next working day.
    counts, callbacks = remind(at(2026, 3, 16, 9), django_capture_on_commit_callbacks)
    assert counts == {"due_soon": 1, "overdue": 0}
    assert run_queued(callbacks, app="core.deliveries") == [True]
    assert mailoutbox[-1].to == [HEAD]  # the head acknowledged it: the head is its handler
    reminder = ComplaintReminder.objects.get(complaint=complaint)
    assert (reminder.deadline, reminder.due_at) == ("response", complaint.response_due_at)
    # Wednesday 03-18, still not responded: overdue, once.
    assert remind(at(2026, 3, 18, 9), django_capture_on_commit_callbacks)[0] == {"due_soon": 0, "overdue": 1}
    assert remind(at(2026, 3, 19, 9), django_capture_on_commit_callbacks)[0] == {"due_soon": 0, "overdue": 0}


@pytest.mark.clause("6.5")
def test_a_deadline_first_seen_past_gets_only_the_overdue_reminder_and_a_step_taken_stops_the_reminders(
    city, alpha, mailoutbox, django_capture_on_commit_callbacks
):
    complaint = complaint_received(city)
    counts, callbacks = remind(at(2026, 3, 12, 9), django_capture_on_commit_callbacks)
    assert counts == {"due_soon": 0, "overdue": 1}
    assert run_queued(callbacks, app="core.deliveries") == [True, True]
    assert all("逾期" in mail.subject for mail in mailoutbox)
    # Acknowledged: its deadline no longer runs, and nothing more is reminded of it.
    with time_machine.travel(at(2026, 3, 12, 9, 5), tick=False):
        services.complaint_transition(complaint=complaint, user=city.alpha_staff, to=S.ACKNOWLEDGED)
    counts, callbacks = remind(at(2026, 3, 12, 10), django_capture_on_commit_callbacks)
    assert counts == {"due_soon": 0, "overdue": 0}
    assert queued_tasks(callbacks, app="core.deliveries") == []


@pytest.mark.clause("6.5")
def test_a_closed_complaint_is_never_reminded(city, alpha, django_capture_on_commit_callbacks):
    complaint = complaint_received(city)
    with time_machine.travel(at(2026, 3, 10, 11), tick=False):
        for to, extra in ((S.ACKNOWLEDGED, {}), (S.INVESTIGATING, {}), (S.RESPONDED, {"text": "已致歉"})):
            complaint = services.complaint_transition(complaint=complaint, user=city.alpha_staff, to=to, **extra)
    assert remind(at(2026, 3, 30, 9), django_capture_on_commit_callbacks)[0] == {"due_soon": 0, "overdue": 0}
    assert not ComplaintReminder.objects.exists()


def test_the_database_refuses_a_second_reminder_of_the_same_kind(city, alpha):
    complaint = complaint_received(city)
    values = {"complaint": complaint, "deadline": "response", "kind": "overdue", "due_at": complaint.response_due_at}
    ComplaintReminder.objects.create(**values, created_at=timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic():
        ComplaintReminder.objects.create(**values, created_at=timezone.now())


def test_the_beat_task_visits_every_station_in_its_own_schema(city, django_capture_on_commit_callbacks):
    with schema_context(city.alpha.schema_name):
        complaint = complaint_received(city)
    with time_machine.travel(at(2026, 3, 12, 9), tick=False), django_capture_on_commit_callbacks() as callbacks:
        results = complaint_deadline_remind_all_task.apply().get()
    assert results["alpha"] == {"due_soon": 0, "overdue": 1}
    assert results["beta"] == {"due_soon": 0, "overdue": 0}
    # The head's and the handler's e-mails (core.notifications), in alpha's schema.
    queued = [callback.args for callback in queued_tasks(callbacks, app="core.deliveries")]
    assert [schema for _task, schema, _kwargs in queued] == [city.alpha.schema_name] * 2
    with schema_context(city.alpha.schema_name):
        assert ComplaintReminder.objects.get().complaint_id == complaint.pk
