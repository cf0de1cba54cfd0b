"""Writes of the city statistics' read model.

In a station's schema: `case_fact_send` tells the city about one case, inside the transaction that changed it (the
desk's services call it after every change of a case's figures); `case_facts_rebuild` writes all of a station's
facts at once (a new read model, a backfill, a repair). In the public schema: `case_fact_apply` (the message
handler) keeps the newest reading of each case; `case_list_access_record` logs a bureau user's look at a station's
case list.
"""

import datetime

from django.db import connection, transaction
from django.utils.dateparse import parse_datetime
from django_tenants.utils import get_public_schema_name, schema_context

from core.messaging.services import message_send
from core.stats.facts import FACT_COLUMNS, FACT_SELECT
from core.stats.models import CaseFact, CaseListAccess
from tenants.models import Station, User
from tenants.selectors import station_of_source

MESSAGE_FACT = "stats.case_fact"
TIMES = ("received_at", "due_at", "completed_at", "surveyed_at", "as_of")


def _fact_rows(where: str = "", params: list | None = None) -> list[dict]:
    names = list(FACT_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(f"{FACT_SELECT} {where}", params or [])  # noqa: S608  (constant SQL; values are parameters)
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def case_fact_send(*, case_id: int) -> None:
    """Send the city the current figures of case `case_id` of the active station, in the caller's transaction: they
    reach the read model exactly once, after the commit, in the order the case changed."""
    (fact,) = _fact_rows("WHERE c.id = %s", [case_id])
    payload = {
        name: value.isoformat() if isinstance(value, datetime.datetime) else value for name, value in fact.items()
    }
    message_send(
        destination=get_public_schema_name(),
        kind=MESSAGE_FACT,
        stream=f"stats:case:{case_id}",
        payload=payload,
    )


@transaction.atomic
def case_fact_apply(*, payload: dict, source: str) -> CaseFact | None:
    """Keep a station's reading of one of its cases (message handler), unless a newer one is kept already."""
    station = station_of_source(source=source)
    values = {name: parse_datetime(value) if name in TIMES and value else value for name, value in payload.items()}
    case_id = values.pop("case_id")
    fact = CaseFact.objects.select_for_update().filter(station=station, case_id=case_id).first()
    if fact is not None and fact.as_of >= values["as_of"]:
        return None
    fact, _created = CaseFact.objects.update_or_create(station=station, case_id=case_id, defaults=values)
    return fact


@transaction.atomic
def case_facts_rebuild(*, station: Station) -> int:
    """Write every case fact of `station` at once, from its schema, in one statement; returns how many.

    The station's case table is locked against writers (readers go on) while the facts are read: a change made
    before has its message carry an older reading, which the read model then ignores; a change made after waits, and
    its message carries a newer one. Nothing is lost and nothing goes back in time.
    """
    names = [name for name in FACT_COLUMNS]
    columns = ", ".join(["station_id", *names])
    updates = ", ".join(f"{name} = EXCLUDED.{name}" for name in names if name != "case_id")
    public = connection.ops.quote_name(get_public_schema_name())
    with schema_context(station.schema_name), connection.cursor() as cursor:
        cursor.execute("LOCK TABLE desk_servicecase IN EXCLUSIVE MODE")
        cursor.execute(
            f"INSERT INTO {public}.stats_casefact ({columns}) "  # noqa: S608  (constant SQL; values are parameters)
            f"SELECT %s, f.* FROM ({FACT_SELECT}) f "
            f"ON CONFLICT (station_id, case_id) DO UPDATE SET {updates} "
            f"WHERE {public}.stats_casefact.as_of <= EXCLUDED.as_of",
            [station.pk],
        )
        return cursor.rowcount


@transaction.atomic
def case_list_access_record(*, user: User, station: Station, what: str, period: str = "", path: str = "") -> None:
    """Log that `user` looked at (`what` "page", "api") or exported ("xlsx") `station`'s case list."""
    access = CaseListAccess(user=user, station=station, what=what, period=period[:40], path=path[:300])
    access.full_clean()
    access.save()
