from django.core.management.base import BaseCommand

from tenants.demo import demo_city_load


class Command(BaseCommand):
    help = "Load the demo city (a bureau and three published stations with their people). Safe to run again."

    def handle(self, *args, **options):
        stations = demo_city_load()
        self.stdout.write(self.style.SUCCESS(f"demo city ready: {', '.join(s.code for s in stations)}"))
