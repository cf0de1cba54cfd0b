"""A city of N stations for the benchmarks: real, complete tenants, made by `tenants.services.station_create`.

    from bench.city import stations_ensure
    stations = stations_ensure(500)  # b0001 … b0500, created if missing; the list, in code order

Bench stations have codes ``b0001``, ``b0002``, … (no application code or test uses that pattern), their own names
(基准站0001), a district each in turn, a head each (``b0001-head@bench.example.test``) with an invitation queued, and
their status left at draft. ``stations_ensure`` only adds the missing ones, so a benchmark database can be kept between
runs (``--reuse``) and grown to a larger city later.

How they are made, and why it is not faster: each is ``station_create`` with the spare-schema pool turned off
(``STATION_SPARE_SCHEMAS=0``), so each clones the template (``clone_schema``), exactly what onboarding does when no
spare is waiting. A clone gets slower as the catalog grows (docs/performance.md, "Onboarding at 500 stations"), so
building 500 stations from nothing takes about half an hour on 2 cores. The catalog tables are vacuumed every
``VACUUM_EVERY`` stations (each clone leaves dead catalog rows behind: django-tenants drops and re-creates its clone
functions before every clone) and the connection is closed after each. Clones cannot run in parallel: they take
``tenants.spare_schemas.CLONE_LOCK`` (two at once deadlock).
"""

from collections.abc import Callable

CODE_PATTERN = r"^b[0-9]{4}$"
VACUUM_EVERY = 25
CATALOG_TABLES = (
    "pg_class",
    "pg_attribute",
    "pg_index",
    "pg_depend",
    "pg_type",
    "pg_proc",
    "pg_constraint",
    "pg_namespace",
    "pg_attrdef",
    "pg_sequence",
    "pg_trigger",
    "pg_description",
)


def bench_code(number: int) -> str:
    return f"b{number:04d}"


def station_fields(number: int) -> dict:
    """The onboarding form of bench station `number`, as station_create takes it."""
    from core.districts import District

    code = bench_code(number)
    districts = list(District.values)
    return {
        "name": f"基准站{number:04d}",
        "code": code,
        "district": districts[number % len(districts)],
        "address": f"铁岭市基准路{number}号",
        "service_phone": "024-70000031",
        "complaint_phone": "024-70000032",
        "hours": "周一至周五 8:30-17:00",
        "founding_body": "铁岭市市场监督管理局",
        "head_full_name": f"基准站长{number:04d}",
        "head_email": f"{code}-head@bench.example.test",
    }


def catalog_vacuum() -> None:
    """VACUUM (ANALYZE) the catalog tables a clone writes to and reads (outside any transaction)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {', '.join(CATALOG_TABLES)}")


def bench_stations() -> list:
    from tenants.models import Station

    return list(Station.objects.filter(code__regex=CODE_PATTERN).order_by("code"))


def stations_ensure(n: int, *, progress: Callable[[int, int, float], None] | None = None) -> list:
    """Bring the database to (at least) bench stations b0001 … b{n}; returns those n stations, in code order.

    `progress(done, missing, seconds)` is called after each station made (seconds: that station's station_create)."""
    import time

    from django.db import connection
    from django.test import override_settings

    from tenants.selectors import PLATFORM
    from tenants.services import station_create

    have = {station.code for station in bench_stations()}
    missing = [number for number in range(1, n + 1) if bench_code(number) not in have]
    if missing:
        catalog_vacuum()
    with override_settings(STATION_SPARE_SCHEMAS=0):
        for done, number in enumerate(missing, start=1):
            start = time.perf_counter()
            station_create(actor=PLATFORM, **station_fields(number))
            seconds = time.perf_counter() - start
            connection.close()
            if done % VACUUM_EVERY == 0:
                catalog_vacuum()
            if progress:
                progress(done, len(missing), seconds)
    if missing:
        catalog_vacuum()
    wanted = {bench_code(number) for number in range(1, n + 1)}
    return [station for station in bench_stations() if station.code in wanted]


def stations_remove(codes: list[str]) -> None:
    """Remove stations: their schemas, rows, domains and memberships. Raw SQL: the ORM's cascade would look for the
    stations' own tables in the public schema. For benchmarks only.

    Their heads' users are kept: users are never deleted (`core.common.shared_rows`)."""
    from django.db import connection

    from core.common.shared_rows import shared_row_delete

    with shared_row_delete(), connection.cursor() as cursor:
        cursor.execute("SELECT id, schema_name FROM tenants_station WHERE code = ANY(%s)", [codes])
        rows = cursor.fetchall()
        ids = [row[0] for row in rows]
        for _id, schema in rows:
            cursor.execute(f"DROP SCHEMA IF EXISTS {connection.ops.quote_name(schema)} CASCADE")
        cursor.execute("DELETE FROM tenants_membership WHERE station_id = ANY(%s)", [ids])
        cursor.execute("DELETE FROM tenants_domain WHERE tenant_id = ANY(%s)", [ids])
        cursor.execute("DELETE FROM tenants_station_items WHERE station_id = ANY(%s)", [ids])
        cursor.execute("DELETE FROM tenants_station WHERE id = ANY(%s)", [ids])
