"""The bureau's escalated complaints (clause 6.5, GB/T 19013) in the console: every station's, city-wide, from the
read model `core.escalations`; a bureau administrator records the handling, which goes back to the station."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.common.forms import Form, errors_onto
from core.common.pagination import CappedPaginator
from core.escalations import selectors, services
from core.escalations.models import EscalationState
from tenants.models import BureauRole
from tenants.pages import BureauPage
from tenants.selectors import user_has_bureau_role


class HandlingForm(Form):
    handling = forms.CharField(
        label=gettext_lazy("How the bureau handled it"), widget=forms.Textarea(attrs={"rows": 5}), required=False
    )


class EscalationListPage(BureauPage):
    template_name = "console/escalations.html"

    def get_context_data(self, **kwargs):
        state = self.request.GET.get("state", "")
        if state not in EscalationState.values:
            state = ""
        page = CappedPaginator(selectors.escalation_list(state=state), 50).get_page(self.request.GET.get("page"))
        return super().get_context_data(
            **kwargs, tab="escalations", page=page, state=state, states=EscalationState.choices, query=f"state={state}"
        )


class EscalationPage(BureauPage):
    template_name = "console/escalation.html"
    write_roles = (BureauRole.ADMIN,)

    def escalation(self):
        escalation = selectors.escalation_get(pk=self.kwargs["pk"])
        if escalation is None:
            raise Http404
        return escalation

    def get_context_data(self, form=None, **kwargs):
        escalation = self.escalation()
        may_handle = user_has_bureau_role(user=self.request.user, roles=self.write_roles)
        if may_handle and form is None:
            form = HandlingForm(initial={"handling": escalation.handling})
        return super().get_context_data(
            **kwargs, tab="escalations", escalation=escalation, form=form if may_handle else None
        )

    def post(self, request, *args, **kwargs):
        escalation = self.escalation()
        form = HandlingForm(request.POST)
        form.is_valid()
        try:
            services.escalation_handle(
                escalation=escalation, user=request.user, handling=form.cleaned_data.get("handling", "")
            )
        except ValidationError as error:
            errors_onto(form, error)
            return self.render_to_response(self.get_context_data(form=form), status=400)
        messages.success(request, _("The handling is recorded and sent to the station."))
        return redirect("console:escalation", pk=escalation.pk)
