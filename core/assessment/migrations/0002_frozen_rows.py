"""A written review and a confirmed assessment are final (clauses 6.3, 6.4, 7.2): a trigger refuses changing or
deleting them, whatever the code does."""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION assessment_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% row % is final: it is never changed or deleted', TG_TABLE_NAME, OLD.id
        USING ERRCODE = 'restrict_violation';
END;
$$;
"""
TRIGGERS = {
    "assessment_staffassessment": "OLD.confirmed_at IS NOT NULL",
    "assessment_casereview": "OLD.reviewed_at IS NOT NULL",
}
FORWARDS = FUNCTION + "".join(
    f"CREATE TRIGGER {table}_final BEFORE UPDATE OR DELETE ON {table} "
    f"FOR EACH ROW WHEN ({condition}) EXECUTE FUNCTION assessment_refuse_change();\n"
    for table, condition in TRIGGERS.items()
)
BACKWARDS = (
    "".join(f"DROP TRIGGER IF EXISTS {table}_final ON {table};\n" for table in TRIGGERS)
    + "DROP FUNCTION IF EXISTS assessment_refuse_change();\n"
)


class Migration(migrations.Migration):
    dependencies = [("assessment", "0001_initial")]

    operations = [migrations.RunSQL(FORWARDS, reverse_sql=BACKWARDS)]
