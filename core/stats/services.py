"""Writes of the city statistics' read model.

In a station's schema: `case_fact_send` tells the city about one case, inside the transaction that changed it (the
desk's services call it after every change of a case's figures); `case_facts_rebuild` writes all of a station's
facts at once (a new read model, a backfill, a repair). In the public schema: `case_fact_apply` (the message
handler) keeps the newest reading of each case; `case_list_access_record` logs a bureau user's look at a station's
case list.

The day counts (`StationDay`, `CategoryDay`), the month counts (`StationMonth`, `CategoryMonth`) and the time
histograms of both (`*Times`) change with the facts, in the same transaction: by what the fact's new reading adds to
its days and months less what its old one added (`day_contributions`, `time_contributions`: one SQL for one fact and
for a whole station). A transaction takes the rows it changes table by table in the order of `COUNT_TABLES`, each in
key order: two deliveries at once wait for each other, never in a circle. `day_counts_rebuild` writes them all again
from the facts.
"""

import datetime
from collections import defaultdict

from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django_tenants.utils import get_public_schema_name, schema_context

from core.messaging.services import message_send
from core.stats.facts import (
    COMPLAINT_COLUMNS,
    COMPLAINT_SELECT,
    DAY_COUNTS,
    FACT_COLUMNS,
    FACT_SELECT,
    day_contributions,
    time_contributions,
)
from core.stats.models import (
    CaseFact,
    CaseListAccess,
    ComplaintFact,
    StationDay,
    StationDayTimes,
    StationMonth,
    StationMonthTimes,
)
from tenants.models import Station, User
from tenants.selectors import station_of_source

MESSAGE_FACT = "stats.case_fact"
MESSAGE_COMPLAINT = "stats.complaint_fact"
TIMES = ("received_at", "due_at", "completed_at", "surveyed_at", "escalated_at", "as_of")


def _fact_rows(where: str = "", params: list | None = None, *, select=FACT_SELECT, columns=FACT_COLUMNS) -> list[dict]:
    names = list(columns)
    with connection.cursor() as cursor:
        cursor.execute(f"{select} {where}", params or [])  # noqa: S608  (constant SQL; values are parameters)
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _send(*, kind: str, stream: str, fact: dict) -> None:
    payload = {
        name: value.isoformat() if isinstance(value, datetime.datetime) else value for name, value in fact.items()
    }
    message_send(destination=get_public_schema_name(), kind=kind, stream=stream, payload=payload)


def case_fact_send(*, case_id: int) -> None:
    """Send the city the current figures of case `case_id` of the active station, in the caller's transaction: they
    reach the read model exactly once, after the commit, in the order the case changed."""
    (fact,) = _fact_rows("WHERE c.id = %s", [case_id])
    _send(kind=MESSAGE_FACT, stream=f"stats:case:{case_id}", fact=fact)


def complaint_fact_send(*, complaint_id: int) -> None:
    """The same for complaint `complaint_id` (the complaints' services call it after every change)."""
    (fact,) = _fact_rows("WHERE c.id = %s", [complaint_id], select=COMPLAINT_SELECT, columns=COMPLAINT_COLUMNS)
    _send(kind=MESSAGE_COMPLAINT, stream=f"stats:complaint:{complaint_id}", fact=fact)


@transaction.atomic
def complaint_fact_apply(*, payload: dict, source: str) -> ComplaintFact | None:
    """Keep a station's reading of one of its complaints (message handler), unless a newer one is kept already."""
    station = station_of_source(source=source)
    values = {name: parse_datetime(value) if name in TIMES and value else value for name, value in payload.items()}
    complaint_id = values.pop("complaint_id")
    fact = ComplaintFact.objects.select_for_update().filter(station=station, complaint_id=complaint_id).first()
    if fact is not None and fact.as_of >= values["as_of"]:
        return None
    fact, _created = ComplaintFact.objects.update_or_create(station=station, complaint_id=complaint_id, defaults=values)
    return fact


# The count tables: (table, its key, the key's position in a row of the contributions, whether a row is a month (its
# `day` the month's first), whether it is a time histogram (its rows keyed by measure and bucket too, one count)).
COUNT_TABLES = (
    ("stats_stationday", "station_id", 0, False, False),
    ("stats_categoryday", "category_id", 1, False, False),
    ("stats_stationmonth", "station_id", 0, True, False),
    ("stats_categorymonth", "category_id", 1, True, False),
    ("stats_stationdaytimes", "station_id", 0, False, True),
    ("stats_categorydaytimes", "category_id", 1, False, True),
    ("stats_stationmonthtimes", "station_id", 0, True, True),
    ("stats_categorymonthtimes", "category_id", 1, True, True),
)
TIME_KEYS = ("measure", "bucket")


def _public_table(table: str) -> str:
    return f"{connection.ops.quote_name(get_public_schema_name())}.{table}"


def _contribution_rows(where: str, params: dict) -> tuple[list[tuple], list[tuple]]:
    """What the facts matching `where` add to the counts (`day_contributions` rows) and to the histograms
    (`time_contributions` rows)."""
    params = params | {"tz": timezone.get_current_timezone_name()}
    with connection.cursor() as cursor:
        cursor.execute(day_contributions(where), params)
        days = cursor.fetchall()
        cursor.execute(time_contributions(where), params)
        return days, cursor.fetchall()


def _upsert_days(table: str, key: str, select: str, params, *, times: bool = False) -> None:
    """Add the counts `select` gives, (key, day, *DAY_COUNTS) rows in key order, to the count table (for a
    histogram: (key, day, measure, bucket, cases) rows)."""
    keys = ", ".join([key, "day", *(TIME_KEYS if times else ())])
    counts = ("cases",) if times else tuple(DAY_COUNTS)
    updates = ", ".join(f"{name} = t.{name} + EXCLUDED.{name}" for name in counts)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_public_table(table)} AS t ({keys}, {', '.join(counts)}) {select} "  # noqa: S608
            f"ON CONFLICT ({keys}) DO UPDATE SET {updates}",
            params,
        )


def _days_change(*, before: tuple[list, list], after: tuple[list, list]) -> None:
    """Change the counts by what the rows `after` (counts, times) add less what the rows `before` added."""
    for table, key, position, monthly, times in COUNT_TABLES:
        width = 1 if times else len(DAY_COUNTS)
        delta: dict[tuple, list[int]] = defaultdict(lambda width=width: [0] * width)
        for sign, rows in ((-1, before), (1, after)):
            for row in rows[1 if times else 0]:
                day = row[2].replace(day=1) if monthly else row[2]
                cells = delta[(row[position], day, *(row[3:5] if times else ()))]
                for index, value in enumerate(row[5:] if times else row[3:]):
                    cells[index] += sign * value
        if times:
            changed = sorted((*keys, cells[0]) for keys, cells in delta.items() if cells[0])
        else:
            changed = sorted((*keys, *cells) for keys, cells in delta.items() if any(cells))
        if changed:
            values = ", ".join(["%s"] * len(changed))
            _upsert_days(table, key, f"VALUES {values}", [tuple(row) for row in changed], times=times)


def _summed(table_spec: tuple, source: str, sign: int) -> str:
    """SELECT of the summed contributions `source` per row of a count table, in its key order."""
    _table, key, _position, monthly, times = table_spec
    day = "date_trunc('month', c.day)::date" if monthly else "c.day"
    if times:
        return (
            f"SELECT c.{key}, {day}, c.measure, c.bucket, {sign} * sum(c.cases) FROM ({source}) c "  # noqa: S608
            "GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4"
        )
    sums = ", ".join(f"{sign} * sum(c.{name})" for name in DAY_COUNTS)
    return f"SELECT c.{key}, {day}, {sums} FROM ({source}) c GROUP BY 1, 2 ORDER BY 1, 2"  # noqa: S608


def _days_add(*, where: str, params: dict, sign: int) -> None:
    """Add (sign 1) or take away (sign -1) what every fact matching `where` adds to the counts."""
    params = params | {"tz": timezone.get_current_timezone_name()}
    for spec in COUNT_TABLES:
        source = time_contributions(where) if spec[4] else day_contributions(where)
        _upsert_days(spec[0], spec[1], _summed(spec, source, sign), params, times=spec[4])


def _days_add_station(*, station: Station, sign: int) -> None:
    """Add (sign 1) or take away (sign -1) what every fact of `station` adds to the counts."""
    _days_add(where="f.station_id = %(station)s", params={"station": station.pk}, sign=sign)


def _lock_days() -> None:
    """Keep other writers of the counts out until the end of the transaction (readers go on)."""
    with connection.cursor() as cursor:
        for table, *_spec in COUNT_TABLES:
            cursor.execute(f"LOCK TABLE {_public_table(table)} IN SHARE ROW EXCLUSIVE MODE")


@transaction.atomic
def case_fact_apply(*, payload: dict, source: str) -> CaseFact | None:
    """Keep a station's reading of one of its cases (message handler), unless a newer one is kept already; the day
    counts follow."""
    station = station_of_source(source=source)
    values = {name: parse_datetime(value) if name in TIMES and value else value for name, value in payload.items()}
    case_id = values.pop("case_id")
    fact = CaseFact.objects.select_for_update().filter(station=station, case_id=case_id).first()
    if fact is not None and fact.as_of >= values["as_of"]:
        return None
    which = "f.station_id = %(station)s AND f.case_id = %(case)s"
    params = {"station": station.pk, "case": case_id}
    before = _contribution_rows(which, params) if fact is not None else ([], [])
    fact, _created = CaseFact.objects.update_or_create(station=station, case_id=case_id, defaults=values)
    _days_change(before=before, after=_contribution_rows(which, params))
    return fact


@transaction.atomic
def case_facts_rebuild(*, station: Station) -> int:
    """Write every case fact of `station` at once, from its schema, in one statement, and its complaint facts in
    another; returns how many case facts.

    The station's case table is locked against writers (readers go on) while the facts are read: a change made
    before has its message carry an older reading, which the read model then ignores; a change made after waits, and
    its message carries a newer one. Nothing is lost and nothing goes back in time. The day counts are locked too,
    and lose what the station's old facts added and gain what the new ones add.
    """
    names = [name for name in FACT_COLUMNS]
    columns = ", ".join(["station_id", *names])
    updates = ", ".join(f"{name} = EXCLUDED.{name}" for name in names if name != "case_id")
    public = connection.ops.quote_name(get_public_schema_name())
    _lock_days()
    _days_add_station(station=station, sign=-1)
    with schema_context(station.schema_name), connection.cursor() as cursor:
        cursor.execute("LOCK TABLE desk_servicecase IN EXCLUSIVE MODE")
        cursor.execute(
            f"INSERT INTO {public}.stats_casefact ({columns}) "  # noqa: S608  (constant SQL; values are parameters)
            f"SELECT %s, f.* FROM ({FACT_SELECT}) f "
            f"ON CONFLICT (station_id, case_id) DO UPDATE SET {updates} "
            f"WHERE {public}.stats_casefact.as_of <= EXCLUDED.as_of",
            [station.pk],
        )
        written = cursor.rowcount
        names = list(COMPLAINT_COLUMNS)
        updates = ", ".join(f"{name} = EXCLUDED.{name}" for name in names if name != "complaint_id")
        cursor.execute("LOCK TABLE complaints_complaint IN EXCLUSIVE MODE")
        cursor.execute(
            f"INSERT INTO {public}.stats_complaintfact (station_id, {', '.join(names)}) "  # noqa: S608  (constant SQL)
            f"SELECT %s, f.* FROM ({COMPLAINT_SELECT}) f "
            f"ON CONFLICT (station_id, complaint_id) DO UPDATE SET {updates} "
            f"WHERE {public}.stats_complaintfact.as_of <= EXCLUDED.as_of",
            [station.pk],
        )
    _days_add_station(station=station, sign=1)
    return written


@transaction.atomic
def station_facts_delete(*, station: Station) -> None:
    """Take a station out of the city statistics: its facts, and what they added to the day counts (for a station
    that is removed altogether, such as a test's own)."""
    _lock_days()
    _days_add_station(station=station, sign=-1)
    for model in (StationDay, StationMonth, StationDayTimes, StationMonthTimes):
        model.objects.filter(station=station).delete()
    CaseFact.objects.filter(station=station).delete()
    ComplaintFact.objects.filter(station=station).delete()


@transaction.atomic
def day_counts_rebuild() -> None:
    """Write the day and month counts and their histograms again from the facts (for a new count table, or after a
    change of time zone)."""
    _lock_days()
    with connection.cursor() as cursor:
        for table, *_spec in COUNT_TABLES:
            cursor.execute(f"DELETE FROM {_public_table(table)}")  # noqa: S608  (constant SQL)
    _days_add(where="true", params={}, sign=1)


@transaction.atomic
def case_list_access_record(*, user: User, station: Station, what: str, period: str = "", path: str = "") -> None:
    """Log that `user` looked at (`what` "page", "api") or exported ("xlsx") `station`'s case list."""
    access = CaseListAccess(user=user, station=station, what=what, period=period[:40], path=path[:300])
    access.full_clean()
    access.save()
