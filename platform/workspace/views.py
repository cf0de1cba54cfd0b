"""A station's home workspace and its choice of service items: pages that bring several apps together, so they live
above them (`tenants` knows no domain app)."""

from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.activity.selectors import activity_list
from core.catalog.models import ServiceItem
from core.catalog.selectors import service_category_list
from core.common.forms import Form
from core.complaints.selectors import complaints_due
from core.desk.selectors import case_workspace, demands_received_on
from core.referrals.selectors import referral_inbox_summary
from core.stats.selectors import MonthComparison, station_month_comparison
from tenants.models import MemberRole
from tenants.pages import StationPage
from tenants.selectors import membership_list_for_station
from tenants.services import station_items_set


@dataclass(frozen=True)
class MonthFigure:
    """One line of the station home's month comparison: this month so far (`current`) against last month over the
    same days (`previous`) and last month's whole (`whole`). A rate is a share (0-1) or None when there was nothing
    to count; `bars` are the widths (in % of the line's largest value, of 100 % for a rate) of this month's and last
    month's bar."""

    key: str
    label: str
    current: int | float | None
    previous: int | float | None
    whole: int | float | None
    rate: bool = False

    @staticmethod
    def _text(value, rate: bool) -> str:
        if value is None:
            return "—"
        return f"{value * 100:.1f}%" if rate else str(value)

    @property
    def current_text(self) -> str:
        return self._text(self.current, self.rate)

    @property
    def previous_text(self) -> str:
        return self._text(self.previous, self.rate)

    @property
    def whole_text(self) -> str:
        return self._text(self.whole, self.rate)

    @property
    def trend(self) -> str:
        """Up, down or flat against last month's same days; empty when either side has nothing to compare."""
        if self.current is None or self.previous is None:
            return ""
        if self.current == self.previous:
            return "flat"
        return "up" if self.current > self.previous else "down"

    @property
    def change_text(self) -> str:
        """The change against last month's same days: a count's difference, a rate's in percentage points."""
        if not self.trend:
            return ""
        if self.rate:
            return _("%(points)+.1f pts") % {"points": (self.current - self.previous) * 100}
        return f"{self.current - self.previous:+d}"

    @property
    def bars(self) -> tuple[float, float]:
        values = [self.current or 0, self.previous or 0]
        scale = 1 if self.rate else max(values) or 1
        return tuple(round(100 * value / scale, 1) for value in values)


MONTH_FIGURES = (
    ("demands", gettext_lazy("Demands")),
    ("completed", gettext_lazy("Cases completed")),
    ("on_time_rate", gettext_lazy("On-time rate")),
    ("overall_satisfaction", gettext_lazy("Overall satisfaction")),
)


def month_figures(comparison: MonthComparison) -> list[MonthFigure]:
    return [
        MonthFigure(
            key=key,
            label=str(label),
            current=getattr(comparison.current, key),
            previous=getattr(comparison.previous, key),
            whole=getattr(comparison.previous_whole, key),
            rate=key.endswith(("rate", "satisfaction")),
        )
        for key, label in MONTH_FIGURES
    ]


class StationHomeView(StationPage):
    """A station's home page, a workspace with links into the desk, the referrals and the complaints. The head sees the
    station's whole picture: today's new demands, the desk's inbox, the cases near or past their deadline, the
    referrals waiting for our answer, the complaints due, and this month against last. A staff member sees their own
    open cases and deadlines, the desk's inbox and the referrals waiting. Lower down, for everyone: the station's
    facts, its team, its service items and what happened lately. A fixed number of queries, whatever the numbers."""

    template_name = "workspace/station_home.html"
    LIST_LENGTH = 5

    def get_context_data(self, **kwargs):
        user, now = self.request.user, timezone.now()
        today = timezone.localdate(now)
        head = self.is_head
        workspace = {
            "is_head": head,
            "today": today,
            "now": now,
            "cases": case_workspace(viewer=user, own=not head, limit=self.LIST_LENGTH, now=now),
            "referrals": referral_inbox_summary(viewer=user, limit=self.LIST_LENGTH, now=now),
        }
        if head:
            demands = demands_received_on(day=today, viewer=user)
            comparison = station_month_comparison(today=today)
            workspace |= {
                "demands_today": list(demands[: self.LIST_LENGTH]),
                "demands_today_count": demands.count(),
                "complaints": complaints_due(viewer=user, limit=self.LIST_LENGTH, now=now),
                "comparison": comparison,
                "month_figures": month_figures(comparison),
            }
        return super().get_context_data(
            **kwargs,
            **workspace,
            team=membership_list_for_station(station=self.station),
            activity=activity_list()[:10],
            items=self.station.items.select_related("category"),
            may_edit_items=head,
        )


class StationItemsForm(Form):
    # Any catalog item parses; which of them may be chosen (current ones only) is the service's rule.
    items = forms.ModelMultipleChoiceField(queryset=ServiceItem.objects.all(), required=False)


class StationItemsPage(StationPage):
    """The head chooses the catalog items the station serves itself: what other stations search by when they refer a
    case to it. The catalog is shown by category, with the current choice ticked."""

    template_name = "workspace/station_items.html"
    station_roles = (MemberRole.HEAD,)

    def get_context_data(self, form=None, **kwargs):
        if form is None:
            chosen = set(self.station.items.values_list("pk", flat=True))
        else:
            chosen = {int(pk) for pk in form.data.getlist("items") if str(pk).isdigit()}
        return super().get_context_data(**kwargs, form=form, categories=service_category_list(), chosen=chosen)

    def post(self, request, *args, **kwargs):
        form = StationItemsForm(request.POST)
        if form.is_valid():
            try:
                items = station_items_set(station=self.station, user=request.user, items=form.cleaned_data["items"])
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(
                    request, _("The station now serves %(count)s catalog item(s).") % {"count": len(items)}
                )
                return redirect("home")
        return self.render_to_response(self.get_context_data(form=form), status=400)
