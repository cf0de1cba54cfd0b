"""Complaint pages of a station host (clause 6.5), under /complaints/: the list with its deadlines flagged, a complaint
entered by staff, and one complaint with its timeline and the next step (acknowledge, investigate, respond, close
with the complainant's feedback), its escalation to the bureau and the bureau's handling."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.archive.confidentiality import linked_case
from core.common.forms import errors_onto, form_call
from core.common.pagination import CappedPaginator
from core.complaints import selectors, services
from core.complaints.forms import (
    CaseLinkForm,
    CloseForm,
    ComplaintFilterForm,
    ComplaintForm,
    EscalateForm,
    RespondForm,
    TransitionForm,
)
from core.complaints.models import ComplaintState
from core.complaints.tracking import complaint_tracking_url
from core.supervision.selectors import case_by_number
from tenants.pages import StationPage

S = ComplaintState
PAGE_SIZE = 50

# The next steps offered on a complaint: (target state, button label, form class).
STEPS = {
    S.ACKNOWLEDGED: (gettext_lazy("Acknowledge receipt"), TransitionForm),
    S.INVESTIGATING: (gettext_lazy("Start the investigation"), TransitionForm),
    S.RESPONDED: (gettext_lazy("Record the response"), RespondForm),
    S.CLOSED: (gettext_lazy("Close with the complainant's feedback"), CloseForm),
}


class ComplaintListPage(StationPage):
    template_name = "complaints/list.html"

    def get_context_data(self, **kwargs):
        filters = ComplaintFilterForm(self.request.GET or None)
        values = filters.cleaned_data if filters.is_valid() else {}
        complaints = selectors.complaint_list(
            state=values.get("state", ""),
            overdue=values.get("overdue") or None,
            escalated=values.get("escalated"),
            q=values.get("q", ""),
            viewer=self.request.user,
        )
        page = CappedPaginator(complaints, PAGE_SIZE).get_page(self.request.GET.get("page"))
        query = self.request.GET.copy()
        query.pop("page", None)
        return super().get_context_data(**kwargs, filters=filters, page=page, query=query.urlencode())


class ComplaintCreatePage(StationPage):
    template_name = "complaints/new.html"

    def get_context_data(self, form=None, **kwargs):
        return super().get_context_data(**kwargs, form=form or ComplaintForm())

    def post(self, request, *args, **kwargs):
        form = ComplaintForm(request.POST)
        if form.is_valid():
            data = dict(form.cleaned_data)
            number = data.pop("case")
            case = case_by_number(number=number, viewer=request.user)
            if number and case is None:
                form.add_error("case", _("No such case at this station."))
            else:
                try:
                    complaint = services.complaint_create(user=request.user, case=case, **data)
                except ValidationError as error:
                    errors_onto(form, error)
                else:
                    messages.success(request, _("The complaint is recorded."))
                    return redirect("complaints:complaint", pk=complaint.pk)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class ComplaintPage(StationPage):
    template_name = "complaints/complaint.html"

    def setup_complaint(self):
        self.complaint = selectors.complaint_get(pk=self.kwargs["pk"], viewer=self.request.user)
        # The case as this member may see it (clause 7.3): a confidential one hidden from them is neither shown nor
        # re-linked by them.
        self.case_shown = linked_case(self.complaint, user=self.request.user) if self.complaint else None
        if self.complaint is None:
            raise Http404

    def get(self, request, *args, **kwargs):
        self.setup_complaint()
        return super().get(request, *args, **kwargs)

    def get_context_data(self, failed=None, **kwargs):
        complaint = self.complaint
        steps = []
        for to in services.TRANSITIONS[complaint.state]:
            label, form_class = STEPS[to]
            if failed is not None and failed[0] == to:
                form = failed[1]
            else:
                form = form_class(initial={"to": to, "version": complaint.version})
            steps.append({"to": to, "label": label, "form": form})
        escalate = failed[1] if failed and failed[0] == "escalate" else EscalateForm()
        link = failed[1] if failed and failed[0] == "link" else None
        link = link or CaseLinkForm(initial={"case": self.case_shown.label if self.case_shown else ""})
        return super().get_context_data(
            **kwargs,
            complaint=complaint,
            events=list(complaint.events.all()),
            steps=steps,
            escalate_form=escalate,
            tracking_link=complaint_tracking_url(complaint=complaint, station=self.request.tenant),
            may_escalate=complaint.escalated_at is None,
            link_form=link,
            may_link=not (self.case_shown and self.case_shown.hidden),
        )

    def post(self, request, *args, **kwargs):
        self.setup_complaint()
        action = request.POST.get("action")
        if action == "escalate":
            form = EscalateForm(request.POST)
            form.is_valid()
            key = "escalate"
            call = lambda: services.complaint_escalate(  # noqa: E731
                complaint=self.complaint,
                user=request.user,
                reason=form.cleaned_data.get("reason", ""),
                unresolvable=form.cleaned_data.get("unresolvable", False),
            )
            success = _("The complaint is escalated to the bureau.")
        elif action == "link":
            form = CaseLinkForm(request.POST)
            form.is_valid()
            key = "link"
            number = form.cleaned_data.get("case", "")
            if self.case_shown and self.case_shown.hidden:
                form.add_error(None, _("Only the station head and the case's assignee may change this link."))
                return self.refused(key, form)
            case = case_by_number(number=number, viewer=request.user)
            if number and case is None:
                form.add_error("case", _("No such case at this station."))
                return self.refused(key, form)
            call = lambda: services.complaint_link_case(  # noqa: E731
                complaint=self.complaint, user=request.user, case=case
            )
            success = _("The case is linked.")
        else:
            to = request.POST.get("to", "")
            if to not in STEPS:
                raise Http404
            form = STEPS[to][1](request.POST)
            key = to
            if not form.is_valid():
                return self.refused(key, form)
            data = form.cleaned_data
            call = lambda: services.complaint_transition(  # noqa: E731
                complaint=self.complaint,
                user=request.user,
                to=to,
                text=data.get("text", ""),
                feedback=data.get("feedback", ""),
                feedback_text=data.get("feedback_text", ""),
                version=data["version"],
            )
            success = _("The complaint is now “%(state)s”.") % {"state": S(to).label}
        if not form_call(request, form, call, success=success):
            return self.refused(key, form)
        return redirect(request.path)

    def refused(self, key, form):
        self.setup_complaint()
        return self.render_to_response(self.get_context_data(failed=(key, form)), status=400)
