"""The second factor, enforced once for every request (after django-otp's `OTPMiddleware`, which tells whether this
session passed it, and after the station access rule).

A signed-in user whose session has not passed the second factor reaches nothing but the two-factor pages, signing out
and what anyone may reach without signing in: one who has an authenticator is sent to enter a code
(`/accounts/2fa/verify/`), one whose role requires it and who has none is sent to set one up (`/accounts/2fa/setup/`).
Session-authenticated API requests get 403 with the reason instead. Token-authenticated API requests have no session
user here and pass (a token is issued only after the second factor: `core.tokens`).
"""

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from core.twofactor.selectors import two_factor_step
from tenants.hosts import is_public_request

# Paths an unverified session reaches on any host: the two-factor pages themselves, signing in and out, the
# invitation and forgotten-password links, language switching and static files.
OPEN_PATHS = (
    "/accounts/2fa/",
    "/accounts/login/",
    "/accounts/logout/",
    "/accounts/invite/",
    "/accounts/password/reset/",
    "/i18n/",
    "/static/",
)
# What anyone may read without signing in: the public host's portal, and a station's survey link and opinion page.
OPEN_PUBLIC_PATHS = ("/stations/", "/open-data/", "/demand/", "/track/")
OPEN_STATION_PATHS = ("/survey/", "/track/", "/feedback/")


def _open(request: HttpRequest) -> bool:
    path = request.path_info
    if path.startswith(OPEN_PATHS):
        return True
    if is_public_request(request):
        return path == "/" or path.startswith(OPEN_PUBLIC_PATHS)
    return path.startswith(OPEN_STATION_PATHS)


def _verified(user) -> bool:
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified and is_verified())


class TwoFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if not user.is_authenticated or _verified(user) or _open(request):
            return self.get_response(request)
        needed = two_factor_step(user=user)
        if needed == "verify":
            step, message = "twofactor:verify", _("Enter your two-factor code first (sign in on a page of this site).")
        elif needed == "setup":
            step, message = "twofactor:setup", _("Your role requires two-factor sign-in: set it up first.")
        else:
            return self.get_response(request)
        if request.path_info.startswith("/api/"):
            return JsonResponse({"detail": message}, status=403)
        url = reverse(step)
        if request.method in ("GET", "HEAD"):
            url += "?" + urlencode({"next": request.get_full_path()})
        return redirect(url)
