"""Benchmark of a deploy at many stations (issue 21): ``migrate_schemas`` with nothing to do, ours against
django-tenants' stock command, and ours adding one real column to every station, with the peak memory of its processes.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/d1_bench_migrations CELERY_BROKER_URL=redis://127.0.0.1:6379/4 \\
    DJANGO_SECRET_KEY=bench .venv/bin/python bench/migrations.py --stations 1000

It (re)creates its own database (whose name must contain "bench"; ``--reuse`` keeps it and its stations), migrates it,
and generates the stations quickly with the project's generator, ``bench.spares.stations_replayed`` (each station's
schema replayed from the template's ``pg_dump``, its rows written, one transaction a station). Where that is missing,
``stations_copied`` does the same on its own: one real station made by onboarding (``station_create``), the others
copied from it by replaying ``pg_dump --schema=<that station>`` (DDL and small data, ``django_migrations`` included)
with the schema's name replaced. Either way a station's schema has the same tables, constraints and applied
migrations as onboarding gives it (no cases: a no-op migration never reads them, and adding a nullable column does
not either).

Then, each as an operator runs it (``manage.py`` in a process of its own, timed from outside):

* ``noop_stock``: django-tenants' own ``migrate_schemas --tenant`` (the standard executor, every schema visited);
  the baseline;
* ``noop_ours``: ours (``tenants/management/commands/migrate_schemas.py``): the schemas up to date skipped after one
  catalog pass, the template synced;
* ``add_column``: ours, after a throwaway tenant app is added (written to a temporary folder outside the repository,
  with a settings module that adds it) whose one migration adds a nullable column to ``jobs_job`` in every station:
  every station is behind, so all are migrated by the subprocess executor in parallel. Its peak RSS is the largest
  of the command's processes (the parent and every child; ``getrusage(RUSAGE_CHILDREN)`` of a wrapper process). The
  column is checked in every station afterwards, and the column removed again (``migrate_schemas … zero``, not timed)
  so that ``--reuse`` finds the stations as before.

Targets (issue 21): a no-op over 1,000 stations under 30 s (5,000: 150 s); the column over 1,000 stations under
10 minutes with the migrating process under 512 MiB. Nothing here is a test; ``--smoke`` (20 stations) checks that it
still works. See bench/README.md.
"""

import argparse
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO_ROOT), str(REPO_ROOT / "platform")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stationnet.settings")
# The invitation of the one onboarded station goes to a queue of the benchmark's own, never the application's.
os.environ.setdefault("STATIONNET_CELERY_QUEUE", "bench_migrations")

import django  # noqa: E402  (the path must be set first)

from bench.directory import database_settings, drop_database, machine, recreate_database  # noqa: E402

FULL = {"stations": 1000}
SMOKE = {"stations": 20}
SOURCE_CODE = "b0001"  # the one real station, made by onboarding; every other is a copy of its schema
REPLAY_PROGRESS = 100  # stations copied between two progress lines
EXTRA_APP = "d1_bench_extra"
EXTRA_COLUMN = "bench_extra_note"
TARGETS = {"noop_1000_s": 30, "noop_5000_s": 150, "add_column_1000_s": 600, "add_column_rss_mib": 512}

# Runs django-tenants' stock migrate_schemas (our `migrate_schemas` replaces it under that name).
STOCK_COMMAND = """
import sys
sys.path[:0] = [{repo!r}, {platform!r}]
import django
django.setup()
from django.core.management import call_command
from django_tenants.management.commands.migrate_schemas import MigrateSchemasCommand
call_command(MigrateSchemasCommand(), tenant=True, interactive=False, executor="standard", verbosity=0)
"""
# Runs a command and reports the peak RSS of it and its descendants (KiB on Linux), as the last line of stderr.
RSS_WRAPPER = """
import resource, subprocess, sys
code = subprocess.run(sys.argv[1:]).returncode
print(f"peak_rss_kib={resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}", file=sys.stderr)
sys.exit(code)
"""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stations", type=int, help=f"stations in the city (default {FULL['stations']})")
    parser.add_argument("--smoke", action="store_true", help=f"{SMOKE['stations']} stations: checks the benchmark")
    parser.add_argument("--parallel", type=int, help="child processes of ours (default: the setting, CPU count)")
    parser.add_argument("--skip-stock", action="store_true", help="leave out the stock no-op (slow at 5,000)")
    parser.add_argument("--skip-column", action="store_true", help="leave out the added column")
    parser.add_argument("--reuse", action="store_true", help="keep the database and its stations, add missing ones")
    parser.add_argument("--json", type=Path, help="also write every figure to this JSON file")
    parser.add_argument("--drop", action="store_true", help="drop the benchmark database at the end")
    args = parser.parse_args()
    if args.stations is None:
        args.stations = (SMOKE if args.smoke else FULL)["stations"]
    if args.stations < 2:
        parser.error("--stations must be at least 2")
    return args


# --- The city ----------------------------------------------------------------------------------------------------------


def schema_dump(schema: str) -> str:
    """`schema`'s DDL and data as SQL statements (``--inserts``: no COPY from stdin), psql's own commands left out."""
    from django.db import connection

    db = connection.settings_dict
    environment = {**os.environ, "PGPASSWORD": db.get("PASSWORD") or ""}
    output = subprocess.run(  # noqa: S603  (pg_dump, fixed arguments)
        [
            shutil.which("pg_dump") or "/usr/bin/pg_dump",
            f"--host={db['HOST'] or '127.0.0.1'}",
            f"--port={db['PORT'] or 5432}",
            f"--username={db['USER']}",
            f"--schema={schema}",
            "--inserts",
            "--no-owner",
            "--no-privileges",
            db["NAME"],
        ],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return "\n".join(line for line in output.splitlines() if not line.startswith("\\"))


def stations_generate(n: int) -> dict:
    """Bring the database to n bench stations: the project's generator (``bench.spares.stations_replayed``, each
    schema replayed from the template's dump) where it exists, else ``stations_copied``."""
    try:
        from bench.spares import stations_replayed
    except ImportError:
        return stations_copied(n)
    start = time.perf_counter()
    before = station_count()

    def progress(done: int, missing: int, _seconds: float) -> None:
        if done % REPLAY_PROGRESS == 0 or done == missing:
            print(f"  {done}/{missing} stations replayed", flush=True)

    stations_replayed(n, progress=progress)
    made = station_count() - before
    seconds = time.perf_counter() - start
    return {
        "generator": "bench.spares.stations_replayed",
        "replay_s": seconds,
        "replayed": made,
        "replay_per_schema_ms": seconds / made * 1000 if made else None,
    }


def stations_copied(n: int) -> dict:
    """Bring the database to n bench stations: b0001 by onboarding, the others by replaying b0001's dump."""
    from django.db import connection, transaction

    from bench.city import bench_code, bench_stations, station_fields, stations_ensure
    from tenants.models import Station
    from tenants.services import schema_name_for

    figures: dict = {"generator": "bench.migrations.stations_copied"}
    start = time.perf_counter()
    stations_ensure(1)
    figures["onboarding_s"] = time.perf_counter() - start
    source = schema_name_for(SOURCE_CODE)
    have = {station.code for station in bench_stations()}
    missing = [number for number in range(2, n + 1) if bench_code(number) not in have]
    start = time.perf_counter()
    dump = schema_dump(source)
    figures["dump_s"] = time.perf_counter() - start
    pattern = re.compile(rf"\b{source}\b")
    start = time.perf_counter()
    for done, number in enumerate(missing, start=1):
        fields = station_fields(number)
        keep = {key: value for key, value in fields.items() if not key.startswith("head_")}
        # One schema a transaction: a schema's DDL takes a lock per table until the commit (out of shared memory
        # past a few schemas at PostgreSQL's default max_locks_per_transaction).
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(pattern.sub(schema_name_for(fields["code"]), dump))
            cursor.execute("SELECT pg_catalog.set_config('search_path', 'public', false)")  # the dump emptied it
            Station.objects.bulk_create([Station(**keep, schema_name=schema_name_for(fields["code"]))])
        if done % REPLAY_PROGRESS == 0 or done == len(missing):
            connection.close()
            print(f"  {done}/{len(missing)} stations copied", flush=True)
    figures["replay_s"] = time.perf_counter() - start
    figures["replayed"] = len(missing)
    figures["replay_per_schema_ms"] = figures["replay_s"] / len(missing) * 1000 if missing else None
    return figures


def station_count() -> int:
    from tenants.models import Station

    return Station.objects.exclude(schema_name="public").count()


# --- Measuring ---------------------------------------------------------------------------------------------------------


def run_measured(command: list[str], *, environment: dict | None = None) -> dict:
    """Run `command` in a wrapper process: its wall time, its exit code and the peak RSS of all its processes."""
    start = time.perf_counter()
    result = subprocess.run(  # noqa: S603  (our own commands)
        [sys.executable, "-c", RSS_WRAPPER, *command],
        cwd=REPO_ROOT,
        env=environment or dict(os.environ),
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - start
    found = re.search(r"peak_rss_kib=(\d+)", result.stderr)
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return {
        "seconds": seconds,
        "peak_rss_mib": int(found.group(1)) / 1024 if found else None,
        # Ours says what it skipped and migrated ("Station schemas: skipped 998 schemas already up to date, …").
        "summary": [line for line in result.stdout.splitlines() if line.startswith("Station schemas:")],
    }


def manage(*arguments: str) -> list[str]:
    return [sys.executable, str(REPO_ROOT / "manage.py"), "migrate_schemas", *arguments]


def extra_app(folder: Path) -> dict:
    """A throwaway tenant app outside the repository whose one migration adds a column to every station's jobs_job,
    and a settings module that installs it; the environment that uses them."""
    from django.db.migrations.loader import MigrationLoader

    jobs_leaf = max(
        name for app, name in MigrationLoader(None, ignore_no_migrations=True).graph.leaf_nodes() if app == "jobs"
    )
    package = folder / EXTRA_APP
    (package / "migrations").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "migrations" / "__init__.py").write_text("")
    (package / "migrations" / "0001_add_column.py").write_text(
        textwrap.dedent(f"""\
            from django.db import migrations


            class Migration(migrations.Migration):
                dependencies = [("jobs", {jobs_leaf!r})]
                operations = [
                    migrations.RunSQL(
                        "ALTER TABLE jobs_job ADD COLUMN {EXTRA_COLUMN} varchar(40) NULL",
                        "ALTER TABLE jobs_job DROP COLUMN {EXTRA_COLUMN}",
                    )
                ]
        """)
    )
    (folder / "d1_bench_settings.py").write_text(
        textwrap.dedent(f"""\
            from stationnet.settings import *  # noqa: F403

            TENANT_APPS = [*TENANT_APPS, {EXTRA_APP!r}]  # noqa: F405
            INSTALLED_APPS = [*INSTALLED_APPS, {EXTRA_APP!r}]  # noqa: F405
        """)
    )
    python_path = os.pathsep.join([str(folder), str(REPO_ROOT / "platform"), os.environ.get("PYTHONPATH", "")])
    return {**os.environ, "PYTHONPATH": python_path, "DJANGO_SETTINGS_MODULE": "d1_bench_settings"}


def stations_with_column() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM information_schema.columns c JOIN tenants_station s ON s.schema_name = c.table_schema"
            " WHERE c.table_name = 'jobs_job' AND c.column_name = %s",
            [EXTRA_COLUMN],
        )
        return cursor.fetchone()[0]


def ratio(value: float, baseline: float | None) -> str:
    return f"{value / baseline:.2f}×" if baseline else "—"


def main() -> None:
    args = parse_args()
    db = database_settings()
    results: dict = {"arguments": {k: str(v) for k, v in vars(args).items()}, "targets": TARGETS}
    results["started_at"] = datetime.datetime.now(tz=datetime.UTC).isoformat(timespec="seconds")

    def save() -> None:
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(
                json.dumps(results, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8"
            )

    if not args.reuse:
        print(f"Creating database {db['dbname']} …", flush=True)
        recreate_database(db)
    django.setup()
    from django.core.management import call_command
    from django.db import connections

    results["machine"] = machine()
    start = time.perf_counter()
    call_command("migrate_schemas", interactive=False, verbosity=0)
    results["migrate_s"] = time.perf_counter() - start
    print(f"Generating {args.stations} stations …", flush=True)
    results["generate"] = stations_generate(args.stations)
    results["stations"] = station_count()
    with connections["default"].cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) pg_class, pg_attribute, pg_namespace, pg_depend, pg_constraint, pg_index")
        cursor.execute("SELECT count(*) FROM pg_namespace")
        results["schemas_in_database"] = cursor.fetchone()[0]
    connections.close_all()
    save()

    parallel = ["--parallel", str(args.parallel)] if args.parallel else []
    runs = results.setdefault("runs", {})
    if not args.skip_stock:
        print("No-op, django-tenants' stock command …", flush=True)
        stock = STOCK_COMMAND.format(repo=str(REPO_ROOT), platform=str(REPO_ROOT / "platform"))
        runs["noop_stock"] = run_measured([sys.executable, "-c", stock])
        save()
    print("No-op, ours …", flush=True)
    runs["noop_ours"] = run_measured(manage("--tenant", "--noinput", *parallel))
    save()
    if runs["noop_ours"]["summary"][:1] != [
        f"Station schemas: skipped {results['stations']} schemas already up to date, migrating 0."
    ]:
        sys.exit(f"Ours did not skip every station: {runs['noop_ours']['summary']}")
    if not args.skip_column:
        with tempfile.TemporaryDirectory(prefix="d1_bench_") as folder:
            environment = extra_app(Path(folder))
            print("One added column, ours …", flush=True)
            runs["add_column"] = run_measured(manage("--tenant", "--noinput", *parallel), environment=environment)
            runs["add_column"]["stations_with_column"] = stations_with_column()
            save()  # before the clean-up, which takes about as long again
            # Put the stations back as they were (not timed): the column out, the app's migration unrecorded.
            run_measured(
                manage("--tenant", "--noinput", "--all", EXTRA_APP, "zero", *parallel), environment=environment
            )
        if runs["add_column"]["stations_with_column"] != results["stations"]:
            sys.exit(
                f"The column is in {runs['add_column']['stations_with_column']} of {results['stations']} stations."
            )
    results["finished_at"] = datetime.datetime.now(tz=datetime.UTC).isoformat(timespec="seconds")
    save()
    report(results)
    if args.drop:
        drop_database(db)


def report(results: dict) -> None:
    runs = results["runs"]
    n = results["stations"]
    generate = results["generate"]
    print(
        f"\n{n} stations ({results['schemas_in_database']} schemas in the database), {results['machine']['cpus']} CPUs"
    )
    if generate.get("replay_per_schema_ms"):
        print(f"  generator: {generate['replayed']} schemas replayed at {generate['replay_per_schema_ms']:.0f} ms each")
    for line in runs["noop_ours"]["summary"] + runs.get("add_column", {}).get("summary", []):
        print(f"  {line}")
    baseline = runs.get("noop_stock", {}).get("seconds")
    print(f"{'run':<14}{'seconds':>10}{'per station ms':>16}{'vs stock no-op':>16}{'peak RSS MiB':>14}")
    for name, run in runs.items():
        rss = f"{run['peak_rss_mib']:.0f}" if run.get("peak_rss_mib") else "—"
        print(
            f"{name:<14}{run['seconds']:>10.1f}{run['seconds'] / n * 1000:>16.1f}"
            f"{ratio(run['seconds'], baseline):>16}{rss:>14}"
        )


if __name__ == "__main__":
    main()
