"""What a station tells the city about each of its cases: one SQL query over the station's own desk tables, used both
when a case changes (`case_fact_send`, one case, inside the change's transaction) and when a station's facts are
rebuilt (`case_facts_rebuild`, all its cases at once). One query for both, so they cannot disagree."""

from core.desk.models import CaseState, EventKind, Rating

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
    "surveyed_at": "s.submitted_at",
    **{name: f"s.{name}" if name == "q5" else _level(f"s.{name}") for name in QUESTIONS},
    "as_of": "clock_timestamp()",
}

FACT_SELECT = (  # noqa: S608  (constants only)
    "SELECT {columns} FROM desk_servicecase c "
    "JOIN desk_demand d ON d.id = c.demand_id "
    "LEFT JOIN desk_serviceplan p ON p.case_id = c.id AND p.superseded_at IS NULL "
    "LEFT JOIN desk_servicerecord r ON r.case_id = c.id "
    "LEFT JOIN desk_survey s ON s.case_id = c.id"
).format(columns=", ".join(f"{expression} AS {name}" for name, expression in FACT_COLUMNS.items()))
