"""tenants_user, tenants_station: kept, since station records point at their rows through keys without a database
constraint (see `core.common.shared_rows`). PostgreSQL refuses a DELETE on them but inside `shared_row_delete()`."""

from django.db import migrations

from core.common.shared_rows import refuse_delete_sql


class Migration(migrations.Migration):
    dependencies = [("tenants", "0010_station_work")]

    operations = [
        migrations.RunSQL(*refuse_delete_sql("tenants_user")),
        migrations.RunSQL(*refuse_delete_sql("tenants_station")),
    ]
