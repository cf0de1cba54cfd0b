"""The public rows every station points at (users, stations, enterprises, institutions, catalog entries) are kept.

A station's schema refers to them by id through Django relations that have **no database constraint**
(`shared_key(...)`: a `ForeignKey` with `db_constraint=False`). A real foreign key from each station schema would put
two triggers on the public table it points at, per key and per station: 35 keys to the users made 69,560 triggers on
`tenants_user` at 992 stations, and every connection, every new station and every sign-in paid for loading them
(docs/performance.md, "Second pass"). `migrate_schemas` migrates the public schema (the refusal below) before the
stations (which dropped the keys), and the desk's migration depends on the refusal's.

What those constraints gave, the refusal to delete a public row a station's record points at, is kept by refusing
every DELETE on those tables instead: `refuse_delete_sql(table)` is a `BEFORE DELETE` trigger (error code
`restrict_violation`, so Django raises `IntegrityError`). Nothing in the product deletes them: people are
deactivated, stations suspended, catalogue items retired. An operator who must remove such a row (a test's own
stations, a drill's enterprises) does it inside `shared_row_delete()`, knowing that station records may then point at
nothing.

`tests/core/common/test_shared_rows.py` checks that every station key into a shared model is declared so, and that
a station schema holds no foreign key into the public schema but django-guardian's own.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, models, transaction

# The transaction-local setting that lets a DELETE on a kept table through (see `shared_row_delete`).
DELETE_SETTING = "stationnet.shared_row_delete"


def refuse_delete_sql(table: str) -> tuple[str, str]:
    """The SQL that makes PostgreSQL refuse a DELETE on the public table `table`, and the SQL that undoes it."""
    function = f"{table}_refuse_delete"
    create = f"""
CREATE OR REPLACE FUNCTION {function}() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('{DELETE_SETTING}', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION '{table} row % is kept: station records may point at it (deactivate it instead)', OLD.id
        USING ERRCODE = 'restrict_violation';
END;
$$;
CREATE TRIGGER {function} BEFORE DELETE ON {table} FOR EACH ROW EXECUTE FUNCTION {function}();
"""
    drop = f"""
DROP TRIGGER IF EXISTS {function} ON {table};
DROP FUNCTION IF EXISTS {function}();
"""
    return create, drop


@contextmanager
def shared_row_delete() -> Iterator[None]:
    """A transaction in which DELETEs on the kept public tables go through (an operator's or a test's own clean-up)."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config(%s, 'on', true)", [DELETE_SETTING])
        yield
        # Off again for the rest of an enclosing transaction. (When the block raises, rolling its savepoint or
        # transaction back undoes the setting too.)
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config(%s, 'off', true)", [DELETE_SETTING])


def shared_key(
    to: str,
    *,
    null: bool = False,
    blank: bool | None = None,
    on_delete=models.DO_NOTHING,
    related_name: str | None = "+",
    **options,
) -> models.ForeignKey:
    """A station model's key into a shared public row: a Django relation without a database constraint (see above).

    Nothing happens to the station's row when the public one would go, since it never goes: `on_delete` is
    DO_NOTHING. The key may be left empty in forms when it may be null (`blank` follows `null` unless given), and the
    public model has no reverse accessor unless `related_name` names one."""
    return models.ForeignKey(
        to,
        db_constraint=False,
        on_delete=on_delete,
        null=null,
        blank=null if blank is None else blank,
        related_name=related_name,
        **options,
    )
