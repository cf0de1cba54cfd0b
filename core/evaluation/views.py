"""Evaluation pages of a station host (/station/evaluation/): the station's current round and its history. The head
fills the self-assessment (answers, notes, evidence) and submits it; the staff read it."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from core.audit.models import AuditAction
from core.audit.services import audit_record
from core.evaluation import selectors, services
from core.evaluation.forms import SelfAssessmentForm, item_errors_onto, item_forms, met_initial
from core.evaluation.models import EvaluationEvidence, RoundStatus
from core.uploads.checks import KINDS
from tenants.models import MemberRole
from tenants.pages import StationPage


def evidence_response(evidence: EvaluationEvidence | None, *, request, station) -> FileResponse:
    """The stored file as a download named as it was uploaded, typed by what its content was found to be; the
    download recorded in the audit trail (with `station`, whose evidence it is)."""
    if evidence is None:
        raise Http404
    try:
        handle = evidence.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    audit_record(
        action=AuditAction.DOWNLOADED,
        request=request,
        station_code=station.code,
        target=f"evaluation evidence #{evidence.pk} {evidence.original_name}",
    )
    return FileResponse(
        handle, as_attachment=True, filename=evidence.original_name, content_type=KINDS[evidence.kind].content_type
    )


def rows(evaluation_round, item_forms_by_code=None) -> list[tuple]:
    """(item, its form or None, starts a new section) for the round's items, in order."""
    result, section = [], None
    for item in evaluation_round.items.all():
        result.append((item, (item_forms_by_code or {}).get(item.code), item.section != section))
        section = item.section
    return result


class StationEvaluationPage(StationPage):
    """The station's evaluation round (the current one, or one of its history by number) and the list of its rounds.
    Head and staff read; only the head saves the self-assessment and submits it, while the round is open."""

    template_name = "evaluation/round.html"
    write_roles = (MemberRole.HEAD,)

    def get_round(self):
        number = self.kwargs.get("number")
        if number is None:
            return selectors.round_current(station=self.station)
        evaluation_round = selectors.round_get(station=self.station, number=number)
        if evaluation_round is None:
            raise Http404
        return evaluation_round

    def get_context_data(self, evaluation_round=None, forms=None, errors=(), **kwargs):
        evaluation_round = evaluation_round or self.get_round()
        editable = bool(evaluation_round is not None and evaluation_round.status == RoundStatus.OPEN and self.is_head)
        if editable and forms is None:
            forms = item_forms(
                SelfAssessmentForm,
                evaluation_round.items.all(),
                initial=lambda item: {"met": met_initial(item.self_met), "note": item.self_note},
            )
        return super().get_context_data(
            **kwargs,
            round=evaluation_round,
            rows=rows(evaluation_round, forms if editable else None) if evaluation_round else [],
            editable=editable,
            errors=errors,
            history=selectors.round_list(station=self.station),
            scheduled=selectors.round_scheduled(station=self.station),
            score=selectors.round_score(items=evaluation_round.items.all()) if evaluation_round else None,
            max_size=settings.EVALUATION_EVIDENCE_MAX_BYTES,
        )

    def post(self, request, *args, **kwargs):
        evaluation_round = self.get_round()
        if evaluation_round is None:
            raise Http404
        forms = item_forms(SelfAssessmentForm, evaluation_round.items.all(), request.POST, request.FILES)
        errors = []
        if all(form.is_valid() for form in forms.values()):
            answers = [
                services.SelfAssessment(
                    code=code,
                    met=form.cleaned_data["met"],
                    note=form.cleaned_data["note"],
                    files=[form.cleaned_data["file"]] if form.cleaned_data["file"] else [],
                    figures=form.cleaned_data["figures"],
                )
                for code, form in forms.items()
            ]
            try:
                services.round_self_assessment_save(
                    evaluation_round=evaluation_round, user=request.user, answers=answers
                )
                if request.POST.get("action") == "submit":
                    services.round_submit(evaluation_round=evaluation_round, user=request.user)
            except ValidationError as error:
                errors = item_errors_onto(forms, error)
            else:
                if request.POST.get("action") == "submit":
                    messages.success(request, _("The self-assessment is submitted; the bureau reviews it."))
                else:
                    messages.success(request, _("The self-assessment is saved."))
                return redirect(request.path)
        # What was typed stays; chosen files must be chosen again (browsers never keep them).
        evaluation_round = self.get_round()
        context = self.get_context_data(evaluation_round=evaluation_round, forms=forms, errors=errors)
        return self.render_to_response(context, status=400)


class StationEvidenceFileView(StationPage):
    """An evidence file of one of this station's rounds, for its members."""

    def get(self, request, *args, **kwargs):
        evidence = selectors.evidence_get(station=self.station, pk=self.kwargs["pk"])
        return evidence_response(evidence, request=request, station=self.station)


class StationEvidenceRemoveAction(StationPage):
    """The head takes a file off an item while the round is open."""

    station_roles = (MemberRole.HEAD,)
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        evidence = selectors.evidence_get(station=self.station, pk=self.kwargs["pk"])
        if evidence is None:
            raise Http404
        try:
            services.evidence_remove(evidence=evidence, user=request.user)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("The file “%(name)s” is removed.") % {"name": evidence.original_name})
        return redirect("evaluation:current")


class StationFiguresRemoveAction(StationPage):
    """The head takes the operations figures off an item while the round is open."""

    station_roles = (MemberRole.HEAD,)
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        evaluation_round = selectors.round_current(station=self.station)
        item = (
            None
            if evaluation_round is None
            else selectors.item_get(evaluation_round=evaluation_round, code=self.kwargs["code"])
        )
        if item is None or item.figures is None:
            raise Http404
        try:
            services.figures_remove(item=item, user=request.user)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("The operations figures of %(code)s are removed.") % {"code": item.code})
        return redirect("evaluation:current")
