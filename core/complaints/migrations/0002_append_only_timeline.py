"""A complaint's timeline is append-only (clause 7.2): the desk's trigger function refuses UPDATE and DELETE on it."""

from django.db import migrations

FORWARDS = (
    "CREATE TRIGGER complaints_complaintevent_append_only BEFORE UPDATE OR DELETE ON complaints_complaintevent "
    "FOR EACH ROW EXECUTE FUNCTION desk_refuse_change();"
)
BACKWARDS = "DROP TRIGGER IF EXISTS complaints_complaintevent_append_only ON complaints_complaintevent;"


class Migration(migrations.Migration):
    dependencies = [("complaints", "0001_initial"), ("desk", "0002_append_only_history")]

    operations = [migrations.RunSQL(FORWARDS, reverse_sql=BACKWARDS)]
