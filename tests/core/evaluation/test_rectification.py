"""A "rectify by" date means something (issue 20, clause 3): concluding a round "rectify by D" opens the follow-up round
due on D; a daily task reminds the station's heads and the bureau's administrators 7 days and 1 day before D, each
once, and tells them once when D has passed without a concluded follow-up; the console lists overdue rectifications
with the station, the date and the days overdue."""

import datetime

import pytest
from django.conf import settings
from django.utils import timezone

from core.evaluation import services
from core.evaluation.models import Conclusion, EvaluationRound, RoundKind, RoundStatus
from core.evaluation.services import rectification_remind
from core.evaluation.tasks import rectification_remind_task
from core.notifications.kinds import RECTIFICATION_DUE, RECTIFICATION_OVERDUE
from core.notifications.models import Notification
from tests.conftest import host_client
from tests.core.evaluation.builders import conclude, review, self_assess, submitted_round

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def today() -> datetime.date:
    return timezone.localdate()


def rectified(city, due: datetime.date) -> EvaluationRound:
    """Round 1 of alpha concluded "rectify by `due`" (4.2.6 scored 0); the follow-up round it opened."""
    conclude(city, submitted_round(city), Conclusion.RECTIFY, not_met=("4.2.6",), rectify_by=due)
    return EvaluationRound.objects.get(station=city.alpha, kind=RoundKind.FOLLOW_UP)


def told(city, kind: str) -> set[tuple[str, str]]:
    """(recipient, key) of the notifications of `kind` to alpha's head and the bureau's administrator."""
    return set(
        Notification.objects.filter(kind=kind, recipient__in=[city.alpha_head, city.bureau_admin]).values_list(
            "recipient__username", "key"
        )
    )


@pytest.mark.clause("3")
def test_rectify_by_a_date_opens_the_follow_up_due_that_date(city):
    due = today() + 30 * DAY
    follow_up = rectified(city, due)
    assert (follow_up.status, follow_up.due_on, follow_up.previous.rectify_by) == (RoundStatus.OPEN, due, due)
    assert follow_up.previous.conclusion == Conclusion.RECTIFY
    assert follow_up.items.get(code="4.2.6").self_met is None  # to be answered again


@pytest.mark.clause("3")
def test_reminders_7_and_1_days_before_then_once_when_overdue(city):
    due = today() + 10 * DAY
    follow_up = rectified(city, due)
    head, admin = city.alpha_head.username, city.bureau_admin.username
    assert rectification_remind(today=today()) == 0  # 10 days away: not yet
    assert rectification_remind(today=due - 7 * DAY) == 2  # the head and the administrator
    assert told(city, RECTIFICATION_DUE) == {
        (admin, f"rectification_due:{follow_up.pk}:7"),
        (head, f"rectification_due:{follow_up.pk}:7"),
    }
    assert rectification_remind(today=due - 7 * DAY) == 0  # once
    assert rectification_remind(today=due - 3 * DAY) == 0  # still the 7 days' window
    assert rectification_remind(today=due - DAY) == 2  # the last day's
    assert rectification_remind(today=due) == 0  # the date itself is in the 1 day's window
    assert len(told(city, RECTIFICATION_DUE)) == 4
    assert told(city, RECTIFICATION_OVERDUE) == set()
    assert rectification_remind(today=due + DAY) == 2  # passed: told once
    assert rectification_remind(today=due + 5 * DAY) == 0
    assert told(city, RECTIFICATION_OVERDUE) == {
        (admin, f"rectification_overdue:{follow_up.pk}"),
        (head, f"rectification_overdue:{follow_up.pk}"),
    }
    notice = Notification.objects.get(kind=RECTIFICATION_OVERDUE, recipient=city.alpha_head)
    assert "整改期限" in notice.title and f"/station/evaluation/rounds/{follow_up.number}/" in notice.url
    on_console = Notification.objects.get(kind=RECTIFICATION_OVERDUE, recipient=city.bureau_admin)
    assert f"/console/stations/{city.alpha.pk}/evaluations/{follow_up.number}/" in on_console.url


@pytest.mark.clause("3")
def test_a_concluded_follow_up_is_neither_reminded_nor_overdue(city):
    due = today() + 5 * DAY
    follow_up = rectified(city, due)
    self_assess(follow_up, city.alpha_head)
    services.round_submit(evaluation_round=follow_up, user=city.alpha_head)
    review(follow_up, city.bureau_admin)
    services.round_conclude(evaluation_round=follow_up, user=city.bureau_admin, conclusion=Conclusion.APPROVED)
    assert rectification_remind(today=due - DAY) == 0
    assert rectification_remind(today=due + DAY) == 0
    assert told(city, RECTIFICATION_DUE) == told(city, RECTIFICATION_OVERDUE) == set()


@pytest.mark.clause("3")
def test_the_reminders_run_daily_by_beat(city):
    entry = next(e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"].endswith("rectification_remind_task"))
    assert entry["task"] == "core.evaluation.tasks.rectification_remind_task"
    follow_up = rectified(city, today() + DAY)
    assert rectification_remind_task() == 2  # due tomorrow: the last day's reminder
    assert follow_up.pk in {int(key.split(":")[1]) for _who, key in told(city, RECTIFICATION_DUE)}


@pytest.mark.clause("3")
def test_the_console_lists_overdue_rectifications(city, public_host):
    follow_up = rectified(city, today() + 10 * DAY)
    viewer = host_client(public_host, city.bureau_viewer)
    html = viewer.get("/console/evaluation/").content.decode()
    assert 'id="no-overdue"' in html and f'data-station="alpha" data-round="{follow_up.number}"' in html  # under way
    EvaluationRound.objects.filter(pk=follow_up.pk).update(due_on=today() - 3 * DAY)  # ten days on, 3 days late
    html = viewer.get("/console/evaluation/").content.decode()
    overdue = html.split('id="rectifications-overdue"')[1].split("</section>")[0]
    assert f'data-station="alpha" data-round="{follow_up.number}" data-days-overdue="3"' in overdue
    assert city.alpha.name in overdue and (today() - 3 * DAY).isoformat() in overdue
    home = viewer.get("/console/").content.decode()
    assert 'id="home-rectifications-overdue"' in home and 'data-days-overdue="3"' in home
    assert host_client(public_host, city.outsider).get("/console/evaluation/").status_code == 403
