"""Deliver now, in this process, every message still pending in the public schema and every station's outbox (an
operator's tool after an outage: the beat sweep does the same through Celery within a minute). With `--backlog` it
only says what waits where, and since when."""

from django.core.management.base import BaseCommand
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, schema_context

from core.messaging.selectors import outbox_backlog
from core.messaging.services import outbox_deliver_pending
from tenants.tasks import each_station


class Command(BaseCommand):
    help = "Deliver every pending message between schemas now (or, with --backlog, list what is pending)."

    def add_arguments(self, parser):
        parser.add_argument("--backlog", action="store_true", help="only list the pending messages per schema")

    def handle(self, *args, backlog=False, **options):
        run = outbox_backlog if backlog else outbox_deliver_pending
        with schema_context(get_public_schema_name()):
            results = {get_public_schema_name(): run()}
        results |= each_station(run)
        if backlog:
            for where, pending in results.items():  # the public schema, then each station by its code
                if pending["count"]:
                    since = timezone.localtime(pending["oldest"])
                    self.stdout.write(f"{where}: {pending['count']} pending since {since:%Y-%m-%d %H:%M:%S}")
            self.stdout.write(f"{sum(p['count'] for p in results.values())} message(s) pending")
        else:
            self.stdout.write(f"delivered {sum(results.values())} message(s)")
