"""The city statistics as tables people read and export (issue 6): the columns of the statistics table, of the trend
and of a station's case list, shared by the console's pages, their XLSX files and the API; the period rule; and who
may see a station's case list.

The figures themselves are `core.stats.selectors`'; this module only names, orders and formats them.
"""

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.desk.models import CaseState, Channel, PlanKind, Rating, Survey
from core.stats.facts import RATED, RATING_LEVELS
from core.stats.models import CaseFact
from core.stats.selectors import CityStatistics, Figures, TrendPoint
from tenants.models import BureauRole, User
from tenants.selectors import user_has_bureau_role

# The longest period one asks about (the trend has a point per month beyond two months).
MAX_PERIOD_DAYS = 3660
CASE_LIST_PERMISSION = "stats.view_case_list"

COUNT, SHARE, HOURS, TEXT = "count", "share", "hours", "text"
LEVEL_RATINGS = {level: rating for rating, level in RATING_LEVELS.items()}


def period_errors(start: datetime.date | None, end: datetime.date | None) -> dict[str, str]:
    """The period's own errors, by field (both ends given): the end before the start, or too long a period."""
    if start is None or end is None:
        return {}
    if start > end:
        return {"end": gettext("The end of the period is before its start.")}
    if (end - start).days >= MAX_PERIOD_DAYS:
        return {"end": gettext("A period may be at most 10 years long.")}
    return {}


def period_check(start: datetime.date, end: datetime.date) -> None:
    errors = period_errors(start, end)
    if errors:
        raise ValidationError(errors)


def period_text(start: datetime.date, end: datetime.date) -> str:
    """How a period is written in the case list's access log."""
    return f"{start.isoformat()}–{end.isoformat()}"


def user_may_see_case_lists(*, user: User) -> bool:
    """A station's case list is for the bureau's administrators, and its viewers granted `stats.view_case_list`."""
    if not user_has_bureau_role(user=user):
        return False
    return user.bureau_role == BureauRole.ADMIN or user.has_perm(CASE_LIST_PERMISSION)


# --- Formatting ----------------------------------------------------------------------------------------------------


def share_text(value: float | None) -> str:
    """A share as a percentage: whole percentages without decimals (50%), others with one (66.7%); "—" for none."""
    if value is None:
        return "—"
    percent = round(value * 100, 1)
    return f"{percent:.0f}%" if percent.is_integer() else f"{percent:.1f}%"


def hours_text(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def display(kind: str, value) -> str:
    if kind == SHARE:
        return share_text(value)
    if kind == HOURS:
        return hours_text(value)
    return "—" if value is None or value == "" else str(value)


def cell_value(kind: str, value):
    """A value as an XLSX cell: shares as percentages (50.0), hours as hours, nothing as an empty cell."""
    if kind == SHARE:
        return None if value is None else round(value * 100, 2)
    return value


@dataclass(frozen=True)
class Column:
    name: str
    header: str
    kind: str
    value: Callable
    title: str = ""  # the long form of a short header (a survey question's words)

    @property
    def is_satisfaction(self) -> bool:
        """A survey question's share: shown in a table of its own on the pages (one table of every column would not
        fit a screen), next to the others in an exported file."""
        return self.name.startswith("satisfaction_")

    @property
    def file_header(self) -> str:
        """The header in an exported file, where there is room: the long form, and shares marked as percentages."""
        header = str(self.title or self.header)
        return gettext("%(header)s (%%)") % {"header": header} if self.kind == SHARE else header


def question_text(name: str) -> str:
    """A survey question in the standard's words (Appendix B)."""
    return str(Survey._meta.get_field(name).verbose_name)


# A short header per survey question, translated when shown (not when this module is imported).
_question_header = lazy(lambda number: gettext("Q%(number)s satisfied") % {"number": number}, str)


def _figure(name: str) -> Callable[[Figures], object]:
    return lambda figures: getattr(figures, name)


def _satisfied(name: str) -> Callable[[Figures], object]:
    return lambda figures: figures.satisfaction[name]


FIGURE_COLUMNS = [
    Column("demands", _("Demands"), COUNT, _figure("demands")),
    Column("received", _("Cases received"), COUNT, _figure("received")),
    Column("to_institutions", _("Referred to institutions"), COUNT, _figure("to_institutions")),
    Column("to_stations", _("Referred to stations"), COUNT, _figure("to_stations")),
    Column("from_stations", _("Referred from stations"), COUNT, _figure("from_stations")),
    Column("completed", _("Cases completed"), COUNT, _figure("completed")),
    Column("on_time", _("Completed on time"), COUNT, _figure("on_time")),
    Column("on_time_rate", _("On-time rate"), SHARE, _figure("on_time_rate")),
    Column("median_response_hours", _("Median response (hours)"), HOURS, _figure("median_response_hours")),
    Column("median_completion_hours", _("Median completion (hours)"), HOURS, _figure("median_completion_hours")),
    Column("surveys", _("Surveys"), COUNT, _figure("surveys")),
    Column(
        "overall_satisfaction",
        _("Overall satisfaction"),
        SHARE,
        _figure("overall_satisfaction"),
        title=question_text("q10"),
    ),
    Column("solved_rate", _("Solved (Q5)"), SHARE, _figure("solved_rate"), title=question_text("q5")),
    Column("complaints", _("Complaints"), COUNT, _figure("complaints")),
    Column("escalated", _("Escalated to the bureau"), COUNT, _figure("escalated")),
    *[
        Column(
            f"satisfaction_{name}",
            _question_header(name[1:]),
            SHARE,
            _satisfied(name),
            title=question_text(name),
        )
        for name in RATED
        if name != "q10"
    ],
]

TREND_COLUMNS = [
    Column("received", _("Cases received"), COUNT, lambda point: point.received),
    Column("completed", _("Cases completed"), COUNT, lambda point: point.completed),
    Column("surveys", _("Surveys"), COUNT, lambda point: point.surveys),
    Column("overall_satisfaction", _("Overall satisfaction"), SHARE, lambda point: point.overall_satisfaction),
]

# How each figure is counted (the selectors' definitions), for the note under the table.
DEFINITIONS = [
    (
        _("Demands, cases received, referred"),
        _(
            "Of the cases received in the period. A demand counts once in each group it has cases in, at the station "
            "the enterprise brought it to: a case a station opened by accepting another station's referral counts in "
            "its cases received and as referred from stations, not as a demand; its completion, times and survey "
            "count at the station that serves it. Referred to institutions or stations is how the case is served now "
            "(its current plan)."
        ),
    ),
    (
        _("Completed, on time, median times"),
        _(
            "Of the cases first completed in the period. On time: completed no later than the deadline in working "
            "days (a hold moves the deadline). Response time (Appendix B): from the request to the answer. Completion "
            "time: from receiving the case to completing it. Medians, in hours."
        ),
    ),
    (
        _("Surveys and satisfaction"),
        _(
            "Of the surveys submitted in the period. Satisfaction per question: the share of surveys rating it "
            "satisfied or very satisfied; overall is question 10; solved is the share answering yes to question 5."
        ),
    ),
    (
        _("Complaints"),
        _(
            "Of the complaints received in the period (clause 6.5), and of those, how many the station escalated to "
            "the bureau. By category: of the complaints about a case of that category (the total also counts "
            "complaints about no case)."
        ),
    ),
    (_("Period"), _("Local days (Asia/Shanghai), both ends included.")),
]


def figure_cells(figures: Figures) -> list[tuple[Column, str]]:
    return [(column, display(column.kind, column.value(figures))) for column in FIGURE_COLUMNS]


def group_header(by: str) -> str:
    return str({"station": _("Station"), "district": _("District"), "category": _("Service category")}[by])


def trend_label(point: TrendPoint, unit: str) -> str:
    return point.day.strftime("%Y-%m") if unit == "month" else point.day.isoformat()


def statistics_table(statistics: CityStatistics) -> tuple[list[str], list[list]]:
    """(headers, rows) of the statistics table as a file: one row per group, then the total."""
    headers = [group_header(statistics.by), *[column.file_header for column in FIGURE_COLUMNS]]
    rows = [
        [label, *[cell_value(column.kind, column.value(figures)) for column in FIGURE_COLUMNS]]
        for label, figures in [
            *[(group.label, group.figures) for group in statistics.groups],
            (str(_("Total")), statistics.total),
        ]
    ]
    return headers, rows


def trend_table(statistics: CityStatistics) -> tuple[list[str], list[list]]:
    unit = str(_("Month") if statistics.trend_unit == "month" else _("Day"))
    headers = [unit, *[column.file_header for column in TREND_COLUMNS]]
    rows = [
        [
            trend_label(point, statistics.trend_unit),
            *[cell_value(column.kind, column.value(point)) for column in TREND_COLUMNS],
        ]
        for point in statistics.trend
    ]
    return headers, rows


# --- A station's case list -----------------------------------------------------------------------------------------


def _local(moment: datetime.datetime | None) -> str:
    return "" if moment is None else timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def fact_on_time(fact: CaseFact) -> bool | None:
    """Whether a completed case was completed by its deadline (None while open, or without a deadline)."""
    if fact.completed_at is None or fact.due_at is None:
        return None
    return fact.completed_at <= fact.due_at


def fact_response_hours(fact: CaseFact) -> float | None:
    return None if fact.response_seconds is None else round(fact.response_seconds / 3600, 1)


def fact_overall(fact: CaseFact) -> str:
    rating = LEVEL_RATINGS.get(fact.q10)
    return "" if rating is None else str(Rating(rating).label)


def _label(choices, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def _yes_no(value: bool | None) -> str:
    return "" if value is None else str(_("Yes") if value else _("No"))


CASE_COLUMNS = [
    Column("number", _("Number"), TEXT, lambda fact: fact.number),
    Column("category", _("Service category"), TEXT, lambda fact: fact.category.name),
    Column("channel", _("Channel"), TEXT, lambda fact: _label(Channel, fact.channel)),
    Column("state", _("State"), TEXT, lambda fact: _label(CaseState, fact.state)),
    Column(
        "plan_kind",
        _("How it is served"),
        TEXT,
        lambda fact: _label(PlanKind, fact.plan_kind) if fact.plan_kind else "",
    ),
    Column("received_at", _("Received at"), TEXT, lambda fact: _local(fact.received_at)),
    Column("due_at", _("Due at"), TEXT, lambda fact: _local(fact.due_at)),
    Column("completed_at", _("Completed at"), TEXT, lambda fact: _local(fact.completed_at)),
    Column("on_time", _("On time"), TEXT, lambda fact: _yes_no(fact_on_time(fact))),
    Column("response_hours", _("Response (hours)"), HOURS, fact_response_hours),
    Column("overall", _("Overall satisfaction"), TEXT, fact_overall, title=question_text("q10")),
]


def case_cells(fact: CaseFact) -> list[tuple[Column, str]]:
    return [(column, display(column.kind, column.value(fact))) for column in CASE_COLUMNS]


def case_table(facts: Iterable[CaseFact]) -> tuple[list[str], Iterable[list]]:
    headers = [str(column.title or column.header) for column in CASE_COLUMNS]
    rows = ([cell_value(column.kind, column.value(fact)) for column in CASE_COLUMNS] for fact in facts)
    return headers, rows
