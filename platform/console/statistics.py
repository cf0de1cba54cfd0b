"""The city statistics in the bureau console (issue 6, clause 3: the bureau evaluates and supervises the stations).

For any period: the figures per station, district or service category with the city's total, the trend, the
categories, a station ranking and the satisfaction per question; one station's figures by category; and, for the
bureau roles that may see them, a station's case list, every look at which is logged. Every table exports to XLSX.
The figures come from the read model (`core.stats.selectors`); `core.stats.reports` names and formats them.
"""

import datetime
from urllib.parse import urlencode

from django import forms
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from console.charts import bar_chart, line_chart
from core.catalog.forms import ServiceCategoryChoiceField
from core.common.forms import DATE, Form
from core.common.pagination import CappedPaginator
from core.common.periods import default_period
from core.common.replica import ReplicaReadsMixin
from core.common.spreadsheets import XLSX_TYPE, write_xlsx
from core.districts import District
from core.stats import reports
from core.stats.selectors import GROUPINGS, CityStatistics, case_list_accesses, city_statistics, station_case_facts
from core.stats.services import case_list_access_record
from tenants.models import BureauRole
from tenants.pages import BureauPage
from tenants.selectors import station_list

PAGE_SIZE = 50
RANKED = 20  # stations in the ranking chart
ACCESSES_SHOWN = 50
CASE_LIST_REFUSED = gettext_lazy(
    "A station's case list is shown to the bureau's administrators and to viewers granted access to it; ask an "
    "administrator if you need it."
)
GROUPING_LABELS = {
    "station": gettext_lazy("By station"),
    "district": gettext_lazy("By district"),
    "category": gettext_lazy("By service category"),
}


# --- Forms ---------------------------------------------------------------------------------------------------------


class StatisticsPeriodForm(Form):
    """The period the statistics look at: local days, both ends included."""

    start = forms.DateField(label=gettext_lazy("Period from"), widget=DATE)
    end = forms.DateField(label=gettext_lazy("Period to"), widget=DATE)

    def clean(self):
        data = super().clean()
        for name, message in reports.period_errors(data.get("start"), data.get("end")).items():
            self.add_error(name, message)
        return data


class StatisticsForm(StatisticsPeriodForm):
    """The period, the grouping (the tabs) and the optional filters of the city statistics."""

    by = forms.ChoiceField(choices=[(g, g) for g in GROUPINGS], required=False, widget=forms.HiddenInput)
    district = forms.ChoiceField(
        label=gettext_lazy("District"), choices=[("", gettext_lazy("All districts")), *District.choices], required=False
    )
    category = ServiceCategoryChoiceField(
        label=gettext_lazy("Service category"),
        required=False,
        empty_label=gettext_lazy("All categories"),
    )


def xlsx_response(name: str, headers, rows) -> HttpResponse:
    response = HttpResponse(write_xlsx(headers, rows), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --- Charts --------------------------------------------------------------------------------------------------------


def trend_chart(statistics: CityStatistics):
    return line_chart(
        title=_("Cases received and completed per month")
        if statistics.trend_unit == "month"
        else _("Cases received and completed per day"),
        series=[_("Cases received"), _("Cases completed")],
        points=[
            (reports.trend_label(point, statistics.trend_unit), [point.received, point.completed])
            for point in statistics.trend
        ],
    )


def category_chart(statistics: CityStatistics):
    return bar_chart(
        title=_("Cases received and completed per service category"),
        series=[_("Cases received"), _("Cases completed")],
        groups=[
            (
                group.label,
                [
                    (group.figures.received, str(group.figures.received)),
                    (group.figures.completed, str(group.figures.completed)),
                ],
            )
            for group in statistics.groups
        ],
    )


def ranking_chart(statistics: CityStatistics):
    """The stations with cases completed in the period, by their on-time rate (then by how many they completed), the
    first `RANKED`."""
    ranked = sorted(
        (group for group in statistics.groups if group.figures.completed),
        key=lambda group: (-group.figures.on_time_rate, -group.figures.completed, group.label),
    )[:RANKED]
    return bar_chart(
        title=_("Stations ranked by on-time rate"),
        series=[_("On-time rate")],
        groups=[
            (
                group.label,
                [
                    (
                        group.figures.on_time_rate * 100,
                        f"{reports.share_text(group.figures.on_time_rate)} "
                        f"({group.figures.on_time}/{group.figures.completed})",
                    )
                ],
            )
            for group in ranked
        ],
        maximum=100,
    )


def satisfaction_chart(statistics: CityStatistics):
    """The share satisfied or very satisfied per survey question, and the share solved (question 5)."""
    figures = statistics.total
    if not figures.surveys:
        return bar_chart(title="", series=[], groups=[])
    shares = {**figures.satisfaction, "q5": figures.solved_rate}
    questions = sorted(shares, key=lambda name: int(name[1:]))
    return bar_chart(
        title=_("Satisfaction per question"),
        series=[_("Satisfied or very satisfied (question 5: solved)")],
        groups=[
            (
                reports.question_text(name),
                [(shares[name] * 100, f"{reports.share_text(shares[name])} ({figures.surveys})")],
            )
            for name in questions
        ],
        maximum=100,
    )


# --- Pages ---------------------------------------------------------------------------------------------------------


class StatisticsPageMixin:
    """Reading the period form (the last 90 days when none is given) and answering a page or one of its tables as
    XLSX (`table` in the URL). A bad form shows its errors, the input kept, with the default period's figures
    (400)."""

    form_class = StatisticsPeriodForm
    tables: tuple[str, ...] = ()

    def read_form(self) -> tuple[forms.Form, dict]:
        data = self.request.GET.copy()
        if "start" not in data and "end" not in data:
            start, end = default_period()
            data["start"], data["end"] = start.isoformat(), end.isoformat()
        form = self.form_class(data)
        if form.is_valid():
            return form, dict(form.cleaned_data)
        start, end = default_period()
        chosen = {name: value for name, value in form.cleaned_data.items() if name not in ("start", "end")}
        return form, {**chosen, "start": start, "end": end}

    def query(self, form, **changes) -> str:
        query = self.request.GET.copy()
        query.pop("page", None)
        for name, value in changes.items():
            query[name] = value
        return query.urlencode()

    def get(self, request, *args, **kwargs):
        form, chosen = self.read_form()
        table = self.kwargs.get("table")
        if table is not None and form.is_valid():
            name, headers, rows = self.export(table, **chosen)
            return xlsx_response(name, headers, rows)
        start, end = chosen["start"].isoformat(), chosen["end"].isoformat()
        context = self.get_context_data(
            **kwargs,
            form=form,
            chosen=chosen,
            period=chosen,
            query=self.query(form),
            # The period in force (the default one when the form is bad): alone, and with the other choices.
            period_only=urlencode({"start": start, "end": end}),
            export_query=self.query(form, start=start, end=end),
        )
        return self.render_to_response(context, status=200 if form.is_valid() else 400)

    def export(self, table: str, **chosen) -> tuple[str, list, object]:
        raise NotImplementedError


def station_of(pk: int):
    return get_object_or_404(station_list(), pk=pk)


class CityStatisticsPage(ReplicaReadsMixin, StatisticsPageMixin, BureauPage):
    """The city's figures in a period, grouped by station, district or service category, with the total, the trend,
    the categories, the station ranking and the satisfaction per question."""

    template_name = "console/statistics.html"
    form_class = StatisticsForm

    @staticmethod
    def statistics(*, start, end, by=None, district="", category=None, **_rest) -> CityStatistics:
        return city_statistics(start=start, end=end, by=by or "station", district=district or "", category=category)

    def export(self, table, **chosen):
        statistics = self.statistics(**chosen)
        headers, rows = reports.statistics_table(statistics) if table == "groups" else reports.trend_table(statistics)
        return f"statistics-{table}-{statistics.by}-{statistics.start}-{statistics.end}.xlsx", headers, rows

    def get_context_data(self, *, form, chosen, query, **kwargs):
        statistics = self.statistics(**chosen)
        filters = {"start": chosen["start"], "end": chosen["end"], "district": chosen.get("district")}
        filters["category"] = chosen.get("category")
        by_category = statistics if statistics.by == "category" else self.statistics(**filters, by="category")
        by_station = statistics if statistics.by == "station" else self.statistics(**filters, by="station")
        return super().get_context_data(
            **kwargs,
            tab="statistics",
            form=form,
            query=query,
            statistics=statistics,
            group_header=reports.group_header(statistics.by),
            columns=reports.FIGURE_COLUMNS,
            rows=[(group, reports.figure_cells(group.figures)) for group in statistics.groups],
            total=reports.figure_cells(statistics.total),
            groupings=[
                (name, GROUPING_LABELS[name], self.query(form, by=name), name == statistics.by) for name in GROUPINGS
            ],
            trend_chart=trend_chart(statistics),
            category_chart=category_chart(by_category),
            ranking_chart=ranking_chart(by_station),
            ranked=RANKED,
            satisfaction_chart=satisfaction_chart(statistics),
            definitions=reports.DEFINITIONS,
        )


class StationStatisticsPage(ReplicaReadsMixin, StatisticsPageMixin, BureauPage):
    """One station's figures in a period, by service category, its trend and satisfaction, the way to its case list
    (for those who may see it) and, for the bureau's administrators, who looked at that list."""

    template_name = "console/statistics_station.html"

    def statistics(self, *, start, end, **_rest) -> CityStatistics:
        return city_statistics(start=start, end=end, by="category", station=self.subject)

    def export(self, table, **chosen):
        statistics = self.statistics(**chosen)
        headers, rows = reports.statistics_table(statistics) if table == "groups" else reports.trend_table(statistics)
        return (
            f"statistics-{self.subject.code}-{table}-{statistics.start}-{statistics.end}.xlsx",
            headers,
            rows,
        )

    def get(self, request, *args, **kwargs):
        self.subject = station_of(self.kwargs["pk"])
        return super().get(request, *args, **kwargs)

    def get_context_data(self, *, form, chosen, query, **kwargs):
        statistics = self.statistics(**chosen)
        is_admin = self.request.user.bureau_role == BureauRole.ADMIN
        return super().get_context_data(
            **kwargs,
            tab="statistics",
            subject=self.subject,
            form=form,
            query=query,
            statistics=statistics,
            group_header=reports.group_header(statistics.by),
            columns=reports.FIGURE_COLUMNS,
            rows=[(group, reports.figure_cells(group.figures)) for group in statistics.groups],
            total=reports.figure_cells(statistics.total),
            trend_chart=trend_chart(statistics),
            category_chart=category_chart(statistics),
            satisfaction_chart=satisfaction_chart(statistics),
            definitions=reports.DEFINITIONS,
            may_see_cases=reports.user_may_see_case_lists(user=self.request.user),
            accesses=list(case_list_accesses(station=self.subject)[:ACCESSES_SHOWN]) if is_admin else None,
            accesses_shown=ACCESSES_SHOWN,
        )


class StationCaseListPage(ReplicaReadsMixin, StatisticsPageMixin, BureauPage):
    """A station's cases received in the period, from the read model, page by page (or whole, as XLSX). Only for the
    bureau roles that may see case lists; every look and every export is logged."""

    template_name = "console/statistics_cases.html"

    def get(self, request, *args, **kwargs):
        if not reports.user_may_see_case_lists(user=request.user):
            # Refused with the reason, not the station hosts' advice to ask a station head for membership.
            return render(request, "403.html", {"message": CASE_LIST_REFUSED}, status=403)
        self.subject = station_of(self.kwargs["pk"])
        return super().get(request, *args, **kwargs)

    def record(self, what: str, start: datetime.date, end: datetime.date) -> None:
        case_list_access_record(
            user=self.request.user,
            station=self.subject,
            what=what,
            period=reports.period_text(start, end),
            path=self.request.get_full_path(),
        )

    def export(self, table, *, start, end, **_rest):
        self.record("xlsx", start, end)
        headers, rows = reports.case_table(station_case_facts(station=self.subject, start=start, end=end).iterator())
        return f"cases-{self.subject.code}-{start}-{end}.xlsx", headers, rows

    def get_context_data(self, *, form, chosen, query, **kwargs):
        start, end = chosen["start"], chosen["end"]
        self.record("page", start, end)
        facts = station_case_facts(station=self.subject, start=start, end=end)
        page = CappedPaginator(facts, PAGE_SIZE).get_page(self.request.GET.get("page"))
        return super().get_context_data(
            **kwargs,
            tab="statistics",
            subject=self.subject,
            form=form,
            query=query,
            page=page,
            columns=reports.CASE_COLUMNS,
            rows=[(fact, reports.case_cells(fact)) for fact in page],
        )
