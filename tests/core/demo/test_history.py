"""The demo city's history (core.demo.history): generated through the services for the session city's two stations
over two months, it holds figures of every kind, the city statistics' read model agrees with the stations, and a
second load adds nothing."""

import datetime
import io
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django_tenants.utils import schema_context

from core.complaints.models import Complaint
from core.demo.history import history_load
from core.demo.models import DemoHistory
from core.desk.models import CaseState, Channel, Demand, ServiceCase, Survey
from core.messaging.models import OutboxMessage
from core.referrals.models import Direction, Referral
from core.stats.models import CaseFact
from tests.tasks import queued_tasks

pytestmark = pytest.mark.django_db

# A fixed end, so that the history does not depend on the day the test runs.
END = datetime.datetime(2026, 11, 27, 18, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def _counts(city) -> dict[str, int]:
    counts = {}
    for station in (city.alpha, city.beta):
        with schema_context(station.schema_name):
            counts[f"{station.code} demands"] = Demand.objects.count()
            counts[f"{station.code} cases"] = ServiceCase.objects.count()
            counts[f"{station.code} referrals"] = Referral.objects.count()
            counts[f"{station.code} complaints"] = Complaint.objects.count()
    return counts


def test_two_months_of_history_hold_every_kind_of_figure_and_load_once(
    city, published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        history = history_load(stations=[city.alpha, city.beta], months=2, per_station_month=7, end=END)
    # Its messages were delivered as it went and its e-mails belong to the past: no task is left for the worker.
    assert queued_tasks(callbacks, app="core") == []

    assert history is not None and history.finished_at is not None
    assert (history.first_day, history.last_day) == (datetime.date(2026, 9, 27), datetime.date(2026, 11, 27))
    assert "steps refused" not in history.summary  # every step the generator took, the services accepted
    states, channels = set(), set()
    for station in (city.alpha, city.beta):
        with schema_context(station.schema_name):
            states |= set(ServiceCase.objects.values_list("state", flat=True))
            channels |= set(Demand.objects.values_list("channel", flat=True))
            assert Demand.objects.count() >= 8
            assert Survey.objects.exists()
            assert Complaint.objects.exists()
            assert not OutboxMessage.objects.filter(delivered_at__isnull=True).exists()  # delivered as it went
            # Every timestamp lies in the history's two months.
            received = ServiceCase.objects.values_list("received_at", flat=True)
            assert min(received) >= datetime.datetime(2026, 9, 27, tzinfo=END.tzinfo) and max(received) <= END
    # Cases done and rated, cases still open at the end, and both kinds of referral, seen from both sides.
    assert {CaseState.EVALUATED, CaseState.COMPLETED} <= states
    assert states & {CaseState.RECEIVED, CaseState.EVALUATING, CaseState.PLANNED, CaseState.IN_SERVICE}
    assert Channel.REFERRAL in channels  # a case a station opened from another's referral
    with schema_context(city.alpha.schema_name):
        outgoing = Referral.objects.filter(direction=Direction.OUTGOING)
        assert outgoing.filter(institution__isnull=False).exists()
        assert outgoing.filter(partner=city.beta).exists()
    with schema_context(city.beta.schema_name):
        assert Referral.objects.filter(direction=Direction.INCOMING, partner=city.alpha).exists()
    # The summary counts what the history took; the stations also opened a demand for each referral they accepted.
    taken = 0
    for station in (city.alpha, city.beta):
        with schema_context(station.schema_name):
            taken += Demand.objects.exclude(channel=Channel.REFERRAL).count()
    assert history.summary["demands"] == taken

    # The city statistics' read model agrees with what the stations hold.
    assert CaseFact.objects.filter(station__in=[city.alpha, city.beta]).exists()
    out = io.StringIO()
    call_command("stats_check", "--from", "2026-09-27", "--to", "2026-11-27", stdout=out)
    assert "agrees" in out.getvalue()

    before = _counts(city)
    assert history_load(stations=[city.alpha, city.beta], months=2, per_station_month=7, end=END) is None
    assert _counts(city) == before
    assert DemoHistory.objects.count() == 1


def test_the_history_alone_needs_the_demo_city(settings):
    settings.DEMO = True  # outside the demo the command refuses before anything else (its published password)
    with pytest.raises(CommandError, match="load the demo city first"):
        call_command("load_demo_city", "--history-only")
    assert not DemoHistory.objects.exists()
