"""Control characters removed from the demands' enterprise block and free text (issue 16), like the directory's
(`directory.0004`): refused at input from now on. A one-line text's tabs and line breaks become a space."""

from django.db import migrations

from core.common.text import text_clean_sql

CLEANING = [
    text_clean_sql(
        "desk_demand",
        single_line=("enterprise_name", "legal_representative", "contact_person", "phone", "address", "signatory"),
        multiline=("other_needs", "opinions"),
    ),
]


class Migration(migrations.Migration):
    dependencies = [
        ("desk", "0004_survey_invitation_delivery"),
    ]

    operations = [migrations.RunSQL(sql, reverse_sql=migrations.RunSQL.noop) for sql in CLEANING]
