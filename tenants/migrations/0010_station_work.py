from django.db import migrations, models
from django_tenants.utils import get_public_schema_name

# The sweeps that now visit only the schemas marked in StationWork. Every station's schema (and the public one, for
# the kinds that have work there) is marked as due now, so the first sweep of each kind after the switch looks
# everywhere once (what was pending before this migration is never forgotten) and clears the rows of the schemas with
# nothing left.
BACKFILLED_KINDS = ("messaging.outbox", "deliveries", "referrals.overdue")
PUBLIC_KINDS = ("messaging.outbox", "deliveries")

BACKFILL = """
INSERT INTO tenants_stationwork (schema_name, kind, due_at, updated_at)
SELECT work.schema_name, work.kind, now(), clock_timestamp()
FROM (
    SELECT station.schema_name, kinds.kind
    FROM tenants_station AS station CROSS JOIN unnest(%(kinds)s::text[]) AS kinds(kind)
    WHERE station.schema_name <> %(public)s
    UNION SELECT %(public)s, public_kinds.kind FROM unnest(%(public_kinds)s::text[]) AS public_kinds(kind)
) AS work
ON CONFLICT (schema_name, kind) DO UPDATE SET due_at = LEAST(tenants_stationwork.due_at, EXCLUDED.due_at)
"""


def backfill_params() -> dict:
    return {"kinds": list(BACKFILLED_KINDS), "public_kinds": list(PUBLIC_KINDS), "public": get_public_schema_name()}


class Migration(migrations.Migration):
    dependencies = [("tenants", "0009_onboarding")]

    operations = [
        migrations.CreateModel(
            name="StationWork",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("schema_name", models.CharField(max_length=63, verbose_name="schema name")),
                ("kind", models.CharField(max_length=40, verbose_name="kind")),
                ("due_at", models.DateTimeField(verbose_name="due at")),
                ("updated_at", models.DateTimeField(verbose_name="updated at")),
            ],
            options={
                "verbose_name": "station work",
                "verbose_name_plural": "station work",
                "indexes": [models.Index(fields=["kind", "due_at"], name="station_work_kind_due")],
                "constraints": [
                    models.UniqueConstraint(fields=("schema_name", "kind"), name="station_work_one_per_kind")
                ],
            },
        ),
        migrations.RunSQL([(BACKFILL, backfill_params())], reverse_sql=migrations.RunSQL.noop),
    ]
