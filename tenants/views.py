"""Signing in and out, and accepting an invitation (setting one's password), on both kinds of host."""

from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.urls import reverse, reverse_lazy

from tenants.forms import StationAuthenticationForm
from tenants.hosts import is_public_request
from tenants.models import BureauRole
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
        # The audit administrator reads the audit trail, and nothing else of the console.
        auditor = user_has_bureau_role(user=self.request.user, roles=(BureauRole.AUDITOR,))
        if is_public_request(self.request) and auditor:
            return reverse("console:audit")
        # The security administrator runs accounts, roles and lockouts.
        if is_public_request(self.request) and user_has_bureau_role(
            user=self.request.user, roles=(BureauRole.SECURITY,)
        ):
            return reverse("console:users")
        return super().get_default_redirect_url()

    def get_context_data(self, **kwargs):
        # Why the last session ended by itself (core.accounts.middleware puts it in the new session), said once.
        ended = self.request.session.pop("session_ended_reason", None)
        return {**super().get_context_data(**kwargs), "session_ended": ended}

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
