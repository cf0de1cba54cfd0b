"""Reads of the city statistics (issue 6, clause 3: the bureau supervises service quality across all stations).

`city_statistics` answers any period, grouped by station, district or service category, from the read model: the
counts from the day counts, or for a trend by month from the month counts and, at the edges, the fewer of the days
inside the period or outside it (`Period.parts`; one scan whose GROUPING SETS give the groups and the trend lines at once; the city total is
their sum); the city's medians and each category's from the time histograms (which bucket holds the median) and the
facts of that one bucket (the median itself, exact); each station's and district's from its own facts (its own
range of an index): a station's few hundred cases a year are fewer rows than its histograms.
`city_statistics_from_schemas` answers the same by looping over every station's schema: the naive way, kept to check
the read model against the stations (`manage.py stats_check`) and as the benchmark's baseline.

What the figures mean (the same in both):
- demands, received, referred to institutions / to stations, referred from stations: of the cases received in the
  period (a demand counts once per group it has cases in; "referred" is how the case is served now, its current plan).
  A case a station opened by accepting another station's referral is a case it received and one referred from a
  station, but no demand: the station the enterprise came to counted that demand (issue 15). Its completion, its
  times and its survey count at the station that served it, like any other case;
- completed, on time (completed no later than its deadline in working days, which a hold moves), median response
  time (Appendix B: from the request to the answer) and median completion time (from received to completed): of the
  cases first completed in the period;
- surveys, satisfaction per question (the share rating it satisfied or very satisfied), overall (question 10) and
  solved (question 5): of the surveys submitted in the period.
Periods are local days (Asia/Shanghai), both ends included.
"""

import datetime
import statistics
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from core.catalog.models import ServiceCategory
from core.common.replica import read_connection
from core.desk.models import Channel, PlanKind
from core.districts import District
from core.stats.facts import (
    COMPLAINT_COLUMNS,
    COMPLAINT_SELECT,
    DAY_COUNTS,
    FACT_COLUMNS,
    FACT_SELECT,
    MOMENTS,
    RATED,
    SATISFIED_LEVEL,
    TIME_EDGES,
    TIME_MEASURES,
)
from core.stats.models import CaseFact, CaseListAccess
from tenants.models import Station

GROUPINGS = ("station", "district", "category")
HOUR = 3600


@dataclass
class Figures:
    demands: int = 0
    received: int = 0
    to_institutions: int = 0
    to_stations: int = 0
    from_stations: int = 0  # cases opened by accepting another station's referral (no demand of their own)
    completed: int = 0
    on_time: int = 0
    median_response_hours: float | None = None
    median_completion_hours: float | None = None
    surveys: int = 0
    satisfied: dict[str, int] = field(default_factory=dict)  # per question: surveys rating it satisfied or better
    solved: int = 0
    complaints: int = 0
    escalated: int = 0

    @staticmethod
    def _share(part: int, whole: int) -> float | None:
        return round(part / whole, 4) if whole else None

    @property
    def on_time_rate(self) -> float | None:
        return self._share(self.on_time, self.completed)

    @property
    def satisfaction(self) -> dict[str, float | None]:
        return {name: self._share(self.satisfied.get(name, 0), self.surveys) for name in RATED}

    @property
    def overall_satisfaction(self) -> float | None:
        return self.satisfaction["q10"]

    @property
    def solved_rate(self) -> float | None:
        return self._share(self.solved, self.surveys)

    def as_dict(self) -> dict:
        return {
            "demands": self.demands,
            "received": self.received,
            "to_institutions": self.to_institutions,
            "to_stations": self.to_stations,
            "from_stations": self.from_stations,
            "completed": self.completed,
            "on_time": self.on_time,
            "on_time_rate": self.on_time_rate,
            "median_response_hours": self.median_response_hours,
            "median_completion_hours": self.median_completion_hours,
            "surveys": self.surveys,
            "satisfaction": self.satisfaction,
            "overall_satisfaction": self.overall_satisfaction,
            "solved": self.solved,
            "solved_rate": self.solved_rate,
            "complaints": self.complaints,
            "escalated": self.escalated,
        }


@dataclass
class Group:
    key: object
    label: str
    figures: Figures
    station: Station | None = None


@dataclass
class TrendPoint:
    day: datetime.date
    received: int = 0
    completed: int = 0
    surveys: int = 0
    satisfied: int = 0  # overall (question 10)

    @property
    def overall_satisfaction(self) -> float | None:
        return round(self.satisfied / self.surveys, 4) if self.surveys else None


@dataclass
class CityStatistics:
    start: datetime.date
    end: datetime.date
    by: str
    groups: list[Group]
    total: Figures
    trend_unit: str  # "day" or "month"
    trend: list[TrendPoint]


@dataclass(frozen=True)
class Period:
    start: datetime.date
    end: datetime.date

    @property
    def since(self) -> datetime.datetime:
        return timezone.make_aware(datetime.datetime.combine(self.start, datetime.time.min))

    @property
    def until(self) -> datetime.datetime:
        return timezone.make_aware(datetime.datetime.combine(self.end + datetime.timedelta(days=1), datetime.time.min))

    @property
    def trend_unit(self) -> str:
        """Days for up to two months, months beyond."""
        return "day" if (self.end - self.start).days <= 62 else "month"

    def parts(self) -> list[tuple[bool, int, datetime.date, datetime.date]]:
        """The period as rows of the count tables add up to it: (monthly, sign, first, last) ranges of days (of
        months, for the month table: their first days), the rows of each added (sign 1) or taken away (sign -1). Its
        whole months from the month table; a partial month from the day table, from its days inside the period, or,
        when fewer lie outside, from its month less those: a year from 6 to 7 December reads December's month and
        its first five days, not 25 days (both edges hold about as many rows as the twelve months)."""
        whole: list[datetime.date] = []
        edges: list[tuple[bool, int, datetime.date, datetime.date]] = []
        month = self.start.replace(day=1)
        while month <= self.end:
            following = (month + datetime.timedelta(days=32)).replace(day=1)
            last_day = following - datetime.timedelta(days=1)
            first, last = max(self.start, month), min(self.end, last_day)
            inside = (last - first).days + 1
            outside = (following - month).days - inside
            if not outside:
                whole.append(month)
            elif inside <= outside:
                edges.append((False, 1, first, last))
            else:
                edges.append((True, 1, month, month))
                if first > month:
                    edges.append((False, -1, month, first - datetime.timedelta(days=1)))
                if last < last_day:
                    edges.append((False, -1, last + datetime.timedelta(days=1), last_day))
            month = following
        return ([(True, 1, whole[0], whole[-1])] if whole else []) + edges

    def buckets(self) -> list[datetime.date]:
        if self.trend_unit == "day":
            return [self.start + datetime.timedelta(days=n) for n in range((self.end - self.start).days + 1)]
        months, month = [], self.start.replace(day=1)
        while month <= self.end:
            months.append(month)
            month = (month + datetime.timedelta(days=32)).replace(day=1)
        return months


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / HOUR, 1)


# --- The read model ------------------------------------------------------------------------------------------------

GROUP_KEY = {"station": "f.station_id", "district": "st.district", "category": "f.category_id"}

# The counted figures (`DAY_COUNTS`), from the day counts when they can answer: the whole city by station or district
# (the station days), or by category (the category days), with any filter those tables carry. Otherwise (a station's
# or a district's figures by category, a category's by station or district) from the facts: one query per moment
# over the facts of that moment in the period, which its covering index answers without visiting the table (see the
# model). Either way the database sums per group and trend bucket (one hash aggregate, no sort), and the groups, the
# trend and the city total are sums of those cells. A demand counts once: at its first case (in the group's
# category, when grouped by category), and never at a station that accepted it as a referral.
MOMENT_COUNTS = {moment: [name for name, (at, _sql) in DAY_COUNTS.items() if at == moment] for moment in MOMENTS}
# The medians, of the cases completed in the period (whole seconds: the database sorts integers). Each group's are
# computed apart from its own completed facts, read from its own range of a covering index (a lateral subquery per
# group: `stats_fact_station_completed`, `stats_fact_category_completed`), so the period's facts are never sorted by
# group first; the city's are one query more over them all. Per grouping: the groups (with the filters that apply to
# them) and which facts are a group's.
MEDIANS = {
    "response": "percentile_cont(0.5) WITHIN GROUP (ORDER BY f.response_seconds)",
    "completion": "percentile_cont(0.5) WITHIN GROUP (ORDER BY f.completion_seconds)",
}
# The groups' medians on the new path: both middle values of the integer seconds (`percentile_disc` at the half and
# just above it: the lower and upper middle when the count is even, the middle twice when odd; exact below 500 million
# cases), averaged here with `percentile_cont`'s own arithmetic (`_middle`). One sort of integers per measure and
# group, about a third cheaper than `percentile_cont`'s sort of the same values as doubles: a year by station or
# district sorts the period's half a million times twice.
MIDDLES = "'{0.5,0.500000001}'::float8[]"
GROUP_MEDIANS = {
    "response": f"percentile_disc({MIDDLES}) WITHIN GROUP (ORDER BY f.response_seconds)",
    "completion": f"percentile_disc({MIDDLES}) WITHIN GROUP (ORDER BY f.completion_seconds)",
}
MEDIAN_GROUPS = {
    "station": (
        "SELECT id AS key FROM tenants_station",
        {"station": "id = %(station)s", "district": "district = %(district)s"},
        "f.station_id = g.key",
    ),
    "district": (
        "SELECT DISTINCT district AS key FROM tenants_station",
        {"station": "id = %(station)s", "district": "district = %(district)s"},
        "f.station_id IN (SELECT s.id FROM tenants_station s WHERE s.district = g.key)",
    ),
    "category": (
        "SELECT id AS key FROM catalog_servicecategory",
        {"category": "id = %(category)s"},
        "f.category_id = g.key",
    ),
}
# The filters as the medians' queries put them (no join: a district is its stations).
MEDIAN_FILTERS = {
    "station": "f.station_id = %(station)s",
    "district": "f.station_id IN (SELECT s.id FROM tenants_station s WHERE s.district = %(district)s)",
    "category": "f.category_id = %(category)s",
}
# What a trend point adds up.
TREND = {"received": "received", "completed": "completed", "surveys": "surveys", "sat_q10": "satisfied"}


def _figures(row: dict) -> Figures:
    return Figures(
        demands=row.get("demands", 0),
        received=row.get("received", 0),
        to_institutions=row.get("to_institutions", 0),
        to_stations=row.get("to_stations", 0),
        from_stations=row.get("from_stations", 0),
        completed=row.get("completed", 0),
        on_time=row.get("on_time", 0),
        median_response_hours=_hours(row.get("response")),
        median_completion_hours=_hours(row.get("completion")),
        surveys=row.get("surveys", 0),
        satisfied={name: row.get(f"sat_{name}", 0) for name in RATED},
        solved=row.get("solved", 0),
        complaints=row.get("complaints", 0),
        escalated=row.get("escalated", 0),
    )


def _add(into: dict, row: dict) -> None:
    for name, value in row.items():
        into[name] = into.get(name, 0) + value


def _with_months(day_table: str, keys: str, sums: tuple[str, ...], period: Period, params: dict) -> str:
    """The rows (`keys`, `sums`) of `period` as a subquery: the parts (`Period.parts`) of the month table beside
    `day_table` and of `day_table`, a part taken away with its `sums` negated; the parts' bounds are put in `params`.
    Summed per group, they give the period's figures."""
    month_table = day_table.replace("day", "month", 1)
    selects = []
    for number, (monthly, sign, first, last) in enumerate(period.parts()):
        params[f"part_{number}_first"], params[f"part_{number}_last"] = first, last
        values = ", ".join(name if sign > 0 else f"-{name} AS {name}" for name in sums)
        selects.append(
            f"SELECT {keys}, day, {values} FROM {month_table if monthly else day_table} "  # noqa: S608
            f"WHERE day >= %(part_{number}_first)s AND day <= %(part_{number}_last)s"
        )
    return f"({' UNION ALL '.join(selects)})"


def _median(values: list[tuple[int, int]], rank: int) -> tuple[int, int]:
    """The bucket holding the value of 0-based `rank` among a histogram's (bucket, cases), and that value's rank in
    the bucket."""
    below = 0
    for bucket, cases in values:
        if rank < below + cases:
            return bucket, rank - below
        below += cases
    raise ValueError("rank beyond the histogram")


def _middle(values: list[int] | None) -> float | None:
    """`percentile_cont(0.5)` of a group from its two middle values (`GROUP_MEDIANS`), with its arithmetic: the same
    double the facts' sort gives."""
    if values is None:
        return None
    first, last = values
    return float(first) + (float(last) - float(first)) * 0.5


def _bucket_range(column: str, bucket: int) -> str:
    """SQL of `column` lying in `bucket` (`core.stats.facts.TIME_EDGES`; constants only)."""
    parts = []
    if bucket > 0:
        parts.append(f"{column} >= {TIME_EDGES[bucket - 1]}")
    if bucket < len(TIME_EDGES):
        parts.append(f"{column} < {TIME_EDGES[bucket]}")
    return " AND ".join(parts)


def _histograms(cursor, *, source: str, key: str | None, where: str, params) -> dict[tuple, list]:
    """The time histograms `source` (rows of key, measure, bucket, cases) summed per group of `key` (or over
    everything, `key` None) and measure: {(group, measure): [(bucket, cases), ...] in bucket order}."""
    cursor.execute(
        f"SELECT {key or 'NULL'}, measure, bucket, sum(cases) FROM {source} f WHERE {where} "  # noqa: S608
        f"GROUP BY 1, 2, 3 HAVING sum(cases) <> 0 ORDER BY 1, 2, 3",
        params,
    )
    histograms: dict[tuple, list] = defaultdict(list)
    for group, measure, bucket, cases in cursor.fetchall():
        histograms[(group, measure)].append((bucket, cases))
    return histograms


def _histograms_total(histograms: dict[tuple, list]) -> dict[tuple, list]:
    """The groups' histograms (as `_histograms` gives them) summed over the groups: {(None, measure): [...]}."""
    totals: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for (_group, measure), values in histograms.items():
        for bucket, cases in values:
            totals[measure][bucket] += cases
    return {(None, measure): sorted(buckets.items()) for measure, buckets in sorted(totals.items())}


def _histogram_medians(cursor, asked: list[tuple[dict, str]], *, completed: str, params) -> list[dict]:
    """The medians (as `percentile_cont(0.5)` gives them) of each histogram of `asked` (histograms per group, as
    `_histograms` gives them, and the SQL of a group's facts, `g.key` standing for the group): each median's bucket from
    its histogram, then the value itself from the facts of that one bucket (`stats_fact_response`,
    `stats_fact_completion`), every median of every histogram in one query. Per item of `asked`: {group: {measure
    name: seconds}}."""
    reads, wanted, keys = [], [], {}
    for number, (histograms, of_group) in enumerate(asked):
        for (group, measure), values in histograms.items():
            size = sum(cases for _bucket, cases in values)
            column = f"f.{TIME_MEASURES[measure]}"
            ranks = (size // 2,) if size % 2 else (size // 2 - 1, size // 2)
            for rank in ranks:
                bucket, offset = _median(values, rank)
                index = len(wanted)
                keys[f"group_{index}"] = group
                condition = " AND ".join(
                    filter(
                        None,
                        [completed, _bucket_range(column, bucket), of_group.replace("g.key", f"%(group_{index})s")],
                    )
                )
                reads.append(
                    f"(SELECT {index}, {column} FROM stats_casefact f WHERE {condition} "  # noqa: S608
                    f"ORDER BY {column} OFFSET {int(offset)} LIMIT 1)"
                )
                wanted.append((number, group, measure))
    found: dict[tuple, list[int]] = defaultdict(list)
    # Asked even when there is nothing to read: the number of queries does not depend on the data.
    cursor.execute(" UNION ALL ".join(reads) or "SELECT NULL, NULL WHERE false", params | keys)
    for index, seconds in cursor.fetchall():
        found[wanted[index]].append(seconds)
    medians: list[dict] = [defaultdict(dict) for _asked in asked]
    names = {1: "response", 2: "completion"}
    for (number, group, measure), seconds in found.items():
        first, last = min(seconds), max(seconds)
        # percentile_cont's own arithmetic, so the figure is the one the facts' sort gives.
        medians[number][group][names[measure]] = float(first) + (float(last) - float(first)) * 0.5
    return medians


def _day_table(by: str, *, station, district: str, category) -> str | None:
    """The day count table that answers this question, if one does."""
    if by in ("station", "district") and category is None:
        return "stats_stationday"
    if by == "category" and station is None and not district:
        return "stats_categoryday"
    return None


def city_statistics(
    *,
    start: datetime.date,
    end: datetime.date,
    by: str = "station",
    station: Station | None = None,
    district: str = "",
    category: ServiceCategory | None = None,
    from_facts: bool = False,
    from_days: bool = False,
) -> CityStatistics:
    """The city's figures for the period, per group (`by` station, district or category) with the total and the
    trend, optionally only for one station, district or category. Four queries of the read model (the counts, from the
    day counts; the groups' medians and the city's, from the facts; the complaints), or six when the day counts
    cannot answer (or `from_facts`): the counts of the cases received, completed and surveyed in the period instead.
    Whatever the number of stations. `from_days` answers the way it did before the month counts and histograms (the
    day counts, every median sorted from the facts): the benchmark's baseline and the tests' yardstick."""
    if by not in GROUPINGS:
        raise ValueError(f"group by one of {GROUPINGS}, not {by!r}")
    period = Period(start, end)
    params = {
        "since": period.since,
        "until": period.until,
        "start": start,
        "end": end,
        "tz": timezone.get_current_timezone_name(),
    }
    filters = []
    if station is not None:
        filters.append("f.station_id = %(station)s")
        params["station"] = station.pk
    if district:
        filters.append("st.district = %(district)s")
        params["district"] = district
    if category is not None:
        filters.append("f.category_id = %(category)s")
        params["category"] = category.pk
    key = GROUP_KEY[by]
    values: dict[object, dict] = defaultdict(dict)
    totals: dict = {}
    trend = {day: TrendPoint(day) for day in period.buckets()}
    table = None if from_facts else _day_table(by, station=station, district=district, category=category)

    joined = " JOIN tenants_station st ON st.id = f.station_id" if by == "district" or district else ""

    def rows(source: str, where: str, select: str, group_by: str):
        # Only constant SQL is put together here; every value is a parameter.
        cursor.execute(
            f"SELECT {select} FROM {source} f{'' if 'stats_category' in source else joined} "  # noqa: S608
            f"WHERE {' AND '.join([where, *filters])} GROUP BY {group_by}",
            params,
        )
        return cursor.fetchall()

    def count(source: str, where: str, bucket: str, sums: dict[str, str]) -> None:
        """Sum per group and per trend bucket in one pass (two hashed grouping sets): a few hundred rows back."""
        names = list(sums)
        select = f"GROUPING({key}), {key}, {bucket}, {', '.join(f'sum({sql})' for sql in sums.values())}"
        for by_bucket, group, day, *cells in rows(source, where, select, f"GROUPING SETS (({key}), ({bucket}))"):
            cell = dict(zip(names, cells, strict=True))
            if by_bucket:
                point = trend[day]
                for name, attribute in TREND.items():
                    if name in cell:
                        setattr(point, attribute, getattr(point, attribute) + cell[name])
                continue
            if "demands" in cell:
                # The city counts a demand once; a category counts each demand that has a case in it.
                in_category = cell.pop("demands_in_category")
                _add(values[group], cell | ({"demands": in_category} if by == "category" else {}))
            else:
                _add(values[group], cell)
            _add(totals, cell)  # every case is in one group: the groups add up to the city

    # The read model's connection: the replica inside the views marked for it (core.common.replica).
    database = read_connection(CaseFact)
    with transaction.atomic(using=database.alias), database.cursor() as cursor:
        # Compiling these aggregates (JIT) costs more than it saves at a few hundred thousand rows; the medians sort
        # in memory.
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("SET LOCAL work_mem = '32MB'")
        if table is not None:
            bucket = "f.day" if period.trend_unit == "day" else "date_trunc('month', f.day::timestamp)::date"
            where = "f.day >= %(start)s AND f.day <= %(end)s"
            if period.trend_unit == "month" and not from_days:
                # Stations × (months + at most half of each edge month's days) rows, not stations × days.
                key_column = table.removeprefix("stats_").removesuffix("day") + "_id"
                table, where = _with_months(table, key_column, tuple(DAY_COUNTS), period, params), "true"
            count(table, where, bucket, {name: f"f.{name}" for name in DAY_COUNTS})
        else:
            for moment, names in MOMENT_COUNTS.items():
                local = f"f.{moment} AT TIME ZONE %(tz)s"
                bucket = f"({local})::date" if period.trend_unit == "day" else f"date_trunc('month', {local})::date"
                where = f"f.{moment} >= %(since)s AND f.{moment} < %(until)s"
                count("stats_casefact", where, bucket, {name: DAY_COUNTS[name][1] for name in names})
        asked = {"station": station, "district": district, "category": category}
        completed = " AND ".join(
            [
                "f.completed_at >= %(since)s AND f.completed_at < %(until)s",
                *(sql for name, sql in MEDIAN_FILTERS.items() if asked[name]),
            ]
        )
        groups, group_filters, of_group = MEDIAN_GROUPS[by]
        group_where = " AND ".join(["true", *(sql for name, sql in group_filters.items() if asked[name])])
        medians = ", ".join(MEDIANS.values())
        # The histograms answer for the city (by station when one station or district is asked, else by category)
        # and for each category; not a station's with a category (no histogram has both).
        histograms = None if from_days or (category and (station or district)) else "station"
        if histograms and not (station or district):
            histograms = "category"
        filtered = " AND ".join(["true", *(sql for name, sql in MEDIAN_FILTERS.items() if asked[name])])

        def times(kind: str) -> str:
            return _with_months(f"stats_{kind}daytimes", f"{kind}_id, measure, bucket", ("cases",), period, params)

        asked_histograms = []
        if histograms == "category" and by == "category":
            groups_histograms = _histograms(
                cursor, source=times("category"), key="f.category_id", where=filtered, params=params
            )
            asked_histograms.append((groups_histograms, of_group))
        else:
            # Each group's medians from its own facts; the old path (`from_days`) as it was, the yardstick.
            group_medians = medians if from_days else ", ".join(GROUP_MEDIANS.values())
            cursor.execute(
                f"SELECT g.key, m.* FROM ({groups} WHERE {group_where}) g CROSS JOIN LATERAL "  # noqa: S608
                f"(SELECT {group_medians} FROM stats_casefact f WHERE {of_group} AND {completed}) m",
                params,
            )
            for group, *found_medians in cursor.fetchall():
                if not from_days:
                    found_medians = [_middle(middles) for middles in found_medians]
                if any(value is not None for value in found_medians):
                    values[group].update(zip(MEDIANS, found_medians, strict=True))
        if histograms:
            # By category, the city's histogram is the sum of the categories' (the same rows, not read twice).
            city = (
                _histograms_total(asked_histograms[0][0])
                if asked_histograms
                else _histograms(cursor, source=times(histograms), key=None, where=filtered, params=params)
            )
            found = _histogram_medians(cursor, [(city, ""), *asked_histograms], completed=completed, params=params)
            totals.update(found[0].get(None, {}))
            for group, group_medians in (found[1] if asked_histograms else {}).items():
                values[group].update(group_medians)
        else:
            cursor.execute(f"SELECT {medians} FROM stats_casefact f WHERE {completed}", params)  # noqa: S608
            totals.update(zip(MEDIANS, cursor.fetchone(), strict=True))
        # The complaints received in the period (few: one query of their own). The city's count is its own
        # grouping set: by category, a complaint about no case is in no group.
        for no_group, group, complaints, escalated in rows(
            "stats_complaintfact",
            "f.received_at >= %(since)s AND f.received_at < %(until)s",
            f"GROUPING({key}), {key}, count(*), count(f.escalated_at)",
            f"GROUPING SETS (({key}), ())",
        ):
            if no_group or group is not None:
                (totals if no_group else values[group]).update(complaints=complaints, escalated=escalated)
    return CityStatistics(
        start=start,
        end=end,
        by=by,
        groups=_groups(
            by,
            {group: _figures(row) for group, row in values.items()},
            station=station,
            district=district,
            category=category,
        ),
        total=_figures(totals),
        trend_unit=period.trend_unit,
        trend=list(trend.values()),
    )


def _groups(by: str, figures: dict, *, station=None, district="", category=None) -> list[Group]:
    """Every group of the kind asked for (with zero figures where nothing happened), in their natural order."""
    if by == "station":
        stations = Station.objects.only("pk", "code", "name").order_by("code")
        if station is not None:
            stations = stations.filter(pk=station.pk)
        if district:
            stations = stations.filter(district=district)
        return [Group(s.pk, s.name, figures.get(s.pk, Figures()), station=s) for s in stations]
    if by == "district":
        districts = [d for d in District if not district or d == district]
        return [Group(d.value, str(d.label), figures.get(d.value, Figures())) for d in districts]
    categories = ServiceCategory.objects.all()
    if category is not None:
        categories = categories.filter(pk=category.pk)
    return [Group(c.pk, c.name, figures.get(c.pk, Figures())) for c in categories]


def station_case_facts(*, station: Station, start: datetime.date, end: datetime.date):
    """A station's cases received in the period, as the read model has them (the drill-down's case list)."""
    period = Period(start, end)
    return (
        CaseFact.objects.filter(station=station, received_at__gte=period.since, received_at__lt=period.until)
        .select_related("category")
        .order_by("-received_at", "-case_id")
    )


def case_list_accesses(*, station: Station | None = None):
    """Who looked at which station's case list when, newest first."""
    accesses = CaseListAccess.objects.select_related("user", "station")
    return accesses.filter(station=station) if station is not None else accesses


# --- The naive answer: a loop over every station's schema ----------------------------------------------------------


def _naive_figures(facts: list[dict], complaints: list[dict]) -> Figures:
    received = [fact for fact in facts if fact["rec"]]
    from_stations = [fact for fact in received if fact["channel"] == Channel.REFERRAL]
    demands = {(fact.get("station_id"), fact["demand_id"]) for fact in received if fact["channel"] != Channel.REFERRAL}
    completed = [fact for fact in facts if fact["comp"]]
    surveyed = [fact for fact in facts if fact["surv"]]
    responses = [fact["response_seconds"] for fact in completed if fact["response_seconds"] is not None]
    completions = [fact["completion_seconds"] for fact in completed]
    return Figures(
        demands=len(demands),
        received=len(received),
        to_institutions=sum(fact["plan_kind"] == PlanKind.INSTITUTION for fact in received),
        to_stations=sum(fact["plan_kind"] == PlanKind.STATION for fact in received),
        from_stations=len(from_stations),
        completed=len(completed),
        on_time=sum(fact["due_at"] is not None and fact["completed_at"] <= fact["due_at"] for fact in completed),
        median_response_hours=_hours(statistics.median(responses)) if responses else None,
        median_completion_hours=_hours(statistics.median(completions)) if completions else None,
        surveys=len(surveyed),
        satisfied={name: sum((fact[name] or 0) >= SATISFIED_LEVEL for fact in surveyed) for name in RATED},
        solved=sum(bool(fact["q5"]) for fact in surveyed),
        complaints=len(complaints),
        escalated=sum(complaint["escalated_at"] is not None for complaint in complaints),
    )


def _schema_rows(period: Period) -> tuple[list[dict], list[dict]]:
    """The active station's cases received, completed or surveyed in the period (flagged `rec`, `comp`, `surv`), and
    its complaints received in it, read from its own desk tables with the stations' own SQL."""
    in_period = "(f.{0} >= %(since)s AND f.{0} < %(until)s)"
    sql = (
        f"SELECT f.*, {in_period.format('received_at')} AS rec, "  # noqa: S608
        f"COALESCE({in_period.format('completed_at')}, false) AS comp, "
        f"COALESCE({in_period.format('surveyed_at')}, false) AS surv "
        f"FROM ({FACT_SELECT}) f WHERE {in_period.format('received_at')} "
        f"OR {in_period.format('completed_at')} OR {in_period.format('surveyed_at')}"
    )
    complaints_sql = (
        f"SELECT f.* FROM ({COMPLAINT_SELECT}) f "  # noqa: S608
        "WHERE f.received_at >= %(since)s AND f.received_at < %(until)s"
    )
    params = {"since": period.since, "until": period.until}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        facts = [dict(zip([*FACT_COLUMNS, "rec", "comp", "surv"], row, strict=True)) for row in cursor.fetchall()]
        cursor.execute(complaints_sql, params)
        complaints = [dict(zip(COMPLAINT_COLUMNS, row, strict=True)) for row in cursor.fetchall()]
    return facts, complaints


def station_figures_from_schema(*, start: datetime.date, end: datetime.date) -> Figures:
    """The active station's own figures for the period, counted as the city statistics count them but read from its
    schema, so current to the second (a station's period summary)."""
    return _naive_figures(*_schema_rows(Period(start, end)))


def city_statistics_from_schemas(*, start: datetime.date, end: datetime.date, by: str = "station") -> CityStatistics:
    """The same figures as `city_statistics` (groups and total), computed the naive way: every station's schema is
    asked in turn and the answers are combined here. It grows with the number of stations; the console never uses
    it."""
    period = Period(start, end)
    grouped: dict[object, list[dict]] = defaultdict(list)
    everything: list[dict] = []
    complaints: dict[object, list[dict]] = defaultdict(list)
    all_complaints: list[dict] = []
    for station in Station.objects.order_by("code"):
        with schema_context(station.schema_name):
            facts, its_complaints = _schema_rows(period)
        keys = {"station": station.pk, "district": station.district}
        for fact in facts:
            fact["station_id"] = station.pk
            grouped[keys.get(by, fact["category_id"])].append(fact)
            everything.append(fact)
        for complaint in its_complaints:
            complaints[keys.get(by, complaint["category_id"])].append(complaint)
            all_complaints.append(complaint)
    figures = {
        key: _naive_figures(grouped.get(key, []), complaints.get(key, []))
        for key in {*grouped, *complaints}
        if key is not None
    }
    return CityStatistics(
        start=start,
        end=end,
        by=by,
        groups=_groups(by, figures),
        total=_naive_figures(everything, all_complaints),
        trend_unit=period.trend_unit,
        trend=[],
    )


@dataclass(frozen=True)
class MonthComparison:
    """A station's figures this month so far (`current`, the 1st to today) against last month's over the same days
    (`previous`, the 1st to the same day, or to its last day when last month was shorter) and last month's whole
    (`previous_whole`)."""

    this_month: Period
    last_month_to_date: Period
    last_month: Period
    current: Figures
    previous: Figures
    previous_whole: Figures


def station_month_comparison(*, today: datetime.date) -> MonthComparison:
    """The active station's month so far against last month (the station home), counted as
    `station_figures_from_schema` counts them (current to the second): one read of its schema, two queries, for the
    three periods."""
    this_month = Period(today.replace(day=1), today)
    last_end = this_month.start - datetime.timedelta(days=1)
    last_month = Period(last_end.replace(day=1), last_end)
    to_date = Period(last_month.start, last_month.start.replace(day=min(today.day, last_end.day)))
    facts, complaints = _schema_rows(Period(last_month.start, today))

    def figures(period: Period) -> Figures:
        since, until = period.since, period.until

        def inside(moment: datetime.datetime | None) -> bool:
            return moment is not None and since <= moment < until

        rows = [
            fact
            | {
                "rec": inside(fact["received_at"]),
                "comp": inside(fact["completed_at"]),
                "surv": inside(fact["surveyed_at"]),
            }
            for fact in facts
        ]
        return _naive_figures(rows, [complaint for complaint in complaints if inside(complaint["received_at"])])

    return MonthComparison(
        this_month=this_month,
        last_month_to_date=to_date,
        last_month=last_month,
        current=figures(this_month),
        previous=figures(to_date),
        previous_whole=figures(last_month),
    )
