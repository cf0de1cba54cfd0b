"""Django's migration recorder, asking PostgreSQL for its one table by name instead of listing every table.

``MigrationRecorder.has_table`` lists the tables of the connection's schema (``introspection.table_names``;
django-tenants' introspection looks in the tenant's schema alone, never in ``public`` behind it) to see whether
``django_migrations`` is among them. On PostgreSQL that list is a scan of the whole catalog (``pg_class``, with
``pg_table_is_visible`` per row): 145 ms at 1,000 stations (370,000 catalog rows) and growing with every station.
Django's migrate makes four new recorders per schema (django-tenants', the loader's, the history check's, the
executor's), so a deploy that migrates every station paid about 0.6 s a schema for this alone (issue 21).

``to_regclass('<schema>.django_migrations')`` answers the same question (is there such a table in that schema?) from
the catalog's index, in well under a millisecond. Installed once, by ``tenants.apps.TenantsConfig.ready``, in every
process: the answer is the same, only cheaper.
"""

from django.db.migrations.recorder import MigrationRecorder


def _has_table(self: MigrationRecorder) -> bool:
    """Return True if the django_migrations table is in the connection's schema."""
    if self._has_table:  # confirmed before by this recorder: tables are not dropped behind its back
        return True
    # The tenant's schema as django-tenants' introspection sees it (a plain connection: its current schema).
    schema = getattr(self.connection, "schema_name", None)
    with self.connection.cursor() as cursor:
        cursor.execute(
            "SELECT to_regclass(format('%%I.%%I', COALESCE(%s, current_schema()), %s)) IS NOT NULL",
            [schema, self.Migration._meta.db_table],
        )
        self._has_table = bool(cursor.fetchone()[0])
    return self._has_table


def recorder_by_name_install() -> None:
    """Make every ``MigrationRecorder`` look its table up by name (idempotent)."""
    MigrationRecorder.has_table = _has_table
