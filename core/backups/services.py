"""One station's logical export and import: to restore a station alone, or to move it to another cluster.

An export is one tar file: `schema.dump` (`pg_dump --schema=<schema> --format=custom`), one COPY file per public
table with the station's rows (found from the foreign keys, see `core.backups.selectors`), the users those rows and
the schema point at, and `manifest.json` (versions, the migration fingerprints of the template and of the public
schema, and per table the row count and an md5 of the rows). The public rows are read and the schema dumped from
one snapshot (`pg_export_snapshot` handed to `pg_dump --snapshot`), so they agree with each other.

Users are exported whole, password hash included, so that people sign in after a move as before: the file holds a
station's confidential work anyway and is written readable by its owner only. Their two-factor devices, sessions and
tokens are not exported: they enrol again. An import never changes a user that is already here (same id, same
username); it refuses when an id or a username is taken by somebody else.

An import keeps every id: the station's schema points at public rows (users, enterprises, other stations) by id, so
a restore cannot renumber them. It runs in one transaction: the public rows are replaced (the Station row updated in
place, since other stations' referral copies point at it), the old schema renamed out of the way, the dump's SQL
(`pg_restore -f -`) run on this connection, every count and checksum compared with the manifest, and only then the
old schema dropped. Anything wrong rolls all of it back and the station is as it was.
"""

import dataclasses
import io
import json
import os
import re
import secrets
import subprocess
import tarfile
import tempfile
from pathlib import Path

import django
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context

from core.backups.selectors import (
    StationTable,
    rows_checksum,
    schema_checksums,
    schema_user_columns,
    station_row_table,
    station_tables,
    user_table,
)
from core.common.pg_tools import libpq_dsn, pg_program
from core.deliveries.services import DELIVERIES_WORK
from core.messaging.services import OUTBOX_WORK
from core.referrals.services import OVERDUE_WORK
from tenants.models import Station, User
from tenants.spare_schemas import schema_exists, schema_state, template_state
from tenants.work import station_work_mark

FORMAT = 1


class BackupError(Exception):
    """An export or import that cannot be done, with the reason the operator reads."""


@dataclasses.dataclass(frozen=True)
class ExportSummary:
    path: Path
    station_code: str
    schema_tables: int
    schema_rows: int
    public_rows: dict[str, int]
    users: int


@dataclasses.dataclass(frozen=True)
class ImportSummary:
    station_code: str
    moved: bool
    schema_tables: int
    schema_rows: int
    public_rows: dict[str, int]
    users_created: int


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _table_entry(table: StationTable, station_id: int) -> dict:
    count, digest = rows_checksum(table=table, station_id=station_id)
    return {
        "label": table.label,
        "table": table.table,
        "columns": list(table.columns),
        "linked": table.linked,
        "count": count,
        "md5": digest,
    }


def _copy_out(cursor, table: StationTable, station_id: int, target: Path) -> None:
    columns = ", ".join(_quote(column) for column in table.columns)
    where = table.where.format(station=int(station_id))
    with target.open("wb") as out:
        sql = f"COPY (SELECT {columns} FROM {_quote(table.table)} WHERE {where}) TO STDOUT"  # noqa: S608  (ours)
        cursor.copy_expert(sql, out)


def _station_user_ids(cursor, tables: list[StationTable], station_id: int, schema_name: str) -> list[int]:
    ids: set[int] = set()
    for table in tables:
        for column in table.user_columns:
            where = table.where.format(station=int(station_id))
            cursor.execute(
                f"SELECT DISTINCT {_quote(column)} FROM {_quote(table.table)} "  # noqa: S608  (our identifiers)
                f"WHERE {where} AND {_quote(column)} IS NOT NULL"
            )
            ids.update(row[0] for row in cursor.fetchall())
    for table_name, column in schema_user_columns(schema_name=schema_name):
        cursor.execute(
            f"SELECT DISTINCT {_quote(column)} FROM {_quote(schema_name)}.{_quote(table_name)} "  # noqa: S608
            f"WHERE {_quote(column)} IS NOT NULL"
        )
        ids.update(row[0] for row in cursor.fetchall())
    return sorted(ids)


def station_export(*, station: Station, path: Path) -> ExportSummary:
    """Write `station` (its schema and its public rows) to the tar file `path`, from one snapshot."""
    path = Path(path)
    connection.set_schema_to_public()
    with tempfile.TemporaryDirectory(prefix="station-export-") as work_dir, transaction.atomic():
        work = Path(work_dir)
        (work / "public").mkdir()
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            station = Station.objects.get(pk=station.pk)
            tables = [station_row_table(), *station_tables()]
            user_ids = _station_user_ids(cursor, tables, station.pk, station.schema_name)
            tables.insert(1, user_table(user_ids))
            entries = []
            for index, table in enumerate(tables):
                entry = _table_entry(table, station.pk)
                entry["file"] = f"public/{index:03d}-{table.table}.copy"
                _copy_out(cursor, table, station.pk, work / entry["file"])
                entries.append(entry)
            entries[1]["users"] = user_ids
            schema = schema_checksums(schema_name=station.schema_name)
        dsn, env = libpq_dsn()
        dumped = subprocess.run(  # noqa: S603  (our arguments)
            [
                pg_program("pg_dump"),
                f"--snapshot={snapshot}",
                f"--schema={station.schema_name}",
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--file={work / 'schema.dump'}",
                f"--dbname={dsn}",
            ],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if dumped.returncode:
            raise BackupError(_("pg_dump failed: %(error)s") % {"error": dumped.stderr.strip()})
        version = subprocess.run([pg_program("pg_dump"), "--version"], capture_output=True, text=True, check=True)  # noqa: S603
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            server_version = cursor.fetchone()[0]
        manifest = {
            "format": FORMAT,
            "exported_at": timezone.now().isoformat(),
            "station": {"id": station.pk, "code": station.code, "schema_name": station.schema_name},
            "versions": {
                "postgresql": server_version,
                "pg_dump": version.stdout.strip(),
                "django": django.get_version(),
            },
            "template_state": template_state(),
            "public_state": schema_state("public"),
            "schema": {name: {"count": count, "md5": digest} for name, (count, digest) in schema.items()},
            "public": entries,
        }
        (work / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        path.parent.mkdir(parents=True, exist_ok=True)
        # The file holds password hashes and confidential work: its owner alone may read it.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as out, tarfile.open(fileobj=out, mode="w") as tar:
            for name in ["manifest.json", "schema.dump", *(entry["file"] for entry in entries)]:
                tar.add(work / name, arcname=name)
    return ExportSummary(
        path=path,
        station_code=station.code,
        schema_tables=len(schema),
        schema_rows=sum(count for count, _digest in schema.values()),
        public_rows={entry["label"]: entry["count"] for entry in entries},
        users=len(user_ids),
    )


# --- Import ---------------------------------------------------------------------------------------------------------

_COPY_START = re.compile(r"^COPY .* FROM stdin;$")
_SESSION_SET = re.compile(r"^SET (\w+) = ", re.MULTILINE)


def _restore_script(dump: Path) -> str:
    restored = subprocess.run(  # noqa: S603  (our arguments)
        [pg_program("pg_restore"), "--no-owner", "--no-privileges", "--file=-", str(dump)],
        capture_output=True,
        text=True,
        check=False,
    )
    if restored.returncode:
        raise BackupError(_("pg_restore could not read the dump: %(error)s") % {"error": restored.stderr.strip()})
    return restored.stdout


def _run_script(cursor, script: str) -> None:
    """Run pg_restore's SQL on this connection, inside its transaction: the statements between the COPY blocks as
    they are (their session settings made local to the transaction), each COPY block through `copy_expert`."""
    statements: list[str] = []
    lines = iter(script.splitlines(keepends=True))

    def flush() -> None:
        text = "".join(statements).strip()
        statements.clear()
        if text:
            text = _SESSION_SET.sub(r"SET LOCAL \1 = ", text)
            text = text.replace("set_config('search_path', '', false)", "set_config('search_path', '', true)")
            cursor.execute(text)

    for line in lines:
        if _COPY_START.match(line.rstrip("\n")):
            flush()
            data = []
            for row in lines:
                if row.rstrip("\n") == "\\.":
                    break
                data.append(row)
            cursor.copy_expert(line.rstrip().removesuffix(";"), io.StringIO("".join(data)))
        elif not line.startswith(("\\", "--")):
            # Comments alone are no statement; psql's meta-commands (`\restrict` since 15.14) are psql's.
            statements.append(line)
    flush()


def _user_conflicts(cursor, copy_file: Path, columns: list[str]) -> list[str]:
    """Exported users whose id or username is somebody else's here."""
    cursor.execute("CREATE TEMP TABLE backups_users (LIKE tenants_user) ON COMMIT DROP")
    quoted = ", ".join(_quote(column) for column in columns)
    with copy_file.open("rb") as data:
        cursor.copy_expert(f"COPY backups_users ({quoted}) FROM STDIN", data)
    cursor.execute(
        "SELECT b.username FROM backups_users b JOIN tenants_user u ON u.id = b.id OR u.username = b.username "
        "WHERE u.id <> b.id OR u.username <> b.username ORDER BY 1"
    )
    return [row[0] for row in cursor.fetchall()]


def _bump_sequence(cursor, table: str, pk: str) -> None:
    """After rows came in with their ids, the table's sequence must not hand those ids out again."""
    cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, pk])
    sequence = cursor.fetchone()[0]
    if sequence:
        cursor.execute(
            f"SELECT setval(%s, GREATEST((SELECT coalesce(max({_quote(pk)}), 1) FROM {_quote(table)}), "  # noqa: S608
            f"(SELECT last_value FROM {sequence})))",
            [sequence],
        )


def _copy_in(cursor, entry: dict, work: Path, target: str) -> None:
    quoted = ", ".join(_quote(column) for column in entry["columns"])
    with (work / entry["file"]).open("rb") as data:
        cursor.copy_expert(f"COPY {target} ({quoted}) FROM STDIN", data)


def _upsert(cursor, entry: dict, work: Path, pk: str, update: list[str]) -> None:
    """Insert the file's rows, updating `update` (or nothing) where the id is already here."""
    staging = f"backups_stage_{secrets.token_hex(4)}"
    cursor.execute(f"CREATE TEMP TABLE {staging} (LIKE {_quote(entry['table'])}) ON COMMIT DROP")
    _copy_in(cursor, entry, work, staging)
    quoted = ", ".join(_quote(column) for column in entry["columns"])
    action = (
        "DO UPDATE SET " + ", ".join(f"{_quote(column)} = EXCLUDED.{_quote(column)}" for column in update)
        if update
        else "DO NOTHING"
    )
    cursor.execute(
        f"INSERT INTO {_quote(entry['table'])} ({quoted}) SELECT {quoted} FROM {staging} "  # noqa: S608
        f"ON CONFLICT ({_quote(pk)}) {action}"
    )


def _read_export(path: Path, work: Path) -> dict:
    try:
        with tarfile.open(path) as tar:
            tar.extractall(work, filter="data")
        manifest = json.loads((work / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, tarfile.TarError, ValueError) as error:
        raise BackupError(_("This is not a station export: %(error)s") % {"error": error}) from error
    if manifest.get("format") != FORMAT:
        raise BackupError(_("This export's format (%(format)s) is not one this version reads.") % manifest)
    return manifest


def _refuse_other_migrations(manifest: dict) -> None:
    here = {"template_state": template_state(), "public_state": schema_state("public")}
    for key, value in here.items():
        if manifest[key] != value:
            raise BackupError(
                _(
                    "The export was made with other migrations (%(what)s %(theirs)s, here %(ours)s): migrate one "
                    "side to the other's version first."
                )
                % {"what": key, "theirs": manifest[key], "ours": value}
            )


def _work_marked(schema_name: str) -> None:
    """The restored schema may hold undelivered messages, queued e-mails and referrals awaiting acceptance: the sweeps
    find a schema by its marks (`tenants.work`), which the restore did not write, so it is marked as due now."""
    with schema_context(schema_name):
        for kind in (OUTBOX_WORK, DELIVERIES_WORK, OVERDUE_WORK):
            station_work_mark(kind=kind)
    connection.set_schema_to_public()


@transaction.atomic
def station_import(*, path: Path, replace: bool = False) -> ImportSummary:
    """Restore the station exported to `path`: in its place when it is here (`replace` must say so), or as a new
    station when it is not (a move). One transaction; refused, or rolled back, on anything that does not match."""
    connection.set_schema_to_public()
    with tempfile.TemporaryDirectory(prefix="station-import-") as work_dir:
        work = Path(work_dir)
        manifest = _read_export(Path(path), work)
        _refuse_other_migrations(manifest)
        exported = manifest["station"]
        station_id, code, schema_name = exported["id"], exported["code"], exported["schema_name"]
        here = list(Station.objects.select_for_update().filter(Q(pk=station_id) | Q(code=code)))
        if any(station.pk != station_id or station.code != code for station in here):
            raise BackupError(
                _("Another station here has this station's id or code (%(code)s): it cannot be imported here.")
                % {"code": code}
            )
        moved = not here
        if not moved and not replace:
            raise BackupError(
                _("Station %(code)s is here: import it with --replace to put the export in its place.") % {"code": code}
            )
        tables = {table.label: table for table in [station_row_table(), *station_tables()]}
        entries = manifest["public"]
        unknown = [entry["label"] for entry in entries[2:] if entry["label"] not in tables]
        if unknown:
            raise BackupError(
                _("The export has tables this version does not know: %(tables)s") % {"tables": ", ".join(unknown)}
            )
        users_created = 0
        with connection.cursor() as cursor:
            users = entries[1]
            conflicts = _user_conflicts(cursor, work / users["file"], users["columns"])
            if conflicts:
                raise BackupError(
                    _("These users' ids or names belong to other people here: %(users)s")
                    % {"users": ", ".join(conflicts)}
                )
            cursor.execute(
                "SELECT count(*) FROM backups_users b WHERE NOT EXISTS (SELECT 1 FROM tenants_user u WHERE u.id = b.id)"
            )
            users_created = cursor.fetchone()[0]
            _upsert(cursor, users, work, User._meta.pk.column, [])
            _bump_sequence(cursor, User._meta.db_table, User._meta.pk.column)
            station_entry = entries[0]
            _upsert(cursor, station_entry, work, "id", [c for c in station_entry["columns"] if c != "id"])
            owned = [entry for entry in entries[2:] if not entry["linked"]]
            for entry in reversed(owned):
                table = tables[entry["label"]]
                cursor.execute(
                    f"DELETE FROM {_quote(table.table)} WHERE {table.where.format(station=int(station_id))}"  # noqa: S608
                )
            for entry in entries[2:]:
                table = tables[entry["label"]]
                if entry["linked"]:
                    # Links the station made after the export are undone; the exported ones put back.
                    for column in table.station_columns:
                        cursor.execute(
                            f"UPDATE {_quote(table.table)} SET {_quote(column)} = NULL "  # noqa: S608
                            f"WHERE {_quote(column)} = %s",
                            [station_id],
                        )
                    _upsert(cursor, entry, work, table.pk, list(table.station_columns))
                else:
                    _copy_in(cursor, entry, work, _quote(table.table))
                _bump_sequence(cursor, table.table, table.pk)
            old_schema = None
            if schema_exists(schema_name):
                old_schema = f"restore_old_{secrets.token_hex(6)}"
                cursor.execute(f"ALTER SCHEMA {_quote(schema_name)} RENAME TO {_quote(old_schema)}")
            _run_script(cursor, _restore_script(work / "schema.dump"))
        connection.set_schema_to_public()
        _verify(manifest, tables, station_id, schema_name)
        _work_marked(schema_name)
        if old_schema:
            with connection.cursor() as cursor:
                cursor.execute(f"DROP SCHEMA {_quote(old_schema)} CASCADE")
    schema = manifest["schema"]
    return ImportSummary(
        station_code=code,
        moved=moved,
        schema_tables=len(schema),
        schema_rows=sum(table["count"] for table in schema.values()),
        public_rows={entry["label"]: entry["count"] for entry in entries},
        users_created=users_created,
    )


def _verify(manifest: dict, tables: dict[str, StationTable], station_id: int, schema_name: str) -> None:
    """Every count and checksum as exported, or the import fails (and rolls back)."""
    mismatches = []
    restored = schema_checksums(schema_name=schema_name)
    for name, expected in manifest["schema"].items():
        count, digest = restored.get(name, (None, None))
        if (count, digest) != (expected["count"], expected["md5"]):
            mismatches.append(f"{schema_name}.{name}: {count} rows ≠ {expected['count']}")
    for name in set(restored) - set(manifest["schema"]):
        mismatches.append(f"{schema_name}.{name}: not in the export")
    station_entry, users_entry, *others = manifest["public"]
    checks = [
        (station_entry, tables[station_entry["label"]], True),
        # A user already here may have changed since (a new password): that the user is here is what counts.
        (users_entry, user_table(users_entry["users"]), False),
        # So may a linked row of the city (an enterprise's contact): that it is linked again is what counts.
        *((entry, tables[entry["label"]], not entry["linked"]) for entry in others),
    ]
    for entry, table, compare_digest in checks:
        count, digest = rows_checksum(table=table, station_id=station_id)
        if count != entry["count"] or (compare_digest and digest != entry["md5"]):
            mismatches.append(f"{entry['table']}: {count} rows ≠ {entry['count']} (or their checksum differs)")
    if mismatches:
        raise BackupError(
            _("The restored station differs from its export: %(tables)s") % {"tables": "; ".join(mismatches)}
        )


def export_file_name(*, station: Station) -> str:
    return f"station-{station.code}-{timezone.localtime():%Y%m%d-%H%M%S}.tar"
