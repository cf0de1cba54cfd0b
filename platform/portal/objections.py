"""Objections to a station's publication (公示异议, clause 3) on the portal's station page, open to everyone.

While the notice of the station's latest publication runs, its page carries the objection form (a name, a phone or an
e-mail address, the objection; a honeypot and a signed stamp against robots); what is sent goes through
`core.evaluation.services.objection_create`, behind its rate limit, and whatever is refused comes back on the page
with what was typed. Every publication in the page's history shows its state (in notice, final, withdrawn) and its
handled objections' outcomes with the bureau's reasons, never who objected.
"""

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from core.common.forms import GuardedForm, errors_onto
from core.evaluation import services
from core.evaluation.publication_selectors import publication_views
from tenants.hosts import client_address


class ObjectionForm(GuardedForm):
    """`website` is a honeypot (hidden from people); `stamp` the signed time the form was shown."""

    name = forms.CharField(label=gettext_lazy("Your name"), max_length=100, required=False)
    phone = forms.CharField(label=gettext_lazy("Phone"), max_length=30, required=False)
    email = forms.EmailField(label=gettext_lazy("E-mail"), required=False)
    text = forms.CharField(
        label=gettext_lazy("Your objection"),
        widget=forms.Textarea(attrs={"rows": 6, "maxlength": 4000}),
        max_length=4000,
        required=False,
        help_text=gettext_lazy("What in this publication is not true or does not meet the requirements, and why."),
    )

    def stamp_check(self, *, stamp: str) -> None:
        services.objection_form_stamp_check(stamp=stamp)


class ObjectionMixin:
    """For the portal's station page (`PortalStationView`): the publications' states and objections, the form while
    the notice runs, and its POST."""

    def objection_context(self, station, history: list[dict], form: ObjectionForm | None = None) -> dict:
        views = {view.publication.pk: view for view in publication_views(station=station)}
        for entry in history:
            entry["view"] = views.get(entry["publication"].pk)
        current = history[0]["view"] if history else None
        taking = current is not None and current.notice_running
        if taking and form is None:
            form = ObjectionForm(initial={"stamp": services.objection_form_stamp()})
        return {"current_view": current, "objection_form": form if taking else None}

    def post(self, request, *args, **kwargs):
        form = ObjectionForm(request.POST)
        context = self.get_context_data(objection_form=form, **kwargs)
        current = context["current_view"]
        if current is None:
            form.add_error(None, _("This station has no publication to object to."))
        elif form.is_valid():
            data = form.cleaned_data
            try:
                services.objection_create(
                    publication=current.publication,
                    client_address=client_address(request),
                    name=data["name"],
                    phone=data["phone"],
                    email=data["email"],
                    text=data["text"],
                )
            except ValidationError as error:
                errors_onto(form, error)
            else:
                return redirect("portal_objection_thanks", code=kwargs["code"])
        # What was typed stays; a fresh stamp lets the corrected form go, unless it came back too fast.
        fresh = form.data.copy()
        if not form.has_error(NON_FIELD_ERRORS, "too_fast"):
            fresh["stamp"] = services.objection_form_stamp()
        form.data = fresh
        context = self.get_context_data(objection_form=form, **kwargs)
        if context["objection_form"] is None:  # the notice ended meanwhile: say so above the history
            context["objection_refused"] = form.non_field_errors() or form.errors.get("publication")
        return self.render_to_response(context, status=400)


class ObjectionThanksView(TemplateView):
    """Thanks for an objection, with the way back to the station's page."""

    template_name = "portal/objection_thanks.html"  # the station's `code` comes from the URL
