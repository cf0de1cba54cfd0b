"""Covering indexes of each station's and each category's completed cases, for the groups' medians."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0003_serviceitem_refuse_delete"),
        ("stats", "0004_completion_seconds"),
        ("tenants", "0005_spare_schema"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="casefact",
            index=models.Index(
                condition=models.Q(("completed_at__isnull", False)),
                fields=["station", "completed_at"],
                include=("category", "response_seconds", "completion_seconds"),
                name="stats_fact_station_completed",
            ),
        ),
        migrations.AddIndex(
            model_name="casefact",
            index=models.Index(
                condition=models.Q(("completed_at__isnull", False)),
                fields=["category", "completed_at"],
                include=("station", "response_seconds", "completion_seconds"),
                name="stats_fact_category_completed",
            ),
        ),
    ]
