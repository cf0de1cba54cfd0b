"""Reads for backups: which public rows belong to a station, checksums to compare a restore with its export, and the
lock table a whole-database dump needs.

A station is its schema and the rows of the public schema that point at it. Those rows are found from the models'
foreign keys, never from a hand list that rots when an app adds a table: every shared model with a foreign key to
`tenants.Station` (and every shared model that points at one of those rows, such as an evaluation round's items) is
part of the station. A key to the station that is set to null when the station goes (`SET_NULL`: the directory's
enterprises and institutions a station entered) only *links* a row that belongs to the whole city: the export keeps
it, the import puts the link back and never deletes it.
"""

import math
from dataclasses import dataclass, field

from django.apps import apps
from django.conf import settings
from django.db import connection, models

from tenants.models import Station, User


@dataclass(frozen=True)
class StationTable:
    """A public table holding rows of a station; `where` selects them (SQL with the station's id as `{station}`)."""

    label: str
    table: str
    pk: str
    columns: tuple[str, ...]
    where: str
    user_columns: tuple[str, ...]
    # Only SET_NULL keys to the station: the rows belong to the city (see the module's docstring).
    linked: bool = False
    station_columns: tuple[str, ...] = field(default=())


# The public tables that name a station by its schema (no foreign key can find them): the messages the public schema
# applied from the station (its outbox's sequence numbers must agree with them after a restore).
SCHEMA_NAMED = (("messaging.InboxMessage", "source"),)


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _shared_models() -> list[type[models.Model]]:
    shared = set(settings.SHARED_APPS)
    return [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.app_config.name in shared and model is not Station and model._meta.managed
    ]


def _keys(model: type[models.Model]) -> list[models.ForeignKey]:
    return [field for field in model._meta.concrete_fields if field.is_relation and field.related_model is not None]


def station_tables() -> list[StationTable]:
    """Every public table with rows of a station, parents before the tables that point at them."""
    found: dict[type[models.Model], StationTable] = {}
    candidates = _shared_models()
    for model in candidates:
        station_keys = [key for key in _keys(model) if key.related_model is Station]
        if not station_keys:
            continue
        linked = all(key.remote_field.on_delete is models.SET_NULL for key in station_keys)
        where = " OR ".join(f"{_quote(key.column)} = {{station}}" for key in station_keys)
        found[model] = _station_table(model, f"({where})", linked, tuple(key.column for key in station_keys))
    # Rows that name the station by its schema instead of a key: what the public inbox applied from the station.
    for label, column in SCHEMA_NAMED:
        model = apps.get_model(label)
        where = (
            f"({_quote(column)} = (SELECT {_quote('schema_name')} FROM {_quote(Station._meta.db_table)} "  # noqa: S608
            f"WHERE {_quote(Station._meta.pk.column)} = {{station}}))"
        )
        found[model] = _station_table(model, where, False, ())
    # Rows that point at a station's own rows (not at a linked one) are the station's too, however deep.
    changed = True
    while changed:
        changed = False
        for model in candidates:
            if model in found:
                continue
            parents = [
                key
                for key in _keys(model)
                if key.related_model in found
                and not found[key.related_model].linked
                and key.remote_field.on_delete is not models.SET_NULL
            ]
            if not parents:
                continue
            where = " OR ".join(
                f"{_quote(key.column)} IN (SELECT {_quote(found[key.related_model].pk)} "  # noqa: S608  (ours)
                f"FROM {_quote(found[key.related_model].table)} WHERE {found[key.related_model].where})"
                for key in parents
            )
            found[model] = _station_table(model, f"({where})", False, ())
            changed = True
    return list(found.values())


def _station_table(model, where: str, linked: bool, station_columns: tuple[str, ...]) -> StationTable:
    return StationTable(
        label=model._meta.label,
        table=model._meta.db_table,
        pk=model._meta.pk.column,
        columns=tuple(field.column for field in model._meta.concrete_fields),
        where=where,
        user_columns=tuple(key.column for key in _keys(model) if key.related_model is User),
        linked=linked,
        station_columns=station_columns,
    )


def station_row_table() -> StationTable:
    return _station_table(Station, f"({_quote(Station._meta.pk.column)} = {{station}})", False, ())


def user_table(user_ids: list[int]) -> StationTable:
    """The users a station's rows point at (its members, whoever changed or published it, its staff on its cases)."""
    ids = ",".join(str(int(pk)) for pk in sorted(user_ids)) or "NULL"
    table = _station_table(User, f"({_quote(User._meta.pk.column)} IN ({ids}))", False, ())
    return table


def rows_checksum(*, table: StationTable, station_id: int) -> tuple[int, str]:
    """How many rows of `table` are the station's, and an md5 of their text (in a fixed order)."""
    columns = ", ".join(_quote(column) for column in table.columns)
    where = table.where.format(station=int(station_id))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*), coalesce(md5(string_agg(r, E'\\n' ORDER BY r)), '') "  # noqa: S608  (our identifiers)
            f"FROM (SELECT ROW({columns})::text AS r FROM {_quote(table.table)} WHERE {where}) AS rows"
        )
        count, digest = cursor.fetchone()
    return count, digest


def schema_checksums(*, schema_name: str) -> dict[str, tuple[int, str]]:
    """Every table of a schema with its row count and an md5 of its rows' text (in a fixed order)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relkind IN ('r', 'p') ORDER BY c.relname",
            [schema_name],
        )
        tables = [row[0] for row in cursor.fetchall()]
        checksums = {}
        for name in tables:
            qualified = f"{_quote(schema_name)}.{_quote(name)}"
            cursor.execute(
                f"SELECT count(*), coalesce(md5(string_agg(r, E'\\n' ORDER BY r)), '') "  # noqa: S608  (catalog names, quoted)
                f"FROM (SELECT t::text AS r FROM {qualified} AS t) AS rows"
            )
            checksums[name] = tuple(cursor.fetchone())
    return checksums


def schema_user_columns(*, schema_name: str) -> list[tuple[str, str]]:
    """The (table, column) pairs of a station schema that point at the public users.

    Read from the station apps' models, not from the schema's foreign keys: a station's keys into the public schema
    have no database constraint (see `core.common.shared_rows`), so only Django knows them. Every column is checked
    to exist in `schema_name`, so a schema a migration behind still exports (an import refuses it anyway)."""
    station_labels = {name.rsplit(".", 1)[-1] for name in settings.TENANT_APPS}
    wanted = sorted(
        {
            (model._meta.db_table, key.column)
            for model in apps.get_models(include_auto_created=True)
            if model._meta.app_label in station_labels and not model._meta.proxy
            for key in model._meta.concrete_fields
            if key.is_relation and key.related_model is User
        }
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = %s",
            [schema_name],
        )
        present = set(cursor.fetchall())
    return [pair for pair in wanted if pair in present]


# --- The lock table ---------------------------------------------------------------------------------------------

# What pg_dump locks (ACCESS SHARE, held to the end of its one transaction): tables, partitioned tables, sequences,
# views, materialized views and foreign tables. Indexes and the system catalogs are not locked. (Watched in pg_locks
# during a dump of the test database with pg_dump 15: one lock per table and per sequence, as counted here.)
DUMPED_KINDS = ("r", "p", "S", "v", "m", "f")
# What every other connection may hold in the shared lock table meanwhile: a request's transaction locks a few
# relations, and PostgreSQL keeps 16 per backend off the shared table (its fast path) before it spills there.
OTHER_CONNECTIONS_SHARE = 16
# PostgreSQL's default `max_locks_per_transaction`: never advise less.
DEFAULT_MAX_LOCKS = 64


@dataclass(frozen=True)
class LockTableRequirement:
    stations: int
    relations_per_station: int
    other_relations: int
    dump_locks: int
    max_connections: int
    max_prepared_transactions: int
    max_locks_per_transaction: int
    required_max_locks_per_transaction: int

    @property
    def slots(self) -> int:
        return self.max_connections + self.max_prepared_transactions

    @property
    def capacity(self) -> int:
        """Locks the shared lock table holds with the current settings."""
        return self.max_locks_per_transaction * self.slots

    @property
    def sufficient(self) -> bool:
        return self.max_locks_per_transaction >= self.required_max_locks_per_transaction


def _setting(cursor, name: str) -> int:
    cursor.execute("SELECT setting::int FROM pg_settings WHERE name = %s", [name])
    return cursor.fetchone()[0]


def lock_table_requirement(*, stations: int | None = None) -> LockTableRequirement:
    """The `max_locks_per_transaction` a whole-database `pg_dump` needs, with this city's stations or with `stations`.

    The shared lock table holds `max_locks_per_transaction × (max_connections + max_prepared_transactions)` locks; a
    dump takes one per relation (`DUMPED_KINDS`) of every schema, all in one transaction. Counted from the catalog: the
    relations of the template schema (every station and spare has the same), and those of every other schema (public
    and anything else, stations and spares excluded). Every other connection may hold `OTHER_CONNECTIONS_SHARE`
    meanwhile, so the setting needed is that share plus the dump's locks spread over the slots, rounded up, and never
    less than PostgreSQL's default.
    """
    template = settings.TENANT_BASE_SCHEMA
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n.nspname, count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind = ANY(%s) AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
            "AND n.nspname NOT LIKE 'pg\\_toast%%' AND n.nspname NOT LIKE 'pg\\_temp\\_%%' "
            "AND n.nspname NOT LIKE 'pg\\_toast\\_temp\\_%%' GROUP BY n.nspname",
            [list(DUMPED_KINDS)],
        )
        per_schema = dict(cursor.fetchall())
        station_schemas = set(Station.objects.values_list("schema_name", flat=True))
        max_connections = _setting(cursor, "max_connections")
        max_prepared = _setting(cursor, "max_prepared_transactions")
        max_locks = _setting(cursor, "max_locks_per_transaction")
    per_station = per_schema.get(template, 0)
    spares = sum(count for name, count in per_schema.items() if name.startswith("spare_"))
    others = sum(
        count
        for name, count in per_schema.items()
        if name not in station_schemas and not name.startswith("spare_") and name != template
    )
    if stations is None:
        stations = len(station_schemas)
        dump_locks = others + per_station + spares + sum(per_schema.get(name, 0) for name in station_schemas)
    else:
        dump_locks = others + per_station * (1 + stations + settings.STATION_SPARE_SCHEMAS)
    slots = max_connections + max_prepared
    return LockTableRequirement(
        stations=stations,
        relations_per_station=per_station,
        other_relations=others,
        dump_locks=dump_locks,
        max_connections=max_connections,
        max_prepared_transactions=max_prepared,
        max_locks_per_transaction=max_locks,
        required_max_locks_per_transaction=max(
            DEFAULT_MAX_LOCKS, OTHER_CONNECTIONS_SHARE + math.ceil(dump_locks / slots)
        ),
    )
