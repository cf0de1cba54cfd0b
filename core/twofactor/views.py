"""The two-factor pages, on both kinds of host (`/accounts/2fa/`): setting up an authenticator, entering a code after
the password, one's own state with new recovery codes and (where the role allows) turning it off; and the security
administrator's reset in the console (`/console/2fa/reset/<user id>/`). Every write goes through
`core.twofactor.services`."""

from urllib.parse import urlencode

import django_otp
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_static.models import StaticDevice

from core.common.forms import errors_onto
from core.twofactor import selectors, services
from core.twofactor.forms import CodeForm
from tenants.hosts import is_public_request
from tenants.models import BureauRole
from tenants.pages import AccountPage, BureauPage
from tenants.selectors import user_has_bureau_role

# Wrong codes in a row after which the session is signed out (django-otp's throttling slows each try as well).
FAILURES_KEY = "twofactor_failures"
FAILURES_ALLOWED = 5


def _verified(request) -> bool:
    is_verified = getattr(request.user, "is_verified", None)
    return bool(is_verified and is_verified())


def _with_next(name: str, next_url: str) -> str:
    url = reverse(name)
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


class TwoFactorPage(AccountPage):
    """A two-factor page: for whoever is signed in (the middleware lets unverified sessions reach these)."""

    def safe_next(self) -> str:
        """The page to go on to: a `next` of this host, else ""."""
        candidate = self.request.POST.get("next") or self.request.GET.get("next") or ""
        allowed = url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={self.request.get_host()}, require_https=self.request.is_secure()
        )
        return candidate if allowed else ""

    def onward(self) -> str:
        """Where a passed second factor goes: `next`, else the user's home (the console for the bureau)."""
        if next_url := self.safe_next():
            return next_url
        if is_public_request(self.request) and user_has_bureau_role(user=self.request.user):
            return reverse("console:home")
        return resolve_url(settings.LOGIN_REDIRECT_URL)

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs, next=self.safe_next())


class TwoFactorSetupPage(TwoFactorPage):
    template_name = "twofactor/setup.html"

    def enrolled_already(self):
        """Where someone who has an authenticator goes instead: on, if this session passed it, else to enter a code
        (a second authenticator is never added by someone who has only the password)."""
        if _verified(self.request):
            return redirect(self.safe_next() or reverse("twofactor:manage"))
        return redirect(_with_next("twofactor:verify", self.safe_next()))

    def page(self, form: CodeForm, device, status: int = 200):
        context = self.get_context_data(
            form=form,
            device=device,
            secret=selectors.secret_groups(device=device),
            qr_svg=selectors.totp_qr_svg(device=device, title=_("QR code to scan with your authenticator app")),
            required=selectors.two_factor_required(user=self.request.user),
        )
        return self.render_to_response(context, status=status)

    def get(self, request, *args, **kwargs):
        if selectors.two_factor_enrolled(user=request.user):
            return self.enrolled_already()
        device = services.totp_device_start(user=request.user)
        return self.page(CodeForm(digits_only=True), device)

    def post(self, request, *args, **kwargs):
        if selectors.two_factor_enrolled(user=request.user):
            return self.enrolled_already()
        device = services.totp_device_start(user=request.user)
        form = CodeForm(request.POST, digits_only=True)
        if form.is_valid():
            try:
                services.totp_device_confirm(
                    user=request.user, device=device, code=form.cleaned_data["code"], request=request
                )
            except ValidationError as error:
                errors_onto(form, error)
            else:
                codes = services.recovery_codes_make(user=request.user, request=request)
                device.refresh_from_db()
                django_otp.login(request, device)
                request.session.pop(FAILURES_KEY, None)
                return recovery_codes_page(self, codes, enrolled=True)
        return self.page(form, device, status=400)


def recovery_codes_page(view: TwoFactorPage, codes: list[str], *, enrolled: bool):
    """The recovery codes, shown this once (never cached)."""
    view.template_name = "twofactor/recovery_codes.html"
    shown = [f"{code[:4]}-{code[4:]}" for code in codes]
    response = view.render_to_response(
        view.get_context_data(codes=shown, enrolled=enrolled, onward=view.onward()), status=200
    )
    response["Cache-Control"] = "no-store"
    return response


class TwoFactorVerifyPage(TwoFactorPage):
    template_name = "twofactor/verify.html"

    def get(self, request, *args, **kwargs):
        if _verified(request):
            return redirect(self.onward())
        if not selectors.two_factor_enrolled(user=request.user):
            return redirect(_with_next("twofactor:setup", self.safe_next()))
        return self.render_to_response(self.get_context_data(form=CodeForm()))

    def post(self, request, *args, **kwargs):
        if _verified(request):
            return redirect(self.onward())
        if not selectors.two_factor_enrolled(user=request.user):
            return redirect(_with_next("twofactor:setup", self.safe_next()))
        form = CodeForm(request.POST)
        if form.is_valid():
            try:
                device = services.two_factor_code_verify(
                    user=request.user, code=form.cleaned_data["code"], request=request
                )
            except ValidationError as error:
                errors_onto(form, error)
            else:
                django_otp.login(request, device)
                request.session.pop(FAILURES_KEY, None)
                if isinstance(device, StaticDevice):
                    left = device.token_set.count()
                    messages.warning(
                        request,
                        ngettext(
                            "You signed in with a recovery code; %(left)d is left. Make new ones on your two-factor "
                            "page.",
                            "You signed in with a recovery code; %(left)d are left. Make new ones on your two-factor "
                            "page.",
                            left,
                        )
                        % {"left": left},
                    )
                    # On the two-factor page, which says so and makes new codes, with a link on.
                    return redirect(_with_next("twofactor:manage", self.onward()))
                return redirect(self.onward())
        failures = request.session.get(FAILURES_KEY, 0) + 1
        if failures >= FAILURES_ALLOWED:
            logout(request)
            self.template_name = "twofactor/signed_out.html"
            return self.render_to_response(self.get_context_data(failures=failures), status=403)
        request.session[FAILURES_KEY] = failures
        return self.render_to_response(
            self.get_context_data(form=form, tries_left=FAILURES_ALLOWED - failures), status=400
        )


class TwoFactorManagePage(TwoFactorPage):
    """One's own two-factor sign-in: whether it is required, the authenticator, the recovery codes left."""

    template_name = "twofactor/manage.html"

    def dispatch(self, request, *args, **kwargs):
        if (
            request.user.is_authenticated
            and not _verified(request)
            and selectors.two_factor_enrolled(user=request.user)
        ):
            return redirect(_with_next("twofactor:verify", request.path))
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs, state=selectors.two_factor_state(user=self.request.user))


class RecoveryCodesMakeAction(TwoFactorManagePage):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        try:
            codes = services.recovery_codes_make(user=request.user, request=request)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
            return redirect("twofactor:manage")
        return recovery_codes_page(self, codes, enrolled=False)


class TwoFactorDisableAction(TwoFactorManagePage):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        services.two_factor_disable(user=request.user, request=request)
        request.session.pop(django_otp.DEVICE_ID_SESSION_KEY, None)
        messages.success(request, _("Two-factor sign-in is turned off for your account."))
        return redirect("twofactor:manage")


class TwoFactorResetPage(BureauPage):
    """The security administrator removes someone's authenticator and recovery codes (a lost phone): they set up a
    new one at their next sign-in."""

    bureau_roles = (BureauRole.SECURITY,)
    template_name = "twofactor/reset.html"

    def get_context_data(self, **kwargs):
        subject = selectors.user_get(pk=self.kwargs["user_id"])
        return super().get_context_data(**kwargs, subject=subject, state=selectors.two_factor_state(user=subject))

    def post(self, request, *args, **kwargs):
        subject = selectors.user_get(pk=self.kwargs["user_id"])
        removed = services.two_factor_reset(actor=request.user, user=subject, request=request)
        if removed:
            messages.success(
                request,
                _("The two-factor sign-in of %(name)s is reset: they set it up again at their next sign-in.")
                % {"name": subject.display_name},
            )
        else:
            messages.info(request, _("%(name)s had no two-factor sign-in to reset.") % {"name": subject.display_name})
        return redirect("console:twofactor_reset", user_id=subject.pk)
