"""An escalation keeps the complaint's reference number and whether the station's beat task sent it (and how many
working days past the response deadline the complaint then was)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("escalations", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="escalation",
            name="reference",
            field=models.CharField(blank=True, max_length=40, verbose_name="reference number"),
        ),
        migrations.AddField(
            model_name="escalation",
            name="automatic",
            field=models.BooleanField(default=False, verbose_name="escalated automatically"),
        ),
        migrations.AddField(
            model_name="escalation",
            name="overdue_working_days",
            field=models.PositiveSmallIntegerField(blank=True, null=True, verbose_name="working days overdue"),
        ),
    ]
