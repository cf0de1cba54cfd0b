"""A document is never deleted and never changed (issue 19, clause 7.2): a trigger refuses DELETE except inside an
approved disposal of an archive past its retention period (clause 7.4), whose transaction sets
`stationnet.archive_disposal` to `on` (`core.archive.desk_sources.DISPOSAL_SETTING`), and refuses any UPDATE but
setting, once, the release columns (released to the enterprise) and the supersede columns (a newer version)."""

from django.db import migrations

TABLE = "documents_document"
# The columns an UPDATE may set, once each: from NULL (or blank) to a value.
ONCE = ("released_at", "released_by_id", "released_by_name", "superseded_at", "superseded_by_id")
# Every other column stays as it was written.
FIXED = (
    "id",
    "demand_id",
    "case_id",
    "kind",
    "title",
    "file",
    "original_name",
    "content_type",
    "size",
    "sha256",
    "series",
    "version",
    "uploaded_by_id",
    "uploaded_by_name",
    "uploaded_at",
    "origin_station_name",
    "origin_uid",
    "uid",
)


def _row(prefix: str, columns) -> str:
    return "ROW(" + ", ".join(f"{prefix}.{column}" for column in columns) + ")"


def _once(column: str) -> str:
    blank = "''" if column.endswith("_name") else "NULL"
    empty = f"OLD.{column} = ''" if blank == "''" else f"OLD.{column} IS NULL"
    return f"(NOT ({empty}) AND NEW.{column} IS DISTINCT FROM OLD.{column})"


FUNCTION = f"""
CREATE OR REPLACE FUNCTION documents_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF current_setting('stationnet.archive_disposal', true) = 'on' THEN
            RETURN OLD;
        END IF;
        RAISE EXCEPTION 'document % is never deleted (a newer version supersedes it)', OLD.id
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF {_row("NEW", FIXED)} IS DISTINCT FROM {_row("OLD", FIXED)} THEN
        RAISE EXCEPTION 'document % is never changed: upload a new version', OLD.id
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF {" OR ".join(_once(column) for column in ONCE)} THEN
        RAISE EXCEPTION 'document % was released or superseded already', OLD.id
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER {TABLE}_never_changed BEFORE UPDATE OR DELETE ON {TABLE}
FOR EACH ROW EXECUTE FUNCTION documents_refuse_change();
"""

BACKWARDS = f"""
DROP TRIGGER IF EXISTS {TABLE}_never_changed ON {TABLE};
DROP FUNCTION IF EXISTS documents_refuse_change();
"""


class Migration(migrations.Migration):
    dependencies = [("documents", "0001_initial")]

    operations = [migrations.RunSQL(FUNCTION, reverse_sql=BACKWARDS)]
