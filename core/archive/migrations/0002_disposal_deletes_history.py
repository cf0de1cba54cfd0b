"""The desk's timeline and record amendments stay append-only (clause 7.2): UPDATE is always refused. DELETE is
refused too, except inside an approved disposal of an archive past its retention period (clause 7.4), whose
transaction sets `stationnet.archive_disposal` to `on` (transaction-local) while it removes them
(`core.archive.desk_sources`). Nothing else sets it."""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION desk_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('stationnet.archive_disposal', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION '% is append-only: rows are never changed or deleted (clause 7.2)', TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END;
$$;
"""

ORIGINAL = """
CREATE OR REPLACE FUNCTION desk_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: rows are never changed or deleted (clause 7.2)', TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END;
$$;
"""


class Migration(migrations.Migration):
    dependencies = [("archive", "0001_initial"), ("desk", "0002_append_only_history")]

    operations = [migrations.RunSQL(FUNCTION, reverse_sql=ORIGINAL)]
