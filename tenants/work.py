"""Which schemas have work for a sweep (`StationWork`, in the public schema): the beat visits those, not every schema.

- `station_work_mark` is called by the app that creates work (an outbox message, a queued e-mail), in the transaction
  that creates it and in the schema that holds it: an upsert that keeps the earliest due time. Its row lock lasts
  until that transaction ends, so a sweep clearing the row waits for it and then sees the work.
- `stations_with_work` is the beat's question: the schemas with work of a kind due now.
- `station_work_claim` pushes the due time of the schemas handed to queued chunk tasks past a lease, so the next beat
  does not queue them again while they wait; a chunk task lost with its worker is queued again once the lease ends.
- `station_work_settle`, after a sweep in one schema: the row is cleared when nothing is left, or moved to when the
  rest becomes due, but only if it was not marked again since the sweep read it (`updated_at` is the mark's stamp).

Kinds are the apps' own names ("messaging.outbox"): tenancy knows no domain app.
"""

import datetime

from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import get_public_schema_name

from tenants.models import StationWork


@transaction.atomic
def station_work_mark(*, kind: str, due_at: datetime.datetime | None = None) -> None:
    """Mark the active schema as having work of `kind`, due at `due_at` (now by default), keeping an earlier due time
    already marked. Call it in the transaction that creates the work."""
    schema_name = connection.schema_name
    due_at = due_at or timezone.now()
    StationWork(schema_name=schema_name, kind=kind, due_at=due_at, updated_at=due_at).full_clean(
        validate_unique=False, validate_constraints=False
    )
    # The table is the public schema's whatever the active schema; clock_timestamp(), not now(): two marks in one
    # transaction, or one transaction that began before a sweep read the row, still change the stamp.
    table = f"{connection.ops.quote_name(get_public_schema_name())}.{StationWork._meta.db_table}"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (schema_name, kind, due_at, updated_at) "  # noqa: S608  (constant SQL)
            "VALUES (%s, %s, %s, clock_timestamp()) ON CONFLICT (schema_name, kind) DO UPDATE "
            "SET due_at = LEAST(tenants_stationwork.due_at, EXCLUDED.due_at), updated_at = EXCLUDED.updated_at",
            [schema_name, kind, due_at],
        )


def stations_with_work(*, kind: str, now: datetime.datetime) -> list[str]:
    """The schemas with work of `kind` due at `now`, the longest due first."""
    return list(
        StationWork.objects.filter(kind=kind, due_at__lte=now)
        .order_by("due_at", "schema_name")
        .values_list("schema_name", flat=True)
    )


def station_work_stamps(*, kind: str, schema_names: list[str]) -> dict[str, datetime.datetime]:
    """The mark stamp of each of `schema_names` still marked for `kind`, read before sweeping them."""
    return dict(
        StationWork.objects.filter(kind=kind, schema_name__in=schema_names).values_list("schema_name", "updated_at")
    )


@transaction.atomic
def station_work_claim(*, kind: str, schema_names: list[str], until: datetime.datetime) -> int:
    """Hold the due schemas among `schema_names` back until `until` (their chunk task is queued); how many."""
    return StationWork.objects.filter(kind=kind, schema_name__in=schema_names, due_at__lt=until).update(due_at=until)


@transaction.atomic
def station_work_settle(
    *, kind: str, schema_name: str, stamp: datetime.datetime, next_due: datetime.datetime | None
) -> bool:
    """After a sweep of `kind` in `schema_name`: clear its row (`next_due` None: nothing left) or move it to
    `next_due`, unless it was marked again after `stamp` was read (then the new mark stands). True if settled."""
    row = StationWork.objects.filter(kind=kind, schema_name=schema_name, updated_at=stamp)
    if next_due is None:
        return row.delete()[0] > 0
    return row.update(due_at=next_due) > 0
