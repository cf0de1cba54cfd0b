"""Export one station (its schema and its public rows) to a tar file: to restore it alone later, or to move it to
another cluster with `station_import`."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.backups.services import BackupError, export_file_name, station_export
from tenants.models import Station


class Command(BaseCommand):
    help = "Export one station's schema and public-schema rows to a tar file (readable by its owner only)."

    def add_arguments(self, parser):
        parser.add_argument("code", help="the station's code")
        parser.add_argument("--output", type=Path, help="file to write (default: station-<code>-<time>.tar here)")

    def handle(self, *args, code, output=None, **options):
        station = Station.objects.filter(code=code).first()
        if station is None:
            raise CommandError(f"no station {code!r}")
        try:
            summary = station_export(station=station, path=output or Path(export_file_name(station=station)))
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"exported {summary.station_code} to {summary.path}: {summary.schema_tables} tables "
            f"({summary.schema_rows} rows) in its schema, {sum(summary.public_rows.values())} public rows, "
            f"{summary.users} users"
        )
