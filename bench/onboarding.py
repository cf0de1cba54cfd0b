"""Benchmark of onboarding a station (issue 6): ``station_create`` at 0, 100 and 500 existing stations.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/stationnet_bench_onboarding \\
    CELERY_BROKER_URL=redis://127.0.0.1:6379/9 STATIONNET_CELERY_QUEUE=bench_onboarding \\
    DJANGO_SECRET_KEY=bench .venv/bin/python bench/onboarding.py

It (re)creates its own database (whose name must contain "bench"; ``--reuse`` keeps it and its stations), migrates it,
and for each level of the city (``--levels``, default 0, 100 and 500 stations) brings it to that many real stations
(``bench.city.stations_ensure``), vacuums the catalog, and times, interleaved, one sample of each after the other:

* baseline: ``CREATE SCHEMA`` of an empty schema, in a transaction rolled back (the least a new schema costs);
* ``station_create`` when no spare schema waits: the whole service (checks, the station row, the template's DDL
  replayed (``tenants.spare_schemas.spare_schema_replay``; until issue 21 cloned by ``clone_schema``), its host, the head's user and membership, the activity entry, the commit and
  the invitation queued on the broker), with where its time goes: the statements and Python (the ``clone_schema``
  and clone-function parts stay at 0 since spares are replayed; ``bench/spares.py`` compares both ways);
* ``station_create`` taking a spare schema (``tenants.spare_schemas``): the same service, the schema renamed from a
  spare instead of cloned; the refill is queued on commit, as in production;
* the refill itself (``spare_schemas_refill``, one spare replayed): what a Celery worker spends after each onboarding.

Each measured station is removed again (its schema dropped, its rows deleted) so the level stays what it says. Every
figure is printed as a ratio to the baseline of its level, and to ``station_create`` (cloning) at the first level.
Nothing here is a test: run it by hand, or with ``--smoke`` for a small run that checks the benchmark still works.
See bench/README.md.
"""

import argparse
import datetime
import json
import os
import signal
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO_ROOT), str(REPO_ROOT / "platform")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stationnet.settings")
# The benchmark's own Celery queue: what it queues (invitations, refills) is purged at the end.
os.environ.setdefault("STATIONNET_CELERY_QUEUE", "bench_onboarding")

import django  # noqa: E402  (the path must be set first)

from bench.directory import (  # noqa: E402
    database_settings,
    drop_database,
    machine,
    percentile,
    recreate_database,
    summarise,
    timed,
)

FULL = {"levels": [0, 100, 500], "samples": 20}
SMOKE = {"levels": [0, 5], "samples": 3}
WARMUP = 1  # samples run first at each level and left out of the figures
MODES = {
    "baseline": "baseline: CREATE SCHEMA of an empty schema (rolled back)",
    "clone": "station_create, no spare waiting (template replayed)",
    "spare": "station_create taking a spare schema (renamed)",
    "refill": "spare_schemas_refill: one spare replayed (a worker, after commit)",
}
# What a station_create that clones spends its statements on (by the statement's text).
CLONE_PARTS = {
    "clone_schema": "SELECT clone_schema(",
    "install": "pg-clone-schema",  # the clone functions, dropped and created again before every clone
}
TARGET_SECONDS = 1.0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--levels",
        type=lambda text: sorted({int(part) for part in text.split(",")}),
        help=f"numbers of existing stations to measure at, comma-separated (default {','.join(map(str, FULL['levels']))})",
    )
    parser.add_argument("--samples", type=int, help=f"samples of each kind per level (default {FULL['samples']})")
    parser.add_argument("--smoke", action="store_true", help="levels 0 and 5, 3 samples: checks the benchmark itself")
    parser.add_argument(
        "--reuse", action="store_true", help="keep the database and its bench stations (levels below them are skipped)"
    )
    parser.add_argument("--json", type=Path, help="also write every figure to this JSON file")
    parser.add_argument("--drop", action="store_true", help="drop the benchmark database at the end")
    args = parser.parse_args()
    sizes = SMOKE if args.smoke else FULL
    for name, default in sizes.items():
        if getattr(args, name) is None:
            setattr(args, name, default)
    if args.samples < 1:
        parser.error("--samples must be at least 1")
    return args


def check_queue() -> str:
    from django.conf import settings

    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    if "bench" not in queue:
        sys.exit(f"Refusing to use Celery queue {queue!r}: set STATIONNET_CELERY_QUEUE to a name containing 'bench'.")
    return queue


def purge_queue(queue: str) -> int:
    from stationnet.celery import app

    with app.connection_for_write() as conn:
        return conn.default_channel.queue_purge(queue) or 0


# --- Measuring ---------------------------------------------------------------------------------------------------------


class PartTimer:
    """A Django execute wrapper: the statements and their time, by the parts of CLONE_PARTS (and "other_sql")."""

    def __init__(self):
        self.statements = 0
        self.seconds: dict[str, float] = dict.fromkeys([*CLONE_PARTS, "other_sql"], 0.0)

    def __call__(self, execute, sql_text, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql_text, params, many, context)
        finally:
            part = next((name for name, marker in CLONE_PARTS.items() if marker in sql_text[:400]), "other_sql")
            self.seconds[part] += time.perf_counter() - start
            self.statements += 1


@dataclass
class Samples:
    seconds: list[float] = field(default_factory=list)
    statements: list[int] = field(default_factory=list)
    parts: dict[str, list[float]] = field(default_factory=dict)

    def add(self, seconds: float, timer: PartTimer) -> None:
        self.seconds.append(seconds)
        self.statements.append(timer.statements)
        for name, part in timer.seconds.items():
            self.parts.setdefault(name, []).append(part)
        self.parts.setdefault("python", []).append(seconds - sum(timer.seconds.values()))

    def summary(self) -> dict:
        return summarise(
            self.seconds,
            statements_median=statistics.median(self.statements),
            parts_p50_ms={name: percentile(values, 50) * 1000 for name, values in self.parts.items()},
        )


def measured(function) -> tuple[float, PartTimer]:
    from django.db import connection

    timer = PartTimer()
    with connection.execute_wrapper(timer):
        start = time.perf_counter()
        function()
        elapsed = time.perf_counter() - start
    return elapsed, timer


def create_schema_rolled_back() -> None:
    from django.db import connection, transaction

    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute('CREATE SCHEMA "bench_empty_schema"')
        transaction.set_rollback(True)


def catalog_size() -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM pg_namespace), (SELECT count(*) FROM pg_class),"
            " (SELECT count(*) FROM pg_attribute), (SELECT count(*) FROM pg_index),"
            " pg_total_relation_size('pg_class') + pg_total_relation_size('pg_attribute')"
            " + pg_total_relation_size('pg_depend') + pg_total_relation_size('pg_index')"
        )
        namespaces, relations, attributes, indexes, size = cursor.fetchone()
    return {
        "schemas": namespaces,
        "relations": relations,
        "attributes": attributes,
        "indexes": indexes,
        "catalog_mib": round(size / 2**20, 1),
    }


def level_benchmark(level: int, samples: int, figures: dict) -> None:
    """At `level` stations: the baseline, station_create cloning, station_create taking a spare, and the refill."""
    from django.db import connection
    from django.test import override_settings

    from bench.city import catalog_vacuum, stations_remove
    from tenants.models import Station
    from tenants.selectors import PLATFORM
    from tenants.services import station_create
    from tenants.spare_schemas import spare_schemas_fresh_count, spare_schemas_refill

    recorded = {mode: Samples() for mode in MODES}
    spare_schemas_refill(size=0)  # no spare waits: the clone path clones
    catalog_vacuum()
    figures["stations"] = Station.objects.count()
    figures["catalog"] = catalog_size()
    for index in range(WARMUP + samples):
        counted = index >= WARMUP

        def record(mode: str, function, counted=counted) -> None:
            seconds, timer = measured(function)
            if counted:
                recorded[mode].add(seconds, timer)

        record("baseline", create_schema_rolled_back)
        # Onboarding with an empty pool: the template is cloned in the request. No refill is queued (pool size 0),
        # so the pool stays empty for the next sample.
        code = f"m{level}c{index}"
        with override_settings(STATION_SPARE_SCHEMAS=0):
            record("clone", lambda code=code: station_create(actor=PLATFORM, **fields(code)))
        stations_remove([code])
        # The refill a worker runs after an onboarding: one spare cloned.
        record("refill", lambda: spare_schemas_refill(size=1))
        if spare_schemas_fresh_count() != 1:
            raise RuntimeError("the refill made no spare")
        # Onboarding with a spare waiting: renamed in the request; the refill is queued on commit (to the broker).
        code = f"m{level}s{index}"
        with override_settings(STATION_SPARE_SCHEMAS=1):
            record("spare", lambda code=code: station_create(actor=PLATFORM, **fields(code)))
        if spare_schemas_fresh_count() != 0:
            raise RuntimeError("station_create did not take the spare")
        check_complete(code)
        stations_remove([code])
        connection.close()  # every sample on a new connection, as a web request after the previous one's was closed
    for mode, samples_of_mode in recorded.items():
        figures[mode] = samples_of_mode.summary()


def fields(code: str) -> dict:
    from bench.city import station_fields

    return {
        **station_fields(9999),
        "code": code,
        "name": f"测量站{code}",
        "head_email": f"{code}-head@bench.example.test",
    }


def check_complete(code: str) -> None:
    """The station made from a spare has the template's tables, migrations and its head (else the run fails)."""
    from django.conf import settings
    from django.db import connection

    from tenants.models import Station

    station = Station.objects.get(code=code)
    with connection.cursor() as cursor:
        query = (
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s"
            " AND c.relkind = 'r'"
        )
        cursor.execute(query, [station.schema_name])
        tables = cursor.fetchone()[0]
        cursor.execute(query, [settings.TENANT_BASE_SCHEMA])
        template_tables = cursor.fetchone()[0]
    if tables != template_tables or not station.memberships.filter(role="head").exists():
        raise RuntimeError(f"station {code} from a spare is incomplete: {tables} tables of {template_tables}")


# --- Report -----------------------------------------------------------------------------------------------------------


def ratio(value: float, baseline: float) -> str:
    return f"{value / baseline:.1f}×" if baseline else "—"


def report(results: dict) -> None:
    levels = results["levels"]
    if not levels:
        print("\nNo level measured.")
        return
    first = next(iter(levels.values()))["clone"]
    print(
        f"\nstation_create, ms ({results['arguments']['samples']} samples per kind and level after {WARMUP} warm-up;"
        " ratios of p50: to the baseline of the level, and to station_create cloning at the first level)"
    )
    header = f"{'stations':>8}  {'kind':<66}{'p50':>8}{'p95':>8}{'max':>8}{'× base':>9}{'× first':>9}{'stmts':>7}"
    print(header)
    for level, figures in levels.items():
        base = figures["baseline"]
        for mode, label in MODES.items():
            op = figures[mode]
            print(
                f"{figures['stations']:>8}  {label:<66}{op['p50_ms']:>8.1f}{op['p95_ms']:>8.1f}{op['max_ms']:>8.1f}"
                f"{ratio(op['p50_ms'], base['p50_ms']):>9}"
                f"{ratio(op['p50_ms'], first['p50_ms']) if mode != 'baseline' else '':>9}"
                f"{op['statements_median']:>7.0f}"
            )
        verdict = "under" if figures["spare"]["p95_ms"] < TARGET_SECONDS * 1000 else "NOT under"
        print(f"{'':>10}p95 with a spare {verdict} {TARGET_SECONDS:.0f} s at level {level}")
    print("\nWhere station_create's time goes when it clones (p50 of each part, ms)")
    print(f"{'stations':>8}{'clone_schema':>14}{'install':>10}{'other SQL':>11}{'Python':>9}   catalog")
    for figures in levels.values():
        parts = figures["clone"]["parts_p50_ms"]
        catalog = figures["catalog"]
        print(
            f"{figures['stations']:>8}{parts['clone_schema']:>14.1f}{parts['install']:>10.1f}{parts['other_sql']:>11.1f}"
            f"{parts['python']:>9.1f}   {catalog['schemas']} schemas, {catalog['relations']:,} relations,"
            f" {catalog['indexes']:,} indexes, {catalog['catalog_mib']} MiB of pg_class/attribute/depend/index"
        )


def main() -> None:
    signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(143))
    args = parse_args()
    db = database_settings()
    results: dict = {"arguments": {k: str(v) for k, v in vars(args).items()}, "levels": {}}
    results["started_at"] = datetime.datetime.now(tz=datetime.UTC).isoformat(timespec="seconds")
    started = time.perf_counter()

    def save() -> None:
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            text = json.dumps(results, indent=2, ensure_ascii=False, default=str) + "\n"
            args.json.write_text(text, encoding="utf-8")

    if not args.reuse:
        print(f"Creating database {db['dbname']} …", flush=True)
        recreate_database(db)
    django.setup()
    queue = check_queue()
    from django.core.management import call_command

    from bench.city import bench_stations, stations_ensure

    results["machine"] = machine()
    setup = results.setdefault("setup", {})
    print("Migrating …", flush=True)
    with timed(setup, "migrate_s"):
        call_command("migrate_schemas", interactive=False, verbosity=0)
    have = len(bench_stations())
    load = results.setdefault("load_average", {})
    for level in args.levels:
        if level < have:
            print(f"Level {level}: skipped, the database has {have} bench stations already (--reuse)", flush=True)
            continue
        print(f"Level {level}: bringing the city to {level} stations …", flush=True)
        last = time.perf_counter()

        def progress(done: int, missing: int, seconds: float) -> None:
            nonlocal last
            if done % 50 == 0 or done == missing:
                print(f"  {done} / {missing} made ({seconds:.2f} s the last, {time.perf_counter() - last:.0f} s)")
                last = time.perf_counter()

        with timed(setup, f"stations_{level}_s"):
            have = len(stations_ensure(level, progress=progress))
        load[str(level)] = os.getloadavg()
        print(f"Level {level}: measuring …", flush=True)
        figures = results["levels"].setdefault(str(level), {})
        level_benchmark(level, args.samples, figures)
        save()
    results["purged_tasks"] = purge_queue(queue)
    results["total_s"] = time.perf_counter() - started
    save()
    report(results)
    built = ", ".join(f"{key[9:-2]}: {value:.0f} s" for key, value in setup.items() if key.startswith("stations_"))
    print(f"\nSet-up (not a result): migrate {setup['migrate_s']:.1f} s; bench stations made up to each level: {built}")
    print("Load average (1 min) before each level: " + ", ".join(f"{k} {v[0]:.1f}" for k, v in load.items()))
    print(f"Total {results['total_s']:.0f} s")
    if args.drop:
        drop_database(db)


if __name__ == "__main__":
    main()
