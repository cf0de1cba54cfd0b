"""The outbox's beat sweep visits only the schemas `message_send` marked (tenants.work), queues again what is stale
there, and lets the mark go once everything was delivered."""

import datetime

import pytest
import time_machine
from django.utils import timezone
from django_tenants.utils import schema_context

from core.messaging.models import OutboxMessage
from core.messaging.services import OUTBOX_WORK, outbox_deliver_pending
from core.messaging.tasks import outbox_requeue_stale_all_task
from tenants.models import StationWork
from tests.core.desk.builders import take_demand
from tests.core.referrals.builders import refer
from tests.locks import held_elsewhere

pytestmark = pytest.mark.django_db


def outbox_mark(schema: str) -> StationWork | None:
    return StationWork.objects.filter(kind=OUTBOX_WORK, schema_name=schema).first()


@pytest.fixture
def referred(city, published, enterprise):
    """A referral sent from alpha (its messages pending in alpha's outbox); beta marked by nothing of this test."""
    StationWork.objects.filter(kind=OUTBOX_WORK, schema_name=city.beta.schema_name).delete()
    with schema_context(city.alpha.schema_name):
        StationWork.objects.filter(kind=OUTBOX_WORK, schema_name=city.alpha.schema_name).delete()
        referral = refer(city, take_demand(city, enterprise).cases.get())
        sent = OutboxMessage.objects.filter(delivered_at__isnull=True).order_by("created_at").first()
    return referral, sent


def test_a_message_sent_marks_its_schema_due_when_it_may_be_stale(city, referred, settings):
    _referral, first = referred
    mark = outbox_mark(city.alpha.schema_name)
    assert mark.due_at == first.created_at + settings.MESSAGING_REQUEUE_AFTER


def test_the_sweep_visits_the_marked_schemas_only_and_lets_go_once_all_is_delivered(city, referred):
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=5)):
        result = outbox_requeue_stale_all_task()
    # The referral's stream, the bureau's, and the case's figures for the city statistics.
    assert result[city.alpha.code] == 3
    assert city.beta.code not in result
    # Queued again: the mark waits for when they could be stale again (twice the wait), not the next minute.
    mark = outbox_mark(city.alpha.schema_name)
    assert mark.due_at > timezone.now() + datetime.timedelta(minutes=5)

    with schema_context(city.alpha.schema_name):
        assert outbox_deliver_pending() == 5
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=15)):
        assert outbox_requeue_stale_all_task()[city.alpha.code] == 0
    assert outbox_mark(city.alpha.schema_name) is None


def test_new_work_after_everything_was_delivered_marks_the_schema_again(city, referred, enterprise):
    with schema_context(city.alpha.schema_name):
        outbox_deliver_pending()
        # A new case: its figures for the city statistics go out as a message (sent, not delivered yet).
        take_demand(city, enterprise)
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=5)):
        result = outbox_requeue_stale_all_task()
    assert result[city.alpha.code] >= 1
    assert outbox_mark(city.alpha.schema_name) is not None


def test_a_second_sweep_while_one_runs_returns_without_work(city, referred):
    with held_elsewhere(f"sweep:{OUTBOX_WORK}"), time_machine.travel(timezone.now() + datetime.timedelta(minutes=5)):
        assert outbox_requeue_stale_all_task() == {}
    with schema_context(city.alpha.schema_name):
        assert not OutboxMessage.objects.filter(requeues__gt=0).exists()
    assert outbox_mark(city.alpha.schema_name) is not None
