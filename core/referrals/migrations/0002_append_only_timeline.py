"""The timeline both stations see is append-only, like the case timeline (clause 7.2): the desk's trigger function
refuses UPDATE and DELETE on it."""

from django.db import migrations

TABLE = "referrals_referralevent"


class Migration(migrations.Migration):
    dependencies = [("referrals", "0001_initial"), ("desk", "0002_append_only_history")]

    operations = [
        migrations.RunSQL(
            f"CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
            "FOR EACH ROW EXECUTE FUNCTION desk_refuse_change();",
            reverse_sql=f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE};",
        )
    ]
