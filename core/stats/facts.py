"""What a station tells the city about each of its cases: one SQL query over the station's own desk tables, used both
when a case changes (`case_fact_send`, one case, inside the change's transaction) and when a station's facts are
rebuilt (`case_facts_rebuild`, all its cases at once). One query for both, so they cannot disagree."""

from core.desk.models import CaseState, Channel, EventKind, PlanKind, Rating

# Survey ratings as levels; a rating of satisfied or better counts as satisfied.
RATING_LEVELS = {Rating.VERY_SATISFIED: 4, Rating.SATISFIED: 3, Rating.FAIR: 2, Rating.DISSATISFIED: 1}
SATISFIED_LEVEL = 3
RATED = ("q1", "q2", "q3", "q4", "q6", "q7", "q8", "q9", "q10")
QUESTIONS = ("q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "q9", "q10")


def _level(column: str) -> str:
    whens = " ".join(f"WHEN '{rating}' THEN {level}" for rating, level in RATING_LEVELS.items())
    return f"CASE {column} {whens} END"


# The columns of `stats_casefact` a station fills, in order, and how it computes each from its desk tables.
FACT_COLUMNS = {
    "case_id": "c.id",
    "number": "c.number",
    "demand_id": "c.demand_id",
    # A demand is counted once, at its first case (and once per category, at its first case in that category).
    "first_of_demand": "c.id = (SELECT min(o.id) FROM desk_servicecase o WHERE o.demand_id = c.demand_id)",
    "first_of_demand_in_category": (
        "c.id = (SELECT min(o.id) FROM desk_servicecase o WHERE o.demand_id = c.demand_id "
        "AND o.category_id = c.category_id)"
    ),
    "category_id": "c.category_id",
    "channel": "d.channel",
    "state": "c.state",
    "plan_kind": "COALESCE(p.kind, '')",
    "received_at": "c.received_at",
    "due_at": "c.due_at",
    # The first time the case was completed, from its append-only timeline.
    "completed_at": (
        "(SELECT min(e.created_at) FROM desk_caseevent e "  # noqa: S608  (constants only)
        f"WHERE e.case_id = c.id AND e.kind = '{EventKind.STATE}' AND e.to_state = '{CaseState.COMPLETED}')"
    ),
    "response_seconds": "EXTRACT(EPOCH FROM r.answered_at - r.requested_at)::integer",
    # From received to first completed, in whole seconds like the response time: the medians sort integers.
    "completion_seconds": None,  # set below, from the completion's own expression
    "surveyed_at": "s.submitted_at",
    **{name: f"s.{name}" if name == "q5" else _level(f"s.{name}") for name in QUESTIONS},
    "as_of": "clock_timestamp()",
}

FACT_COLUMNS["completion_seconds"] = f"EXTRACT(EPOCH FROM {FACT_COLUMNS['completed_at']} - c.received_at)::integer"

FACT_SELECT = (  # noqa: S608  (constants only)
    "SELECT {columns} FROM desk_servicecase c "
    "JOIN desk_demand d ON d.id = c.demand_id "
    "LEFT JOIN desk_serviceplan p ON p.case_id = c.id AND p.superseded_at IS NULL "
    "LEFT JOIN desk_servicerecord r ON r.case_id = c.id "
    "LEFT JOIN desk_survey s ON s.case_id = c.id"
).format(columns=", ".join(f"{expression} AS {name}" for name, expression in FACT_COLUMNS.items()))


# A case a station opened by accepting another station's referral (its demand's channel) is that station's work but
# not a new demand of the city: the station that referred it counted the demand when the enterprise brought it.
FROM_STATION = f"f.channel = '{Channel.REFERRAL}'"

# What a fact adds to the counts of a local day: its day of reception (a demand at its first case, in the category
# too, unless it came from another station; the case; how it is served now; whether another station referred it), of
# first completion (on time: no later than its deadline) and of its survey (each rated question when satisfied or
# better; question 5 when solved). Name: (moment, expression over a fact `f`).
DAY_COUNTS = {
    "demands": ("received_at", f"(f.first_of_demand AND NOT {FROM_STATION})::int"),
    "demands_in_category": ("received_at", f"(f.first_of_demand_in_category AND NOT {FROM_STATION})::int"),
    "received": ("received_at", "1"),
    "to_institutions": ("received_at", f"(f.plan_kind = '{PlanKind.INSTITUTION}')::int"),
    "to_stations": ("received_at", f"(f.plan_kind = '{PlanKind.STATION}')::int"),
    "from_stations": ("received_at", f"({FROM_STATION})::int"),
    "completed": ("completed_at", "1"),
    "on_time": ("completed_at", "COALESCE((f.completed_at <= f.due_at)::int, 0)"),
    "surveys": ("surveyed_at", "1"),
    **{f"sat_{name}": ("surveyed_at", f"COALESCE((f.{name} >= {SATISFIED_LEVEL})::int, 0)") for name in RATED},
    "solved": ("surveyed_at", "COALESCE(f.q5::int, 0)"),
}
MOMENTS = ("received_at", "completed_at", "surveyed_at")


def day_contributions(where: str) -> str:
    """SQL of what the facts of `stats_casefact f` matching `where` add to each local day: a row per fact and moment,
    (station_id, category_id, day, *DAY_COUNTS). Takes the parameter %(tz)s, the local time zone."""
    parts = []
    for moment in MOMENTS:
        counts = ", ".join(
            f"{expression if at == moment else '0'} AS {name}" for name, (at, expression) in DAY_COUNTS.items()
        )
        parts.append(
            f"SELECT f.station_id, f.category_id, (f.{moment} AT TIME ZONE %(tz)s)::date AS day, {counts} "  # noqa: S608
            f"FROM stats_casefact f WHERE f.{moment} IS NOT NULL AND ({where})"
        )
    return " UNION ALL ".join(parts)


# What a station tells the city about each of its complaints (clause 6.5): when it was received, the service category
# of the case it is about (none when it is about no case), where it stands, and whether it went to the bureau. Nothing
# of the complainant or of the complaint's words.
COMPLAINT_COLUMNS = {
    "complaint_id": "c.id",
    "received_at": "c.received_at",
    "category_id": "s.category_id",
    "state": "c.state",
    "escalated_at": "c.escalated_at",
    "as_of": "clock_timestamp()",
}
COMPLAINT_SELECT = (  # noqa: S608  (constants only)
    "SELECT {columns} FROM complaints_complaint c LEFT JOIN desk_servicecase s ON s.id = c.case_id"
).format(columns=", ".join(f"{expression} AS {name}" for name, expression in COMPLAINT_COLUMNS.items()))


def _time_edges() -> tuple[int, ...]:
    """Every tenth of an hour up to 10 hours, then 1% wider each up to the largest integer: about 1,200 buckets."""
    edges = list(range(0, 36_001, 360))
    while edges[-1] < 2**31 - 1:
        edges.append(min(-(-edges[-1] * 101 // 100), 2**31 - 1))
    return tuple(edges)


# The histograms' buckets of the response and completion times, in seconds: bucket `b` (PostgreSQL's `width_bucket`
# over these thresholds) holds the times from TIME_EDGES[b - 1] included to TIME_EDGES[b] excluded; bucket 0 the
# negative ones. A bucket is 6 minutes wide below 10 hours and 1% of its lower edge above: a median or percentile read
# from the buckets alone (its bucket's midpoint) is off by at most 3 minutes below 10 hours and 0.5% above. The city
# statistics read only which bucket holds the median from them, then the median itself from the facts of that bucket,
# so the figures shown are exact; the buckets make that last read small (a few hundred facts, not the period's).
TIME_EDGES = _time_edges()
TIME_EDGES_SQL = "'{" + ",".join(map(str, TIME_EDGES)) + "}'::int[]"
# Per measure (`core.stats.models.TimeMeasure`): the fact's column.
TIME_MEASURES = {1: "response_seconds", 2: "completion_seconds"}


def time_contributions(where: str) -> str:
    """SQL of what the facts of `stats_casefact f` matching `where` add to the time histograms: a row per completed
    fact and measure, (station_id, category_id, day, measure, bucket, cases). Takes %(tz)s like `day_contributions`."""
    measures = ", ".join(f"({measure}, f.{column})" for measure, column in TIME_MEASURES.items())
    return (
        "SELECT f.station_id, f.category_id, (f.completed_at AT TIME ZONE %(tz)s)::date AS day, m.measure, "  # noqa: S608
        f"width_bucket(m.seconds, {TIME_EDGES_SQL}) AS bucket, 1 AS cases "
        f"FROM stats_casefact f CROSS JOIN LATERAL (VALUES {measures}) m(measure, seconds) "
        f"WHERE f.completed_at IS NOT NULL AND m.seconds IS NOT NULL AND ({where})"
    )


def time_bucket_midpoint(bucket: int) -> float:
    """A bucket's middle, in seconds: a time read from the buckets alone (the histogram's own answer, without the
    facts) is this, at most `time_bucket_error` from the true one."""
    low = TIME_EDGES[bucket - 1] if bucket > 0 else None
    high = TIME_EDGES[bucket] if bucket < len(TIME_EDGES) else None
    if low is None or high is None:
        raise ValueError("the outer buckets have no middle")
    return (low + high) / 2


def time_bucket_error(seconds: float) -> float:
    """The most a time read as its bucket's middle can be off: half the bucket, 3 minutes below 10 hours, 0.5% of
    the time above (a bucket is 1% of its lower edge wide, and rounding the edges up adds at most a second)."""
    return 180.0 if seconds < TIME_EDGES[100] else seconds * 0.005 + 1
