"""Complaints get their reference number (`ALPHA-TS-2026-000012`, gap-free per year, clause 6.5) and remember whether
they were escalated to the bureau automatically. Existing complaints are numbered in the order they were created
(by id), each in the year it was received, from the same sequences `core.numbering` takes numbers from."""

from django.db import migrations, models
from django.utils import timezone
from django_tenants.utils import get_public_schema_name

KIND = "ts"


def number_existing(apps, schema_editor):
    connection = schema_editor.connection
    if connection.schema_name == get_public_schema_name():
        return
    Complaint = apps.get_model("complaints", "Complaint")
    complaints = list(Complaint.objects.filter(reference__isnull=True).order_by("id").only("id", "received_at"))
    if not complaints:
        return
    public = connection.ops.quote_name(get_public_schema_name())
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT code FROM {public}.tenants_station WHERE schema_name = %s", [connection.schema_name])  # noqa: S608
        row = cursor.fetchone()
        prefix = f"{(row[0] if row else connection.schema_name).upper()}-{KIND.upper()}"
        for complaint in complaints:
            year = timezone.localtime(complaint.received_at, timezone.get_default_timezone()).year
            cursor.execute(
                "INSERT INTO desk_numbersequence (kind, year, last) VALUES (%s, %s, 1) "
                "ON CONFLICT (kind, year) DO UPDATE SET last = desk_numbersequence.last + 1 RETURNING last",
                [KIND, year],
            )
            serial = cursor.fetchone()[0]
            Complaint.objects.filter(pk=complaint.pk).update(reference=f"{prefix}-{year}-{serial:06d}")
        # No deferred check may stay pending for the ALTER TABLE that follows in this transaction.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0003_alter_complaintevent_kind_complaintreminder"),
        ("numbering", "0001_initial"),
        ("tenants", "0005_spare_schema"),
    ]

    operations = [
        migrations.AddField(
            model_name="complaint",
            name="reference",
            field=models.CharField(editable=False, max_length=40, null=True, verbose_name="reference number"),
        ),
        migrations.RunPython(number_existing, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="complaint",
            name="reference",
            field=models.CharField(editable=False, max_length=40, unique=True, verbose_name="reference number"),
        ),
        migrations.AddField(
            model_name="complaint",
            name="escalated_automatically",
            field=models.BooleanField(default=False, verbose_name="escalated automatically"),
        ),
    ]
