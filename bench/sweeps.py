"""Benchmark of the outbox's beat sweep at many stations (issue 21): the sweep that visits the schemas marked in the
work table (``tenants.work``) against the sweep that visits every schema one after another, in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/e1_bench_sweeps CELERY_BROKER_URL=redis://127.0.0.1:6379/6 \\
    DJANGO_SECRET_KEY=bench .venv/bin/python bench/sweeps.py --stations 5000

It (re)creates its own database (whose name must contain "bench"; ``--reuse`` keeps it and its stations), migrates
it, and makes the stations as stand-ins: a ``tenants_station`` row each and a schema holding only the outbox table
(``messaging_outboxmessage``, copied with its indexes from the station template). The sweep reads nothing else in a
station, so the stand-in costs each visit of the old sweep what a real station's costs, less the larger catalog of
real stations (about 200 tables each): the baseline is, if anything, flattered. `--with-work` stations (10) hold one
message sent five minutes ago and never delivered (its task lost), marked as ``message_send`` marks it.

Then, interleaved, `--samples` times each (the pending messages and their marks put back before every sample):

* ``every_schema``: the sweep before issue 21 (the public schema, then ``outbox_requeue_stale`` in every station's
  schema, ``tenants.tasks.each_station``); the baseline;
* ``marked_only``: ``outbox_requeue_stale_all_task`` as beat runs it: the run lock, the due marks read, the marked
  schemas swept and their marks settled.

Both queue the same 10 deliveries again (on the benchmark's own Celery queue, purged at the end). Target (issue 21): a
sweep over 5,000 stations with 10 of them holding work under 1 s. Nothing here is a test; ``--smoke`` (50 stations,
3 samples) checks that it still works. See bench/README.md.
"""

import argparse
import datetime
import json
import os
import statistics
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO_ROOT), str(REPO_ROOT / "platform")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stationnet.settings")
# What the sweeps queue goes to a queue of the benchmark's own, purged at the end.
os.environ.setdefault("STATIONNET_CELERY_QUEUE", "bench_sweeps")

import django  # noqa: E402  (the path must be set first)

from bench.directory import database_settings, drop_database, machine, recreate_database  # noqa: E402

FULL = {"stations": 5000, "samples": 10}
SMOKE = {"stations": 50, "samples": 3}
WITH_WORK = 10
BATCH = 250  # stand-in stations made per transaction
PREFIX = "bsw"  # bench station codes and schema names: bsw00001
TARGET_SECONDS = 1.0
MODES = {
    "every_schema": "every schema visited (before issue 21)",
    "marked_only": "marked schemas only (tenants.work)",
}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stations", type=int, help=f"stand-in stations (default {FULL['stations']})")
    parser.add_argument(
        "--with-work", type=int, default=WITH_WORK, help=f"stations with a pending message ({WITH_WORK})"
    )
    parser.add_argument("--samples", type=int, help=f"sweeps of each kind (default {FULL['samples']})")
    parser.add_argument("--smoke", action="store_true", help="50 stations, 3 samples: checks the benchmark itself")
    parser.add_argument("--reuse", action="store_true", help="keep the database and its stations from the last run")
    parser.add_argument("--json", type=Path, help="write every figure to this JSON file")
    parser.add_argument("--drop", action="store_true", help="drop the benchmark database at the end")
    args = parser.parse_args()
    sizes = SMOKE if args.smoke else FULL
    args.stations = args.stations or sizes["stations"]
    args.samples = args.samples or sizes["samples"]
    args.with_work = min(args.with_work, args.stations)
    return args


def code(number: int) -> str:
    return f"{PREFIX}{number:05d}"


def stations_ensure(count: int) -> list[str]:
    """Bring the stand-in stations to `count` (rows and schemas); their schema names."""
    from django.db import connection, transaction
    from django.utils import timezone

    from core.districts import District
    from tenants.models import Station

    existing = set(Station.objects.filter(code__startswith=PREFIX).values_list("code", flat=True))
    wanted = [code(number) for number in range(1, count + 1)]
    missing = [name for name in wanted if name not in existing]
    districts = list(District.values)
    started = time.perf_counter()
    for start in range(0, len(missing), BATCH):
        batch = missing[start : start + BATCH]
        with transaction.atomic(), connection.cursor() as cursor:
            for name in batch:
                cursor.execute(f'CREATE SCHEMA "{name}"')
                cursor.execute(
                    f'CREATE TABLE "{name}".messaging_outboxmessage '
                    f"(LIKE {connection.ops.quote_name(django_template())}.messaging_outboxmessage INCLUDING ALL)"
                )
            Station.objects.bulk_create(
                Station(
                    schema_name=name,
                    code=name,
                    name=f"扫描基准站{name[len(PREFIX) :]}",
                    district=districts[int(name[len(PREFIX) :]) % len(districts)],
                    address="铁岭市基准路1号",
                    service_phone="024-70000031",
                    complaint_phone="024-70000032",
                    created_at=timezone.now(),
                )
                for name in batch
            )
        done = start + len(batch)
        print(f"  {done:,}/{len(missing):,} stand-in stations ({time.perf_counter() - started:.0f} s)", flush=True)
    return wanted


def django_template() -> str:
    from django.conf import settings

    return settings.TENANT_BASE_SCHEMA


def work_put_back(schemas: list[str]) -> None:
    """Each of `schemas` holds one message sent five minutes ago, never delivered nor queued again, and is marked as
    `message_send` marks it; the others hold nothing and are not marked."""
    from django.conf import settings
    from django.db import transaction
    from django.utils import timezone
    from django_tenants.utils import schema_context

    from core.messaging.models import OutboxMessage
    from core.messaging.services import OUTBOX_WORK
    from tenants.models import StationWork
    from tenants.work import station_work_mark

    sent = timezone.now() - datetime.timedelta(minutes=5)
    StationWork.objects.filter(kind=OUTBOX_WORK).delete()
    for schema in schemas:
        with schema_context(schema), transaction.atomic():
            OutboxMessage.objects.all().delete()
            message = OutboxMessage.objects.create(
                destination="public", kind="bench.sweep", stream=f"bench:{schema}", seq=1, payload={}
            )
            OutboxMessage.objects.filter(pk=message.pk).update(created_at=sent)
            station_work_mark(kind=OUTBOX_WORK, due_at=sent + settings.MESSAGING_REQUEUE_AFTER)


def sweep_every_schema() -> dict:
    """The sweep as it was before issue 21: the public schema, then every station's."""
    from django_tenants.utils import get_public_schema_name, schema_context

    from core.messaging.tasks import _sweep
    from tenants.tasks import each_station

    with schema_context(get_public_schema_name()):
        public = _sweep()
    return {get_public_schema_name(): public, **each_station(_sweep)}


def sweep_marked_only() -> dict:
    from core.messaging.tasks import outbox_requeue_stale_all_task

    return outbox_requeue_stale_all_task()


def measure(args: argparse.Namespace, with_work: list[str]) -> dict:
    from django.db import connection

    runs = {"every_schema": sweep_every_schema, "marked_only": sweep_marked_only}
    seconds: dict[str, list[float]] = {mode: [] for mode in runs}
    requeued: dict[str, set] = {mode: set() for mode in runs}
    statements: dict[str, int] = {}
    for sample in range(args.samples):
        for mode, run in runs.items():
            work_put_back(with_work)
            counted = []

            def count(execute, sql, params, many, context, counted=counted):
                counted.append(1)
                return execute(sql, params, many, context)

            start = time.perf_counter()
            with connection.execute_wrapper(count):
                result = run()
            seconds[mode].append(time.perf_counter() - start)
            statements[mode] = len(counted)
            requeued[mode] |= {key for key, value in result.items() if value}
        print(
            f"  sample {sample + 1}/{args.samples}: "
            + ", ".join(f"{mode} {seconds[mode][-1] * 1000:.1f} ms" for mode in runs),
            flush=True,
        )
    codes = set(with_work)
    for mode in runs:
        if requeued[mode] != codes:
            raise SystemExit(f"{mode} queued again in {sorted(requeued[mode])}, not in the {len(codes)} with work")
    return {
        mode: {
            "n": len(values),
            "p50_ms": statistics.median(values) * 1000,
            "max_ms": max(values) * 1000,
            "mean_ms": statistics.fmean(values) * 1000,
            "statements": statements[mode],
        }
        for mode, values in seconds.items()
    }


def purge_queues() -> None:
    from stationnet.celery import worker_queues_purge

    worker_queues_purge()


def report(results: dict) -> None:
    figures = results["sweep"]
    baseline = figures["every_schema"]["p50_ms"]
    print(
        f"\nOutbox sweep, {results['stations']:,} stations, {results['with_work']} with work (p50 of {figures['marked_only']['n']}):"
    )
    for mode, label in MODES.items():
        row = figures[mode]
        ratio = row["p50_ms"] / baseline if baseline else float("nan")
        print(
            f"  {label:45s} p50 {row['p50_ms']:9.1f} ms  max {row['max_ms']:9.1f} ms  "
            f"{row['statements']:6d} statements  ×{ratio:.3f} of the baseline"
        )
    ok = figures["marked_only"]["max_ms"] / 1000 < TARGET_SECONDS
    print(f"  target: under {TARGET_SECONDS:.0f} s: {'met' if ok else 'NOT met'}")


def main() -> None:
    args = parse_args()
    db = database_settings()
    results: dict = {"arguments": {k: str(v) for k, v in vars(args).items()}}
    results["started_at"] = datetime.datetime.now(tz=datetime.UTC).isoformat(timespec="seconds")
    if not args.reuse:
        print(f"Creating database {db['dbname']} …", flush=True)
        recreate_database(db)
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    results["machine"] = machine()
    try:
        if not args.reuse:
            print("Migrating …", flush=True)
            started = time.perf_counter()
            call_command("migrate_schemas", interactive=False, verbosity=0)
            results["migrate_s"] = time.perf_counter() - started
        print(f"Making {args.stations:,} stand-in stations …", flush=True)
        started = time.perf_counter()
        schemas = stations_ensure(args.stations)
        results["stations_s"] = time.perf_counter() - started
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE tenants_station")
        # The stations with work spread over the city, not the first ones.
        step = max(1, len(schemas) // max(1, args.with_work))
        with_work = schemas[::step][: args.with_work]
        results.update(stations=args.stations, with_work=len(with_work))
        print("Sweeping …", flush=True)
        results["sweep"] = measure(args, with_work)
        report(results)
        purge_queues()
    finally:
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(
                json.dumps(results, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8"
            )
        if args.drop:
            drop_database(db)


if __name__ == "__main__":
    main()
