"""A job's uploaded input is kept as a file in the default storage (under its schema), not in a database row; every
job records its worker's last sign of life for the watchdog. Inputs already in rows are moved to files."""

import django.utils.timezone
from django.core.files.base import ContentFile
from django.db import migrations, models

import core.jobs.models


def inputs_to_files(apps, schema_editor):
    Job = apps.get_model("jobs", "Job")
    with_input = Job.objects.exclude(input_data=b"").only("id", "input_name", "input_data")
    for job in with_input.iterator(chunk_size=20):
        job.input_file.save(job.input_name or "input.csv", ContentFile(bytes(job.input_data)), save=False)
        job.save(update_fields=["input_file"])


def files_to_inputs(apps, schema_editor):
    Job = apps.get_model("jobs", "Job")
    for job in Job.objects.exclude(input_file="").only("id", "input_file").iterator(chunk_size=20):
        with job.input_file.open("rb") as file:
            job.input_data = file.read()
        job.save(update_fields=["input_data"])


class Migration(migrations.Migration):
    dependencies = [("jobs", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="job",
            name="input_file",
            field=models.FileField(
                blank=True, max_length=255, upload_to=core.jobs.models.input_path, verbose_name="input file"
            ),
        ),
        migrations.AddField(
            model_name="job",
            name="heartbeat_at",
            field=models.DateTimeField(default=django.utils.timezone.now, verbose_name="last progress"),
        ),
        migrations.RunPython(inputs_to_files, files_to_inputs),
        migrations.RemoveField(model_name="job", name="input_data"),
    ]
