"""Objections to stations' publications (公示异议, clause 3) in the console: bureau roles read the list (those waiting
first) and each objection with the objector's contact; an administrator upholds or dismisses it with the reason the
portal publishes (`core.evaluation.services.objection_handle`)."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.common.forms import Form, errors_onto
from core.common.pagination import CappedPaginator
from core.evaluation import services
from core.evaluation.models import ObjectionState
from core.evaluation.publication_selectors import objection_get, objection_list, publication_view
from tenants.models import BureauRole
from tenants.pages import BureauPage
from tenants.selectors import user_has_bureau_role

PAGE_SIZE = 50
OUTCOMES = [
    (ObjectionState.UPHELD.value, ObjectionState.UPHELD.label),
    (ObjectionState.DISMISSED.value, ObjectionState.DISMISSED.label),
]


class ObjectionHandlingForm(Form):
    state = forms.ChoiceField(label=gettext_lazy("Outcome"), choices=OUTCOMES, widget=forms.RadioSelect, required=False)
    reason = forms.CharField(
        label=gettext_lazy("Reason (published)"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=4000,
        required=False,
        help_text=gettext_lazy(
            "Published on the station's portal page with the outcome: say what the objection was about and why it is "
            "upheld or dismissed, without naming the person who objected. Upheld: the publication is withdrawn and "
            "the station goes back to evaluation."
        ),
    )


class ObjectionListPage(BureauPage):
    template_name = "console/objections.html"

    def get_context_data(self, **kwargs):
        state = self.request.GET.get("state", "")
        if state not in ObjectionState.values:
            state = ""
        page = CappedPaginator(objection_list(state=state), PAGE_SIZE).get_page(self.request.GET.get("page"))
        return super().get_context_data(
            **kwargs, tab="objections", page=page, state=state, states=ObjectionState.choices, query=f"state={state}"
        )


class ObjectionPage(BureauPage):
    template_name = "console/objection.html"
    write_roles = (BureauRole.ADMIN,)

    def objection(self):
        objection = objection_get(pk=self.kwargs["pk"])
        if objection is None:
            raise Http404
        return objection

    def get_context_data(self, form=None, **kwargs):
        objection = self.objection()
        may_handle = objection.state == ObjectionState.RECEIVED and user_has_bureau_role(
            user=self.request.user, roles=self.write_roles
        )
        if may_handle and form is None:
            form = ObjectionHandlingForm()
        return super().get_context_data(
            **kwargs,
            tab="objections",
            objection=objection,
            view=publication_view(objection.publication),
            form=form if may_handle else None,
        )

    def post(self, request, *args, **kwargs):
        objection = self.objection()
        form = ObjectionHandlingForm(request.POST)
        if form.is_valid():
            try:
                services.objection_handle(
                    objection=objection,
                    user=request.user,
                    state=form.cleaned_data["state"],
                    reason=form.cleaned_data["reason"],
                    request=request,
                )
            except ValidationError as error:
                errors_onto(form, error)
            else:
                messages.success(request, _("The objection is handled; its outcome is published on the portal."))
                return redirect("console:objection", pk=objection.pk)
        return self.render_to_response(self.get_context_data(form=form), status=400)
