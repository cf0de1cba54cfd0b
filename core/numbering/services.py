"""Taking a station's next document number (clause 7.4). Called inside the transaction that creates the document."""

from django.db import connection
from django.utils import timezone

from core.numbering.models import NumberSequence


def number_next(*, kind: str, year: int) -> int:
    """The next number of `kind` in `year`, gap-free: one UPSERT takes the sequence's row lock until the caller's
    transaction ends, so concurrent creators queue, and a rollback gives the number back."""
    if not connection.in_atomic_block:
        raise RuntimeError("numbers are taken inside the transaction that creates the numbered document")
    table = connection.ops.quote_name(NumberSequence._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (kind, year, last) VALUES (%s, %s, 1) "  # noqa: S608  (the model's own table name)
            f"ON CONFLICT (kind, year) DO UPDATE SET last = {table}.last + 1 RETURNING last",
            [kind, year],
        )
        return cursor.fetchone()[0]


def document_number(*, station, kind: str, year: int | None = None) -> str:
    """`YZ-2026-000123` for demands; other documents carry their kind: `YZ-JL-2026-000045`."""
    year = year or timezone.localdate().year
    serial = number_next(kind=kind, year=year)
    prefix = station.code.upper() if kind == "demand" else f"{station.code.upper()}-{kind.upper()}"
    return f"{prefix}-{year}-{serial:06d}"
