"""Spare station schemas: onboarding renames a copy of the template made ahead of time instead of cloning it."""

import threading
import time
from functools import partial

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django_tenants.utils import schema_context, schema_exists

from core.activity.models import ActivityEntry, ActivityVerb
from core.common.shared_rows import shared_row_delete
from core.districts import District
from tenants.hosts import station_host
from tenants.models import Domain, MemberRole, SpareSchema, Station
from tenants.selectors import PLATFORM
from tenants.services import station_create
from tenants.spare_schemas import (
    spare_schemas_discard_stale,
    spare_schemas_fresh_count,
    spare_schemas_refill,
    template_state,
)
from tenants.tasks import queue, spare_schemas_refill_task
from tenants.template_schema import station_template_sync
from tests.committed import on_own_connection
from tests.conftest import host_client

pytestmark = pytest.mark.django_db


def station_input(code: str, **changes) -> dict:
    return {
        "name": f"{code}一站式质量服务站",
        "code": code,
        "district": District.QINGHE,
        "address": "铁岭市清河区红旗街1号",
        "service_phone": "024-75100001",
        "complaint_phone": "024-75100002",
        "head_full_name": "吴海",
        "head_email": f"{code}-head@example.test",
        **changes,
    }


def catalog_of(schema: str) -> dict[str, set]:
    """What a schema holds, by name: relations (with their kind), constraints, triggers (with the schema of the
    function each runs), functions; and its applied migrations."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = %s",
            [schema],
        )
        relations = set(cursor.fetchall())
        cursor.execute(
            "SELECT k.conname, k.contype, pg_get_constraintdef(k.oid) FROM pg_constraint k"
            " JOIN pg_namespace n ON n.oid = k.connamespace WHERE n.nspname = %s",
            [schema],
        )
        constraints = {(name, kind, definition.replace(f"{schema}.", "")) for name, kind, definition in cursor}
        cursor.execute(
            "SELECT t.tgname, c.relname, pn.nspname = n.nspname FROM pg_trigger t"
            " JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
            " JOIN pg_proc p ON p.oid = t.tgfoid JOIN pg_namespace pn ON pn.oid = p.pronamespace"
            " WHERE n.nspname = %s AND NOT t.tgisinternal",
            [schema],
        )
        triggers = set(cursor.fetchall())
        cursor.execute(
            "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = %s",
            [schema],
        )
        functions = set(cursor.fetchall())
        cursor.execute(f'SELECT app, name FROM "{schema}".django_migrations')  # noqa: S608  (schema names are ours)
        migrations = set(cursor.fetchall())
    return {
        "relations": relations,
        "constraints": constraints,
        "triggers": triggers,
        "functions": functions,
        "migrations": migrations,
    }


def spare_names() -> set[str]:
    return set(SpareSchema.objects.values_list("schema_name", flat=True))


def test_a_station_made_from_a_spare_is_complete_and_isolated(city, django_capture_on_commit_callbacks):
    spare_schemas_refill(size=1)
    waiting = SpareSchema.objects.filter(template_state=template_state()).order_by("created_at", "id").first()
    assert waiting is not None and schema_exists(waiting.schema_name)
    spares_before = spare_names()

    with django_capture_on_commit_callbacks() as callbacks:
        station = station_create(actor=PLATFORM, **station_input("qinghe"))

    # The oldest fresh spare became the station's schema: renamed, not cloned.
    assert spare_names() == spares_before - {waiting.schema_name}
    assert not schema_exists(waiting.schema_name)
    assert schema_exists("st_qinghe")
    # Complete: everything a station cloned at onboarding has (alpha was), with the template's migrations, and its
    # triggers run the station's own function.
    made = catalog_of("st_qinghe")
    assert made == catalog_of(city.alpha.schema_name)
    assert made["migrations"] == catalog_of(settings.TENANT_BASE_SCHEMA)["migrations"]
    assert made["triggers"] and all(own_function for _name, _table, own_function in made["triggers"])
    # The whole service ran: host, head invited, activity; the pool's refill is queued for after the commit.
    assert Domain.objects.get(tenant=station).domain == "qinghe.localhost"
    assert station.memberships.get().role == MemberRole.HEAD
    queued = [(c.func, c.args) for c in callbacks if isinstance(c, partial)]
    assert (queue, (spare_schemas_refill_task, "public", {})) in queued
    assert host_client(station_host("qinghe")).get("/").status_code == 302

    # Isolated: what it writes is in its schema only, not in the template nor another station's.
    with schema_context("st_qinghe"):
        assert sorted(ActivityEntry.objects.values_list("verb", flat=True)) == sorted(
            [ActivityVerb.STATION_OPENED, ActivityVerb.MEMBER_JOINED]
        )
        ActivityEntry.objects.create(verb=ActivityVerb.MEMBER_SIGNED_IN, detail="spare")
    for other in (settings.TENANT_BASE_SCHEMA, city.alpha.schema_name):
        with schema_context(other):
            assert not ActivityEntry.objects.filter(detail="spare").exists()


def test_a_failed_onboarding_puts_its_spare_back(city):
    spare_schemas_refill(size=1)
    fresh = spare_schemas_fresh_count()
    spares = spare_names()
    with pytest.raises(ValidationError) as refused:
        station_create(actor=PLATFORM, **station_input("qinghe", head_email="not an e-mail"))
    assert "head_email" in refused.value.message_dict
    assert spare_names() == spares
    assert spare_schemas_fresh_count() == fresh
    assert all(schema_exists(name) for name in spares)
    assert not schema_exists("st_qinghe")
    assert not Station.objects.filter(code="qinghe").exists()


def test_a_stale_spare_is_never_used_and_migrate_drops_it(city):
    spare_schemas_refill(size=1)
    spares = spare_names()
    assert spares
    # The template moved on since they were made (as a deploy's migration moves it): every spare is stale. (Their tags
    # change, not the template: pg_dump, which replays read, sees only the template as committed.)
    SpareSchema.objects.update(template_state="an earlier state")
    assert spare_schemas_fresh_count() == 0

    station = station_create(actor=PLATFORM, **station_input("qinghe"))

    # Replayed from the template as it is now, not renamed from a stale spare.
    assert spare_names() == spares
    assert all(schema_exists(name) for name in spares)
    template = catalog_of(settings.TENANT_BASE_SCHEMA)["migrations"]
    assert catalog_of(station.schema_name)["migrations"] == template
    # The template's migration (migrate_schemas ends with it) drops the stale spares; a refill makes fresh ones.
    station_template_sync()
    assert not spare_names()
    assert not any(schema_exists(name) for name in spares)
    assert spare_schemas_refill(size=1) == 1
    (made,) = SpareSchema.objects.all()
    assert catalog_of(made.schema_name)["migrations"] == template


def test_spare_schemas_without_a_row_are_dropped(city):
    with connection.cursor() as cursor:
        cursor.execute('CREATE SCHEMA "spare_leftover"')
    assert spare_schemas_discard_stale() >= 1
    assert not schema_exists("spare_leftover")


def test_the_pool_keeps_its_size(city):
    spare_schemas_refill(size=2)
    assert spare_schemas_fresh_count() == 2
    assert spare_schemas_refill(size=2) == 0
    spare_schemas_refill(size=1)
    assert spare_schemas_fresh_count() == 1
    spare_schemas_refill(size=0)
    assert spare_schemas_fresh_count() == 0


# --- Committed: other connections and a real worker -----------------------------------------------------------------


def drop_committed(codes: list[str]) -> None:
    """Remove stations (and their heads) and every spare this test committed. Raw deletes: the ORM's cascade would
    look for the stations' own tables in the public schema."""
    with shared_row_delete(), connection.cursor() as cursor:
        for code in codes:
            cursor.execute(f'DROP SCHEMA IF EXISTS "st_{code}" CASCADE')
        cursor.execute("SELECT id FROM tenants_station WHERE code = ANY(%s)", [codes])
        ids = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT user_id FROM tenants_membership WHERE station_id = ANY(%s)", [ids])
        users = [row[0] for row in cursor.fetchall()]
        cursor.execute("DELETE FROM tenants_membership WHERE station_id = ANY(%s)", [ids])
        cursor.execute("DELETE FROM tenants_domain WHERE tenant_id = ANY(%s)", [ids])
        cursor.execute("DELETE FROM tenants_station WHERE id = ANY(%s)", [ids])
        cursor.execute("DELETE FROM tenants_user WHERE id = ANY(%s)", [users])
    spare_schemas_refill(size=0)


def test_concurrent_onboardings_never_share_a_spare(city, settings):
    settings.STATION_SPARE_SCHEMAS = 0  # no refill queued: this test counts the spares itself
    codes = ["sparea", "spareb"]
    on_own_connection(partial(spare_schemas_refill, size=2))  # committed, so the other connections see them
    both_hold_a_spare = threading.Barrier(2, timeout=60)
    made, errors = {}, []

    def onboard(code: str) -> None:
        try:
            with transaction.atomic():
                station = station_create(actor=PLATFORM, **station_input(code))
                with connection.cursor() as cursor:
                    cursor.execute("SELECT count(*) FROM pg_namespace WHERE nspname = %s", [station.schema_name])
                    made[code] = cursor.fetchone()[0]
                both_hold_a_spare.wait()  # neither has committed: each holds its spare's row lock
        except Exception as error:  # noqa: BLE001  (reported by the assertion below)
            errors.append(error)

    try:
        threads = [threading.Thread(target=on_own_connection, args=(onboard, code)) for code in codes]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert not errors
        assert made == {"sparea": 1, "spareb": 1}
        # Each took its own spare and neither cloned: both spares are gone, and quickly.
        assert on_own_connection(spare_names) == set()
        assert time.monotonic() - started < 30
        for code in codes:
            assert on_own_connection(catalog_of, f"st_{code}") == catalog_of(city.alpha.schema_name)
    finally:
        on_own_connection(drop_committed, codes)


def test_concurrent_onboardings_that_clone_do_not_deadlock(city, settings):
    """With no spare, each clones; clones wait for one another (two at once deadlocked on django-tenants' clone
    functions) while a refill clones at the same time."""
    settings.STATION_SPARE_SCHEMAS = 0
    codes = ["clonea", "cloneb"]
    on_own_connection(partial(spare_schemas_refill, size=0))
    start, errors = threading.Barrier(3, timeout=60), []

    def run(function) -> None:
        try:
            start.wait()
            function()
        except Exception as error:  # noqa: BLE001  (reported by the assertion below)
            errors.append(error)

    jobs = [partial(station_create, actor=PLATFORM, **station_input(code)) for code in codes]
    jobs.append(partial(spare_schemas_refill, size=1))
    try:
        threads = [threading.Thread(target=on_own_connection, args=(run, job)) for job in jobs]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=180)
        assert not errors
        for code in codes:
            assert on_own_connection(catalog_of, f"st_{code}") == catalog_of(city.alpha.schema_name)
        assert on_own_connection(spare_schemas_fresh_count) == 1
    finally:
        on_own_connection(drop_committed, codes)


def test_the_pool_refills_after_an_onboarding(city, celery_worker):
    """A committed onboarding queues the refill; a real worker clones the spares it took."""
    code = "sparerefill"
    try:
        on_own_connection(partial(spare_schemas_refill, size=0))
        on_own_connection(lambda: station_create(actor=PLATFORM, **station_input(code)))
        deadline = time.monotonic() + 120
        while on_own_connection(spare_schemas_fresh_count) < settings.STATION_SPARE_SCHEMAS:
            assert time.monotonic() < deadline, celery_worker.log.read_text()
            time.sleep(0.3)
        assert on_own_connection(spare_schemas_fresh_count) == settings.STATION_SPARE_SCHEMAS
        assert "spare_schemas_refill_task" in celery_worker.log.read_text()
    finally:
        on_own_connection(drop_committed, [code])


def test_a_refill_returns_at_once_while_another_holds_the_pool(city):
    """While another connection holds the pool's lock (a refill or the template's migration), a refill returns at once."""
    from tenants.spare_schemas import SPARE_LOCK

    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [SPARE_LOCK])
            holding.set()
            release.wait(timeout=30)
            cursor.execute("SELECT pg_advisory_unlock(%s)", [SPARE_LOCK])

    thread = threading.Thread(target=on_own_connection, args=(hold,))
    thread.start()
    try:
        assert holding.wait(timeout=30)
        started = time.monotonic()
        assert spare_schemas_refill(size=1) == 0
        assert time.monotonic() - started < 5
    finally:
        release.set()
        thread.join(timeout=30)


@pytest.mark.parametrize(("threshold", "during"), [(0, "off"), (10_000, "on")])
def test_a_clone_in_a_large_city_runs_without_nested_loops(city, monkeypatch, threshold, during):
    """Past NESTLOOP_OFF_ABOVE_SCHEMAS the planner misjudges the clone's catalog queries; the setting is put back."""
    from tenants import spare_schemas

    monkeypatch.setattr(spare_schemas, "NESTLOOP_OFF_ABOVE_SCHEMAS", threshold)

    def nestloop() -> str:
        with connection.cursor() as cursor:
            cursor.execute("SHOW enable_nestloop")
            return cursor.fetchone()[0]

    with spare_schemas.template_cloning(lock_timeout="200ms"):
        assert nestloop() == during
        with connection.cursor() as cursor:
            cursor.execute("SHOW lock_timeout")
            assert cursor.fetchone()[0] == "200ms"
    assert nestloop() == "on"
