"""What a partner reports when it completes a referral (the sender's service record starts from it), and the handover
of data to an institution as a timeline event."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0003_name_search_indexes"),
        ("referrals", "0002_append_only_timeline"),
    ]

    operations = [
        migrations.AddField(
            model_name="referral",
            name="on_site_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="on-site handling time"),
        ),
        migrations.AddField(
            model_name="referral",
            name="served_by",
            field=models.CharField(blank=True, max_length=150, verbose_name="served by"),
        ),
        migrations.AddField(
            model_name="referral",
            name="served_institution",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="directory.institution",
                verbose_name="institution that served",
            ),
        ),
        migrations.AddField(
            model_name="referral",
            name="service_ended_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="service end time"),
        ),
        migrations.AddField(
            model_name="referral",
            name="technician",
            field=models.CharField(blank=True, max_length=50, verbose_name="technician"),
        ),
        migrations.AlterField(
            model_name="referralevent",
            name="kind",
            field=models.CharField(
                choices=[
                    ("state", "State change"),
                    ("progress", "Progress"),
                    ("overdue", "Overdue"),
                    ("shared", "Data handed over"),
                ],
                max_length=20,
                verbose_name="kind",
            ),
        ),
    ]
