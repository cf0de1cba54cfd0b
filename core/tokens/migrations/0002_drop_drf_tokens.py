"""DRF's own tokens (`rest_framework.authtoken`, no longer installed) were kept in the clear and never expired: they
must not outlive the switch to `core.tokens`. Their table is dropped (each owner makes a new token), and DRF's
migration records with it, so that the app could be installed again from scratch. Nothing to undo."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("tokens", "0001_initial")]

    operations = [
        migrations.RunSQL(
            sql=[
                "DROP TABLE IF EXISTS authtoken_token",
                "DELETE FROM django_migrations WHERE app = 'authtoken'",
            ],
            reverse_sql=migrations.RunSQL.noop,
        )
    ]
