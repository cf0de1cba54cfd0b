"""Signing in and out, and accepting an invitation (setting one's password), on both kinds of host."""

from django import forms
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse_lazy
from django.utils.translation import gettext as _

from core.activity.selectors import activity_list
from core.catalog.models import ServiceItem
from core.catalog.selectors import service_category_list
from tenants.forms import StationAuthenticationForm
from tenants.hosts import is_public_request
from tenants.models import MemberRole
from tenants.pages import StationPage
from tenants.selectors import membership_list_for_station
from tenants.services import member_signed_in, station_items_set


class SignInView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def get_form_class(self):
        return AuthenticationForm if is_public_request(self.request) else StationAuthenticationForm

    def form_valid(self, form):
        response = super().form_valid(form)
        membership = getattr(form, "membership", None)
        if membership is not None:
            member_signed_in(membership=membership)
        return response


class SignOutView(auth_views.LogoutView):
    pass


class InvitationAcceptView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/invitation.html"
    success_url = reverse_lazy("accounts:invitation_done")
    post_reset_login = False


class InvitationDoneView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/invitation_done.html"


class StationHomeView(StationPage):
    """A station's home page: the station's facts, its team and what happened lately."""

    template_name = "tenants/station_home.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            **kwargs,
            team=membership_list_for_station(station=self.station),
            activity=activity_list()[:10],
            items=self.station.items.select_related("category"),
            may_edit_items=self.membership.role == MemberRole.HEAD,
        )


class StationItemsForm(forms.Form):
    # Any catalog item parses; which of them may be chosen (current ones only) is the service's rule.
    items = forms.ModelMultipleChoiceField(queryset=ServiceItem.objects.all(), required=False)


class StationItemsPage(StationPage):
    """The head chooses the catalog items the station serves itself: what other stations search by when they refer a
    case to it. The catalog is shown by category, with the current choice ticked."""

    template_name = "tenants/station_items.html"
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
