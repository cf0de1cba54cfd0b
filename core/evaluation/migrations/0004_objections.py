"""Objections to a publication (公示异议, issue 20): the public's objections during a publication's notice with the
bureau's handling, the outcome of each publication (in notice, final, withdrawn), and the rate limit of the portal's
objection form.

Every publication made before gets its outcome: in notice while its notice period runs, final (at the end of its
notice period) once it is over — no objection could be raised against them."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.utils import timezone


def outcomes_for_earlier_publications(apps, schema_editor):
    StationPublication = apps.get_model("tenants", "StationPublication")
    PublicationOutcome = apps.get_model("evaluation", "PublicationOutcome")
    now = timezone.now()
    PublicationOutcome.objects.bulk_create(
        PublicationOutcome(
            publication_id=publication.pk,
            state="notice" if publication.notice_until > now else "final",
            final_at=None if publication.notice_until > now else publication.notice_until,
        )
        for publication in StationPublication.objects.only("pk", "notice_until")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("evaluation", "0003_weights_and_scores"),
        ("tenants", "0004_station_publication"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ObjectionSubmission",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("client", models.CharField(max_length=64)),
                ("submitted_at", models.DateTimeField()),
            ],
            options={
                "indexes": [models.Index(fields=["client", "submitted_at"], name="objection_submission_client")],
            },
        ),
        migrations.CreateModel(
            name="PublicationObjection",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=100, verbose_name="name")),
                ("phone", models.CharField(blank=True, max_length=30, verbose_name="phone")),
                ("email", models.EmailField(blank=True, max_length=254, verbose_name="e-mail")),
                ("text", models.TextField(max_length=4000, verbose_name="objection")),
                ("received_at", models.DateTimeField(verbose_name="received at")),
                (
                    "state",
                    models.CharField(
                        choices=[("received", "Received"), ("upheld", "Upheld"), ("dismissed", "Dismissed")],
                        default="received",
                        max_length=10,
                        verbose_name="state",
                    ),
                ),
                ("reason", models.TextField(blank=True, max_length=4000, verbose_name="reason")),
                ("handled_at", models.DateTimeField(blank=True, null=True, verbose_name="handled at")),
                (
                    "handled_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="handled by",
                    ),
                ),
                (
                    "publication",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="objections",
                        to="tenants.stationpublication",
                        verbose_name="publication",
                    ),
                ),
            ],
            options={
                "verbose_name": "objection to a publication",
                "verbose_name_plural": "objections to publications",
                "ordering": ["-received_at", "-id"],
            },
        ),
        migrations.CreateModel(
            name="PublicationOutcome",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "state",
                    models.CharField(
                        choices=[("notice", "In public notice"), ("final", "Final"), ("withdrawn", "Withdrawn")],
                        default="notice",
                        max_length=10,
                        verbose_name="state",
                    ),
                ),
                ("final_at", models.DateTimeField(blank=True, null=True, verbose_name="final at")),
                ("withdrawn_at", models.DateTimeField(blank=True, null=True, verbose_name="withdrawn at")),
                (
                    "withdrawn_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="evaluation.publicationobjection",
                        verbose_name="withdrawn by the objection",
                    ),
                ),
                (
                    "publication",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="outcome",
                        to="tenants.stationpublication",
                        verbose_name="publication",
                    ),
                ),
            ],
            options={
                "verbose_name": "outcome of a publication",
                "verbose_name_plural": "outcomes of publications",
            },
        ),
        migrations.AddIndex(
            model_name="publicationobjection",
            index=models.Index(fields=["state", "received_at"], name="objection_state_received"),
        ),
        migrations.AddConstraint(
            model_name="publicationobjection",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("phone", ""), _negated=True), models.Q(("email", ""), _negated=True), _connector="OR"
                ),
                name="objection_has_a_contact",
            ),
        ),
        migrations.AddConstraint(
            model_name="publicationobjection",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("handled_at__isnull", True), ("reason", ""), ("state", "received")),
                    models.Q(
                        ("handled_at__isnull", False),
                        ("state__in", ["upheld", "dismissed"]),
                        models.Q(("reason", ""), _negated=True),
                    ),
                    _connector="OR",
                ),
                name="objection_handled_with_a_reason",
            ),
        ),
        migrations.AddConstraint(
            model_name="publicationoutcome",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("final_at__isnull", True), ("state", "notice"), ("withdrawn_at__isnull", True)),
                    models.Q(("final_at__isnull", False), ("state", "final"), ("withdrawn_at__isnull", True)),
                    models.Q(("final_at__isnull", True), ("state", "withdrawn"), ("withdrawn_at__isnull", False)),
                    _connector="OR",
                ),
                name="publication_outcome_dated",
            ),
        ),
        migrations.RunPython(outcomes_for_earlier_publications, migrations.RunPython.noop),
    ]
