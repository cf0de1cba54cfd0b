"""Records are written as the work happens (clause 7.2): the case timeline and the record amendments are
append-only. The trigger refuses UPDATE and DELETE on them, whatever code or person tries."""

from django.db import migrations

TABLES = ("desk_caseevent", "desk_recordamendment")

FUNCTION = """
CREATE OR REPLACE FUNCTION desk_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: rows are never changed or deleted (clause 7.2)', TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END;
$$;
"""


def forwards_sql() -> str:
    triggers = "".join(
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION desk_refuse_change();\n"
        for table in TABLES
    )
    return FUNCTION + triggers


def backwards_sql() -> str:
    drops = "".join(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};\n" for table in TABLES)
    return drops + "DROP FUNCTION IF EXISTS desk_refuse_change();\n"


class Migration(migrations.Migration):
    dependencies = [("desk", "0001_initial")]

    operations = [migrations.RunSQL(forwards_sql(), reverse_sql=backwards_sql())]
