"""Weights and scores (issue 20): round templates with a weight per checklist item and a pass mark, the weight copied
onto each round's items, the reviewer's score per item and the pass mark copied onto each round.

The templates of initial evaluations and re-evaluations are seeded with the checklist's defaults as they were when this
migration was written (应 items weigh 2, 宜 items 1; pass mark 80). Existing items get the same default weight, and an
item already reviewed gets the score its result stands for (met: its weight; not met: 0), so old rounds still display;
a round under way gets the default pass mark. Concluded rounds keep their score (the share of items found met)."""

import django.core.validators
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

REQUIRED_WEIGHT = 2  # 应
RECOMMENDED_WEIGHT = 1  # 宜
PASS_MARK = 80
# The checklist's codes when this migration was written, and which are 宜 (recommended) items.
CODES = [
    *("4.1.1", "4.1.2", "4.1.3"),
    *(f"4.2.{n}" for n in range(1, 7)),
    *(f"4.3.{n}" for n in range(1, 6)),
    *("4.4.1", "4.4.2"),
    *(f"4.5{letter}" for letter in "abcdefgh"),
]
RECOMMENDED = {"4.3.2", "4.3.3"}


def seed(apps, schema_editor):
    ChecklistTemplate = apps.get_model("evaluation", "ChecklistTemplate")
    ChecklistTemplateWeight = apps.get_model("evaluation", "ChecklistTemplateWeight")
    EvaluationItem = apps.get_model("evaluation", "EvaluationItem")
    EvaluationRound = apps.get_model("evaluation", "EvaluationRound")
    for kind in ("initial", "reevaluation"):
        template, _created = ChecklistTemplate.objects.get_or_create(kind=kind, defaults={"pass_mark": PASS_MARK})
        ChecklistTemplateWeight.objects.bulk_create(
            [
                ChecklistTemplateWeight(
                    template=template, code=code, weight=RECOMMENDED_WEIGHT if code in RECOMMENDED else REQUIRED_WEIGHT
                )
                for code in CODES
            ],
            ignore_conflicts=True,
        )
    EvaluationItem.objects.filter(required=True).update(weight=REQUIRED_WEIGHT)
    EvaluationItem.objects.filter(required=False).update(weight=RECOMMENDED_WEIGHT)
    EvaluationItem.objects.filter(review_met=True).update(review_score=models.F("weight"))
    EvaluationItem.objects.filter(review_met=False).update(review_score=0)
    EvaluationRound.objects.exclude(status="concluded").update(pass_mark=PASS_MARK)


class Migration(migrations.Migration):
    dependencies = [
        ("evaluation", "0002_item_evidence_and_figures"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ChecklistTemplate",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "kind",
                    models.CharField(
                        choices=[("initial", "Initial evaluation"), ("reevaluation", "Re-evaluation")],
                        max_length=12,
                        unique=True,
                        verbose_name="kind of round",
                    ),
                ),
                (
                    "pass_mark",
                    models.PositiveSmallIntegerField(
                        default=80,
                        validators=[
                            django.core.validators.MinValueValidator(1),
                            django.core.validators.MaxValueValidator(100),
                        ],
                        verbose_name="pass mark",
                    ),
                ),
                ("updated_at", models.DateTimeField(blank=True, null=True, verbose_name="updated at")),
                (
                    "updated_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="updated by",
                    ),
                ),
            ],
            options={
                "verbose_name": "round template",
                "verbose_name_plural": "round templates",
                "ordering": ["kind"],
            },
        ),
        migrations.CreateModel(
            name="ChecklistTemplateWeight",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("code", models.CharField(max_length=10, verbose_name="clause")),
                (
                    "weight",
                    models.PositiveSmallIntegerField(
                        validators=[
                            django.core.validators.MinValueValidator(1),
                            django.core.validators.MaxValueValidator(10),
                        ],
                        verbose_name="weight",
                    ),
                ),
                (
                    "template",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="weights",
                        to="evaluation.checklisttemplate",
                        verbose_name="round template",
                    ),
                ),
            ],
            options={
                "verbose_name": "item weight",
                "verbose_name_plural": "item weights",
                "ordering": ["template", "id"],
                "constraints": [
                    models.UniqueConstraint(fields=("template", "code"), name="evaluation_template_weight_code"),
                    models.CheckConstraint(
                        condition=models.Q(("weight__gte", 1), ("weight__lte", 10)),
                        name="evaluation_template_weight_range",
                    ),
                ],
            },
        ),
        migrations.AddField(
            model_name="evaluationitem",
            name="review_score",
            field=models.PositiveSmallIntegerField(blank=True, null=True, verbose_name="review: score"),
        ),
        migrations.AddField(
            model_name="evaluationitem",
            name="weight",
            field=models.PositiveSmallIntegerField(
                default=1,
                validators=[
                    django.core.validators.MinValueValidator(1),
                    django.core.validators.MaxValueValidator(10),
                ],
                verbose_name="weight",
            ),
        ),
        migrations.AddField(
            model_name="evaluationround",
            name="pass_mark",
            field=models.PositiveSmallIntegerField(
                blank=True,
                null=True,
                validators=[
                    django.core.validators.MinValueValidator(1),
                    django.core.validators.MaxValueValidator(100),
                ],
                verbose_name="pass mark",
            ),
        ),
        migrations.RunPython(seed, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="evaluationitem",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("review_score__isnull", True), ("review_score__lte", models.F("weight")), _connector="OR"
                ),
                name="evaluation_item_score_within_weight",
            ),
        ),
    ]
