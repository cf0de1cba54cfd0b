"""Import a station exported by `station_export`: in place of the station when it is here (`--replace`), or as a new
station when it is not (a move). Everything or nothing: any mismatch rolls the import back."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.backups.services import BackupError, station_import


class Command(BaseCommand):
    help = "Restore or move one station from a `station_export` file; verified against its counts and checksums."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="the export file")
        parser.add_argument("--replace", action="store_true", help="the station is here: put the export in its place")

    def handle(self, *args, path, replace=False, **options):
        try:
            summary = station_import(path=path, replace=replace)
        except BackupError as error:
            raise CommandError(str(error)) from error
        how = "moved in" if summary.moved else "restored in place"
        self.stdout.write(
            f"{summary.station_code} {how}: {summary.schema_tables} tables ({summary.schema_rows} rows), "
            f"{sum(summary.public_rows.values())} public rows, {summary.users_created} users created; "
            "every count and checksum matches the export"
        )
