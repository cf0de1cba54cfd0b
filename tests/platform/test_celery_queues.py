"""Separate Celery queues (issue 21): every task of ours goes to the deliveries, periodic or bulk queue, named after
this run's own queue; a delivery is taken while a long bulk task runs; workers and beat touch their heartbeat file."""

import secrets
import time
from pathlib import Path

import pytest
from django.conf import settings

from stationnet.celery import TouchingScheduler, app
from tenants.models import MemberRole, Station
from tenants.selectors import PLATFORM
from tenants.services import membership_create, user_create
from tests.committed import on_own_connection
from tests.platform.slow_tasks import slow_export_task
from tests.processes import working

OUR_PACKAGES = ("core.", "tenants.", "api.", "stationnet.")


def queue_of(task_name: str) -> str:
    """The queue a task sent by this name goes to (the router Celery applies to `delay`, `apply_async`, beat)."""
    return app.amqp.router.route({}, task_name)["queue"].name


def our_tasks() -> list[str]:
    app.loader.import_default_modules()
    return sorted(name for name in app.tasks if name.startswith(OUR_PACKAGES))


def test_queue_names_derive_from_the_default_queue():
    prefix = settings.CELERY_TASK_DEFAULT_QUEUE
    # The test run's own queue (stationnet.devstack test): its queues never meet a demo's on the same broker.
    assert prefix.startswith("tests-")
    assert settings.WORKER_QUEUES == {
        "default": prefix,
        "deliveries": f"{prefix}.deliveries",
        "periodic": f"{prefix}.periodic",
        "bulk": f"{prefix}.bulk",
    }


def test_every_task_of_ours_is_routed_to_a_queue_other_than_the_default():
    tasks = our_tasks()
    assert len(tasks) > 20, tasks
    dedicated = {settings.WORKER_QUEUES[key] for key in ("deliveries", "periodic", "bulk")}
    unrouted = [name for name in tasks if queue_of(name) not in dedicated]
    assert unrouted == [], "route these in settings.CELERY_TASK_ROUTES (deliveries, periodic or bulk)"


def test_every_beat_entry_goes_to_the_periodic_queue():
    assert settings.CELERY_BEAT_SCHEDULE
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert queue_of(entry["task"]) == settings.WORKER_QUEUES["periodic"], entry["task"]
        assert entry["task"] in app.tasks, f"beat names a task that does not exist: {entry['task']}"


@pytest.mark.parametrize(
    ("task_name", "queue"),
    [
        ("core.messaging.tasks.message_deliver_task", "deliveries"),
        ("core.deliveries.tasks.delivery_send_task", "deliveries"),
        ("tenants.tasks.membership_invitation_send_task", "deliveries"),
        ("core.accounts.tasks.account_link_send_task", "deliveries"),
        ("core.evaluation.tasks.round_mail_task", "deliveries"),
        ("core.messaging.tasks.outbox_requeue_stale_all_task", "periodic"),
        ("core.jobs.tasks.jobs_watchdog", "periodic"),
        ("tenants.tasks.spare_schemas_refill_task", "periodic"),
        ("core.directory.tasks.directory_import_task", "bulk"),
        ("core.directory.tasks.directory_export_task", "bulk"),
        ("core.archive.tasks.archive_export_task", "bulk"),
    ],
)
def test_tasks_go_to_the_queue_of_their_kind(task_name, queue):
    assert task_name in our_tasks()
    assert queue_of(task_name) == settings.WORKER_QUEUES[queue]


def test_beat_touches_its_heartbeat_file_at_every_tick(tmp_path, settings):
    settings.HEARTBEAT_FILE = str(tmp_path / "heartbeat")
    # An empty schedule: this tick must send no task of the real one.
    schedule = app.conf.beat_schedule
    app.conf.beat_schedule = {}
    try:
        scheduler = TouchingScheduler(app=app, schedule_filename=str(tmp_path / "schedule"))
        try:
            interval = scheduler.tick()
        finally:
            scheduler.close()
    finally:
        app.conf.beat_schedule = schedule
    assert Path(settings.HEARTBEAT_FILE).exists()
    assert 0 < interval <= settings.CELERY_BEAT_MAX_LOOP_INTERVAL


def wait_for(condition, seconds: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} within {seconds:.0f} s; worker log:\n{log.read_text(encoding='utf-8')[-4000:]}")
        time.sleep(0.2)


def invite(station_id: int, email: str) -> None:
    """A new member of the station, invited: committed, so the invitation's task is queued (on commit) for real."""
    user = user_create(actor=PLATFORM, username=email.split("@")[0], email=email, full_name="队列测试")
    station = Station.objects.get(pk=station_id)
    membership_create(actor=PLATFORM, user=user, station=station, role=MemberRole.STAFF, invite=True)


@pytest.mark.django_db
def test_a_delivery_is_taken_while_a_long_bulk_task_runs(city, tmp_path):
    """Two workers as in k8s/: one on `bulk` (prefork, one pool process), one on `deliveries`. While the bulk worker
    is busy with an export, an invitation still goes out; the bulk worker's heartbeat goes on meanwhile (its liveness
    probe would not restart it mid-export)."""
    job = tmp_path / "job"
    job.mkdir()
    heartbeat = tmp_path / "bulk-heartbeat"
    bulk_folder, deliveries_folder = tmp_path / "bulk", tmp_path / "deliveries"
    bulk_folder.mkdir()
    deliveries_folder.mkdir()
    with (
        working(
            bulk_folder,
            concurrency=1,
            queues=["bulk"],
            include=["tests.platform.slow_tasks"],
            STATIONNET_HEARTBEAT_FILE=str(heartbeat),
        ) as bulk,
        working(deliveries_folder, queues=["deliveries"]) as deliveries,
    ):
        try:
            slow_export_task.delay(folder=str(job), seconds=90)
            wait_for((job / "started").exists, 90, "the bulk worker did not start the export", bulk.log)
            beat_at_start = heartbeat.stat().st_mtime

            email = f"queues-{secrets.token_hex(4)}@example.test"
            on_own_connection(invite, city.alpha.pk, email)

            def invitation_sent() -> bool:
                return any(email in path.read_text(encoding="utf-8") for path in deliveries.mail_dir.glob("*.log"))

            wait_for(invitation_sent, 90, "the deliveries worker did not send the invitation", deliveries.log)
            assert not (job / "finished").exists(), "the export was over before the delivery: nothing was proven"
            time.sleep(3)  # a heartbeat comes every 2 s
            assert heartbeat.stat().st_mtime > beat_at_start, "the bulk worker's heartbeat stopped during the export"
            assert not (job / "finished").exists()
        finally:
            (job / "finish").touch()  # the export ends, so the worker stops at once (warm shutdown)
