"""The physical backup's restore drill (issue 21, item 3): a base backup with WAL archiving, station work written
after it, a named restore point, more work, then the base backup restored into a new cluster up to the restore
point with bin/pitr-restore. The restored station's tables and the public schema's match, count for count and
checksum for checksum, what they held at the restore point; the later work is absent.

The cluster is a throwaway copy of the test database (tests/clusters.py); the work is written through the services
by a child process on the copy.
"""

import json
import time
from pathlib import Path

import psycopg2
import pytest

from tests import clusters

pytestmark = pytest.mark.django_db

SCHEMAS = ("st_alpha", "public")
RESTORE_POINT = "before-the-mistake"

# Demands of alpha through the desk's service, and an enterprise in the public schema; prints the demands' numbers.
WORK = """
import json, random
import django
django.setup()
from django_tenants.utils import schema_context
from core.catalog.models import FormBox
from core.desk import services as desk
from core.directory import uscc
from core.directory.models import Enterprise
from tenants.models import Station, User

seed = int(sys.argv[1])
alpha = Station.objects.get(code="alpha")
staff = User.objects.get(username="alpha-staff")
enterprise = Enterprise.objects.create(
    uscc=uscc.generate(random.Random(seed)), name=f"铁岭市恢复演练测试有限公司{seed}", district="yinzhou",
    contact_person="演练联系人",
)
numbers = []
with schema_context(alpha.schema_name):
    boxes = [FormBox.objects.get(form="A", label="计量检定、校准")]
    for _ in range(5):
        demand = desk.demand_create(station=alpha, user=staff, enterprise=enterprise, channel="visit", boxes=boxes)
        numbers.append(demand.number)
print(json.dumps({"demands": numbers, "enterprise": enterprise.uscc}))
"""


def work(url: str, seed: int, broker_dir: Path) -> dict:
    """The tasks it queues after its commits go to a broker folder nobody reads: the drill is about the database."""
    broker = {"CELERY_BROKER_URL": "filesystem://", "STATIONNET_BROKER_DIR": str(broker_dir)}
    return json.loads(clusters.run_django(WORK.replace("int(sys.argv[1])", str(seed)), url, **broker))


def fingerprint(cluster: clusters.Cluster, database: str) -> dict[str, tuple[int, str]]:
    """{schema.table: (rows, md5 over the rows ordered by their text)} for every table of SCHEMAS."""
    with psycopg2.connect(host="127.0.0.1", port=cluster.port, user=clusters.SUPERUSER, dbname=database) as db:
        with db.cursor() as cursor:
            cursor.execute(
                "SELECT table_schema, table_name FROM information_schema.tables "
                "WHERE table_schema = ANY(%s) AND table_type = 'BASE TABLE' ORDER BY 1, 2",
                [list(SCHEMAS)],
            )
            tables = cursor.fetchall()
            result = {}
            for schema, table in tables:
                name = f'"{schema}"."{table}"'
                cursor.execute(
                    f"SELECT count(*), md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) FROM {name} t"  # noqa: S608  (catalog names)
                )
                result[f"{schema}.{table}"] = cursor.fetchone()
        db.rollback()
    db.close()
    return result


def test_a_base_backup_and_the_wal_archive_restore_to_a_named_point(city, tmp_path):
    timings: dict[str, float] = {}
    started = time.monotonic()
    with clusters.workspace() as root, clusters.primary(root) as main:
        database = clusters.load_test_database(main)
        url = main.url(database)
        backed_up = time.monotonic()
        base = clusters.base_backup(main, root / "base")
        timings["base backup (s)"] = time.monotonic() - backed_up

        kept = work(url, 1, tmp_path)  # after the base backup: only the WAL archive holds it
        main.psql(f"SELECT pg_create_restore_point('{RESTORE_POINT}')", database)
        at_the_point = fingerprint(main, database)
        lost = work(url, 2, tmp_path)  # the mistake: after the restore point
        main.switch_wal()  # the last segment archived, as archive_timeout would in production
        after = fingerprint(main, database)
        changed = {table for table in after if after[table] != at_the_point[table]}
        assert {"st_alpha.desk_demand", "public.directory_enterprise"} <= changed

        restoring = time.monotonic()
        with clusters.restored(base, main.archive_dir, root, target_name=RESTORE_POINT) as copy:
            timings["restore and recovery (s)"] = time.monotonic() - restoring
            restored = fingerprint(copy, database)
            numbers = set(copy.psql("SELECT number FROM st_alpha.desk_demand", database).splitlines())
            enterprises = set(copy.psql("SELECT uscc FROM public.directory_enterprise", database).splitlines())

    assert restored.keys() == at_the_point.keys()
    differing = {
        table: (at_the_point[table], restored[table]) for table in restored if restored[table] != at_the_point[table]
    }
    assert not differing
    assert set(kept["demands"]) <= numbers and kept["enterprise"] in enterprises
    assert not set(lost["demands"]) & numbers and lost["enterprise"] not in enterprises
    timings["total (s)"] = time.monotonic() - started
    rows = sum(count for count, _digest in restored.values())
    print(f"\nrestore drill: {len(restored)} tables, {rows} rows equal at the restore point; {timings}")
