"""Pages of a station host under /assessment/ (clauses 6.3, 6.4, 6.6). Every member reads what is theirs to read
(the selectors decide: the head everything, a member their own cases' written reviews and their own confirmed
assessments); only the head posts. Every write goes through `core.assessment.services`."""

from urllib.parse import urlencode

from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.assessment import selectors, services
from core.assessment.exports import summary_xlsx
from core.assessment.forms import AdjustForm, MarkForm, OpenForm, PeriodForm, ReviewForm, VersionForm
from core.assessment.models import DIMENSIONS, Level, PeriodKind, StaffAssessment
from core.common.forms import form_call
from core.common.pagination import CappedPaginator
from core.stats.reports import share_text
from tenants.models import MemberRole
from tenants.pages import StationPage

PAGE_SIZE = 50

DIMENSION_LABELS = {
    "civility": gettext_lazy("Civility"),
    "timeliness": gettext_lazy("Timeliness"),
    "accuracy": gettext_lazy("Accuracy"),
}
# The figures behind each dimension, as the page shows them.
FIGURE_LABELS = {
    "civility": [
        ("surveys", gettext_lazy("Surveys of the member's cases")),
        ("q4_satisfied", gettext_lazy("Q4 (station's civility) satisfied or better")),
        ("q8_satisfied", gettext_lazy("Q8 (staff's civility) satisfied or better")),
        ("both_satisfied", gettext_lazy("Both satisfied or better")),
    ],
    "timeliness": [
        ("completed", gettext_lazy("Cases completed")),
        ("on_time", gettext_lazy("Completed on time")),
        ("late", gettext_lazy("Late")),
    ],
    "accuracy": [
        ("completed", gettext_lazy("Cases completed")),
        ("replans", gettext_lazy("Re-plans")),
        ("replanned_cases", gettext_lazy("Cases re-planned")),
        ("complaints", gettext_lazy("Complaints")),
        ("complained_cases", gettext_lazy("Cases complained about")),
        ("without_either", gettext_lazy("Cases with neither")),
    ],
}


def dimension_rows(assessment: StaffAssessment, numbers: dict[str, str] | None = None) -> list[dict]:
    """The page's rows of an assessment; `numbers`: its case numbers as the reader may see them
    (`selectors.figures_case_numbers`)."""
    rows = []
    shown = selectors.figures_shown(assessment.figures, numbers or {})
    for dimension in DIMENSIONS:
        figures = shown.get(dimension, {})
        facts = []
        for key, label in FIGURE_LABELS[dimension]:
            value = figures.get(key)
            facts.append((label, "、".join(value) or "—" if isinstance(value, list) else value))
        prefilled = getattr(assessment, f"prefilled_{dimension}")
        level = getattr(assessment, dimension)
        rows.append(
            {
                "name": dimension,
                "label": DIMENSION_LABELS[dimension],
                "rate": share_text(figures.get("rate")),
                "facts": facts,
                "prefilled": Level(prefilled).label if prefilled else "—",
                "level": Level(level).label if level else "—",
                "changed": level != prefilled,
                "remark": getattr(assessment, f"{dimension}_remark"),
            }
        )
    return rows


class AssessmentBasePage(StationPage):
    """Members read; only the head posts."""

    write_roles = (MemberRole.HEAD,)

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs, is_head=self.is_head)

    def run(self, form, call, success: str, to: str):
        """Run the service with the form's data; redirect on success, else None with the errors on the form."""
        if form.is_valid() and form_call(self.request, form, lambda: call(form.cleaned_data), success=success):
            return redirect(to)
        return None


class SummaryPage(AssessmentBasePage):
    """The station's service results of a month or quarter (clause 6.6)."""

    template_name = "assessment/summary.html"

    def read_summary(self) -> tuple[PeriodForm, selectors.PeriodSummary]:
        """The period form and the summary of its period (this month while none is chosen or the form is bad)."""
        form = PeriodForm(self.request.GET or None)
        kind, day = PeriodKind.MONTH, timezone.localdate()
        if form.is_valid():
            kind, day = form.cleaned_data["period_kind"], form.cleaned_data["day"]
        elif not form.is_bound:
            form = PeriodForm(initial={"period_kind": kind, "day": day})
        start, end = selectors.period_bounds(kind=kind, start=day)
        return form, selectors.period_summary(start=start, end=end)

    def get_context_data(self, **kwargs):
        form, summary = self.read_summary()
        figures = summary.figures
        kind = form.cleaned_data["period_kind"] if form.is_bound and form.is_valid() else PeriodKind.MONTH
        return super().get_context_data(
            **kwargs,
            form=form,
            summary=summary,
            export_query=urlencode({"period_kind": kind, "day": summary.start.isoformat()}),
            on_time_rate=share_text(figures.on_time_rate),
            satisfaction=[(f"Q{name[1:]}", share_text(rate)) for name, rate in figures.satisfaction.items()],
            overall=share_text(figures.overall_satisfaction),
            solved_rate=share_text(figures.solved_rate),
            levels=[
                (DIMENSION_LABELS[d], [(lv.label, summary.assessments[f"{d}_{lv.value}"]) for lv in Level])
                for d in DIMENSIONS
            ],
        )


class SummaryExportPage(SummaryPage):
    """The period summary as XLSX (clause 6.6): the page's figures, for whoever may read the page. A bad period is
    answered with the page and its errors (400), not with another period's file."""

    def get(self, request, *args, **kwargs):
        form, summary = self.read_summary()
        if form.is_bound and not form.is_valid():
            return self.render_to_response(self.get_context_data(**kwargs), status=400)
        name, content, content_type = summary_xlsx(summary, station_name=self.station.name)
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


class ReviewListPage(AssessmentBasePage):
    template_name = "assessment/reviews.html"

    def get_context_data(self, **kwargs):
        reviews = selectors.review_list(viewer=self.request.user, head=self.is_head)
        page = CappedPaginator(reviews, PAGE_SIZE).get_page(self.request.GET.get("page"))
        return super().get_context_data(**kwargs, page=page, query="")


class CaseReviewPage(AssessmentBasePage):
    """One case's review: the head marks it (why) and writes the review; the assignee reads a written one."""

    template_name = "assessment/case_review.html"

    def setup_case(self):
        head = self.is_head
        self.case = selectors.case_for_review(case_id=self.kwargs["case_id"], viewer=self.request.user, head=head)
        if self.case is None:
            raise Http404
        self.review = selectors.review_of_case(case_id=self.case.pk, viewer=self.request.user, head=head)
        if not head and self.review is None:
            raise Http404  # a member reads written reviews only

    def get(self, request, *args, **kwargs):
        self.setup_case()
        return super().get(request, *args, **kwargs)

    def get_context_data(self, forms=None, **kwargs):
        forms = forms or {}
        if self.is_head:
            if self.review is None:
                forms.setdefault("mark", MarkForm(prefix="mark"))
            elif self.review.reviewed_at is None:
                forms.setdefault("write", ReviewForm(prefix="write"))
        return super().get_context_data(**kwargs, case=self.case, review=self.review, forms=forms)

    def post(self, request, *args, **kwargs):
        self.setup_case()
        action = request.POST.get("action")
        here = request.path
        if action == "mark":
            form = MarkForm(request.POST, prefix="mark")
            done = self.run(
                form,
                lambda d: services.case_review_mark(case=self.case, user=request.user, **d),
                _("The case is marked for review."),
                here,
            )
        elif action == "write" and self.review is not None:
            form = ReviewForm(request.POST, prefix="write")
            done = self.run(
                form,
                lambda d: services.case_review_write(review=self.review, user=request.user, **d),
                _("The review is written."),
                here,
            )
        else:
            raise Http404
        return done or self.render_to_response(self.get_context_data(forms={action: form}), status=400)


class AssessmentListPage(AssessmentBasePage):
    template_name = "assessment/assessments.html"

    def get_context_data(self, form=None, **kwargs):
        assessments = selectors.assessment_list(viewer=self.request.user, head=self.is_head)
        page = CappedPaginator(assessments, PAGE_SIZE).get_page(self.request.GET.get("page"))
        if self.is_head and form is None:
            form = OpenForm(members=selectors.assessable_members(), initial={"day": timezone.localdate()})
        return super().get_context_data(**kwargs, page=page, query="", form=form)

    def post(self, request, *args, **kwargs):
        form = OpenForm(request.POST, members=selectors.assessable_members())

        def open_(data):
            start, _end = selectors.period_bounds(kind=data["period_kind"], start=data["day"])
            if data["member"] is None:
                return services.staff_assessments_open(
                    user=request.user, period_kind=data["period_kind"], period_start=start
                )
            return services.staff_assessment_open(
                user=request.user, member=data["member"], period_kind=data["period_kind"], period_start=start
            )

        done = self.run(form, open_, _("The assessments are opened, pre-filled from the data."), request.path)
        return done or self.render_to_response(self.get_context_data(form=form), status=400)


class AssessmentPage(AssessmentBasePage):
    """One assessment with the figures behind each dimension; the head adjusts, refreshes and confirms a draft."""

    template_name = "assessment/assessment.html"
    ACTIONS = ("adjust", "refresh", "confirm")

    def setup_assessment(self):
        self.assessment = selectors.assessment_get(pk=self.kwargs["pk"], viewer=self.request.user, head=self.is_head)
        if self.assessment is None:
            raise Http404

    def get(self, request, *args, **kwargs):
        self.setup_assessment()
        return super().get(request, *args, **kwargs)

    def get_context_data(self, forms=None, **kwargs):
        a = self.assessment
        forms = forms or {}
        if self.is_head and not a.is_confirmed:
            initial = {name: getattr(a, name) for name in AdjustForm.base_fields if name != "version"}
            forms.setdefault("adjust", AdjustForm(initial={**initial, "version": a.version}, prefix="adjust"))
            forms.setdefault("confirm", VersionForm(initial={"version": a.version}, prefix="confirm"))
            forms.setdefault("refresh", VersionForm(initial={"version": a.version}, prefix="refresh"))
        numbers = selectors.figures_case_numbers(assessments=[a], viewer=self.request.user, head=self.is_head)
        return super().get_context_data(**kwargs, assessment=a, rows=dimension_rows(a, numbers), forms=forms)

    def post(self, request, *args, **kwargs):
        self.setup_assessment()
        action = request.POST.get("action")
        if action not in self.ACTIONS:
            raise Http404
        a, user = self.assessment, request.user
        form = (AdjustForm if action == "adjust" else VersionForm)(request.POST, prefix=action)

        def call(data):
            version = data.pop("version")
            if action == "adjust":
                return services.staff_assessment_adjust(assessment=a, user=user, expected_version=version, **data)
            if action == "refresh":
                return services.staff_assessment_refresh(assessment=a, user=user, expected_version=version)
            return services.staff_assessment_confirm(assessment=a, user=user, expected_version=version)

        success = {
            "adjust": _("The assessment is saved."),
            "refresh": _("The figures are read again from the data."),
            "confirm": _("The assessment is confirmed."),
        }[action]
        done = self.run(form, call, success, request.path)
        return done or self.render_to_response(self.get_context_data(forms={action: form}), status=400)
