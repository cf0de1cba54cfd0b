"""Print the `max_locks_per_transaction` a whole-database `pg_dump` needs, now and at a planned number of stations,
next to the server's settings. Exits with status 1 when the current settings do not suffice for today's city."""

from django.core.management.base import BaseCommand, CommandError

from core.backups.selectors import LockTableRequirement, lock_table_requirement


def _line(requirement: LockTableRequirement, label: str) -> str:
    verdict = "enough" if requirement.sufficient else "NOT enough"
    return (
        f"{label}: {requirement.stations} stations × {requirement.relations_per_station} relations "
        f"+ {requirement.other_relations} others → a dump takes {requirement.dump_locks} locks; "
        f"max_locks_per_transaction ≥ {requirement.required_max_locks_per_transaction} "
        f"(now {requirement.max_locks_per_transaction}: {verdict})"
    )


class Command(BaseCommand):
    help = "Compute the lock table a whole-database pg_dump needs (max_locks_per_transaction) and check the settings."

    def add_arguments(self, parser):
        parser.add_argument("--stations", type=int, action="append", default=[], help="a planned number of stations")

    def handle(self, *args, stations, **options):
        current = lock_table_requirement()
        self.stdout.write(
            f"max_connections = {current.max_connections}, max_prepared_transactions = "
            f"{current.max_prepared_transactions}, max_locks_per_transaction = {current.max_locks_per_transaction}: "
            f"the lock table holds {current.capacity} locks"
        )
        self.stdout.write(_line(current, "today"))
        for planned in stations:
            self.stdout.write(_line(lock_table_requirement(stations=planned), "planned"))
        if not current.sufficient:
            raise CommandError(
                f"set max_locks_per_transaction = {current.required_max_locks_per_transaction} (needs a restart)"
            )
