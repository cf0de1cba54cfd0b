"""Issue 21: a year on the dashboard. Month counts beside the day counts, and histograms of the response and completion
times per day and per month; the facts get an index per time, for reading one bucket's facts. The month counts are
summed from the day counts and the histograms counted from the facts (one statement per table; nothing on a new
database)."""

import django.db.models.deletion
from django.db import migrations, models

COUNTS = (
    "demands, demands_in_category, received, to_institutions, to_stations, from_stations, completed, on_time, surveys, "
    "sat_q1, sat_q2, sat_q3, sat_q4, sat_q6, sat_q7, sat_q8, sat_q9, sat_q10, solved"
)


def count_the_months(apps, schema_editor):
    """The month counts from the day counts; the histograms from the facts (`core.stats.facts.time_contributions`,
    whose buckets are the model's). A later migration that changes what is counted rebuilds everything with
    `day_counts_rebuild` and makes this a no-op, as this one did to 0006's."""
    from django.conf import settings

    from core.stats.facts import time_contributions

    sums = ", ".join(f"sum({name})" for name in COUNTS.split(", "))
    times = time_contributions("true")
    with schema_editor.connection.cursor() as cursor:
        for kind, key in (("station", "station_id"), ("category", "category_id")):
            cursor.execute(
                f"INSERT INTO stats_{kind}month ({key}, day, {COUNTS}) "  # noqa: S608  (constant SQL)
                f"SELECT {key}, date_trunc('month', day)::date, {sums} FROM stats_{kind}day GROUP BY 1, 2"
            )
            for grain, day in (("day", "c.day"), ("month", "date_trunc('month', c.day)::date")):
                cursor.execute(
                    f"INSERT INTO stats_{kind}{grain}times ({key}, day, measure, bucket, cases) "  # noqa: S608
                    f"SELECT c.{key}, {day}, c.measure, c.bucket, count(*) FROM ({times}) c GROUP BY 1, 2, 3, 4",
                    {"tz": settings.TIME_ZONE},
                )


class Migration(migrations.Migration):
    dependencies = [("stats", "0006_from_stations")]

    operations = [
        migrations.CreateModel(
            name="CategoryDayTimes",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("day", models.DateField(verbose_name="day")),
                ("measure", models.PositiveSmallIntegerField(choices=[(1, "response time"), (2, "completion time")])),
                ("bucket", models.SmallIntegerField()),
                ("cases", models.IntegerField(default=0)),
            ],
            options={
                "verbose_name": "category day times",
                "verbose_name_plural": "category day times",
            },
        ),
        migrations.CreateModel(
            name="CategoryMonth",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("day", models.DateField(verbose_name="day")),
                ("demands", models.IntegerField(default=0)),
                ("demands_in_category", models.IntegerField(default=0)),
                ("received", models.IntegerField(default=0)),
                ("to_institutions", models.IntegerField(default=0)),
                ("to_stations", models.IntegerField(default=0)),
                ("from_stations", models.IntegerField(default=0)),
                ("completed", models.IntegerField(default=0)),
                ("on_time", models.IntegerField(default=0)),
                ("surveys", models.IntegerField(default=0)),
                ("sat_q1", models.IntegerField(default=0)),
                ("sat_q2", models.IntegerField(default=0)),
                ("sat_q3", models.IntegerField(default=0)),
                ("sat_q4", models.IntegerField(default=0)),
                ("sat_q6", models.IntegerField(default=0)),
                ("sat_q7", models.IntegerField(default=0)),
                ("sat_q8", models.IntegerField(default=0)),
                ("sat_q9", models.IntegerField(default=0)),
                ("sat_q10", models.IntegerField(default=0)),
                ("solved", models.IntegerField(default=0)),
            ],
            options={
                "verbose_name": "category month",
                "verbose_name_plural": "category months",
            },
        ),
        migrations.CreateModel(
            name="CategoryMonthTimes",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("day", models.DateField(verbose_name="day")),
                ("measure", models.PositiveSmallIntegerField(choices=[(1, "response time"), (2, "completion time")])),
                ("bucket", models.SmallIntegerField()),
                ("cases", models.IntegerField(default=0)),
            ],
            options={
                "verbose_name": "category month times",
                "verbose_name_plural": "category month times",
            },
        ),
        migrations.CreateModel(
            name="StationDayTimes",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("day", models.DateField(verbose_name="day")),
                ("measure", models.PositiveSmallIntegerField(choices=[(1, "response time"), (2, "completion time")])),
                ("bucket", models.SmallIntegerField()),
                ("cases", models.IntegerField(default=0)),
            ],
            options={
                "verbose_name": "station day times",
                "verbose_name_plural": "station day times",
            },
        ),
        migrations.CreateModel(
            name="StationMonth",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("day", models.DateField(verbose_name="day")),
                ("demands", models.IntegerField(default=0)),
                ("demands_in_category", models.IntegerField(default=0)),
                ("received", models.IntegerField(default=0)),
                ("to_institutions", models.IntegerField(default=0)),
                ("to_stations", models.IntegerField(default=0)),
                ("from_stations", models.IntegerField(default=0)),
                ("completed", models.IntegerField(default=0)),
                ("on_time", models.IntegerField(default=0)),
                ("surveys", models.IntegerField(default=0)),
                ("sat_q1", models.IntegerField(default=0)),
                ("sat_q2", models.IntegerField(default=0)),
                ("sat_q3", models.IntegerField(default=0)),
                ("sat_q4", models.IntegerField(default=0)),
                ("sat_q6", models.IntegerField(default=0)),
                ("sat_q7", models.IntegerField(default=0)),
                ("sat_q8", models.IntegerField(default=0)),
                ("sat_q9", models.IntegerField(default=0)),
                ("sat_q10", models.IntegerField(default=0)),
                ("solved", models.IntegerField(default=0)),
            ],
            options={
                "verbose_name": "station month",
                "verbose_name_plural": "station months",
            },
        ),
        migrations.CreateModel(
            name="StationMonthTimes",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("day", models.DateField(verbose_name="day")),
                ("measure", models.PositiveSmallIntegerField(choices=[(1, "response time"), (2, "completion time")])),
                ("bucket", models.SmallIntegerField()),
                ("cases", models.IntegerField(default=0)),
            ],
            options={
                "verbose_name": "station month times",
                "verbose_name_plural": "station month times",
            },
        ),
        migrations.AddIndex(
            model_name="casefact",
            index=models.Index(
                condition=models.Q(("completed_at__isnull", False)),
                fields=["response_seconds"],
                include=("completed_at", "station", "category"),
                name="stats_fact_response",
            ),
        ),
        migrations.AddIndex(
            model_name="casefact",
            index=models.Index(
                condition=models.Q(("completed_at__isnull", False)),
                fields=["completion_seconds"],
                include=("completed_at", "station", "category"),
                name="stats_fact_completion",
            ),
        ),
        migrations.AddField(
            model_name="categorydaytimes",
            name="category",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="catalog.servicecategory",
                verbose_name="service category",
            ),
        ),
        migrations.AddField(
            model_name="categorymonth",
            name="category",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="catalog.servicecategory",
                verbose_name="service category",
            ),
        ),
        migrations.AddField(
            model_name="categorymonthtimes",
            name="category",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="catalog.servicecategory",
                verbose_name="service category",
            ),
        ),
        migrations.AddField(
            model_name="stationdaytimes",
            name="station",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="tenants.station",
                verbose_name="station",
            ),
        ),
        migrations.AddField(
            model_name="stationmonth",
            name="station",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="tenants.station",
                verbose_name="station",
            ),
        ),
        migrations.AddField(
            model_name="stationmonthtimes",
            name="station",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="tenants.station",
                verbose_name="station",
            ),
        ),
        migrations.AddConstraint(
            model_name="categorydaytimes",
            constraint=models.UniqueConstraint(
                fields=("category", "day", "measure", "bucket"), name="stats_categorydaytimes_one"
            ),
        ),
        migrations.AddIndex(
            model_name="categorymonth",
            index=models.Index(fields=["day"], name="stats_categorymonth_day"),
        ),
        migrations.AddConstraint(
            model_name="categorymonth",
            constraint=models.UniqueConstraint(fields=("category", "day"), name="stats_categorymonth_one"),
        ),
        migrations.AddConstraint(
            model_name="categorymonthtimes",
            constraint=models.UniqueConstraint(
                fields=("category", "day", "measure", "bucket"), name="stats_categorymonthtimes_one"
            ),
        ),
        migrations.AddIndex(
            model_name="stationdaytimes",
            index=models.Index(
                fields=["day"], include=("station", "measure", "bucket", "cases"), name="stats_stationdaytimes_day"
            ),
        ),
        migrations.AddConstraint(
            model_name="stationdaytimes",
            constraint=models.UniqueConstraint(
                fields=("station", "day", "measure", "bucket"), name="stats_stationdaytimes_one"
            ),
        ),
        migrations.AddIndex(
            model_name="stationmonth",
            index=models.Index(fields=["day"], name="stats_stationmonth_day"),
        ),
        migrations.AddConstraint(
            model_name="stationmonth",
            constraint=models.UniqueConstraint(fields=("station", "day"), name="stats_stationmonth_one"),
        ),
        migrations.AddIndex(
            model_name="stationmonthtimes",
            index=models.Index(
                fields=["day"], include=("station", "measure", "bucket", "cases"), name="stats_stationmonthtimes_day"
            ),
        ),
        migrations.AddConstraint(
            model_name="stationmonthtimes",
            constraint=models.UniqueConstraint(
                fields=("station", "day", "measure", "bucket"), name="stats_stationmonthtimes_one"
            ),
        ),
        migrations.AddIndex(
            model_name="categorydaytimes",
            index=models.Index(
                fields=["day"], include=("category", "measure", "bucket", "cases"), name="stats_categorydaytimes_day"
            ),
        ),
        migrations.AddIndex(
            model_name="categorymonthtimes",
            index=models.Index(
                fields=["day"], include=("category", "measure", "bucket", "cases"), name="stats_categorymonthtimes_day"
            ),
        ),
        migrations.RunPython(count_the_months, migrations.RunPython.noop),
    ]
