"""Benchmark of making a spare schema (issue 21): the template's DDL replayed vs ``clone_schema``, at N stations.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/d2_bench_spares \\
    CELERY_BROKER_URL=redis://127.0.0.1:6379/9 STATIONNET_CELERY_QUEUE=bench_spares \\
    DJANGO_SECRET_KEY=bench .venv/bin/python bench/spares.py --stations 5000

It (re)creates its own database (whose name must contain "bench"; ``--reuse`` keeps it and its stations), migrates
it, brings it to N bench stations made fast by DDL replay (`stations_replayed`), vacuums the catalog, and times,
interleaved, one sample of each after the other:

* baseline: ``CREATE SCHEMA`` of an empty schema, in a transaction rolled back (the least a new schema costs);
* replay: ``spare_schema_create``, the template's dump (kept per template state) replayed into a new spare, committed;
* clone: ``spare_schema_clone``, the same spare made by django-tenants' ``clone_schema`` as before, committed.

Each spare is dropped again after its sample. The first replay of the run (which runs ``pg_dump`` and keeps its
output) is timed apart: it is paid once per deploy. Figures are p50/p95/max and ratios of p50 to the baseline and of
the replay to the clone. Target: a spare under 2 s at p95 at 5,000 stations. ``--smoke`` is a small run (20 stations,
3 samples) that checks the benchmark still works. See bench/README.md.
"""

import argparse
import datetime
import json
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO_ROOT), str(REPO_ROOT / "platform")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stationnet.settings")
os.environ.setdefault("STATIONNET_CELERY_QUEUE", "bench_spares")

import django  # noqa: E402  (the path must be set first)

from bench.directory import (  # noqa: E402
    database_settings,
    drop_database,
    machine,
    recreate_database,
    summarise,
    timed,
)

FULL = {"stations": 1000, "samples": 20}
SMOKE = {"stations": 20, "samples": 3}
WARMUP = 1
MODES = {
    "baseline": "CREATE SCHEMA of an empty schema (rolled back)",
    "replay": "spare_schema_create: the template's DDL replayed",
    "clone": "spare_schema_clone: django-tenants' clone_schema",
}
TARGET_SECONDS = 2.0


def stations_replayed(
    n: int, *, progress: Callable[[int, int, float], None] | None = None, numbers: range | None = None
) -> list:
    """Bring the database to (at least) bench stations b0001 … b{n} (``bench.city``'s codes and fields), made fast:
    each station's schema replayed from the template's dump (``tenants.spare_schemas.spare_schema_replay``) and its
    station and host rows written, one transaction per station. No head, invitation or activity entry: what a
    migration, sweep or spare benchmark needs is the schemas and the rows that name them. Returns the n stations.

    `progress(done, missing, seconds)` is called after each station made. `numbers` makes only those of the n, so two
    processes can share the work (their replays queue only briefly, on django-guardian's foreign keys into the public
    tables, near each replay's end)."""
    from django.db import connection, transaction

    from bench.city import VACUUM_EVERY, bench_code, bench_stations, catalog_vacuum, station_fields
    from tenants.hosts import station_host
    from tenants.models import Domain, Station, StationStatus
    from tenants.services import schema_name_for
    from tenants.spare_schemas import spare_schema_replay

    have = {station.code for station in bench_stations()}
    missing = [number for number in numbers or range(1, n + 1) if number <= n and bench_code(number) not in have]
    connection.set_schema_to_public()
    for done, number in enumerate(missing, start=1):
        start = time.perf_counter()
        fields = station_fields(number)
        code = fields["code"]
        with transaction.atomic():
            spare_schema_replay(schema_name=schema_name_for(code))
            station = Station(
                **{key: value for key, value in fields.items() if not key.startswith("head_")},
                schema_name=schema_name_for(code),
                status=StationStatus.DRAFT,
            )
            station.save(verbosity=0)  # the schema is there: django-tenants makes none
            Domain.objects.create(domain=station_host(code), tenant=station, is_primary=True)
        if done % VACUUM_EVERY == 0:
            catalog_vacuum()
            # A backend's catalog caches grow with every relation it creates (900 MB resident after a hundred
            # replays at 900 stations): a fresh connection now and then.
            connection.close()
        if progress:
            progress(done, len(missing), time.perf_counter() - start)
    if missing:
        catalog_vacuum()
    wanted = {bench_code(number) for number in range(1, n + 1)}
    return [station for station in bench_stations() if station.code in wanted]


def create_schema_rolled_back() -> None:
    from django.db import connection, transaction

    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute('CREATE SCHEMA "bench_empty_schema"')
        transaction.set_rollback(True)


def spare_drop(spare) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA {connection.ops.quote_name(spare.schema_name)} CASCADE")
    spare.delete()


def measure(samples: int, figures: dict, clone_samples: int | None = None) -> None:
    """`clone_samples` limits the clones (minutes each at 5,000 stations) to the first samples, with no warm-up."""
    from bench.city import catalog_vacuum
    from bench.onboarding import catalog_size
    from tenants.models import Station, TemplateDump
    from tenants.spare_schemas import _DUMPS, spare_schema_clone, spare_schema_create, spare_schemas_refill

    spare_schemas_refill(size=0)
    catalog_vacuum()
    figures["stations"] = Station.objects.count()
    figures["catalog"] = catalog_size()
    # The first replay of a template state runs pg_dump (once per deploy): timed apart.
    TemplateDump.objects.all().delete()
    _DUMPS.clear()
    start = time.perf_counter()
    spare_drop(spare_schema_create())
    figures["first_replay_with_pg_dump_ms"] = (time.perf_counter() - start) * 1000
    recorded: dict[str, list[float]] = {mode: [] for mode in MODES}
    for index in range(WARMUP + samples):
        for mode, function in (
            ("baseline", create_schema_rolled_back),
            ("replay", spare_schema_create),
            ("clone", spare_schema_clone),
        ):
            if mode == "clone" and clone_samples is not None and not WARMUP <= index < WARMUP + clone_samples:
                continue
            start = time.perf_counter()
            made = function()
            seconds = time.perf_counter() - start
            if made is not None:
                spare_drop(made)
            if index >= WARMUP:
                recorded[mode].append(seconds)
        catalog_vacuum()
    for mode, seconds in recorded.items():
        if seconds:  # (no clone with --clone-samples 0)
            figures[mode] = summarise(seconds)


def ratio(value: float, base: float) -> str:
    return f"{value / base:.3g}×" if base else "—"


def report(results: dict) -> None:
    figures = results["figures"]
    base, replay = figures["baseline"], figures["replay"]
    clone = figures.get("clone", {"p50_ms": 0})
    catalog = figures["catalog"]
    print(
        f"\nA spare schema at {figures['stations']} stations ({catalog['schemas']} schemas, {catalog['relations']:,}"
        f" relations); {results['arguments']['samples']} samples each after {WARMUP} warm-up, ms"
    )
    print(f"{'kind':<52}{'p50':>11}{'p95':>11}{'max':>11}{'× base':>11}{'× clone':>11}")
    for mode, label in MODES.items():
        if mode not in figures:
            continue
        op = figures[mode]
        print(
            f"{label:<52}{op['p50_ms']:>11.1f}{op['p95_ms']:>11.1f}{op['max_ms']:>11.1f}"
            f"{ratio(op['p50_ms'], base['p50_ms']):>11}{ratio(op['p50_ms'], clone['p50_ms']):>11}"
        )
    print(
        f"First replay of the template state (pg_dump included, once per deploy): {figures['first_replay_with_pg_dump_ms']:.0f} ms"
    )
    verdict = "under" if replay["p95_ms"] < TARGET_SECONDS * 1000 else "NOT under"
    print(
        f"Replay p95 {verdict} {TARGET_SECONDS:.0f} s; replay p50 is {ratio(replay['p50_ms'], clone['p50_ms'])} the clone's"
    )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stations", type=int, help=f"bench stations to measure at (default {FULL['stations']})")
    parser.add_argument("--samples", type=int, help=f"samples of each kind (default {FULL['samples']})")
    parser.add_argument("--smoke", action="store_true", help="20 stations, 3 samples: checks the benchmark itself")
    parser.add_argument("--reuse", action="store_true", help="keep the database and its bench stations")
    parser.add_argument("--json", type=Path, help="also write every figure to this JSON file")
    parser.add_argument("--generate-only", action="store_true", help="make the bench stations and stop")
    parser.add_argument(
        "--numbers",
        help="make only the missing stations numbered FIRST-LAST (1-1: none, to measure at the stations there are)",
    )
    parser.add_argument(
        "--clone-samples", type=int, help="clone only in the first N samples, without warm-up (slow at 5,000 stations)"
    )
    parser.add_argument("--drop", action="store_true", help="drop the benchmark database at the end")
    args = parser.parse_args()
    sizes = SMOKE if args.smoke else FULL
    for name, default in sizes.items():
        if getattr(args, name) is None:
            setattr(args, name, default)
    if args.clone_samples is not None and args.clone_samples < 0:
        parser.error("--clone-samples must be at least 0")
    if args.samples < 1:
        parser.error("--samples must be at least 1")
    return args


def main() -> None:
    signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(143))
    args = parse_args()
    db = database_settings()
    results: dict = {"arguments": {k: str(v) for k, v in vars(args).items()}, "figures": {}, "setup": {}}
    results["started_at"] = datetime.datetime.now(tz=datetime.UTC).isoformat(timespec="seconds")
    if not args.reuse:
        print(f"Creating database {db['dbname']} …", flush=True)
        recreate_database(db)
    django.setup()
    from django.core.management import call_command

    results["machine"] = machine()
    print("Migrating …", flush=True)
    with timed(results["setup"], "migrate_s"):
        call_command("migrate_schemas", interactive=False, verbosity=0)
    print(f"Bringing the city to {args.stations} stations by DDL replay …", flush=True)
    last = time.perf_counter()

    def progress(done: int, missing: int, seconds: float) -> None:
        nonlocal last
        if done % 100 == 0 or done == missing:
            print(
                f"  {done} / {missing} made ({seconds:.2f} s the last, {time.perf_counter() - last:.0f} s)", flush=True
            )
            last = time.perf_counter()

    with timed(results["setup"], "stations_s"):
        first, _dash, final = (args.numbers or f"1-{args.stations}").partition("-")
        stations = stations_replayed(args.stations, progress=progress, numbers=range(int(first), int(final) + 1))
    results["setup"]["stations"] = len(stations)
    if args.generate_only:
        print(f"{len(stations)} stations there in {results['setup']['stations_s']:.0f} s", flush=True)
        return
    print("Measuring …", flush=True)
    measure(args.samples, results["figures"], args.clone_samples)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    report(results)
    setup = results["setup"]
    print(
        f"\nSet-up (not a result): migrate {setup['migrate_s']:.1f} s, {setup['stations']} stations {setup['stations_s']:.0f} s"
    )
    if args.drop:
        drop_database(db)


if __name__ == "__main__":
    main()
