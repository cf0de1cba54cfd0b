"""Write the city statistics' read model again from the stations' schemas: after a restore of the public schema, to
backfill cases from before the read model existed, or to repair it. Safe while the stations work (see
`case_facts_rebuild`). The day counts are then written again from all the facts (`day_counts_rebuild`)."""

from django.core.management.base import BaseCommand, CommandError

from core.stats.services import case_facts_rebuild, day_counts_rebuild
from tenants.models import Station


class Command(BaseCommand):
    help = "Rebuild the city statistics' case facts from every station's schema (or the stations named)."

    def add_arguments(self, parser):
        parser.add_argument("codes", nargs="*", help="station codes (default: every station)")

    def handle(self, *args, codes=(), **options):
        stations = Station.objects.exclude(schema_name="public").order_by("code")
        if codes:
            stations = stations.filter(code__in=codes)
            missing = set(codes) - set(stations.values_list("code", flat=True))
            if missing:
                raise CommandError(f"no station with the code(s) {', '.join(sorted(missing))}")
        total = 0
        for station in stations:
            written = case_facts_rebuild(station=station)
            total += written
            self.stdout.write(f"{station.code}: {written} case(s)")
        self.stdout.write(f"rebuilt {total} case fact(s)")
        day_counts_rebuild()
        self.stdout.write("rebuilt the day counts")
