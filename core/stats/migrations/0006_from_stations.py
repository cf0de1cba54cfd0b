"""Issue 15: a case a station opened by accepting another station's referral is no new demand of the city; it counts
as referred from stations. The day counts get that count, the facts' reception index the channel it is read from,
and the day counts are written again from the facts (their demands too)."""

from django.db import migrations, models


def count_the_days_again(apps, schema_editor):
    """Every day count again from the facts, with the demands and the cases from stations counted the new way (one
    statement per table; nothing on a new database). `day_counts_rebuild` writes every column of today's
    `DAY_COUNTS`: a later migration that adds a count makes this a no-op and rebuilds itself (as this one did to
    0002's).

    A no-op since 0007: `day_counts_rebuild` now writes the month counts and histograms too, whose tables do not exist
    yet here. The day counts of a database migrated through here are written the new way by 0006 as it was; 0007 sums
    its months from them."""


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0003_serviceitem_refuse_delete"),
        ("stats", "0005_group_median_indexes"),
        ("tenants", "0005_spare_schema"),
    ]

    operations = [
        migrations.AddField(
            model_name="categoryday",
            name="from_stations",
            field=models.IntegerField(default=0),
        ),
        migrations.AddField(
            model_name="stationday",
            name="from_stations",
            field=models.IntegerField(default=0),
        ),
        migrations.RemoveIndex(
            model_name="casefact",
            name="stats_fact_received",
        ),
        migrations.AddIndex(
            model_name="casefact",
            index=models.Index(
                fields=["received_at"],
                include=(
                    "station",
                    "category",
                    "first_of_demand",
                    "first_of_demand_in_category",
                    "plan_kind",
                    "channel",
                ),
                name="stats_fact_received",
            ),
        ),
        migrations.RunPython(count_the_days_again, migrations.RunPython.noop),
    ]
