"""Evaluation rounds in the bureau console (综合评估, clause 3): a station's round reviewed item by item and concluded,
its evidence, and the scheduling of a re-evaluation. Every bureau role reads; administrators review, conclude and
schedule (the buttons are shown to them only, and the services refuse everyone else)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from console.views import StationBureauPage, StationConsolePage
from core.common.forms import errors_onto
from core.evaluation import selectors, services
from core.evaluation.forms import ConclusionForm, ReviewForm, ScheduleForm, item_errors_onto, item_forms, met_initial
from core.evaluation.models import RoundStatus
from core.evaluation.views import evidence_response, rows
from tenants.selectors import user_has_bureau_role


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
            forms = item_forms(
                ReviewForm,
                evaluation_round.items.all(),
                initial=lambda item: {"met": met_initial(item.review_met), "remark": item.remark},
            )
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
            console=True,
        )

    def post(self, request, *args, **kwargs):
        station = self.get_station()
        evaluation_round = self.get_round(station)
        forms = item_forms(ReviewForm, evaluation_round.items.all(), request.POST)
        conclusion = ConclusionForm(request.POST)
        errors = []
        concluding = request.POST.get("action") == "conclude"
        if all(form.is_valid() for form in forms.values()) and conclusion.is_valid():
            reviews = [
                services.Review(code=code, met=form.cleaned_data["met"], remark=form.cleaned_data["remark"])
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
