"""A submitted satisfaction survey stays as the enterprise answered it (clause 5.2.4, Appendix B): the trigger that
keeps the case timeline append-only (`desk_refuse_change`, migration 0002) refuses every UPDATE and DELETE of a
survey too, whatever code or person tries. Only an approved disposal of an archive past its retention period
(clause 7.4, `core.archive.desk_sources`) removes surveys, as it removes the timeline."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("desk", "0007_demand_tracking_link"), ("archive", "0002_disposal_deletes_history")]

    operations = [
        migrations.RunSQL(
            "CREATE TRIGGER desk_survey_frozen BEFORE UPDATE OR DELETE ON desk_survey "
            "FOR EACH ROW EXECUTE FUNCTION desk_refuse_change();",
            reverse_sql="DROP TRIGGER IF EXISTS desk_survey_frozen ON desk_survey;",
        )
    ]
