"""Spare station schemas: copies of the template made ahead of time, so that onboarding a station renames one instead
of copying the template in the request.

A spare is made by replaying the template's DDL (`spare_schema_replay`): ``pg_dump --schema=<template>`` (its tables,
sequences, indexes, constraints, functions and triggers, and its small data: ``django_migrations``, the content types)
with the schema's name rewritten, run in one transaction. It used to be cloned (django-tenants' ``clone_schema``, a
PL/pgSQL port of pg-clone-schema), which reads PostgreSQL's catalog table by table; its catalog queries
(``pg_indexes``, ``pg_depend``, ``information_schema``) grow with every schema in the database, and past about 200
stations one of them is planned badly (see ``template_cloning``): several seconds at 500 stations
(docs/performance.md, "Onboarding at 500 stations"). It also renamed the unique constraints, so a later
``RemoveConstraint`` failed on every station. A replay creates what ``pg_dump`` wrote under the very same names and
reads no catalog. ``pg_dump`` itself reads the catalog of every schema, so its output is kept per state of the
template (`template_dump`: a public table, and each process's memory) and runs once per deploy.

A rename (``ALTER SCHEMA … RENAME TO``) is one catalog row.

- ``spare_schemas_refill`` keeps ``settings.STATION_SPARE_SCHEMAS`` spares made and waiting; Celery runs it after
  every onboarding (``tenants.tasks.spare_schemas_refill_task``, queued on commit) and every few minutes (beat).
- ``spare_schema_take`` is called by ``tenants.services.station_create`` inside its transaction: it locks one fresh
  spare row (``FOR UPDATE SKIP LOCKED``: two onboardings never get the same one), renames its schema to the station's
  and deletes the row, all in that transaction. If the onboarding fails, both roll back and the spare waits again. With
  no fresh spare, onboarding replays the template into the station's schema (in a worker: a web request never does,
  see ``station_create(spare_only=True)``).
- A spare is tagged with the fingerprint of the template's applied migrations when it was made
  (``template_state``). Only a spare whose tag is the template's current fingerprint is taken; ``migrate_schemas``
  drops the others once it has migrated the template (``spare_schemas_discard_stale``), and the refill makes new ones.
- One refill runs at a time, and never while ``migrate_schemas`` migrates the template: both hold the advisory lock
  ``SPARE_LOCK`` (so a refill never makes a spare from a half-migrated template).
- Replays need no lock of their own. The clone lock (``clone_lock``) existed because django-tenants drops and
  re-creates its clone functions' type in the public schema before each clone; a replay creates nothing outside its
  schema. Two replays still queue on django-guardian's four foreign keys into the public schema, the only ones a
  station schema has (``core.common.shared_rows``): ``ADD CONSTRAINT … REFERENCES public.…`` takes a SHARE ROW
  EXCLUSIVE lock on the public table, which conflicts with itself, always in the dump's order, so they never deadlock.
  A refill's replay gives way to onboardings: it waits at most ``REFILL_LOCK_TIMEOUT_MS`` for a lock (an onboarding
  that has written the users holds them until it commits), gives up and tries again, so an onboarding
  never waits long for it and never deadlocks with it. ``template_cloning`` is kept for ``clone_schema``, which the
  benchmark measures as the baseline.
"""

import logging
import re
import secrets
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import IntegrityError, OperationalError, connection, transaction
from django_tenants.clone import CloneSchema
from django_tenants.utils import schema_exists

from core.common.pg_tools import libpq_dsn, pg_program
from tenants.models import SpareSchema, TemplateDump

logger = logging.getLogger(__name__)

SPARE_PREFIX = "spare_"
# Bump it when spares are made differently: every spare tagged before is then stale ("2": replayed, not cloned).
SPARE_FORMAT = "2"
# pg_advisory_lock key held by a refill and by the template's migration (any constant unique to this purpose).
SPARE_LOCK = 0x5354_5350  # "STSP"
# pg_advisory_xact_lock key held by every clone of the template until its transaction ends.
CLONE_LOCK = 0x5354_434C  # "STCL"
REFILL_LOCK_TIMEOUT_MS = 200
# Above this many schemas in the database, clones run with nested-loop joins off (see `template_cloning`).
NESTLOOP_OFF_ABOVE_SCHEMAS = 120
REFILL_ATTEMPTS = 5
LOCK_NOT_AVAILABLE = "55P03"
PG_DUMP_TIMEOUT_S = 600


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


class SpareSchemaUnavailable(Exception):  # noqa: N818  (a state, not a failure)
    """No fresh spare is waiting, and the caller may not make a schema itself (a web request): it queues the work."""


# --- Replaying the template's DDL ----------------------------------------------------------------------------------

# The lexical pieces of the SQL pg_dump writes: comments, string literals (standard, E'…' with backslash escapes),
# dollar-quoted bodies, quoted identifiers, words, psql's meta-commands (pg_dump 15.14+ brackets its output with
# ``\restrict``/``\unrestrict``, which only psql understands: they are left out), and any other character.
_TOKEN = re.compile(
    r"""(?P<comment>--[^\n]*|/\*.*?\*/)"""
    r"""|(?P<string>[eE]'(?:[^'\\]|\\.|'')*'|'(?:[^']|'')*')"""
    r"""|(?P<dollar>\$(?P<tag>[A-Za-z_][A-Za-z0-9_]*)?\$)"""
    r"""|(?P<qident>"(?:[^"]|"")*")"""
    r"""|(?P<word>[A-Za-z_\u0080-\uffff][A-Za-z0-9_$\u0080-\uffff]*|[0-9][0-9.eE+-]*)"""
    r"""|(?P<space>\s+)"""
    r"""|(?P<meta>\\[a-z]+[^\n]*)"""
    r"""|(?P<other>.)""",
    re.DOTALL,
)
# Statements of pg_dump's preamble that set the session (``SET …``, ``SELECT pg_catalog.set_config(…, false)``): they
# would outlast the replay's transaction, so they are dropped and `spare_schema_replay` sets what matters locally.
_SESSION_STATEMENT = re.compile(r"(SET\s|SELECT\s+pg_catalog\.set_config\s*\()", re.IGNORECASE)


def _tokens(sql: str) -> Iterator[tuple[str, int, int]]:
    """(kind, start, end) of each lexical piece of `sql`; a dollar-quoted body is one "body" piece, its quotes aside."""
    position = 0
    while position < len(sql):
        match = _TOKEN.match(sql, position)
        kind = match.lastgroup if match.lastgroup != "tag" else "dollar"
        if kind == "dollar":
            quote = match.group("dollar")
            close = sql.find(quote, match.end())
            if close < 0:
                raise ValueError("unterminated dollar-quoted string in the template's dump")
            yield "body", match.end(), close
            position = close + len(quote)
            continue
        yield kind, match.start(), match.end()
        position = match.end()


def template_ddl_split(sql: str, schema_name: str) -> list[str]:
    """The pieces of pg_dump's `sql` around every place it names the schema `schema_name`: joined by another schema's
    quoted name, they are the same dump for that schema. pg_dump's session settings are left out.

    Only the schema's name is rewritten, and only where it stands for the schema: an identifier (quoted or not) that
    qualifies a name (``station_template.desk_demand``, ``"station_template".x``) or follows ``SCHEMA``
    (``CREATE SCHEMA station_template``), also inside a function's dollar-quoted body; and in a string literal only
    where pg_dump names a sequence by text: a literal cast to ``::regclass`` (a column default's ``nextval``) and the
    first argument of ``setval``, and only its leading schema qualifier. Row data are string literals that are neither,
    so a row holding the text "station_template.x" is copied as it is; so are comments, and a table or column that
    happens to bear the schema's name without qualifying anything."""
    pieces: list[str] = []
    kept: list[str] = []
    statement: list[tuple[str, int, int]] = []
    for token in _tokens(sql):
        kind, start, end = token
        if kind == "meta" or (kind in {"comment", "space"} and not statement):
            continue
        statement.append(token)
        if kind == "other" and sql[start:end] == ";":
            text = sql[statement[0][1] : end]
            if not _SESSION_STATEMENT.match(text):
                kept.append(text)
            statement = []
    if statement:
        kept.append(sql[statement[0][1] : statement[-1][2]])
    pieces = _split_names("\n".join(kept) + "\n", schema_name)
    return pieces


def _split_names(sql: str, schema_name: str) -> list[str]:
    pieces, cut_from = [], 0
    previous: list[str] = []  # the last significant tokens, upper-cased

    def cut(start: int, end: int) -> None:
        nonlocal cut_from
        pieces.append(sql[cut_from:start])
        cut_from = end

    quoted = f'"{schema_name}"'
    for kind, start, end in _tokens(sql):
        text = sql[start:end]
        qualifies = sql.startswith(".", end) or previous[-1:] == ["SCHEMA"]
        if kind == "word":
            if text == schema_name and qualifies:
                cut(start, end)
        elif kind == "qident":
            if text == quoted and qualifies:
                cut(start, end)
        elif kind == "string" and text[0] not in "eE":
            names_a_sequence = sql[end : end + 10].lower() == "::regclass" or previous[-2:] == ["SETVAL", "("]
            for name in (schema_name, quoted):
                if names_a_sequence and text.startswith(f"'{name}."):
                    cut(start + 1, start + 1 + len(name))
                    break
        elif kind == "body":
            inner = _split_names(text, schema_name)
            if len(inner) > 1:
                pieces.append(sql[cut_from:start] + inner[0])
                pieces.extend(inner[1:-1])
                cut_from = end - len(inner[-1])
        if kind not in {"comment", "space"}:
            previous = [*previous[-3:], text.upper()]
    pieces.append(sql[cut_from:])
    return pieces


def _pg_dump(schema_name: str) -> str:
    """pg_dump's SQL of one schema of this database (its DDL and its rows, as INSERTs), without owners or grants."""
    dsn, env = libpq_dsn()
    command = [
        pg_program("pg_dump"),
        f"--dbname={dsn}",
        f'--schema="{schema_name}"',
        "--no-owner",
        "--no-privileges",
        "--no-tablespaces",
        "--no-security-labels",
        "--no-comments",
        "--inserts",
        "--rows-per-insert=1000",
        "--encoding=UTF8",
    ]
    result = subprocess.run(  # noqa: S603  (a fixed program; the schema is ours)
        command, env=env, capture_output=True, text=True, timeout=PG_DUMP_TIMEOUT_S, check=False
    )
    if result.returncode:
        raise RuntimeError(f"pg_dump of {schema_name} failed: {result.stderr.strip()[:2000]}")
    return result.stdout


# Each process's template dumps, split at the schema's name: {(database, template state): pieces}.
_DUMPS: dict[tuple[str, str], list[str]] = {}


def template_dump(*, state: str) -> list[str]:
    """The template's dump for `state`, split at its schema's name (`template_ddl_split`): from this process's memory,
    else from the public table ``TemplateDump``, else from ``pg_dump`` (then kept in both).

    pg_dump runs outside this transaction and may see the template in another state (a migration committed
    meanwhile): its output is kept only if the template's state is `state` before and after it, and refused
    otherwise (the caller tries again with the new state)."""
    key = (connection.settings_dict["NAME"], state)
    if key in _DUMPS:
        return _DUMPS[key]
    template = settings.TENANT_BASE_SCHEMA
    sql = TemplateDump.objects.filter(template_state=state).values_list("sql", flat=True).first()
    if sql is None:
        sql = _pg_dump(template)
        if template_state() != state:
            raise OperationalError("the station template changed while it was dumped; try again")
        try:
            with transaction.atomic():
                dump = TemplateDump(template_state=state, sql=sql)
                dump.full_clean(validate_unique=False)
                dump.save()
        except IntegrityError:  # another process kept the same dump first
            pass
        TemplateDump.objects.exclude(template_state=state).delete()
    _DUMPS[key] = template_ddl_split(sql, template)
    return _DUMPS[key]


@transaction.atomic
def spare_schema_replay(*, schema_name: str, lock_timeout: str = "0") -> str:
    """Create the schema `schema_name` as a copy of the template by replaying its dump, in the caller's transaction;
    the template's state it was made from.

    pg_dump writes every name qualified and runs with an empty search path; the replay does too, with the settings of
    pg_dump's preamble, each set for this transaction only and put back after (a later query of the caller's
    transaction runs with its own search path again)."""
    state = template_state()
    if state is None:
        raise OperationalError(f"there is no station template ({settings.TENANT_BASE_SCHEMA}) to make a schema from")
    script = connection.ops.quote_name(schema_name).join(template_dump(state=state))
    wanted = {
        "search_path": "",
        "check_function_bodies": "off",
        "client_min_messages": "warning",
        "standard_conforming_strings": "on",
        "lock_timeout": lock_timeout,
    }
    with connection.cursor() as cursor:
        before = {}
        for name, value in wanted.items():
            cursor.execute("SELECT current_setting(%s), set_config(%s, %s, true)", [name, name, value])
            before[name] = cursor.fetchone()[0]
        cursor.execute(script)  # on an error the savepoint's rollback puts the settings back
        for name, value in before.items():
            cursor.execute("SELECT set_config(%s, %s, true)", [name, value])
    if schema_state(schema_name) != state:
        # The dump is not of this state: pg_dump sees only what is committed, and the template moved (or this
        # transaction moved it). Forget it; the caller's transaction rolls back with the schema.
        _DUMPS.pop((connection.settings_dict["NAME"], state), None)
        TemplateDump.objects.filter(template_state=state).delete()
        raise OperationalError("the station template's dump does not match its state; try again")
    return state


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
    """Replay the template into a new spare schema (`spare_schema_replay`), tagged with the migrations it was made
    with; the spare is committed with the caller's transaction.

    Its ``django_migrations`` is the template's (the dump holds its rows), so django-tenants' ``migrate_schemas --fake``
    after a new schema has nothing to record. The replay gives way to onboardings (``REFILL_LOCK_TIMEOUT_MS``)."""
    connection.set_schema_to_public()
    schema_name = f"{SPARE_PREFIX}{secrets.token_hex(6)}"
    spare_schema_replay(schema_name=schema_name, lock_timeout=f"{REFILL_LOCK_TIMEOUT_MS}ms")
    spare = SpareSchema(schema_name=schema_name, template_state=schema_state(schema_name))
    spare.full_clean()
    spare.save()
    return spare


@transaction.atomic
def spare_schema_clone() -> SpareSchema:
    """A spare made as before replays were: cloned by django-tenants' ``clone_schema`` (with its rows). Only the benchmark
    calls it, as the baseline a replay is measured against; it is never taken (tagged with another format)."""
    connection.set_schema_to_public()
    schema_name = f"{SPARE_PREFIX}{secrets.token_hex(6)}"
    with template_cloning(lock_timeout=f"{REFILL_LOCK_TIMEOUT_MS}ms"):
        CloneSchema().clone_schema(settings.TENANT_BASE_SCHEMA, schema_name)
    spare = SpareSchema(schema_name=schema_name, template_state="clone")
    spare.full_clean()
    spare.save()
    return spare


@transaction.atomic
def spare_schemas_discard_stale() -> int:
    """Drop the spares made from another state of the template (and spare schemas whose row is gone); how many.

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
    """Drop stale spares, then replay until `size` (settings.STATION_SPARE_SCHEMAS) fresh ones wait, or drop those above
    it; how many were made.

    Each spare is committed as soon as it is made, so onboarding can take it while the next is made. When another
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
                gave_way += 1  # an onboarding holds a public table the replay's foreign keys need: let it finish
                logger.info("spare schema replay gave way to another transaction (%d)", gave_way)
                time.sleep(0.2 * gave_way)
                continue
            made += 1
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [SPARE_LOCK])
    if made:
        logger.info("made %d spare station schemas", made)
    return made
