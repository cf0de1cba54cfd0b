"""The completion time as whole seconds in each fact (like the response time), so the medians sort integers; the
facts already there get it from their own times."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0003_serviceitem_refuse_delete"),
        ("stats", "0003_complaint_facts"),
        ("tenants", "0005_spare_schema"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="casefact",
            name="stats_fact_completed",
        ),
        migrations.AddField(
            model_name="casefact",
            name="completion_seconds",
            field=models.IntegerField(blank=True, null=True, verbose_name="completion time"),
        ),
        migrations.RunSQL(
            "UPDATE stats_casefact SET completion_seconds = EXTRACT(EPOCH FROM completed_at - received_at)::integer "
            "WHERE completed_at IS NOT NULL",
            migrations.RunSQL.noop,
        ),
        migrations.AddIndex(
            model_name="casefact",
            index=models.Index(
                condition=models.Q(("completed_at__isnull", False)),
                fields=["completed_at"],
                include=("station", "category", "due_at", "response_seconds", "completion_seconds"),
                name="stats_fact_completed",
            ),
        ),
    ]
