"""Signing in and out, and accepting an invitation (setting one's password), on both kinds of host."""

from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.urls import reverse_lazy

from core.activity.selectors import activity_list
from tenants.forms import StationAuthenticationForm
from tenants.hosts import is_public_request
from tenants.pages import StationPage
from tenants.selectors import membership_list_for_station
from tenants.services import member_signed_in


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
        )
