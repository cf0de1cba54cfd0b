"""directory_enterprise, directory_institution: kept, since station records point at their rows through keys without a
database constraint (see `core.common.shared_rows`). PostgreSQL refuses a DELETE on them but inside
`shared_row_delete()`."""

from django.db import migrations

from core.common.shared_rows import refuse_delete_sql


class Migration(migrations.Migration):
    dependencies = [("directory", "0006_qualification_items")]

    operations = [
        migrations.RunSQL(*refuse_delete_sql("directory_enterprise")),
        migrations.RunSQL(*refuse_delete_sql("directory_institution")),
    ]
