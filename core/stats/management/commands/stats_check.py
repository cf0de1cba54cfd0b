"""Check the city statistics' read model against the stations: the figures of a period computed from the read model
and by asking every station's schema must be the same. Exits with status 1 when they differ (then run
`stats_rebuild`, and look for messages stuck in `deliver_messages --backlog`)."""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from core.stats.selectors import GROUPINGS, city_statistics, city_statistics_from_schemas


def _date(value: str) -> datetime.date:
    return datetime.date.fromisoformat(value)


class Command(BaseCommand):
    help = "Compare the city statistics of a period from the read model with those from every station's schema."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="start", type=_date, help="first day (default: 90 days ago)")
        parser.add_argument("--to", dest="end", type=_date, help="last day (default: today)")

    def handle(self, *args, start=None, end=None, **options):
        end = end or timezone.localdate()
        start = start or end - datetime.timedelta(days=90)
        differences = []
        for by in GROUPINGS:
            read_model = city_statistics(start=start, end=end, by=by)
            stations = city_statistics_from_schemas(start=start, end=end, by=by)
            if read_model.total.as_dict() != stations.total.as_dict():
                differences.append(f"{by}: city total {read_model.total.as_dict()} ≠ {stations.total.as_dict()}")
            for mine, theirs in zip(read_model.groups, stations.groups, strict=True):
                if mine.figures.as_dict() != theirs.figures.as_dict():
                    differences.append(f"{by} {mine.label}: {mine.figures.as_dict()} ≠ {theirs.figures.as_dict()}")
        for line in differences:
            self.stderr.write(line)
        if differences:
            raise CommandError(f"{len(differences)} difference(s) between the read model and the stations")
        self.stdout.write(f"the read model agrees with every station from {start} to {end}")
