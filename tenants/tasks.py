"""Celery tasks of tenancy, and the two helpers every app's tasks use to run in the right schema.

- `queue_after_commit`: queue a task once the current transaction commits, to run in the schema active now
  (tenant-schemas-celery reads it from the message header).
- `each_station`: a beat task runs in the public schema and calls a service in each station's schema in turn.
"""

import logging
from collections.abc import Callable
from functools import partial
from smtplib import SMTPException

from celery import shared_task
from django.db import connection, transaction
from django_tenants.utils import get_public_schema_name, schema_context

from tenants.models import Station
from tenants.services import membership_invitation_send
from tenants.spare_schemas import spare_schemas_refill

logger = logging.getLogger(__name__)


def queue(task, schema: str, kwargs: dict) -> None:
    """Publish `task` to run in `schema`."""
    task.apply_async(kwargs=kwargs, headers={"_schema_name": schema})


def queue_after_commit(task, **kwargs) -> None:
    """Queue `task` once the current transaction commits, to run in the schema active now (it is named here because
    the schema may change before the commit). The callback is a `partial` of `queue`, so a test can see which task it
    queues, and with what."""
    # Robust: a broker that is down when the commit is done never turns a saved change into an error page; the work
    # waits for its sweep (deliveries, the outbox) or its retry.
    transaction.on_commit(partial(queue, task, connection.schema_name, kwargs), robust=True)


def each_station(run: Callable[[], object]) -> dict[str, object]:
    """Call `run` in every station's schema; the result by station code. Every station is visited (whatever its
    status); the stations that failed are named in one error at the end, after the others ran."""
    results, failed = {}, []
    for station in Station.objects.exclude(schema_name=get_public_schema_name()).order_by("code"):
        try:
            with schema_context(station.schema_name):
                results[station.code] = run()
        except Exception:
            logger.exception("%s failed in station %s", run.__name__, station.code)
            failed.append(station.code)
    if failed:
        raise RuntimeError(f"{run.__name__} failed in stations {', '.join(failed)}")
    return results


@shared_task(
    autoretry_for=(SMTPException, OSError),
    retry_backoff=30,
    retry_backoff_max=3600,
    retry_jitter=True,
    max_retries=12,
)
def membership_invitation_send_task(*, membership_id: int) -> bool:
    return membership_invitation_send(membership_id=membership_id)


@shared_task
def spare_schemas_refill_task() -> int:
    """Clone the station template until settings.STATION_SPARE_SCHEMAS spares wait (queued after each onboarding and
    by beat); a second refill while one runs returns at once."""
    return spare_schemas_refill()
