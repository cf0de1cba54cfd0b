"""The station template schema that new stations are cloned from (``TENANT_BASE_SCHEMA``).

``migrate_schemas`` (and ``migrate``, which Django's test runner calls) migrate it after the station schemas, so a
new station is always a copy of the current schema and provisioning never runs migrations. Spare schemas cloned from an
earlier state of the template are dropped right after (``tenants.spare_schemas``); no spare is cloned meanwhile.
"""

from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django_tenants.utils import schema_exists

from tenants.models import SpareSchema
from tenants.spare_schemas import SPARE_LOCK, spare_schemas_discard_stale


def station_template_sync(
    *, verbosity: int = 0, app_label: str | None = None, migration_name: str | None = None
) -> None:
    name = settings.TENANT_BASE_SCHEMA
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [SPARE_LOCK])  # waits for a spare being cloned
    try:
        if not schema_exists(name):
            with connection.cursor() as cursor:
                cursor.execute(f'CREATE SCHEMA "{name}"')
        targets = [label for label in (app_label, migration_name) if label]
        call_command("migrate_schemas", *targets, tenant=True, schema_name=name, interactive=False, verbosity=verbosity)
        connection.set_schema_to_public()
        if SpareSchema._meta.db_table in connection.introspection.table_names():  # the public schema is migrated
            spare_schemas_discard_stale()
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [SPARE_LOCK])
