"""Signing in and out, and accepting an invitation (setting one's password), on both kinds of host."""

from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.urls import reverse, reverse_lazy

from tenants.forms import StationAuthenticationForm
from tenants.hosts import is_public_request
from tenants.selectors import user_has_bureau_role
from tenants.services import member_signed_in


class SignInView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def get_form_class(self):
        return AuthenticationForm if is_public_request(self.request) else StationAuthenticationForm

    def get_default_redirect_url(self):
        """Where a sign-in without a safe `next` lands: each role on its own workspace. On the public host the bureau's
        roles on the console and everyone else on the portal; on a station host (members only) the station home."""
        if is_public_request(self.request) and user_has_bureau_role(user=self.request.user):
            return reverse("console:home")
        return super().get_default_redirect_url()

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
