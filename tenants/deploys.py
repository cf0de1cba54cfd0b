"""A deploy's hold on onboarding: ``migrate_schemas`` holds the advisory lock ``DEPLOY_LOCK`` for its whole run, and
``tenants.services.station_create`` refuses while anyone holds it.

A station opened during a deploy would get its schema from a template (or a spare) that the deploy may not have
migrated yet, after the deploy listed the schemas it migrates: it could be left behind. Refusing for the few minutes
a deploy takes is simpler and clearer than catching up afterwards (``migrate_schemas`` still looks again once at the
end, for a station committed while it took the lock).

The lock is a session lock on a connection of its own: the subprocess executor closes the command's connection before
it starts the children, which would release a lock taken there. A crash ends the session, and PostgreSQL releases the
lock with it.
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, Error, connections
from django.db.migrations.loader import MigrationLoader

# pg_advisory_lock key held by a running migrate_schemas (any constant unique to this purpose, below 2**31).
DEPLOY_LOCK = 0x5354_4450  # "STDP"
# Station schemas whose django_migrations one query reads (a query over thousands of tables plans slowly).
BEHIND_QUERY_CHUNK = 500


@contextmanager
def deploy_lock(*, using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Hold ``DEPLOY_LOCK`` until the block ends; waits while another deploy holds it."""
    holder = connections.create_connection(using)  # not the alias' shared connection (see the module's docstring)
    try:
        with holder.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [DEPLOY_LOCK])
        yield
    finally:
        try:
            # Released here and now: a closed connection's session (and its lock) ends only when the server has
            # noticed, a moment later under load, and whoever asks `deploy_in_progress` next must see it gone.
            with holder.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock_all()")
        except Error:
            pass  # the connection is broken: its session ends with it, and the lock too
        finally:
            holder.close()


def deploy_in_progress(*, using: str = DEFAULT_DB_ALIAS) -> bool:
    """Whether a deploy holds ``DEPLOY_LOCK`` in this database now (any session, this one included)."""
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            " AND classid = 0 AND objid = %s AND objsubid = 1)",
            [DEPLOY_LOCK],
        )
        return cursor.fetchone()[0]


def migrations_wanted() -> set[tuple[str, str]]:
    """Every migration of the project's graph (squashed ones as their squash): what ``migrate`` records in a station
    schema, for every app (Django records a migration the router keeps out of a schema as applied all the same)."""
    return set(MigrationLoader(None, ignore_no_migrations=True).graph.nodes)


def schemas_behind(*, schema_names: Sequence[str], using: str = DEFAULT_DB_ALIAS) -> list[str]:
    """Those of `schema_names` whose ``django_migrations`` lacks a migration of ``migrations_wanted``, in their order.

    It reads the catalog once and every schema's ``django_migrations`` in one query per ``BEHIND_QUERY_CHUNK``
    schemas, on one connection: at 1,000 stations that is a few queries, where migrating every schema to learn that it
    has nothing to do opens a migration executor (and its graph) per schema. A schema without the table (or missing)
    counts as behind, and so does one whose table has migrations the project no longer has but lacks a wanted one;
    extra rows alone (a migration deleted from the code) do not need a migration and are left to ``--prune``."""
    wanted = sorted(migrations_wanted())
    apps, names = [app for app, _name in wanted], [name for _app, name in wanted]
    connection = connections[using]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE c.relname = 'django_migrations' AND c.relkind = 'r' AND n.nspname = ANY(%s)",
            [list(schema_names)],
        )
        with_table = [row[0] for row in cursor.fetchall()]
        complete: set[str] = set()
        for start in range(0, len(with_table), BEHIND_QUERY_CHUNK):
            chunk = with_table[start : start + BEHIND_QUERY_CHUNK]
            counts = " UNION ALL ".join(
                f"SELECT %s::text, (SELECT count(DISTINCT (m.app, m.name)) FROM {quote(name)}.django_migrations m"  # noqa: S608  (catalog names, quoted)
                " JOIN wanted w ON w.app = m.app AND w.name = m.name)"
                for name in chunk
            )
            cursor.execute(
                f"WITH wanted(app, name) AS (SELECT DISTINCT * FROM unnest(%s::text[], %s::text[])) {counts}",  # noqa: S608
                [apps, names, *chunk],
            )
            complete.update(name for name, count in cursor.fetchall() if count == len(wanted))
    return [name for name in schema_names if name not in complete]
