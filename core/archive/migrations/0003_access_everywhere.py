"""The access log names every look at an enterprise's information (clause 7.3): the channel (page or API), what was
looked at (kind, row id, its numbers) and the new actions (a demand, a case, a record viewed, a list read, a form
printed or downloaded as PDF); indexes for the head's reading per enterprise and per member. The rows already there
were all of the archive: they say so, and those read through the API say that too."""

from django.db import migrations, models


def earlier_rows(apps, schema_editor):
    access = apps.get_model("archive", "ArchiveAccess")
    access.objects.update(object_kind="archive")
    access.objects.filter(action__in=["view", "export", "download"]).update(channel="page")
    access.objects.filter(action="view", detail__startswith="/api/").update(channel="api")


class Migration(migrations.Migration):
    dependencies = [("archive", "0002_disposal_deletes_history")]

    operations = [
        migrations.AddField(
            model_name="archiveaccess",
            name="channel",
            field=models.CharField(
                blank=True,
                choices=[("page", "Page"), ("api", "API")],
                default="",
                max_length=10,
                verbose_name="channel",
            ),
        ),
        migrations.AddField(
            model_name="archiveaccess",
            name="object_id",
            field=models.BigIntegerField(blank=True, null=True, verbose_name="object id"),
        ),
        migrations.AddField(
            model_name="archiveaccess",
            name="object_kind",
            field=models.CharField(
                blank=True,
                choices=[
                    ("archive", "Archive"),
                    ("demand", "Demand"),
                    ("case", "Case"),
                    ("record", "Service record"),
                    ("form_a", "Appendix A"),
                    ("form_b", "Appendix B"),
                ],
                default="",
                max_length=20,
                verbose_name="what",
            ),
        ),
        migrations.AddField(
            model_name="archiveaccess",
            name="object_label",
            field=models.CharField(blank=True, default="", max_length=300, verbose_name="which"),
        ),
        migrations.AlterField(
            model_name="archiveaccess",
            name="action",
            field=models.CharField(
                choices=[
                    ("view", "Viewed the archive"),
                    ("export", "Exported the archive"),
                    ("download", "Downloaded the export"),
                    ("disposal_refused", "Disposal refused"),
                    ("disposal_requested", "Disposal requested"),
                    ("disposal_approved", "Disposal approved"),
                    ("demand_view", "Viewed a demand"),
                    ("case_view", "Viewed a case"),
                    ("record_view", "Viewed a service record"),
                    ("list", "Read a list"),
                    ("print", "Printed a form"),
                    ("pdf", "Downloaded a form as PDF"),
                ],
                max_length=30,
                verbose_name="action",
            ),
        ),
        migrations.AddIndex(
            model_name="archiveaccess",
            index=models.Index(fields=["enterprise", "-created_at"], name="archive_access_enterprise"),
        ),
        migrations.AddIndex(
            model_name="archiveaccess",
            index=models.Index(fields=["user_id", "-created_at"], name="archive_access_user"),
        ),
        migrations.RunPython(earlier_rows, migrations.RunPython.noop, elidable=True),
    ]
