"""Control characters removed from the directory's text (issue 16): they are refused at input from now on, and a name
holding one (a bell, U+0007) broke every spreadsheet it was exported to. A one-line text's tabs and line breaks become
a space."""

from django.db import migrations

from core.common.text import text_clean_sql

CLEANING = [
    text_clean_sql(
        "directory_enterprise", single_line=("name", "legal_representative", "address", "contact_person", "phone")
    ),
    text_clean_sql("directory_institution", single_line=("name", "address", "contact_person", "phone")),
    text_clean_sql("directory_qualification", single_line=("number", "scope")),
]


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0003_name_search_indexes"),
    ]

    operations = [migrations.RunSQL(sql, reverse_sql=migrations.RunSQL.noop) for sql in CLEANING]
