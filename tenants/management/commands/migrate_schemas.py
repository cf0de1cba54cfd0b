from django_tenants.management.commands.migrate_schemas import MigrateSchemasCommand

from tenants.template_schema import station_template_sync


class Command(MigrateSchemasCommand):
    """django-tenants' migrate_schemas, then the station template schema is brought up to date too."""

    def handle(self, *args, **options):
        super().handle(*args, **options)
        is_template_run = options.get("schema_name") is not None
        if self.sync_tenant and not is_template_run:
            station_template_sync(
                verbosity=options.get("verbosity", 1),
                app_label=options.get("app_label"),
                migration_name=options.get("migration_name"),
            )
