from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from core.districts import District
from tenants.hosts import station_url
from tenants.selectors import PLATFORM
from tenants.services import station_create


class Command(BaseCommand):
    help = "Provision a station: its schema (cloned from the template), its host and its head, who is e-mailed an invitation."

    def add_arguments(self, parser):
        parser.add_argument(
            "--code", required=True, help="lower-case letters and digits; the host is <code>.<base domain>"
        )
        parser.add_argument("--name", required=True)
        parser.add_argument("--district", required=True, choices=District.values)
        parser.add_argument("--address", required=True)
        parser.add_argument("--service-phone", required=True)
        parser.add_argument("--complaint-phone", required=True)
        parser.add_argument("--head-name", required=True)
        parser.add_argument("--head-email", required=True)
        parser.add_argument("--head-phone", default="")

    def handle(self, *args, **options):
        try:
            station = station_create(
                actor=PLATFORM,  # an operator at the command line
                code=options["code"],
                name=options["name"],
                district=options["district"],
                address=options["address"],
                service_phone=options["service_phone"],
                complaint_phone=options["complaint_phone"],
                head_full_name=options["head_name"],
                head_email=options["head_email"],
                head_phone=options["head_phone"],
            )
        except ValidationError as error:
            lines = [f"{field}: {' '.join(messages)}" for field, messages in error.message_dict.items()]
            raise CommandError("; ".join(lines)) from None
        self.stdout.write(self.style.SUCCESS(f"station {station.code} ready at {station_url(station.code)}"))
