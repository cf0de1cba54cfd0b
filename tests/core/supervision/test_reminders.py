"""Due-date reminders of improvement plans (clause 6.1): the plan's owner is e-mailed once when its due date is within
`SUPERVISION_PLAN_REMINDER_DAYS` days, once more when it has passed, never once it is done or twice on a retry."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from core.supervision import services
from core.supervision.models import ImprovementPlan, PlanReminder
from core.supervision.tasks import plan_due_remind_all_task
from tenants.models import Membership
from tests.tasks import queued_tasks, run_queued

SHANGHAI = ZoneInfo("Asia/Shanghai")
CREATED = datetime.datetime(2026, 3, 2, 9, tzinfo=SHANGHAI)
DUE = datetime.date(2026, 3, 20)


def at(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture
def alpha(city, settings):
    settings.SUPERVISION_PLAN_REMINDER_DAYS = 3
    with schema_context(city.alpha.schema_name):
        yield city.alpha


def plan_owned_by(city, owner) -> ImprovementPlan:
    with time_machine.travel(CREATED, tick=False):
        opinion = services.opinion_submit_public(client_address="198.51.100.7", kind="suggestion", text="增设叫号机")
        opinion = services.opinion_answer(opinion=opinion, user=city.alpha_staff, answer="将增设")
        return services.improvement_plan_create(
            opinion=opinion, user=city.alpha_head, what="增设叫号机", owner=owner, due_on=DUE
        )


def remind(when: datetime.datetime, capture) -> tuple[dict, list]:
    with time_machine.travel(when, tick=False), capture() as callbacks:
        counts = services.plan_due_remind()
    return counts, callbacks


@pytest.mark.clause("6.1")
def test_the_owner_is_reminded_once_before_the_due_date_and_once_when_overdue(
    city, alpha, mailoutbox, django_capture_on_commit_callbacks
):
    plan = plan_owned_by(city, city.alpha_staff)
    assert remind(at(2026, 3, 16, 8), django_capture_on_commit_callbacks)[0] == {"due_soon": 0, "overdue": 0}
    counts, callbacks = remind(at(2026, 3, 17, 8), django_capture_on_commit_callbacks)
    assert counts == {"due_soon": 1, "overdue": 0}
    assert remind(at(2026, 3, 18, 8), django_capture_on_commit_callbacks)[0] == {"due_soon": 0, "overdue": 0}
    assert run_queued(callbacks, app="core.supervision") == [True]
    assert run_queued(callbacks, app="core.supervision") == [False]  # a retry sends nothing twice
    [mail] = mailoutbox
    assert mail.to == ["alpha-staff@example.test"]
    assert "2026-03-20" in mail.subject and f"/supervision/{plan.opinion_id}/" in mail.body

    # Due on the 20th is not overdue on the 20th; it is on the 21st, once.
    assert remind(at(2026, 3, 20, 8), django_capture_on_commit_callbacks)[0] == {"due_soon": 0, "overdue": 0}
    counts, callbacks = remind(at(2026, 3, 21, 8), django_capture_on_commit_callbacks)
    assert counts == {"due_soon": 0, "overdue": 1}
    assert remind(at(2026, 3, 22, 8), django_capture_on_commit_callbacks)[0] == {"due_soon": 0, "overdue": 0}
    assert run_queued(callbacks, app="core.supervision") == [True]
    assert len(mailoutbox) == 2 and "2026-03-20" in mailoutbox[-1].subject
    assert set(PlanReminder.objects.filter(plan=plan).values_list("kind", flat=True)) == {"due_soon", "overdue"}


@pytest.mark.clause("6.1")
def test_a_done_plan_is_not_reminded_nor_mailed(city, alpha, mailoutbox, django_capture_on_commit_callbacks):
    plan = plan_owned_by(city, city.alpha_staff)
    counts, callbacks = remind(at(2026, 3, 25, 8), django_capture_on_commit_callbacks)
    assert counts == {"due_soon": 0, "overdue": 1}  # first seen late: only the overdue reminder
    with time_machine.travel(at(2026, 3, 25, 8, 5), tick=False):
        services.improvement_plan_complete(plan=plan, user=city.alpha_staff, result="已安装")
    assert run_queued(callbacks, app="core.supervision") == [False] and mailoutbox == []
    assert remind(at(2026, 3, 26, 8), django_capture_on_commit_callbacks)[0] == {"due_soon": 0, "overdue": 0}


def test_an_owner_who_left_the_station_is_replaced_by_the_head(
    city, alpha, mailoutbox, django_capture_on_commit_callbacks
):
    plan_owned_by(city, city.alpha_staff)
    Membership.objects.filter(user=city.alpha_staff, station=city.alpha).update(is_active=False)  # rolled back
    counts, callbacks = remind(at(2026, 3, 21, 8), django_capture_on_commit_callbacks)
    assert counts == {"due_soon": 0, "overdue": 1}
    assert run_queued(callbacks, app="core.supervision") == [True]
    assert mailoutbox[-1].to == ["alpha-head@example.test"]


def test_the_database_refuses_a_second_reminder_of_the_same_kind(city, alpha):
    plan = plan_owned_by(city, city.alpha_staff)
    PlanReminder.objects.create(plan=plan, kind="overdue", due_on=DUE, created_at=timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic():
        PlanReminder.objects.create(plan=plan, kind="overdue", due_on=DUE, created_at=timezone.now())


def test_the_beat_task_visits_every_station(city, settings, django_capture_on_commit_callbacks):
    with schema_context(city.alpha.schema_name):
        plan_owned_by(city, city.alpha_staff)
    with time_machine.travel(at(2026, 3, 21, 8), tick=False), django_capture_on_commit_callbacks() as callbacks:
        results = plan_due_remind_all_task.apply().get()
    assert results["alpha"] == {"due_soon": 0, "overdue": 1} and results["beta"] == {"due_soon": 0, "overdue": 0}
    assert [callback.args[1] for callback in queued_tasks(callbacks, app="core.supervision")] == [
        city.alpha.schema_name
    ]
