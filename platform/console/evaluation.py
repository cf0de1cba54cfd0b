"""Evaluation rounds in the bureau console (综合评估, clause 3): a station's round scored item by item and concluded
(the scores' total and the pass mark propose the conclusion), its evidence, the scheduling of a re-evaluation, the
rectifications under way and overdue, and the round templates (the items' weights and the pass mark). Every bureau
role reads; administrators review, conclude, schedule and set the templates (the buttons are shown to them only, and
the services refuse everyone else)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from console.views import StationBureauPage, StationConsolePage
from core.common.forms import errors_onto
from core.evaluation import selectors, services
from core.evaluation.checklist import CHECKLIST
from core.evaluation.forms import (
    ConclusionForm,
    ReviewForm,
    ScheduleForm,
    TemplateForm,
    item_errors_onto,
    item_forms,
    met_initial,
)
from core.evaluation.models import ChecklistTemplate, RoundStatus
from core.evaluation.views import evidence_response, rows
from tenants.models import BureauRole
from tenants.pages import BureauPage
from tenants.selectors import user_has_bureau_role


def _review_forms(evaluation_round, data=None) -> dict:
    """The review's item forms, each score's `max` its item's weight."""
    items = list(evaluation_round.items.all())
    forms = item_forms(
        ReviewForm,
        items,
        data,
        initial=lambda item: {
            "met": met_initial(item.review_met),
            "remark": item.remark,
            # a score of its own only where it is neither extreme (met and not met say those)
            "score": item.review_score if item.review_score not in (None, 0, item.weight) else None,
        },
    )
    for item in items:
        forms[item.code].fields["score"].widget.attrs["max"] = item.weight
    return forms


class EvaluationRoundConsolePage(StationBureauPage):
    """One round of a station: the head's self-assessment and evidence, the review of each item, the conclusion."""

    template_name = "console/evaluation_round.html"

    def get_round(self, station):
        evaluation_round = selectors.round_get(station=station, number=self.kwargs["number"])
        if evaluation_round is None or evaluation_round.status == RoundStatus.SCHEDULED:
            raise Http404
        return evaluation_round

    def get_context_data(self, station=None, evaluation_round=None, forms=None, conclusion=None, errors=(), **kwargs):
        station = station or self.get_station()
        evaluation_round = evaluation_round or self.get_round(station)
        reviewing = evaluation_round.status == RoundStatus.SUBMITTED and user_has_bureau_role(
            user=self.request.user, roles=self.write_roles
        )
        if reviewing and forms is None:
            forms = _review_forms(evaluation_round)
        return super().get_context_data(
            **kwargs,
            tab="stations",
            subject=station,
            round=evaluation_round,
            rows=rows(evaluation_round, forms if reviewing else None),
            reviewing=reviewing,
            conclusion_form=(conclusion or ConclusionForm()) if reviewing else None,
            errors=errors,
            score=selectors.round_score(items=evaluation_round.items.all()),
            proposal=selectors.round_proposal(evaluation_round=evaluation_round),
            console=True,
        )

    def post(self, request, *args, **kwargs):
        station = self.get_station()
        evaluation_round = self.get_round(station)
        forms = _review_forms(evaluation_round, request.POST)
        conclusion = ConclusionForm(request.POST)
        errors = []
        concluding = request.POST.get("action") == "conclude"
        if all(form.is_valid() for form in forms.values()) and conclusion.is_valid():
            reviews = [
                services.Review(
                    code=code,
                    met=form.cleaned_data["met"],
                    remark=form.cleaned_data["remark"],
                    score=form.cleaned_data["score"],
                )
                for code, form in forms.items()
            ]
            try:
                services.round_review_save(evaluation_round=evaluation_round, user=request.user, reviews=reviews)
                if concluding:
                    services.round_conclude(
                        evaluation_round=evaluation_round,
                        user=request.user,
                        request=request,
                        **conclusion.cleaned_data,
                    )
            except ValidationError as error:
                errors = item_errors_onto(forms, error, top=conclusion)
            else:
                if concluding:
                    messages.success(request, _("Round %(number)s is concluded.") % {"number": evaluation_round.number})
                else:
                    messages.success(request, _("The review is saved."))
                return redirect(request.path)
        context = self.get_context_data(
            station=station,
            evaluation_round=self.get_round(station),
            forms=forms,
            conclusion=conclusion,
            errors=errors,
        )
        return self.render_to_response(context, status=400)


class EvaluationScheduleAction(StationConsolePage):
    """An administrator schedules a published station's re-evaluation for a chosen date. A refused date comes back on
    its field of the station's page, as typed (400)."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        station = self.get_station()
        form = ScheduleForm(request.POST)
        if form.is_valid():
            try:
                evaluation_round = services.round_schedule(station=station, user=request.user, **form.cleaned_data)
            except ValidationError as error:
                errors_onto(form, error)
            else:
                messages.success(
                    request,
                    _("Round %(number)s (re-evaluation) is scheduled for %(date)s.")
                    % {"number": evaluation_round.number, "date": evaluation_round.due_on.isoformat()},
                )
                return redirect("console:station", pk=station.pk)
        return self.render_to_response(self.get_context_data(schedule_form=form), status=400)


class EvaluationEvidenceConsoleView(StationBureauPage):
    """An evidence file of one of the station's rounds, for bureau roles."""

    def get(self, request, *args, **kwargs):
        station = self.get_station()
        evidence = selectors.evidence_get(station=station, pk=self.kwargs["evidence"])
        return evidence_response(evidence, request=request, station=station)


class EvaluationOverviewPage(BureauPage):
    """Evaluation across the city: the rectifications overdue (their date passed without a concluded follow-up: the
    station, the date, the days overdue), those still under way, and the round templates."""

    template_name = "console/evaluation.html"

    def get_context_data(self, **kwargs):
        overdue = selectors.rectifications_overdue()
        overdue_ids = {evaluation_round.pk for evaluation_round in overdue}
        return super().get_context_data(
            **kwargs,
            tab="evaluation",
            overdue=overdue,
            under_way=[r for r in selectors.rectifications_under_way() if r.pk not in overdue_ids],
            templates=selectors.template_list(),
        )


class EvaluationTemplatePage(BureauPage):
    """A round template: the weight of each checklist item and the pass mark. Every bureau role reads it; the bureau's
    administrators change it (rounds under way keep what they copied when they opened)."""

    template_name = "console/evaluation_template.html"
    write_roles = (BureauRole.ADMIN,)

    def get_template(self) -> ChecklistTemplate:
        template = selectors.template_get(kind=self.kwargs["kind"])
        if template is None:
            raise Http404
        return template

    def get_context_data(self, template=None, form=None, **kwargs):
        template = template or self.get_template()
        weights = selectors.template_weights(template=template)
        may_edit = user_has_bureau_role(user=self.request.user, roles=self.write_roles)
        if may_edit and form is None:
            form = TemplateForm(initial={"pass_mark": template.pass_mark, **weights})
        return super().get_context_data(
            **kwargs,
            tab="evaluation",
            template=template,
            form=form if may_edit else None,
            rows=[(entry, weights[entry.code], form[entry.code] if may_edit else None) for entry in CHECKLIST],
        )

    def post(self, request, *args, **kwargs):
        template = self.get_template()
        form = TemplateForm(request.POST)
        if form.is_valid():
            try:
                services.template_update(
                    template=template,
                    user=request.user,
                    pass_mark=form.cleaned_data["pass_mark"],
                    weights=form.weights(),
                )
            except ValidationError as error:
                errors_onto(form, error)
            else:
                messages.success(
                    request,
                    _("The template of %(kind)s is saved: rounds opened from now on take its weights and pass mark.")
                    % {"kind": template.get_kind_display()},
                )
                return redirect("console:evaluation_template", kind=template.kind)
        return self.render_to_response(self.get_context_data(template=template, form=form), status=400)
