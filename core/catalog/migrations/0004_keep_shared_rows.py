"""catalog_servicecategory, catalog_formbox: kept, since station records point at their rows through keys without a
database constraint (see `core.common.shared_rows`). PostgreSQL refuses a DELETE on them but inside
`shared_row_delete()`."""

from django.db import migrations

from core.common.shared_rows import refuse_delete_sql


class Migration(migrations.Migration):
    dependencies = [("catalog", "0003_serviceitem_refuse_delete")]

    operations = [
        migrations.RunSQL(*refuse_delete_sql("catalog_servicecategory")),
        migrations.RunSQL(*refuse_delete_sql("catalog_formbox")),
    ]
