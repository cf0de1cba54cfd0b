"""The desk's sequence of numbers becomes this app's, in Django's state only: the table `desk_numbersequence`, its
rows and its constraint stay as they are in every station's schema."""

from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("desk", "0005_clean_control_characters"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="NumberSequence",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("kind", models.CharField(max_length=10)),
                        ("year", models.PositiveSmallIntegerField()),
                        ("last", models.PositiveIntegerField(default=0)),
                    ],
                    options={
                        "db_table": "desk_numbersequence",
                        "constraints": [models.UniqueConstraint(fields=("kind", "year"), name="desk_sequence_unique")],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
