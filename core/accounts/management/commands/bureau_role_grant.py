"""Give someone a bureau role from the command line: how an operator makes the first security administrator, who then
gives every other role in the console. A new account is e-mailed the link that sets its password."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from core.accounts.services import bureau_user_invite
from tenants.models import BureauRole
from tenants.selectors import PLATFORM


class Command(BaseCommand):
    help = "Give a person (by e-mail) a bureau role; a new account gets an e-mail to set its password."

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True)
        parser.add_argument("--role", required=True, choices=[role for role in BureauRole.values if role])
        parser.add_argument("--full-name", default="")
        parser.add_argument("--phone", default="")

    def handle(self, *args, email, role, full_name, phone, **options):
        try:
            user = bureau_user_invite(actor=PLATFORM, email=email, full_name=full_name, phone=phone, bureau_role=role)
        except ValidationError as error:
            messages = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in error.message_dict.items())
            raise CommandError(messages) from None
        self.stdout.write(f"{user.username}: {user.bureau_role}")
