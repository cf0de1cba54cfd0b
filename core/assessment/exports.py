"""The period summary (clause 6.6) as an XLSX file, with the page's figures: one row per figure under its section,
the period in the title row. A one-screen table, written while the request waits, as the console's statistics
tables are (`platform/console/statistics.py`); the long exports (the directory's) run as jobs instead.

Shares are written as percentages (80.0 for the page's "80%"), nothing as an empty cell, as the statistics do
(`core.stats.reports.cell_value`)."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.assessment.models import DIMENSIONS, Level
from core.assessment.selectors import PeriodSummary
from core.common.spreadsheets import XLSX_TYPE, write_xlsx
from core.stats.reports import COUNT, SHARE, cell_value

# The page's labels of the dimensions (as `core.assessment.views.DIMENSION_LABELS`).
DIMENSION_LABELS = {
    "civility": gettext_lazy("Civility"),
    "timeliness": gettext_lazy("Timeliness"),
    "accuracy": gettext_lazy("Accuracy"),
}


def _share(label: str) -> str:
    return _("%(header)s (%%)") % {"header": label}


def summary_rows(summary: PeriodSummary) -> list[tuple[str, str, str, object]]:
    """(section, figure, kind, value) of each figure of the summary page, in the page's order."""
    figures = summary.figures
    services, satisfaction = _("Services"), _("Satisfaction")
    complaints, reviews, assessments = _("Complaints"), _("Head reviews"), _("Staff assessments confirmed")
    rows = [
        (services, _("Demands"), COUNT, figures.demands),
        (services, _("Cases received"), COUNT, figures.received),
        (services, _("Referred to institutions"), COUNT, figures.to_institutions),
        (services, _("Referred to stations"), COUNT, figures.to_stations),
        (services, _("Cases completed"), COUNT, figures.completed),
        (services, _("Completed on time"), COUNT, figures.on_time),
        (services, _share(_("On-time rate")), SHARE, figures.on_time_rate),
        (satisfaction, _("Surveys"), COUNT, figures.surveys),
        (satisfaction, _share(_("Overall satisfaction (Q10)")), SHARE, figures.overall_satisfaction),
        (satisfaction, _share(_("Problems solved (Q5)")), SHARE, figures.solved_rate),
        *[
            (satisfaction, _share(_("Q%(number)s satisfied") % {"number": name[1:]}), SHARE, rate)
            for name, rate in figures.satisfaction.items()
        ],
        (complaints, _("Received"), COUNT, summary.complaints["received"]),
        (complaints, _("About a case"), COUNT, summary.complaints["linked_to_cases"]),
        (complaints, _("Closed"), COUNT, summary.complaints["closed"]),
        (complaints, _("Escalated to the bureau"), COUNT, summary.complaints["escalated"]),
        (reviews, _("Cases marked"), COUNT, summary.reviews["marked"]),
        (reviews, _("Reviews written"), COUNT, summary.reviews["reviewed"]),
        (assessments, _("Staff assessments confirmed"), COUNT, summary.assessments["confirmed"]),
    ]
    for dimension in DIMENSIONS:
        for level in Level:
            label = f"{DIMENSION_LABELS[dimension]} · {level.label}"
            rows.append((assessments, label, COUNT, summary.assessments[f"{dimension}_{level.value}"]))
    return rows


def summary_title(summary: PeriodSummary, *, station_name: str) -> str:
    return _("%(station)s: service results of %(start)s – %(end)s") % {
        "station": station_name,
        "start": summary.start.isoformat(),
        "end": summary.end.isoformat(),
    }


def summary_xlsx(summary: PeriodSummary, *, station_name: str) -> tuple[str, bytes, str]:
    """(file name, content, content type) of the summary as XLSX: the title row, the headers, then the figures."""
    headers = [_("Section"), _("Figure"), _("Value")]
    rows = [[section, label, cell_value(kind, value)] for section, label, kind, value in summary_rows(summary)]
    content = write_xlsx([summary_title(summary, station_name=station_name)], [headers, *rows])
    return f"summary-{summary.start.isoformat()}-{summary.end.isoformat()}.xlsx", content, XLSX_TYPE
