import contextlib
import datetime
import logging
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from core.demo.city import DEMO_STATIONS, demo_city_load, demo_passwords_fresh
from core.demo.history import SEED, HistoryUnavailable, history_load, history_loaded, history_start
from core.demo.models import DemoHistory
from core.directory.demo import directory_demo_load
from tenants.models import Station

# The demo stations open a fortnight before their history starts: trained, evaluated and published (公示) by then.
OPENED_BEFORE = datetime.timedelta(days=14)


class Command(BaseCommand):
    help = (
        "Load the demo city (a bureau and three published stations with their people) and, once, a year of its "
        "history generated through the services. Safe to run again: nothing is added the second time."
    )

    def add_arguments(self, parser):
        parser.add_argument("--months", type=int, default=12, help="months of history (default 12; 0: none)")
        parser.add_argument("--seed", type=int, default=SEED, help="another history (default %(default)s)")
        only = parser.add_mutually_exclusive_group()
        only.add_argument(
            "--city-only", action="store_true", help="the city, dated for its history, which is left for later"
        )
        only.add_argument("--history-only", action="store_true", help="the history of a city loaded before")

    def handle(self, *args, months: int, seed: int, city_only: bool, history_only: bool, **options):
        if not settings.DEMO:
            # Its accounts (the bureau's administrator among them) share a password printed on the demo's banner: no
            # such account may exist outside the demo.
            raise CommandError(
                "the demo city's accounts have a published password: load it only in the demo (STATIONNET_DEMO=1)"
            )
        if months < 0:
            raise CommandError("--months cannot be negative")
        codes = [spec.code for spec in DEMO_STATIONS]
        if history_only:
            stations = list(Station.objects.filter(code__in=codes).order_by("pk"))
            if len(stations) != len(codes):
                raise CommandError("load the demo city first (manage.py load_demo_city --city-only)")
        else:
            stations = self.city(months=months, fresh=not Station.objects.filter(code__in=codes).exists())
        if months and not city_only:
            self.history(stations=stations, months=months, seed=seed)

    def city(self, *, months: int, fresh: bool) -> list[Station]:
        """The city; a new one opened a fortnight before the history it will have (when there will be one)."""
        started = time.monotonic()
        directory_demo_load()  # as of today (its qualifications expire from today), before any stations
        clock = contextlib.nullcontext()
        if fresh and months and not history_loaded():
            try:
                import time_machine
            except ImportError:
                pass  # no history either (said then)
            else:
                clock = time_machine.travel(history_start(months=months) - OPENED_BEFORE, tick=True)
        with clock:
            stations = demo_city_load()
        demo_passwords_fresh()
        codes = ", ".join(station.code for station in stations)
        self.stdout.write(self.style.SUCCESS(f"demo city ready: {codes} ({time.monotonic() - started:.1f} s)"))
        return stations

    def history(self, *, stations: list[Station], months: int, seed: int) -> None:
        logging.disable(logging.INFO)  # thousands of steps, each logged by its services: keep the console readable
        try:
            history = history_load(stations=stations, months=months, seed=seed)
        except HistoryUnavailable as error:
            self.stdout.write(self.style.WARNING(f"demo city without history: {error}"))
            return
        finally:
            logging.disable(logging.NOTSET)
        if history is None:
            earlier = DemoHistory.objects.order_by("pk").first()
            if earlier is not None and earlier.finished_at is None:
                self.stdout.write(
                    self.style.WARNING(
                        "the demo history was interrupted on an earlier start: the demo keeps what it made "
                        "(remove var/pgdata to start afresh)"
                    )
                )
            else:
                self.stdout.write("demo history loaded before: nothing added")
            return
        figures = ", ".join(f"{count} {name}" for name, count in history.summary.items())
        self.stdout.write(
            self.style.SUCCESS(
                f"demo history {history.first_day} – {history.last_day} generated in {history.seconds:.0f} s: {figures}"
            )
        )
