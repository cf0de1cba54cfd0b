"""One's own account: profile, password (changed, or reset by an e-mailed link), signed-in sessions; and the page
shown to a locked-out sign-in. Every write goes through `core.accounts.services`."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _

from core.accounts import selectors, services
from core.accounts.forms import PasswordChangeForm, PasswordResetRequestForm, ProfileForm, SetPasswordForm
from core.accounts.models import UserSession
from core.accounts.tokens import password_reset_token
from core.common.forms import errors_onto
from tenants.pages import AccountPage


class ProfilePage(AccountPage):
    template_name = "accounts/profile.html"

    def get(self, request, *args, **kwargs):
        user = request.user
        form = ProfileForm(initial={"full_name": user.full_name, "phone": user.phone, "email": user.email})
        return self.render_to_response(self.get_context_data(form=form))

    def post(self, request, *args, **kwargs):
        form = ProfileForm(request.POST)
        if form.is_valid():
            try:
                services.user_profile_update(user=request.user, request=request, **form.cleaned_data)
            except ValidationError as error:
                errors_onto(form, error)
            else:
                messages.success(request, _("Your profile is saved."))
                return redirect("accounts:profile")
        return self.render_to_response(self.get_context_data(form=form), status=400)


class PasswordChangeView(AccountPage, auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    form_class = PasswordChangeForm
    success_url = reverse_lazy("accounts:profile")

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "max_age_days": settings.PASSWORD_MAX_AGE_DAYS}

    def form_valid(self, form):
        response = super().form_valid(form)  # keeps this session signed in
        ended = services.password_changed(request=self.request, user=form.user)
        message = _("Your password is changed.")
        if ended:
            message += " " + _("Your %(count)d other sessions were ended.") % {"count": ended}
        messages.success(self.request, message)
        return response

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400
        return response


class PasswordResetRequestView(auth_views.PasswordContextMixin, auth_views.FormView):
    """Asks for the e-mail address; answers the same whether an account has it or not."""

    template_name = "accounts/password_reset.html"
    form_class = PasswordResetRequestForm
    title = ""

    def form_valid(self, form):
        services.password_reset_request(request=self.request, email=form.cleaned_data["email"])
        return redirect("accounts:password_reset_done")

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400
        return response


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "minutes": settings.PASSWORD_RESET_LINK_MINUTES}


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    token_generator = password_reset_token
    form_class = SetPasswordForm
    success_url = reverse_lazy("accounts:password_reset_complete")
    post_reset_login = False

    def form_valid(self, form):
        response = super().form_valid(form)
        services.password_changed(request=self.request, user=form.user, reset=True)
        return response

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


class SessionListPage(AccountPage):
    template_name = "accounts/sessions.html"

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "sessions": selectors.user_session_list(user=self.request.user),
            "current_key": self.request.session.session_key,
            "idle_minutes": settings.SESSION_IDLE_MINUTES,
            "max_hours": settings.SESSION_MAX_HOURS,
        }

    def post(self, request, *args, **kwargs):
        session = (
            UserSession.objects.filter(
                pk=request.POST.get("session", "0") or 0, user=request.user, ended_at__isnull=True
            ).first()
            if str(request.POST.get("session", "")).isdigit()
            else None
        )
        if session is None:
            raise Http404
        services.user_session_end(actor=request.user, session=session, request=request)
        if session.session_key == request.session.session_key:
            return redirect("accounts:login")
        messages.success(request, _("The session is ended."))
        return redirect("accounts:sessions")


def locked_out(request, original_response=None, credentials=None):
    """django-axes' answer to a locked-out sign-in: the sign-in page again, the typed user name kept, with why and
    until when, in Chinese (429)."""
    from django.contrib.auth.forms import AuthenticationForm

    cooloff = settings.AXES_COOLOFF_TIME
    minutes = int(cooloff.total_seconds() // 60) if cooloff else 0
    message = (
        _(
            "Too many failed sign-ins: this account or address is locked for %(minutes)d minutes. Try again later, "
            "reset your password, or ask the bureau's security administrator to unlock it."
        )
        % {"minutes": minutes}
        if minutes
        else _("Too many failed sign-ins: this account or address is locked. Ask the bureau's security administrator.")
    )
    if request.path_info.startswith("/api/"):
        from django.http import JsonResponse

        return JsonResponse({"detail": message}, status=429)
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    form = AuthenticationForm(request, initial={"username": username})
    form.fields["username"].initial = username
    return render(
        request,
        "accounts/login.html",
        {"form": form, "locked_message": message, "next": request.POST.get("next", "")},
        status=429,
    )
