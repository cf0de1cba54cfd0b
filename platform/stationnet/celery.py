"""The one Celery app, configured from Django settings (``CELERY_*``).

tenant-schemas-celery's app stamps every task with the schema it was sent from and switches the worker's database
connection to that schema before the task runs, so a task sent from a station runs inside that station.

A worker and beat also prove they are alive to Kubernetes by touching ``HEARTBEAT_FILE`` (see k8s/, the liveness
probes): a probe that asks the broker (``celery inspect ping``) would restart every worker whenever Redis blinks, and
one that only checks the process exists misses a main loop that is stuck.
"""

import os
from pathlib import Path

from celery.beat import PersistentScheduler
from celery.signals import heartbeat_sent, worker_ready
from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stationnet.settings")

app = CeleryApp("stationnet")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def alive_touch() -> None:
    """Mark this process alive now (the file's modification time), when a heartbeat file is configured."""
    from django.conf import settings

    if settings.HEARTBEAT_FILE:
        Path(settings.HEARTBEAT_FILE).touch()


@worker_ready.connect
@heartbeat_sent.connect
def worker_alive(**kwargs) -> None:
    """The worker's heart beats from its main loop (every 2 s), not from the pool: it stops when the loop is stuck
    or has lost the broker, not while a long export runs in a pool process."""
    alive_touch()


class TouchingScheduler(PersistentScheduler):
    """Beat's scheduler (the default one, with its schedule file), touching the heartbeat file at every tick."""

    def tick(self, *args, **kwargs) -> float:
        interval = super().tick(*args, **kwargs)
        alive_touch()
        return interval


def worker_queues_purge() -> int:
    """Drop every task waiting in this deployment's queues (`WORKER_QUEUES`); how many. For tests and benchmarks that
    leave tasks of theirs behind: ``app.control.purge()`` purges only the queues this process has declared."""
    from django.conf import settings

    with app.connection_for_write() as connection:
        return sum(connection.default_channel.queue_purge(name) or 0 for name in settings.WORKER_QUEUES.values())
