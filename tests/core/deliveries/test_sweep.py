"""The deliveries' beat sweep (tenants.work): a message whose task was lost is still sent, by the sweep of the schema
its queueing marked; the mark goes once nothing is pending there."""

import datetime
import secrets
import time

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from core.deliveries.models import Channel, Delivery, DeliveryStatus
from core.deliveries.services import DELIVERIES_WORK, delivery_queue
from core.deliveries.tasks import deliveries_sweep_all_task
from tenants.models import StationWork
from tenants.work import station_work_mark
from tests.committed import on_own_connection
from tests.tasks import queued_tasks, run_queued

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _sms_folder(settings, tmp_path):
    settings.SMS_BACKEND = "core.common.sms.FileBackend"
    settings.SMS_FILE_PATH = tmp_path / "sms"


def mark(schema: str) -> StationWork | None:
    return StationWork.objects.filter(kind=DELIVERIES_WORK, schema_name=schema).first()


def test_a_lost_delivery_task_still_ends_sent_by_the_sweep(city, django_capture_on_commit_callbacks):
    StationWork.objects.filter(kind=DELIVERIES_WORK, schema_name=city.beta.schema_name).delete()
    with schema_context(city.alpha.schema_name), django_capture_on_commit_callbacks() as lost:
        delivery = delivery_queue(
            key=f"sweep-test:{secrets.token_hex(4)}",
            channel=Channel.SMS,
            address=f"139{secrets.randbelow(10**8):08d}",
            kind="demand_registered",
            text="【银州测试站】您的需求已受理。",
        )
    assert len(queued_tasks(lost, app="core.deliveries")) == 1  # never run: the task is lost with its broker
    assert mark(city.alpha.schema_name).due_at == delivery.next_attempt_at + datetime.timedelta(minutes=10)

    with django_capture_on_commit_callbacks() as early:
        result = deliveries_sweep_all_task()
    assert city.alpha.code not in result  # not due yet: alpha is not visited
    assert queued_tasks(early, app="core.deliveries") == []

    later = timezone.now() + datetime.timedelta(minutes=11)
    with time_machine.travel(later), django_capture_on_commit_callbacks() as callbacks:
        result = deliveries_sweep_all_task()
    assert result[city.alpha.code] == {"requeued": 1, "failed": 0}
    assert city.beta.code not in result
    assert run_queued(callbacks, app="core.deliveries") == [True]
    with schema_context(city.alpha.schema_name):
        assert Delivery.objects.get(pk=delivery.pk).status == DeliveryStatus.SENT

    with time_machine.travel(later + datetime.timedelta(minutes=11)):
        assert deliveries_sweep_all_task()[city.alpha.code] == {"requeued": 0, "failed": 0}
    assert mark(city.alpha.schema_name) is None


def test_many_schemas_with_work_are_swept_by_chunk_tasks_on_a_worker(city, celery_worker, settings):
    # Committed (the worker sees it): alpha and beta marked with delivery work due now, nothing pending there.
    def marks() -> dict[str, object]:
        return dict(
            StationWork.objects.filter(
                kind=DELIVERIES_WORK, schema_name__in=[city.alpha.schema_name, city.beta.schema_name]
            ).values_list("schema_name", "due_at")
        )

    def mark_both() -> None:
        for schema in (city.alpha.schema_name, city.beta.schema_name):
            with schema_context(schema), transaction.atomic():
                station_work_mark(kind=DELIVERIES_WORK)

    on_own_connection(mark_both)
    settings.STATION_WORK_CHUNK = 1
    result = on_own_connection(deliveries_sweep_all_task)
    assert result["chunks"] == result["queued"] >= 2
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and on_own_connection(marks):
        time.sleep(0.5)
    assert on_own_connection(marks) == {}, f"the chunks were not swept; worker log:\n{celery_worker.log.read_text()}"
    assert "deliveries_sweep_chunk_task" in celery_worker.log.read_text()
