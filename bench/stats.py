"""Benchmark of the city statistics (issue 6): the bureau's dashboard at 500 stations with 2,000 cases each.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/stationnet_bench_stats \\
    CELERY_BROKER_URL=redis://127.0.0.1:6379/9 STATIONNET_CELERY_QUEUE=bench_stats \\
    DJANGO_SECRET_KEY=bench .venv/bin/python bench/stats.py

It (re)creates its own database (whose name must contain "bench"), migrates it, provisions the stations (the
template schema's DDL replayed per station; see `provision`), and fills every station's desk with generated cases in bulk SQL (demands, cases, their timelines,
plans, service records and surveys, spread over the last two years: about 70% completed, 15% served by an
institution, 10% referred to another station, 60% of the completed ones rated). The read model is then built from
the schemas with `case_facts_rebuild` (the same query a station runs when one of its cases changes). It measures:

* the dashboard (``GET /api/v1/statistics/`` on the public host as a bureau administrator, through Django's test
  client in-process: middleware, session, the selector, serialization) for the last 30, 90 (the console's default)
  and 365 days, by station, district and category: p50/p95/max;
* for the same periods, the naive answer: a loop over every station's schema (``city_statistics_from_schemas``),
  and the check that both give the same figures;
* the baseline, in the same run: ``SELECT count(*)`` of the read model's rows in the period;
* the selector itself (``city_statistics``, in-process) the way it answered before the month counts and time
  histograms (``from_days``: the day counts, every median sorted from the facts) against the way it answers now (whole
  months and edge days, the city's and categories' medians located in the histograms), for the same periods and
  groupings, alternating, and the check that both give the same figures (issue 21);
* how long a change in a station takes to show in the read model: demands taken in random stations through the
  desk's services, delivered through the real broker by a real Celery worker (prefork, two children), timed from
  the station's commit until the city's figures include it.

Nothing here is a test: run it by hand, or with ``--smoke`` for a small run that checks the benchmark still works.
"""

import argparse
import datetime
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO_ROOT), str(REPO_ROOT / "platform")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stationnet.settings")
os.environ.setdefault("STATIONNET_CELERY_QUEUE", "bench_stats")

import django  # noqa: E402  (the path must be set first)

from bench.directory import (  # noqa: E402
    database_settings,
    drop_database,
    machine,
    recreate_database,
    summarise,
    timed,
)
from bench.referrals import check_queue, purge_queue, worker  # noqa: E402

FULL = {"stations": 500, "cases": 2_000, "runs": 40, "naive_runs": 3, "changes": 60}
SMOKE = {"stations": 6, "cases": 200, "runs": 5, "naive_runs": 1, "changes": 5}
PERIODS = {"30 days": 30, "90 days": 90, "365 days": 365}
DISTRICTS = ("yinzhou", "qinghe", "tieling_county", "xifeng", "changtu", "diaobingshan", "kaiyuan")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stations", type=int, help=f"stations (default {FULL['stations']})")
    parser.add_argument("--cases", type=int, help=f"cases per station (default {FULL['cases']:,})")
    parser.add_argument("--runs", type=int, help=f"timed dashboard requests per period and grouping ({FULL['runs']})")
    parser.add_argument("--naive-runs", type=int, help=f"timed naive answers per period ({FULL['naive_runs']})")
    parser.add_argument("--changes", type=int, help=f"changes timed until visible ({FULL['changes']})")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, for checking the benchmark itself")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--skip-broker", action="store_true", help="do not measure the change visibility")
    parser.add_argument("--worker-log", type=Path, default=REPO_ROOT / "var" / "bench" / "stats-worker.log")
    parser.add_argument(
        "--reuse", action="store_true", help="measure the database an earlier run generated, without generating it"
    )
    parser.add_argument("--generate-only", action="store_true", help="generate the data and stop")
    parser.add_argument("--drop", action="store_true", help="drop the benchmark database at the end")
    parser.add_argument("--json", type=Path, help="also write every figure to this JSON file")
    args = parser.parse_args()
    for name, default in (SMOKE if args.smoke else FULL).items():
        if getattr(args, name) is None:
            setattr(args, name, default)
    return args


# --- Data ------------------------------------------------------------------------------------------------------------


def pg_dump() -> str:
    """A pg_dump of the server's own major version (`core.common.pg_tools`)."""
    from core.common.pg_tools import pg_program

    return pg_program("pg_dump")


def template_ddl(db: dict) -> str:
    """The template schema (`TENANT_BASE_SCHEMA`) as SQL, from pg_dump: every table, index, constraint, trigger and
    the rows it holds (its migration records), for replaying under another schema name."""
    from django.conf import settings

    command = [pg_dump(), "--schema", settings.TENANT_BASE_SCHEMA, "--inserts", "--no-owner", "--no-privileges"]
    command += ["--host", db["host"], "--port", str(db["port"]), "--username", db["user"], db["dbname"]]
    environment = {**os.environ, **({"PGPASSWORD": db["password"]} if db["password"] else {})}
    dump = subprocess.run(command, check=True, capture_output=True, text=True, env=environment).stdout  # noqa: S603
    # psql's meta-commands (\restrict) are not SQL.
    return "\n".join(line for line in dump.splitlines() if not line.startswith("\\"))


def provision(args: argparse.Namespace, db: dict, results: dict) -> list:
    """`args.stations` published stations and one bench enterprise.

    Each station's schema is the template's DDL replayed under the station's schema name, on a connection of its own,
    and its rows (station, host, head) are written as `station_create` writes them. Not the service itself: cloning
    with django-tenants' `clone_schema` slows down as the catalog grows (seconds per station past a few hundred), and
    how fast a station is onboarded is `bench/onboarding.py`'s measurement, not this one's."""
    import psycopg2
    from django.conf import settings

    from core.directory import uscc
    from core.directory.models import Enterprise
    from tenants.hosts import station_host
    from tenants.models import Domain, MemberRole, Station, StationStatus
    from tenants.selectors import PLATFORM
    from tenants.services import membership_create, schema_name_for, user_create

    setup = results.setdefault("setup", {})
    ddl = template_ddl(db)
    with timed(setup, "stations_s"):
        raw = psycopg2.connect(**db)
        for number in range(1, args.stations + 1):
            code = f"s{number:04d}"
            with raw, raw.cursor() as cursor:
                cursor.execute(ddl.replace(settings.TENANT_BASE_SCHEMA, schema_name_for(code)))
            station = Station(
                code=code,
                schema_name=schema_name_for(code),
                name=f"基准统计测试站{number:04d}",
                district=DISTRICTS[number % len(DISTRICTS)],
                address=f"铁岭市基准路{number}号",
                service_phone="024-70000031",
                complaint_phone="024-70000032",
                status=StationStatus.PUBLISHED,
            )
            station.save(verbosity=0)  # the schema exists: django-tenants does not create it again
            Domain.objects.create(domain=station_host(code), tenant=station, is_primary=True)
            head = user_create(actor=PLATFORM, username=f"{code}-head@example.test", full_name=f"站长{number:04d}")
            membership_create(actor=PLATFORM, user=head, station=station, role=MemberRole.HEAD)
            if number % 50 == 0:
                print(f"  {number} stations", flush=True)
        raw.close()
    Enterprise.objects.create(
        uscc=uscc.generate(random.Random(args.seed)),  # noqa: S311  (benchmark data)
        name="铁岭市基准统计测试有限公司",
        district="yinzhou",
        email="bench@example.test",
    )
    return list(Station.objects.exclude(schema_name="public").order_by("code"))


# One station's generated desk, in bulk: a demand per case; states drawn so that about 70% are completed (half of
# those rated later), 10% open, 5% cancelled, the rest completed and not yet rated.
GENERATE = """
SELECT setseed(%(seed)s);
CREATE TEMP TABLE g ON COMMIT DROP AS
SELECT i,
       now() - random() * interval '730 days' AS received_at,
       (random() * 7)::int AS category_index,
       random() AS r_state, random() AS r_plan, random() AS r_survey,
       interval '1 hour' * (4 + random() * 400) AS to_complete,
       interval '1 minute' * (30 + random() * 2880) AS to_answer,
       (random() * 3)::int + 1 AS level
FROM generate_series(1, %(cases)s) i;
UPDATE g SET to_complete = LEAST(to_complete, now() - received_at - interval '1 minute');
INSERT INTO desk_demand (id, number, filled_on, channel, enterprise_id, enterprise_name, legal_representative, uscc,
    contact_person, email, phone, address, inspection_materials, exam_categories, training_mode, other_needs,
    opinions, signatory, created_at, updated_at, version, tracking_version)
SELECT i, 'D' || i, received_at::date, 'visit', %(enterprise)s, '铁岭市基准统计测试有限公司', '', %(uscc)s, '', '', '', '',
       '{}', '{}', '', '', '', '', received_at, received_at, 1, 1
FROM g;
INSERT INTO desk_servicecase (id, number, demand_id, category_id, request, state, resume_state, received_at,
    target_days, due_at, closed_at, version)
SELECT i, 'D' || i || '-1', i, (%(categories)s::int[])[category_index + 1], '',
       CASE WHEN r_state < 0.35 THEN 'evaluated' WHEN r_state < 0.85 THEN 'completed'
            WHEN r_state < 0.95 THEN 'in_service' ELSE 'cancelled' END,
       '', received_at, 10, received_at + interval '14 days',
       CASE WHEN r_state < 0.85 THEN received_at + to_complete WHEN r_state >= 0.95 THEN received_at + interval '1 day' END,
       1
FROM g;
INSERT INTO desk_caseevent (case_id, kind, text, from_state, to_state, actor_id, created_at)
SELECT i, 'state', '', '', 'received', %(user)s, received_at FROM g
UNION ALL
SELECT i, 'state', '', 'following_up', 'completed', %(user)s, received_at + to_complete FROM g WHERE r_state < 0.85;
INSERT INTO desk_serviceplan (case_id, kind, evaluation, staff_id, institution_id, technician, station_id,
    created_by_id, created_at)
SELECT i, CASE WHEN r_plan < 0.75 THEN 'self' WHEN r_plan < 0.90 THEN 'institution' ELSE 'station' END, '',
       %(user)s, NULL, '', CASE WHEN r_plan >= 0.90 THEN %(other)s END, %(user)s, received_at + interval '1 hour'
FROM g WHERE r_state < 0.95;
INSERT INTO desk_servicerecord (number, case_id, requested_at, staff_id, received_at, answered_at, on_site_at, ended_at,
    category_id, request, technician, items_and_expected_time, resolution, created_at, version)
SELECT 'R' || i, i, received_at, %(user)s, received_at, received_at + to_answer, received_at + to_answer,
       received_at + to_complete, %(box)s, '', '', '', '', received_at + to_complete, 1
FROM g WHERE r_state < 0.85;
INSERT INTO desk_survey (case_id, q1, q2, q3, q4, q5, q6, q7, q8, q9, q10, opinions, signatory, channel, submitted_at)
SELECT i, r, r, r, r, level > 1, r, r, r, r, r, '', '', 'link', received_at + to_complete + interval '2 days'
FROM (SELECT g.*, (ARRAY['dissatisfied', 'fair', 'satisfied', 'very_satisfied'])[LEAST(level + CASE WHEN r_survey < 0.5 THEN 0 ELSE 1 END, 4)] AS r
      FROM g) rated
WHERE r_state < 0.35 AND received_at + to_complete + interval '2 days' < now();
SELECT setval(pg_get_serial_sequence('desk_demand', 'id'), %(cases)s);
SELECT setval(pg_get_serial_sequence('desk_servicecase', 'id'), %(cases)s);
-- Fresh tables have no statistics yet: without them the planner reads the facts with a nested loop per case.
ANALYZE desk_demand, desk_servicecase, desk_caseevent, desk_serviceplan, desk_servicerecord, desk_survey;
"""


def generate(args: argparse.Namespace, stations: list, results: dict) -> None:
    from django.db import connection, transaction
    from django_tenants.utils import schema_context

    from core.catalog.models import FormBox, ServiceCategory
    from core.directory.models import Enterprise
    from core.stats.services import case_facts_rebuild
    from tenants.models import Membership

    setup = results.setdefault("setup", {})
    enterprise = Enterprise.objects.get()
    categories = list(ServiceCategory.objects.order_by("position").values_list("pk", flat=True))[:8]
    box = FormBox.objects.filter(form="B").order_by("pk").first() or FormBox.objects.order_by("pk").first()
    heads = dict(Membership.objects.filter(role="head").values_list("station_id", "user_id"))
    with timed(setup, "cases_s"):
        for index, station in enumerate(stations):
            other = stations[(index + 1) % len(stations)]
            with transaction.atomic(), schema_context(station.schema_name), connection.cursor() as cursor:
                cursor.execute(
                    GENERATE,
                    {
                        "seed": ((args.seed + index) % 1000) / 1000,
                        "cases": args.cases,
                        "enterprise": enterprise.pk,
                        "uscc": enterprise.uscc,
                        "categories": categories,
                        "user": heads[station.pk],
                        "other": other.pk,
                        "box": box.pk,
                    },
                )
            if (index + 1) % 50 == 0:
                print(f"  {index + 1} stations filled", flush=True)
    with timed(setup, "facts_s"):
        setup["facts"] = sum(case_facts_rebuild(station=station) for station in stations)
    with timed(setup, "vacuum_s"), connection.cursor() as cursor:
        cursor.execute(
            "VACUUM ANALYZE stats_casefact, stats_stationday, stats_categoryday, stats_stationmonth, "
            "stats_categorymonth, stats_stationdaytimes, stats_categorydaytimes, stats_stationmonthtimes, "
            "stats_categorymonthtimes, tenants_station"
        )
    setup["cases"] = args.cases * len(stations)


# --- Measurements ----------------------------------------------------------------------------------------------------


def _period(days: int) -> tuple[datetime.date, datetime.date]:
    from django.utils import timezone

    today = timezone.localdate()
    return today - datetime.timedelta(days=days), today


def _count_in_period(start, end) -> int:
    from django.db import connection

    from core.stats.selectors import Period

    period = Period(start, end)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM stats_casefact WHERE received_at >= %s AND received_at < %s",
            [period.since, period.until],
        )
        return cursor.fetchone()[0]


def dashboard_benchmark(args: argparse.Namespace, results: dict) -> None:
    from django.conf import settings
    from django.test import Client

    from core.stats.selectors import GROUPINGS, city_statistics, city_statistics_from_schemas
    from tenants.models import BureauRole, User

    # A bureau viewer reads the dashboard (the administrators' sessions need a second factor first).
    viewer, _created = User.objects.update_or_create(
        username="bench-viewer", defaults={"bureau_role": BureauRole.VIEWER}
    )
    client = Client(HTTP_HOST=settings.BASE_DOMAIN)
    client.force_login(viewer)
    figures = results.setdefault("dashboard", {})
    for label, days in PERIODS.items():
        start, end = _period(days)
        part = figures.setdefault(label, {"rows_in_period": _count_in_period(start, end)})
        url = f"/api/v1/statistics/?from={start}&to={end}"
        for by in GROUPINGS:
            response = client.get(f"{url}&by={by}")  # warm-up, and the check that it answers
            if response.status_code != 200:
                raise RuntimeError(f"{url}&by={by}: {response.status_code} {response.content[:300]!r}")
            seconds = []
            for _run in range(args.runs):
                begin = time.perf_counter()
                client.get(f"{url}&by={by}")
                seconds.append(time.perf_counter() - begin)
            part[f"api_by_{by}"] = summarise(seconds)
            # The selector, the way before and the way now, alternating so a busy moment of the machine hits both.
            old_seconds, new_seconds = [], []
            for _run in range(args.runs):
                for from_days, into in ((True, old_seconds), (False, new_seconds)):
                    begin = time.perf_counter()
                    city_statistics(start=start, end=end, by=by, from_days=from_days)
                    into.append(time.perf_counter() - begin)
            part[f"days_by_{by}"] = summarise(old_seconds)
            part[f"months_by_{by}"] = summarise(new_seconds)
            before = city_statistics(start=start, end=end, by=by, from_days=True)
            if city_statistics(start=start, end=end, by=by) != before:
                raise RuntimeError(f"the month counts and the day counts disagree for the last {label} by {by}")
        baseline = []
        for _run in range(args.runs):
            begin = time.perf_counter()
            _count_in_period(start, end)
            baseline.append(time.perf_counter() - begin)
        part["baseline_count"] = summarise(baseline)
        naive_seconds, naive = [], None
        for _run in range(args.naive_runs):
            begin = time.perf_counter()
            naive = city_statistics_from_schemas(start=start, end=end, by="station")
            naive_seconds.append(time.perf_counter() - begin)
        part["naive_by_station"] = summarise(naive_seconds)
        read_model = city_statistics(start=start, end=end, by="station")
        part["agree"] = read_model.total.as_dict() == naive.total.as_dict() and [
            g.figures.as_dict() for g in read_model.groups
        ] == [g.figures.as_dict() for g in naive.groups]
        print(
            f"  {label}: API by station p50 {part['api_by_station']['p50_ms']:.0f} ms, "
            f"p95 {part['api_by_station']['p95_ms']:.0f} ms; naive p50 {part['naive_by_station']['p50_ms']:.0f} ms; "
            f"agree {part['agree']}",
            flush=True,
        )
        if not part["agree"]:
            raise RuntimeError(f"the read model and the loop over the schemas disagree for the last {label}")


def visibility_benchmark(args: argparse.Namespace, stations: list, queue: str, results: dict) -> None:
    """Demands taken in random stations through the desk; the time from each commit until the read model has it."""
    from django_tenants.utils import schema_context

    from core.catalog.models import FormBox
    from core.desk import services as desk
    from core.directory.models import Enterprise
    from core.stats.models import CaseFact
    from tenants.models import Membership

    purge_queue(queue)
    rng = random.Random(args.seed)  # noqa: S311  (benchmark data)
    enterprise = Enterprise.objects.get()
    box = FormBox.objects.get(form="A", label="计量检定、校准")
    lags = []
    with worker(args.worker_log):
        for _change in range(args.changes):
            station = rng.choice(stations)
            head = Membership.objects.select_related("user").get(station=station, role="head").user
            with schema_context(station.schema_name):
                demand = desk.demand_create(
                    station=station, user=head, enterprise=enterprise, channel="visit", boxes=[box]
                )
                case_id = demand.cases.get().pk
            committed = time.perf_counter()
            deadline = committed + 30
            while not CaseFact.objects.filter(station=station, case_id=case_id).exists():
                if time.perf_counter() > deadline:
                    raise RuntimeError(f"case {case_id} of {station.code} not visible after 30 s")
                time.sleep(0.005)
            lags.append(time.perf_counter() - committed)
            time.sleep(rng.uniform(0.05, 0.3))
    results["visibility"] = summarise(lags)
    print(f"  visible after p50 {results['visibility']['p50_ms']:.0f} ms, p95 {results['visibility']['p95_ms']:.0f} ms")


# --- Report ----------------------------------------------------------------------------------------------------------


def report(results: dict) -> None:
    print("\n## City dashboard (GET /api/v1/statistics/, in-process)\n")
    print("| Period | Rows in period | By | p50 | p95 | max | p95 ÷ count(*) p95 | Naive loop p50 | Naive ÷ API p50 |")
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|")
    for label, part in results["dashboard"].items():
        for by in ("station", "district", "category"):
            api = part[f"api_by_{by}"]
            naive = part["naive_by_station"]["p50_ms"] if by == "station" else None
            print(
                f"| {label} | {part['rows_in_period']:,} | {by} | {api['p50_ms']:.0f} ms | {api['p95_ms']:.0f} ms "
                f"| {api['max_ms']:.0f} ms | {api['p95_ms'] / part['baseline_count']['p95_ms']:.1f}× "
                + (f"| {naive:,.0f} ms | {naive / api['p50_ms']:.0f}× |" if naive else "| | |")
            )
    print("\n## The selector: day counts and sorted medians (before) against months and histograms (now)\n")
    print("| Period | By | Before p50 | Before p95 | Now p50 | Now p95 | Before ÷ now p95 | Now p95 ÷ count(*) p95 |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for label, part in results["dashboard"].items():
        for by in ("station", "district", "category"):
            if f"months_by_{by}" not in part:
                continue
            old, new = part[f"days_by_{by}"], part[f"months_by_{by}"]
            print(
                f"| {label} | {by} | {old['p50_ms']:.0f} ms | {old['p95_ms']:.0f} ms | {new['p50_ms']:.0f} ms "
                f"| {new['p95_ms']:.0f} ms | {old['p95_ms'] / new['p95_ms']:.1f}× "
                f"| {new['p95_ms'] / part['baseline_count']['p95_ms']:.1f}× |"
            )
    if "visibility" in results:
        figures = results["visibility"]
        print(
            f"\nA change visible in the read model after p50 {figures['p50_ms']:.0f} ms, p95 {figures['p95_ms']:.0f} ms,"
            f" max {figures['max_ms']:.0f} ms ({figures['n']} changes)"
        )


def main() -> None:
    signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(143))
    args = parse_args()
    db = database_settings()
    results: dict = {"arguments": {k: str(v) for k, v in vars(args).items()}}
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

    from tenants.models import Station

    results["machine"] = machine()
    setup = results.setdefault("setup", {})
    if args.reuse:
        stations = list(Station.objects.exclude(schema_name="public").order_by("code"))
        results["reused"] = {"stations": len(stations)}
    else:
        print("Migrating …", flush=True)
        with timed(setup, "migrate_s"):
            call_command("migrate_schemas", interactive=False, verbosity=0)
        print(f"Provisioning {args.stations} stations …", flush=True)
        stations = provision(args, db, results)
        print(f"Generating {args.cases:,} cases per station …", flush=True)
        generate(args, stations, results)
        save()
        if args.generate_only:
            return
    print("The dashboard …", flush=True)
    results.setdefault("load_average", {})["dashboard"] = os.getloadavg()
    dashboard_benchmark(args, results)
    save()
    if not args.skip_broker:
        print("Change visibility through the broker and a worker …", flush=True)
        results["load_average"]["visibility"] = os.getloadavg()
        visibility_benchmark(args, stations, queue, results)
    results["total_s"] = time.perf_counter() - started
    save()
    report(results)
    if not args.reuse:
        print(
            f"\nSet-up (not a result): migrate {setup['migrate_s']:.0f} s, stations {setup['stations_s']:.0f} s, "
            f"{setup['cases']:,} cases {setup['cases_s']:.0f} s, facts {setup['facts_s']:.0f} s"
        )
    print(f"Total {results['total_s']:.0f} s")
    if args.drop:
        drop_database(db)


if __name__ == "__main__":
    main()
