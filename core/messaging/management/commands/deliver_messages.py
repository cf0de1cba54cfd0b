"""Deliver now, in this process, every message still pending in the public schema and every station's outbox (an
operator's tool after an outage: the beat sweep does the same through Celery within a minute)."""

from django.core.management.base import BaseCommand
from django_tenants.utils import get_public_schema_name, schema_context

from core.messaging.services import outbox_deliver_pending
from tenants.tasks import each_station


class Command(BaseCommand):
    help = "Deliver every pending message between schemas now."

    def handle(self, *args, **options):
        with schema_context(get_public_schema_name()):
            public = outbox_deliver_pending()
        by_station = each_station(outbox_deliver_pending)
        total = public + sum(by_station.values())
        self.stdout.write(f"delivered {total} message(s)")
