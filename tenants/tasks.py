"""Celery tasks of tenancy, and the helpers every app's tasks use to run in the right schemas.

- `queue_after_commit`: queue a task once the current transaction commits, to run in the schema active now
  (tenant-schemas-celery reads it from the message header).
- `each_station`: a beat task runs in the public schema and calls a service in each station's schema in turn.
- `each_station_with_work`: a beat sweep visits only the schemas marked with work of its kind (``tenants.work``), in
  this process when they are few, otherwise in chunk tasks of `STATION_WORK_CHUNK` schemas queued in parallel.

No beat run overlaps the previous one: each takes an advisory lock (``core.common.locks.run_lock``) and returns at once
when another run holds it; a sweep in one schema takes one too, so a chunk queued twice never sweeps a schema twice
at once.
"""

import datetime
import logging
from collections.abc import Callable
from functools import partial
from smtplib import SMTPException

from celery import shared_task
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, schema_context

from core.common.locks import run_lock
from tenants.models import Station
from tenants.services import membership_invitation_send
from tenants.spare_schemas import spare_schemas_refill
from tenants.work import station_work_claim, station_work_settle, station_work_stamps, stations_with_work

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
    callback = partial(queue, task, connection.schema_name, kwargs)
    # Django logs a robust callback's failure under its `__qualname__`, which a partial lacks: without one, the
    # AttributeError of the log line itself turned a down broker into a 500 (found by tests/platform/test_failover.py).
    callback.__qualname__ = f"queue({task.name})"
    transaction.on_commit(callback, robust=True)


def each_station(run: Callable[[], object]) -> dict[str, object]:
    """Call `run` in every station's schema; the result by station code. Every station is visited (whatever its
    status); the stations that failed are named in one error at the end, after the others ran. While another run of
    the same `run` goes on, this one returns {} at once."""
    with run_lock(f"each_station:{run.__module__}.{run.__qualname__}") as taken:
        if not taken:
            logger.info("%s is running already: this run is skipped", run.__name__)
            return {}
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


def each_station_with_work(
    *, kind: str, run: Callable[[], object], next_due: Callable[[], datetime.datetime | None], chunk_task
) -> dict[str, object]:
    """Beat: call `run` in each schema (a station's or the public one) marked with work of `kind` due now, then settle
    its mark with `next_due()` (None: nothing left). Up to `STATION_WORK_CHUNK` schemas are swept here, their results
    by station code ("public" for the public schema); more are handed to `chunk_task(schemas=[...])`, queued per
    chunk, which calls `in_schemas_with_work`: the result is then {"queued": schemas, "chunks": tasks}. While another
    run of `kind` goes on, this one returns {} at once."""
    with run_lock(f"sweep:{kind}") as taken:
        if not taken:
            logger.info("the %s sweep is running already: this run is skipped", kind)
            return {}
        now = timezone.now()
        schemas = stations_with_work(kind=kind, now=now)
        size = settings.STATION_WORK_CHUNK
        if len(schemas) <= size:
            return in_schemas_with_work(kind=kind, schemas=schemas, run=run, next_due=next_due)
        station_work_claim(kind=kind, schema_names=schemas, until=now + settings.STATION_WORK_LEASE)
        chunks = [schemas[start : start + size] for start in range(0, len(schemas), size)]
        for chunk in chunks:
            queue(chunk_task, get_public_schema_name(), {"schemas": chunk})
        logger.info("the %s sweep queued %d schemas in %d chunks", kind, len(schemas), len(chunks))
        return {"queued": len(schemas), "chunks": len(chunks)}


def in_schemas_with_work(
    *, kind: str, schemas: list[str], run: Callable[[], object], next_due: Callable[[], datetime.datetime | None]
) -> dict[str, object]:
    """Call `run` in each of `schemas` still marked with work of `kind` and settle its mark (see
    `each_station_with_work`); the result by station code. A schema swept by another run right now is left to it; one
    that is no station's any more loses its mark; those that failed keep theirs and are named in one error at the
    end, after the others ran."""
    public = get_public_schema_name()
    stamps = station_work_stamps(kind=kind, schema_names=schemas)
    codes = dict(Station.objects.filter(schema_name__in=schemas).values_list("schema_name", "code"))
    codes[public] = public
    results, failed = {}, []
    for schema in schemas:
        if schema not in stamps:
            continue  # settled meanwhile
        if schema not in codes:
            station_work_settle(kind=kind, schema_name=schema, stamp=stamps[schema], next_due=None)
            continue
        with run_lock(f"sweep:{kind}:{schema}") as taken:
            if not taken:
                continue
            try:
                with schema_context(schema):
                    results[codes[schema]] = run()
                    due = next_due()
                station_work_settle(kind=kind, schema_name=schema, stamp=stamps[schema], next_due=due)
            except Exception:
                logger.exception("the %s sweep failed in schema %s", kind, schema)
                failed.append(schema)
    if failed:
        raise RuntimeError(f"the {kind} sweep failed in schemas {', '.join(failed)}")
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
