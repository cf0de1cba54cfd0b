"""Benchmark of the shared directory: search latency at a million enterprises, and import throughput.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/stationnet_bench CELERY_BROKER_URL=redis://127.0.0.1:6379/0 \\
    DJANGO_SECRET_KEY=bench .venv/bin/python bench/directory.py --enterprises 1000000 --institutions 5000

It (re)creates its own database (whose name must contain "bench"), migrates it, loads generated enterprises with
COPY and times:

* search: the full request ``GET /api/v1/enterprises/?…&limit=20`` on the public host as a bureau administrator,
  through Django's test client in this process (middleware, session and authentication, the selector, the count
  query of the pagination, serialization), for name fragments of 2, 3 and 4 characters, USCC prefixes and a
  combined filter, and the pinyin searches of issue 20 (a full-pinyin fragment, initials of 2-4 letters, initials with
  a district and an industry); then the same name and pinyin queries with their indexes dropped (in a transaction
  rolled back afterwards). Ratios are against that run without the index.
* import: ``directory_import_run`` on a CSV of new enterprises (create path), then on the same file again (update
  path). The baseline is a plain COPY of the same rows into the same table (rolled back).

Every figure is also printed as a ratio to a baseline measured in the same run. Nothing here is a test: run it by
hand, or with ``--smoke`` for a small run that checks the benchmark still works. See bench/README.md.
"""

import argparse
import csv
import datetime
import hashlib
import io
import json
import os
import random
import statistics
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlencode, urlsplit

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO_ROOT), str(REPO_ROOT / "platform")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stationnet.settings")
# The searches are hundreds of API requests a minute by one user: the API's rate limits (api.throttling) would answer
# 429, and they are not what this measures.
os.environ.setdefault("STATIONNET_API_RATE_USER", "off")
os.environ.setdefault("STATIONNET_API_RATE_ADDRESS", "off")

import django  # noqa: E402  (the path must be set first)
import psycopg2  # noqa: E402
from psycopg2 import sql  # noqa: E402

FULL = {"enterprises": 1_000_000, "institutions": 5_000, "import_rows": 100_000, "queries": 200}
SMOKE = {"enterprises": 20_000, "institutions": 200, "import_rows": 5_000, "queries": 20}
PAGE_SIZE = 20
NAME_INDEXES = (
    "enterprise_name_trgm",
    "enterprise_name_bigrams",
    "enterprise_pinyin_trgm",
    "enterprise_initials_trgm",
    "enterprise_initials_bigrams",
)
ENTERPRISE_TABLE = "directory_enterprise"
WATCHED_SOURCES = (
    "core/directory/selectors.py",
    "core/directory/models.py",
    "core/directory/pinyin.py",
    "core/directory/imports.py",
    "core/directory/columns.py",
    "api/v1/directory.py",
    "api/pagination.py",
)
ENTERPRISE_COPY_COLUMNS = (
    "name",
    "uscc",
    "legal_representative",
    "address",
    "district",
    "industry",
    "scale",
    "contact_person",
    "phone",
    "email",
    "name_pinyin",
    "name_initials",
    "created_at",
    "updated_at",
)
# The containment part of the name search alone (no fuzzy "%" branch, no similarity ordering), timed at the SQL
# level for the same fragments: one page and the count, which is what the API needs at the least.
# Kinds searched again without the trigram index.
NAME_KINDS = ("name_1", "name_2", "name_3", "name_4", "brand_2", "brand_3", "brand_4", "combined", "typo")
# The searches as Chinese users type (issue 20): Latin letters matched against the names' pinyin and initials.
PINYIN_KINDS = ("pinyin_brand", "pinyin_fragment", "initials_2", "initials_3", "initials_4", "initials_combined")
NAME_KINDS += PINYIN_KINDS
# Buckets of the number of matches, for the breakdown of name-search latency by how selective the fragment is.
MATCH_BUCKETS = ((10, "≤ 10"), (100, "11–100"), (999, "101–999"), (None, "≥ 1,000 (the cap)"))


# --- Set-up ----------------------------------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--enterprises", type=int, help=f"enterprises to load (default {FULL['enterprises']:,})")
    parser.add_argument("--institutions", type=int, help=f"institutions to load (default {FULL['institutions']:,})")
    parser.add_argument("--import-rows", type=int, help=f"rows of the import file (default {FULL['import_rows']:,})")
    parser.add_argument("--queries", type=int, help=f"queries per kind of search (default {FULL['queries']})")
    parser.add_argument(
        "--budget",
        type=float,
        default=600.0,
        help="seconds one kind of search may take in all; it stops early (and says so) past this (default 600)",
    )
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, for checking the benchmark itself")
    parser.add_argument("--seed", type=int, default=20260101)
    parser.add_argument(
        "--reuse", action="store_true", help="keep the database and data of the previous run (skip the load)"
    )
    parser.add_argument("--skip-search", action="store_true", help="do not run the search part")
    parser.add_argument("--skip-import", action="store_true", help="do not run the import part")
    parser.add_argument(
        "--baseline-queries",
        type=int,
        default=50,
        help="queries per kind for the baselines, which are slow (default 50)",
    )
    parser.add_argument("--drop", action="store_true", help="drop the benchmark database at the end")
    parser.add_argument("--json", type=Path, help="also write every figure to this JSON file")
    args = parser.parse_args()
    sizes = SMOKE if args.smoke else FULL
    for name, default in sizes.items():
        if getattr(args, name) is None:
            setattr(args, name, default)
    return args


def _host(parts) -> str:
    """The host as written (`hostname` lower-cases it); a socket directory is percent-encoded
    (`postgres://user@%2Fvar%2Frun%2Fpostgresql:5432/name`)."""
    host = parts.netloc.rpartition("@")[2]
    if parts.port is not None:
        host = host.rpartition(":")[0]
    return unquote(host) or "127.0.0.1"


def database_settings() -> dict:
    url = os.environ.get("DATABASE_URL", "")
    parts = urlsplit(url)
    name = unquote(parts.path.lstrip("/"))
    if parts.scheme not in {"postgres", "postgresql"} or not name:
        sys.exit(
            "Set DATABASE_URL to the benchmark's own database, e.g. postgres://postgres@127.0.0.1:5432/stationnet_bench"
        )
    # The database is dropped and created again: never let that be the application's or the tests' database.
    if "bench" not in name or name == "stationnet" or name.startswith("test_"):
        sys.exit(f"Refusing to use database {name!r}: the benchmark database's name must contain 'bench'.")
    return {
        "dbname": name,
        "host": _host(parts),
        "port": parts.port or 5432,
        "user": unquote(parts.username or "postgres"),
        "password": unquote(parts.password or "") or None,
    }


def recreate_database(db: dict) -> None:
    maintenance = psycopg2.connect(**{**db, "dbname": "postgres"})
    maintenance.autocommit = True
    with maintenance.cursor() as cursor:
        cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(db["dbname"])))
        cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db["dbname"])))
    maintenance.close()


def drop_database(db: dict) -> None:
    from django.db import connections

    connections.close_all()
    maintenance = psycopg2.connect(**{**db, "dbname": "postgres"})
    maintenance.autocommit = True
    with maintenance.cursor() as cursor:
        cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(db["dbname"])))
    maintenance.close()


@contextmanager
def timed(into: dict, key: str):
    start = time.perf_counter()
    yield
    into[key] = time.perf_counter() - start


class SqlTimer:
    """A Django execute wrapper that adds up the time spent in the database and the number of statements, and
    keeps apart the time of the pagination's COUNT(*)."""

    def __init__(self, keep_text: bool = False):
        self.seconds = 0.0
        self.count_seconds = 0.0
        self.statements = 0
        self.texts: list[str] | None = [] if keep_text else None

    def __call__(self, execute, sql_text, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql_text, params, many, context)
        finally:
            elapsed = time.perf_counter() - start
            self.seconds += elapsed
            self.statements += 1
            if sql_text.startswith("SELECT COUNT(*)"):
                self.count_seconds += elapsed
            if self.texts is not None:
                self.texts.append(f"{elapsed * 1000:.1f} ms  {sql_text[:150]}")


def percentile(values: list[float], p: int) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def summarise(latencies: list[float], **extra) -> dict:
    return {
        "n": len(latencies),
        "p50_ms": percentile(latencies, 50) * 1000,
        "p95_ms": percentile(latencies, 95) * 1000,
        "max_ms": max(latencies) * 1000,
        "mean_ms": statistics.fmean(latencies) * 1000,
        **extra,
    }


def machine() -> dict:
    from django.db import connection

    info = {"cpus": os.cpu_count(), "python": sys.version.split()[0], "django": django.get_version()}
    with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
        info["cpu"] = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "")
    with open("/proc/meminfo", encoding="utf-8") as meminfo:
        info["memory_gib"] = round(int(meminfo.readline().split()[1]) / 2**20, 1)
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        info["postgresql"] = cursor.fetchone()[0].split(" on ")[0]
        for setting in ("shared_buffers", "work_mem", "maintenance_work_mem", "effective_cache_size", "jit"):
            cursor.execute("SELECT current_setting(%s)", [setting])
            info[setting] = cursor.fetchone()[0]
        cursor.execute("SELECT datcollate FROM pg_database WHERE datname = current_database()")
        info["collation"] = cursor.fetchone()[0]
    return info


# --- Load ------------------------------------------------------------------------------------------------------------


def copy_csv(rows) -> io.StringIO:
    """A COPY ... (FORMAT csv) buffer. Every field is quoted, so that "" is an empty string and never NULL."""
    buffer = io.StringIO()
    from core.directory.pinyin import search_names

    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\n")
    for row in rows:
        stamp = row.created_at.isoformat()
        # The pinyin and initials, as the services fill them (core.directory.pinyin).
        writer.writerow((*row.values(), *search_names(row.name), stamp, stamp))
    buffer.seek(0)
    return buffer


def copy_enterprises(cursor, buffer: io.StringIO) -> None:
    statement = sql.SQL("COPY {} ({}) FROM STDIN WITH (FORMAT csv)").format(
        sql.Identifier(ENTERPRISE_TABLE), sql.SQL(", ").join(map(sql.Identifier, ENTERPRISE_COPY_COLUMNS))
    )
    cursor.copy_expert(statement.as_string(cursor.connection), buffer)


def secondary_indexes(cursor, table: str) -> list[tuple[str, str]]:
    """(name, CREATE INDEX statement) of the indexes of `table` that back no constraint (not pkey, not unique)."""
    cursor.execute(
        """
        SELECT i.relname, pg_get_indexdef(i.oid)
        FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
        WHERE x.indrelid = %s::regclass AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid)
        ORDER BY i.relname
        """,
        [table],
    )
    return cursor.fetchall()


def load_enterprises(rows: list, results: dict) -> None:
    """COPY the rows into a table without its secondary indexes, then build them (the fast way to load)."""
    from django.db import connection

    load = results.setdefault("load", {})
    raw = connection.cursor().cursor  # the psycopg2 cursor, for copy_expert
    connection.ensure_connection()
    indexes = secondary_indexes(raw, ENTERPRISE_TABLE)
    for name, _definition in indexes:
        raw.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name)))
    with timed(load, "serialize_s"):
        buffer = copy_csv(rows)
    with timed(load, "copy_s"):
        copy_enterprises(raw, buffer)
    load["copy_rows_per_s"] = len(rows) / load["copy_s"]
    raw.execute("SET maintenance_work_mem = '1GB'")  # this session only: index builds sort in memory
    load["index_build_s"] = {}
    for name, definition in indexes:
        with timed(load["index_build_s"], name):
            raw.execute(definition)
    raw.execute("RESET maintenance_work_mem")


def load_institutions(count: int, seed: int, results: dict) -> None:
    from bench.generators import institutions
    from core.catalog.models import ServiceItem
    from core.directory.models import Institution, Qualification, QualificationKind
    from core.directory.pinyin import search_names_fill

    rng = random.Random(seed)  # noqa: S311  (reproducible benchmark data, not secrets)
    item_ids = list(ServiceItem.objects.values_list("pk", flat=True))
    load = results.setdefault("load", {})
    with timed(load, "institutions_s"):
        entries = [Institution(**values) for values in institutions(seed, count)]
        for entry in entries:
            search_names_fill(entry)
        created = Institution.objects.bulk_create(entries, batch_size=1000)
        through = Institution.items.through
        links, qualifications = [], []
        for institution in created:
            for item_id in rng.sample(item_ids, min(len(item_ids), rng.randrange(1, 7))):
                links.append(through(institution_id=institution.pk, serviceitem_id=item_id))
            for _index in range(rng.choice((0, 1, 1, 2))):
                qualifications.append(
                    Qualification(
                        institution=institution,
                        kind=rng.choice(QualificationKind.values),
                        number=f"{rng.randrange(10**11, 10**12)}",
                        valid_until=datetime.date(2025, 1, 1) + datetime.timedelta(days=rng.randrange(5 * 365)),
                    )
                )
        through.objects.bulk_create(links, batch_size=5000)
        Qualification.objects.bulk_create(qualifications, batch_size=5000, ignore_conflicts=True)


def vacuum_analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for table in (ENTERPRISE_TABLE, "directory_institution", "directory_institution_items"):
            cursor.execute(sql.SQL("VACUUM (ANALYZE) {}").format(sql.Identifier(table)).as_string(cursor.connection))


def sizes() -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname, pg_relation_size(c.oid)
            FROM pg_class c
            WHERE c.oid = %s::regclass
               OR c.oid IN (SELECT indexrelid FROM pg_index WHERE indrelid = %s::regclass)
            ORDER BY c.relname
            """,
            [ENTERPRISE_TABLE, ENTERPRISE_TABLE],
        )
        relations = {name: round(size / 2**20, 1) for name, size in cursor.fetchall()}
        cursor.execute("SELECT count(*) FROM directory_enterprise")
        enterprises = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM directory_institution")
        institutions = cursor.fetchone()[0]
    return {"enterprises": enterprises, "institutions": institutions, "relation_mib": relations}


# --- Search ----------------------------------------------------------------------------------------------------------


def sample_rows(count: int, rng: random.Random) -> list[tuple[str, str, str, str]]:
    """(name, uscc, district, industry) of `count` random loaded enterprises (not of imported ones)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT min(id), max(id) FROM directory_enterprise WHERE created_by_id IS NULL")
        low, high = cursor.fetchone()
        ids = rng.sample(range(low, high + 1), min(high - low + 1, count * 2))
        cursor.execute(
            "SELECT name, uscc, district, industry FROM directory_enterprise "
            "WHERE id = ANY(%s) AND created_by_id IS NULL ORDER BY id",
            [ids],
        )
        rows = cursor.fetchall()
    rng.shuffle(rows)
    return rows[:count]


def fragment(rng: random.Random, name: str, length: int) -> str:
    start = rng.randrange(len(name) - length + 1)
    return name[start : start + length]


def mistyped(rng: random.Random, name: str) -> str:
    position = rng.randrange(len(name))
    return name[:position] + "某" + name[position + 1 :]


def institution_names(count: int, rng: random.Random) -> list[str]:
    from core.directory.models import Institution

    names = list(Institution.objects.values_list("name", flat=True))
    return [rng.choice(names) for _index in range(count)]


def search_workload(queries: int, seed: int) -> dict[str, list[dict]]:
    """The parameters of every query, by kind of search. Name fragments are cut from real loaded names."""
    from bench.generators import without_place
    from core.directory.pinyin import search_names

    def initials(text: str) -> str:
        return search_names(text)[1]

    rng = random.Random(seed)  # noqa: S311  (reproducible benchmark data, not secrets)
    rows = sample_rows(queries, rng)
    while len(rows) < queries:  # a small table: reuse rows
        rows += rows[: queries - len(rows)]
    return {
        "name_1": [{"q": fragment(rng, name, 1)} for name, *_rest in rows],
        "name_2": [{"q": fragment(rng, name, 2)} for name, *_rest in rows],
        "name_3": [{"q": fragment(rng, name, 3)} for name, *_rest in rows],
        "name_4": [{"q": fragment(rng, name, 4)} for name, *_rest in rows],
        # What someone looking for one enterprise types: its trade name (字号), then the start of its trade.
        "brand_2": [{"q": without_place(name)[:2]} for name, *_rest in rows],
        "brand_3": [{"q": without_place(name)[:3]} for name, *_rest in rows],
        "brand_4": [{"q": without_place(name)[:4]} for name, *_rest in rows],
        "uscc_prefix": [{"uscc": code[: rng.randint(6, 10)]} for _name, code, *_rest in rows],
        "combined": [
            {"q": fragment(rng, name, 3), "district": district, "industry": industry}
            for name, _code, district, industry in rows
        ],
        # A whole name with one character wrong: no name contains it, so the search falls back to similar names.
        "typo": [{"q": mistyped(rng, name)} for name, *_rest in rows],
        "institution_name_3": [{"q": fragment(rng, name, 3)} for name in institution_names(queries, rng)],
        # Pinyin (issue 20): the trade name in full pinyin ("hengxin"), any two characters of the name in full pinyin
        # (often common: "youxian"), the initials of the trade name and the start of the trade ("hx", "hxf", "hxfm"),
        # and those initials with a district and an industry.
        "pinyin_brand": [{"q": search_names(without_place(name)[:2])[0]} for name, *_rest in rows],
        "pinyin_fragment": [{"q": search_names(fragment(rng, name, 2))[0]} for name, *_rest in rows],
        "initials_2": [{"q": initials(without_place(name)[:2])} for name, *_rest in rows],
        "initials_3": [{"q": initials(without_place(name)[:3])} for name, *_rest in rows],
        "initials_4": [{"q": initials(without_place(name)[:4])} for name, *_rest in rows],
        "initials_combined": [
            {"q": initials(without_place(name)[:3]), "district": district, "industry": industry}
            for name, _code, district, industry in rows
        ],
    }


def bench_admin():
    """The bureau administrator who searches and imports."""
    from tenants.models import BureauRole, User

    user, _created = User.objects.get_or_create(
        username="bench-bureau-admin", defaults={"bureau_role": BureauRole.ADMIN, "full_name": "基准测试"}
    )
    return user


class Searcher:
    """Sends the searches as a bureau viewer on the public host, through the API when it exists."""

    def __init__(self):
        from django.conf import settings
        from django.test import Client
        from django.urls import NoReverseMatch, reverse

        from tenants.models import BureauRole, User

        # A bureau viewer: searching is a read, and the administrators' sessions need a second factor first.
        self.user, _created = User.objects.update_or_create(
            username="bench-bureau-viewer", defaults={"bureau_role": BureauRole.VIEWER, "full_name": "基准测试"}
        )
        self.client = Client(HTTP_HOST=settings.BASE_DOMAIN)
        self.client.force_login(self.user)
        self.paths = {}
        for kind, url_name in (("enterprise", "api-enterprises"), ("institution", "api-institutions")):
            try:
                self.paths[kind] = reverse(url_name, urlconf=settings.PUBLIC_SCHEMA_URLCONF)
            except NoReverseMatch:
                self.paths[kind] = None
        self.mode = "api" if self.paths["enterprise"] else "selector"

    def search(self, kind: str, params: dict) -> int:
        """Run one search; returns the total number of matches."""
        path = self.paths[kind]
        if path is None:
            return self._selector(kind, params)
        response = self.client.get(f"{path}?{urlencode({**params, 'limit': PAGE_SIZE})}")
        if response.status_code != 200:
            raise RuntimeError(f"{path} {params}: HTTP {response.status_code} {response.content[:300]!r}")
        return response.json()["count"]

    @staticmethod
    def _selector(kind: str, params: dict, cap: int | None = None) -> int:
        """The API's work without the API: the selector, the page's count, one page of serialized rows.

        With `cap=None` this is how a page was made before the cap: every match ranked and counted exactly.
        """
        from api.v1.directory import EnterpriseSerializer, InstitutionSerializer
        from core.common.pagination import capped_count
        from core.directory.selectors import enterprise_search, institution_search

        search, serializer = (
            (enterprise_search, EnterpriseSerializer)
            if kind == "enterprise"
            else (institution_search, InstitutionSerializer)
        )
        queryset = search(**params, cap=cap)
        count = queryset.count() if cap is None else capped_count(queryset, cap)[0]
        json.dumps(serializer(queryset[:PAGE_SIZE], many=True).data, default=str)
        return count


class UncappedSearcher(Searcher):
    """The baseline: every match ranked and counted, as before the cap (selector, count, serialized page)."""

    def search(self, kind: str, params: dict) -> int:
        return self._selector(kind, params, cap=None)


def run_searches(searcher: Searcher, kind: str, workload: list[dict], budget: float) -> dict:
    from django.db import connection

    queries = []
    started = time.perf_counter()
    for params in workload:
        timer = SqlTimer()
        with connection.execute_wrapper(timer):
            start = time.perf_counter()
            count = searcher.search(kind, params)
            elapsed = time.perf_counter() - start
        queries.append(
            {
                "params": params,
                "ms": elapsed * 1000,
                "matches": count,
                "db_ms": timer.seconds * 1000,
                "count_ms": timer.count_seconds * 1000,
                "statements": timer.statements,
            }
        )
        if time.perf_counter() - started > budget:
            break
    return summarise(
        [query["ms"] / 1000 for query in queries],
        of=len(workload),
        db_share=statistics.median(query["db_ms"] / query["ms"] for query in queries),
        count_share=statistics.median(query["count_ms"] / query["ms"] for query in queries),
        statements=statistics.median(query["statements"] for query in queries),
        median_matches=statistics.median(query["matches"] for query in queries),
        max_matches=max(query["matches"] for query in queries),
        queries=queries,
    )


def by_matches(queries: list[dict]) -> dict[str, dict]:
    """Latency of the queries grouped by how many enterprises they match."""
    buckets: dict[str, list[float]] = {label: [] for _limit, label in MATCH_BUCKETS}
    for query in queries:
        label = next(label for limit, label in MATCH_BUCKETS if limit is None or query["matches"] <= limit)
        buckets[label].append(query["ms"] / 1000)
    return {label: summarise(latencies) for label, latencies in buckets.items() if latencies}


def plan_of(params: dict) -> list[str]:
    """Scan nodes and indexes in the plan of the API's page query, for one query."""
    from django.db import connection

    from core.directory.selectors import SEARCH_CAP, enterprise_search

    def walk(node: dict, found: list[str]) -> list[str]:
        if "Scan" in node["Node Type"]:
            found.append(node["Node Type"] + (f" on {node['Index Name']}" if "Index Name" in node else ""))
        for child in node.get("Plans", []):
            walk(child, found)
        return found

    page_sql, page_params = enterprise_search(**params, cap=SEARCH_CAP)[:PAGE_SIZE].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + page_sql, page_params)
        return walk(cursor.fetchone()[0][0]["Plan"], [])


def search_benchmark(args: argparse.Namespace, results: dict) -> None:
    from django.db import connection, transaction

    searcher = Searcher()
    workload = search_workload(args.queries, args.seed + 2)
    results["search_mode"] = searcher.mode
    kind_of = {"institution_name_3": "institution"}
    # Warm up: the first requests import modules and fill caches.
    for params in workload["name_3"][:3] + workload["uscc_prefix"][:3]:
        searcher.search("enterprise", params)

    search = results.setdefault("search", {})
    plans = results.setdefault("plans", {})
    timer = SqlTimer(keep_text=True)
    with connection.execute_wrapper(timer):
        searcher.search("enterprise", workload["name_3"][0])
    results["statements_of_one_request"] = timer.texts
    for kind, params_list in workload.items():
        print(f"  search {kind} …", flush=True)
        search[kind] = run_searches(searcher, kind_of.get(kind, "enterprise"), params_list, args.budget)
        if kind != "institution_name_3":
            plans[kind] = plan_of(params_list[0])

    baseline_kinds = [*NAME_KINDS, "uscc_prefix"]
    uncapped = results.setdefault("search_uncapped", {})
    for kind in baseline_kinds:
        print(f"  search {kind}, every match ranked and counted …", flush=True)
        uncapped[kind] = run_searches(
            UncappedSearcher(), "enterprise", workload[kind][: args.baseline_queries], args.budget
        )
    without = results.setdefault("search_without_index", {})
    plans_without = results.setdefault("plans_without_index", {})
    with transaction.atomic():
        with connection.cursor() as cursor:
            for index in NAME_INDEXES:
                cursor.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(index)).as_string(cursor.connection))
        for kind in NAME_KINDS:
            print(f"  search {kind} without the name indexes …", flush=True)
            without[kind] = run_searches(searcher, "enterprise", workload[kind][: args.baseline_queries], args.budget)
            plans_without[kind] = plan_of(workload[kind][0])
        transaction.set_rollback(True)  # the indexes come back


# --- Import ----------------------------------------------------------------------------------------------------------


def import_csv(rows: list) -> bytes:
    """The import file as people fill it: Chinese headers and, where the catalogue has them, Chinese labels."""
    from django.utils import translation

    from core.directory.columns import ENTERPRISE_COLUMNS
    from core.directory.tables import write_csv

    formats = {}
    with translation.override("zh-hans"):
        for column in ENTERPRISE_COLUMNS:
            if column.fmt is str:
                continue
            # A choice column: write its Chinese label, or the code if the catalogue does not translate it yet.
            field = column.field
            values = {getattr(row, field) for row in rows[:2000]} - {""}
            labels = {value: column.fmt(value) for value in values}
            translated = all(any("\u4e00" <= char <= "\u9fff" for char in label) for label in labels.values())
            formats[field] = column.fmt if translated else str
    headers = [column.header for column in ENTERPRISE_COLUMNS]
    fields = [column.field for column in ENTERPRISE_COLUMNS]
    with translation.override("zh-hans"):
        lines = [
            [formats.get(field, str)(getattr(row, field)) if getattr(row, field) else "" for field in fields]
            for row in rows
        ]
    return write_csv(headers, lines)


def remove_imported_rows() -> None:
    """Remove what the import part of an earlier run (--reuse) added, so that the table is as loaded."""
    from django.db import connection

    from core.common.shared_rows import shared_row_delete
    from core.jobs.models import Job

    admin = bench_admin()
    with shared_row_delete(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM directory_enterprise WHERE created_by_id = %s", [admin.pk])
        deleted = cursor.rowcount
    Job.objects.filter(created_by_id=admin.pk).delete()
    if deleted:
        vacuum_analyze()


def import_benchmark(args: argparse.Namespace, results: dict) -> None:
    from django.core.files.base import ContentFile
    from django.db import connection, transaction

    from bench.generators import EnterpriseGenerator
    from core.directory.imports import directory_import_run
    from core.jobs.models import JobStatus
    from core.jobs.services import job_create

    admin = bench_admin()

    figures = results.setdefault("import", {})
    rows = list(EnterpriseGenerator(args.seed + 1).enterprises(args.import_rows, city_level=True))
    data = import_csv(rows)
    figures["rows"] = len(rows)
    figures["file_mib"] = round(len(data) / 2**20, 1)

    # Baseline: a plain COPY of the same rows into the same table (same indexes, same size), rolled back.
    with transaction.atomic():
        buffer = copy_csv(rows)
        with timed(figures, "copy_s"):
            copy_enterprises(connection.cursor().cursor, buffer)
        transaction.set_rollback(True)
    vacuum_analyze()

    for path, expected in (("create", "created"), ("update", "updated")):
        print(f"  import ({path}) …", flush=True)
        job = job_create(
            kind="directory.enterprise_import", user=admin, input_name="bench.csv", input_file=ContentFile(data)
        )
        timer = SqlTimer()
        with connection.execute_wrapper(timer):
            start = time.perf_counter()
            job = directory_import_run(job_id=job.pk, station_id=None)
            elapsed = time.perf_counter() - start
        if job.status != JobStatus.SUCCEEDED or job.summary.get(expected) != len(rows):
            raise RuntimeError(f"import ({path}) did not {expected[:-1]} every row: {job.status} {job.summary}")
        figures[path] = {
            "seconds": elapsed,
            "rows_per_s": len(rows) / elapsed,
            "db_share": timer.seconds / elapsed,
            "statements": timer.statements,
            "summary": job.summary,
        }


# --- Report ----------------------------------------------------------------------------------------------------------


def ratio(value: float, baseline: float) -> str:
    return f"{value / baseline:.2f}×" if baseline else "—"


def report(results: dict) -> None:
    data = results["data"]
    print(f"\nDataset: {data['enterprises']:,} enterprises, {data['institutions']:,} institutions")
    if "load" in results and "copy_s" in results["load"]:
        load = results["load"]
        print(
            f"Load: COPY {load['rows']:,} rows in {load['copy_s']:.1f} s ({load['copy_rows_per_s']:,.0f} rows/s); "
            + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in load["index_build_s"].items())
        )
    if "search" in results:
        report_search(results)
    if "import" in results:
        report_import(results["import"])


def report_search(results: dict) -> None:
    print(f"\nSearch through the {results['search_mode']}")
    print(
        "Search latency, ms (limit=20; median matches (counted up to the cap), median share of the time in the"
        " database) │ baselines, p50 and p95 and the ratio to p95 with everything: every match ranked and counted │"
        " without the name indexes"
    )
    print(
        f"{'kind':<20}{'n':>5}{'p50':>9}{'p95':>9}{'max':>9}{'matches':>9}{'db':>6} │"
        f"{'p50':>9}{'p95':>9}{'×':>8} │{'p50':>9}{'p95':>9}{'×':>8}"
    )
    for kind, figures in results["search"].items():
        line = (
            f"{kind:<20}{figures['n']:>5}{figures['p50_ms']:>9.1f}{figures['p95_ms']:>9.1f}{figures['max_ms']:>9.1f}"
            f"{figures['median_matches']:>9,.0f}{figures['db_share']:>6.0%} │"
        )
        for baseline in ("search_uncapped", "search_without_index"):
            other = results[baseline].get(kind)
            if other:
                line += (
                    f"{other['p50_ms']:>9.1f}{other['p95_ms']:>9.1f}{ratio(other['p95_ms'], figures['p95_ms']):>8} │"
                )
            else:
                line += f"{'—':>26} │"
        print(line)
    print("\nName-search latency by number of matches, ms: n, p50, p95")
    for kind in NAME_KINDS:
        cells = [
            f"{label} {figures['n']:>3} {figures['p50_ms']:>7.1f} {figures['p95_ms']:>7.1f}"
            for label, figures in by_matches(results["search"][kind]["queries"]).items()
        ]
        print(f"  {kind:<10} " + " │ ".join(cells))
    print("\nPlans of the page query (first query of each kind):")
    for kind, plan in results["plans"].items():
        print(f"  {kind:<14} with: {plan}   without: {results['plans_without_index'].get(kind, '—')}")


def report_import(figures: dict) -> None:
    copy_rate = figures["rows"] / figures["copy_s"]
    print(f"\nImport of {figures['rows']:,} rows ({figures['file_mib']} MiB CSV)")
    print(f"  baseline COPY      {figures['copy_s']:>7.1f} s {copy_rate:>10,.0f} rows/s")
    for path in ("create", "update"):
        run = figures[path]
        print(
            f"  importer, {path:<8} {run['seconds']:>7.1f} s {run['rows_per_s']:>10,.0f} rows/s  "
            f"{ratio(run['seconds'], figures['copy_s'])} the COPY's time, {run['db_share']:.0%} in the database"
        )


def source_fingerprint() -> dict[str, str]:
    """Hashes of the code under measurement: the report says if it changed on disk while the benchmark ran."""
    return {
        path: hashlib.sha256((REPO_ROOT / path).read_bytes()).hexdigest()[:12]
        for path in WATCHED_SOURCES
        if (REPO_ROOT / path).exists()
    }


def main() -> None:
    args = parse_args()
    db = database_settings()
    results: dict = {"arguments": {k: str(v) for k, v in vars(args).items()}}
    results["started_at"] = datetime.datetime.now(tz=datetime.UTC).isoformat(timespec="seconds")
    results["sources"] = source_fingerprint()
    started = time.perf_counter()

    def save() -> None:
        """Write what is known so far: a run that fails late keeps the figures of its earlier phases."""
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            text = json.dumps(results, indent=2, ensure_ascii=False, default=str) + "\n"
            args.json.write_text(text, encoding="utf-8")

    if not args.reuse:
        print(f"Creating database {db['dbname']} …", flush=True)
        recreate_database(db)
    django.setup()
    # Import everything measured now, so that the whole run uses one version of the code, and a tree broken by a
    # change in progress fails here and not after an hour.
    from django.core.management import call_command

    import core.directory.imports  # noqa: F401
    import core.directory.selectors  # noqa: F401
    from bench.generators import EnterpriseGenerator

    results["machine"] = machine()
    if not args.reuse:
        load = results.setdefault("load", {})
        with timed(load, "migrate_s"):
            call_command("migrate_schemas", interactive=False, verbosity=0)
        print(f"Generating {args.enterprises:,} enterprises …", flush=True)
        with timed(load, "generate_s"):
            rows = list(EnterpriseGenerator(args.seed).enterprises(args.enterprises))
        load["rows"] = len(rows)
        print("Loading with COPY and building the indexes …", flush=True)
        load_enterprises(rows, results)
        del rows
        load_institutions(args.institutions, args.seed + 3, results)
        with timed(load, "vacuum_analyze_s"):
            vacuum_analyze()
    else:
        remove_imported_rows()
    results["data"] = sizes()
    save()
    if not args.skip_search:
        print("Searching …", flush=True)
        search_benchmark(args, results)
        save()
    if not args.skip_import:
        print("Importing …", flush=True)
        import_benchmark(args, results)
    results["total_s"] = time.perf_counter() - started
    if source_fingerprint() != results["sources"]:
        results["sources_changed_during_run"] = source_fingerprint()
        print("\nNote: the measured code changed on disk during the run (this run used the version it started with).")
    save()
    report(results)
    print(f"\nTotal {results['total_s']:.0f} s")
    if args.drop:
        drop_database(db)


if __name__ == "__main__":
    main()
