"""Spare station schemas: the template cloned ahead of time, so that onboarding a station renames one instead of
cloning.

Cloning the template (django-tenants' ``clone_schema``, a PL/pgSQL port of pg-clone-schema) reads PostgreSQL's
catalog table by table; its catalog queries (``pg_indexes``, ``pg_depend``, ``information_schema``) grow with every
schema in the database, and past about 200 stations one of them is planned badly (see ``template_cloning``): a clone
takes about a second in an empty database and several at 500 stations (docs/performance.md, "Onboarding at 500
stations"). A rename (``ALTER SCHEMA … RENAME TO``) is one catalog row.

- ``spare_schemas_refill`` keeps ``settings.STATION_SPARE_SCHEMAS`` spares cloned and waiting; Celery runs it after
  every onboarding (``tenants.tasks.spare_schemas_refill_task``, queued on commit) and every few minutes (beat).
- ``spare_schema_take`` is called by ``tenants.services.station_create`` inside its transaction: it locks one fresh
  spare row (``FOR UPDATE SKIP LOCKED``: two onboardings never get the same one), renames its schema to the station's
  and deletes the row, all in that transaction. If the onboarding fails, both roll back and the spare waits again. With
  no fresh spare, onboarding clones as before.
- A spare is tagged with the fingerprint of the template's applied migrations when it was cloned
  (``template_state``). Only a spare whose tag is the template's current fingerprint is taken; ``migrate_schemas``
  drops the others once it has migrated the template (``spare_schemas_discard_stale``), and the refill makes new ones.
- One refill runs at a time, and never while ``migrate_schemas`` migrates the template: both hold the advisory lock
  ``SPARE_LOCK`` (so a spare is never cloned from a half-migrated template).
- One clone at a time (``clone_lock``, taken by a refill and by an onboarding that clones): two clones at once
  deadlock, since django-tenants drops and re-creates its clone functions' type in the public schema before each clone
  while the other clone's foreign keys wait for the public tables the first one wrote to. A refill's clone also gives
  way to onboardings: it waits at most ``REFILL_LOCK_TIMEOUT_MS`` for a lock (the foreign keys it creates lock the
  public tables they point at, such as the users and the stations), gives up and tries again, so an onboarding never
  waits long for it and never deadlocks with it.
"""

import logging
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django_tenants.clone import CloneSchema
from django_tenants.utils import schema_exists

from tenants.models import SpareSchema

logger = logging.getLogger(__name__)

SPARE_PREFIX = "spare_"
# Bump it when spares are made differently: every spare tagged before is then stale.
SPARE_FORMAT = "1"
# pg_advisory_lock key held by a refill and by the template's migration (any constant unique to this purpose).
SPARE_LOCK = 0x5354_5350  # "STSP"
# pg_advisory_xact_lock key held by every clone of the template until its transaction ends.
CLONE_LOCK = 0x5354_434C  # "STCL"
REFILL_LOCK_TIMEOUT_MS = 200
# Above this many schemas in the database, clones run with nested-loop joins off (see `template_cloning`).
NESTLOOP_OFF_ABOVE_SCHEMAS = 120
REFILL_ATTEMPTS = 5
LOCK_NOT_AVAILABLE = "55P03"


def schema_state(schema_name: str) -> str | None:
    """The fingerprint of the migrations applied in `schema_name` (None when it has no migration table)."""
    if not schema_exists(schema_name):
        return None
    table = f"{connection.ops.quote_name(schema_name)}.django_migrations"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT md5(%s || string_agg(app || '.' || name, ',' ORDER BY app, name)) FROM {table}",  # noqa: S608  (a schema name of ours, quoted)
            [f"{SPARE_FORMAT}|"],
        )
        return cursor.fetchone()[0]


def template_state() -> str | None:
    """The fingerprint of the template schema's applied migrations: what a fresh spare is tagged with."""
    return schema_state(settings.TENANT_BASE_SCHEMA)


def spare_schemas_fresh_count() -> int:
    state = template_state()
    return SpareSchema.objects.filter(template_state=state).count() if state else 0


def _drop_schema(schema_name: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA IF EXISTS {connection.ops.quote_name(schema_name)} CASCADE")


def clone_lock() -> None:
    """Wait until no other transaction is cloning the template; held until this transaction ends. Call it before
    anything in the transaction writes to a public table (so a clone never waits for this transaction)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CLONE_LOCK])


@contextmanager
def template_cloning(**settings_during: str) -> Iterator[None]:
    """Around a clone of the template: one clone at a time (`clone_lock`), and, in a large city, no nested-loop joins
    while it runs.

    Every station has tables of the same names, and PostgreSQL's statistics of ``pg_class.relname`` cannot tell: past
    about 150 stations the planner estimates one row for a table name that every station shares, and the clone's index
    renaming query (``pg_indexes`` joined to itself, once per table) becomes a nested loop over every station's copy
    of the table: one clone took 137 s at 216 stations, and 4.5 s with nested loops off. In a small city nested loops
    are the better plans (a clone takes about 0.6 s with them, 1.6 s without), hence ``NESTLOOP_OFF_ABOVE_SCHEMAS``.
    The settings are restored on exit (``set_config(…, true)`` lasts until the transaction ends otherwise)."""
    clone_lock()
    wanted = dict(settings_during)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_namespace")
        if cursor.fetchone()[0] > NESTLOOP_OFF_ABOVE_SCHEMAS:
            wanted["enable_nestloop"] = "off"
        before = {}
        for name, value in wanted.items():
            cursor.execute("SELECT current_setting(%s), set_config(%s, %s, true)", [name, name, value])
            before[name] = cursor.fetchone()[0]
    yield
    with connection.cursor() as cursor:
        for name, value in before.items():
            cursor.execute("SELECT set_config(%s, %s, true)", [name, value])


@transaction.atomic
def spare_schema_take(*, schema_name: str) -> bool:
    """Rename a fresh spare to `schema_name`, in the caller's transaction; False when none is waiting.

    The spare's row is locked with SKIP LOCKED, so concurrent callers each get another spare (or none), and deleted
    in the same transaction as the rename: a rollback puts both back."""
    state = template_state()
    if state is None:
        return False
    spares = SpareSchema.objects.select_for_update(skip_locked=True).filter(template_state=state)
    while (spare := spares.order_by("created_at", "id").first()) is not None:
        found = schema_exists(spare.schema_name)
        if found:
            quote = connection.ops.quote_name
            with connection.cursor() as cursor:
                cursor.execute(f"ALTER SCHEMA {quote(spare.schema_name)} RENAME TO {quote(schema_name)}")
        else:  # dropped by hand: forget it
            logger.warning("spare schema %s is gone; its row is removed", spare.schema_name)
        spare.delete()
        if found:
            logger.info("spare schema %s renamed to %s", spare.schema_name, schema_name)
            return True
    return False


@transaction.atomic
def spare_schema_create() -> SpareSchema:
    """Clone the template into a new spare schema, tagged with the migrations it was cloned with.

    The spare is cloned exactly as django-tenants clones a new tenant (``clone_schema`` with its data, so its
    ``django_migrations`` is the template's); django-tenants' ``migrate_schemas --fake`` after the clone is left out,
    since it finds nothing to record in a clone of a migrated template."""
    connection.set_schema_to_public()
    schema_name = f"{SPARE_PREFIX}{secrets.token_hex(6)}"
    with template_cloning(lock_timeout=f"{REFILL_LOCK_TIMEOUT_MS}ms"):
        CloneSchema().clone_schema(settings.TENANT_BASE_SCHEMA, schema_name)
    spare = SpareSchema(schema_name=schema_name, template_state=schema_state(schema_name))
    spare.full_clean()
    spare.save()
    return spare


@transaction.atomic
def spare_schemas_discard_stale() -> int:
    """Drop the spares cloned from another state of the template (and spare schemas whose row is gone); how many.

    A spare being taken right now is locked and skipped (it is fresh: only fresh spares are taken)."""
    state = template_state()
    stale = SpareSchema.objects.select_for_update(skip_locked=True)
    if state is not None:
        stale = stale.exclude(template_state=state)
    dropped = 0
    for spare in stale:
        _drop_schema(spare.schema_name)
        spare.delete()
        dropped += 1
    # A committed spare schema always has its committed row (both are written in one transaction): a schema without
    # one was left by something else (a test database flush, a row deleted by hand) and nobody can take it.
    known = set(SpareSchema.objects.values_list("schema_name", flat=True))
    with connection.cursor() as cursor:
        cursor.execute("SELECT nspname FROM pg_namespace WHERE starts_with(nspname, %s)", [SPARE_PREFIX])
        orphans = [name for (name,) in cursor.fetchall() if name not in known]
    for name in orphans:
        _drop_schema(name)
        dropped += 1
    if dropped:
        logger.info("dropped %d stale spare schemas", dropped)
    return dropped


@transaction.atomic
def _spare_schemas_trim(*, size: int) -> None:
    """Drop the newest fresh spares above `size` (the pool was made smaller)."""
    state = template_state()
    fresh = SpareSchema.objects.select_for_update(skip_locked=True).filter(template_state=state)
    for spare in fresh.order_by("-created_at", "-id")[: max(0, spare_schemas_fresh_count() - size)]:
        _drop_schema(spare.schema_name)
        spare.delete()


def spare_schemas_refill(*, size: int | None = None) -> int:
    """Drop stale spares, then clone until `size` (settings.STATION_SPARE_SCHEMAS) fresh ones wait, or drop those above
    it; how many were made.

    Each spare is committed as soon as it is made, so onboarding can take it while the next is cloned. When another
    refill (or the template's migration) holds ``SPARE_LOCK``, this one returns 0 at once: that one fills the pool."""
    size = settings.STATION_SPARE_SCHEMAS if size is None else size
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [SPARE_LOCK])
        if not cursor.fetchone()[0]:
            return 0
    made = 0
    try:
        connection.set_schema_to_public()
        spare_schemas_discard_stale()
        _spare_schemas_trim(size=size)
        gave_way = 0
        while template_state() is not None and spare_schemas_fresh_count() < size:
            try:
                spare_schema_create()
            except OperationalError as error:
                if getattr(error.__cause__, "pgcode", None) != LOCK_NOT_AVAILABLE or gave_way >= REFILL_ATTEMPTS:
                    raise
                gave_way += 1  # an onboarding holds a public table the clone's foreign keys need: let it finish
                logger.info("spare schema clone gave way to another transaction (%d)", gave_way)
                time.sleep(0.2 * gave_way)
                continue
            made += 1
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [SPARE_LOCK])
    if made:
        logger.info("made %d spare station schemas", made)
    return made
