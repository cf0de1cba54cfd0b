"""Tenant routing and the station isolation rule, enforced once for every request.

``StationTenantMiddleware`` picks the schema from the host: the base domain is the public site (bureau console,
portal); ``<code>.<base domain>`` is a station; any other host gets the "unknown host" page.

``StationAccessMiddleware`` then refuses, on a station host, everyone who is not an active member of that station:
anonymous visitors are sent to the sign-in page (API: 401), signed-in outsiders get 403 on every page and every
API endpoint. Views never repeat this check; the per-scope base classes only add role checks on top.
"""

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django_tenants.middleware.main import TenantMainMiddleware
from django_tenants.utils import get_public_schema_name
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.settings import api_settings

from tenants.hosts import is_public_request
from tenants.models import Station
from tenants.selectors import membership_get

# Paths on a station host that a non-member may reach: signing in and out, setting a password from an invitation or
# a forgotten password's e-mailed link,
# switching language and static files; and, deliberately, the enterprise's satisfaction survey (clause 5.2.4): it is
# answered without an account through a signed, expiring link, and shows nothing without a valid token of this
# station (core.desk.survey_views); and the station's public opinion page (clause 6.1), where anyone may leave a
# suggestion or complaint and read the published results (core.supervision.views).
OPEN_STATION_PATHS = (
    "/accounts/login/",
    "/accounts/logout/",
    "/accounts/invite/",
    "/accounts/password/reset/",
    "/i18n/",
    "/static/",
    "/survey/",
    "/track/",
    "/feedback/",
)


class StationTenantMiddleware(TenantMainMiddleware):
    def get_tenant(self, domain_model, hostname):
        if hostname == settings.BASE_DOMAIN:
            # The public site has no Station row: it is the public schema itself.
            return Station(schema_name=get_public_schema_name(), name=_("StationNet"), code="")
        return super().get_tenant(domain_model, hostname)


def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


def _api_user(request: HttpRequest):
    """The user of an API request: the session's, else the one a credential names for the API's configured
    authentication classes (`REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"]`: the API tokens), None if neither.
    Raises AuthenticationFailed for a credential that is refused (expired, revoked, unknown)."""
    if request.user.is_authenticated:
        return request.user
    for authentication_class in api_settings.DEFAULT_AUTHENTICATION_CLASSES:
        if issubclass(authentication_class, SessionAuthentication):
            continue
        result = authentication_class().authenticate(request)
        if result is not None:
            return result[0]
    return None


class StationAccessMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.membership = None
        if is_public_request(request) or request.path_info.startswith(OPEN_STATION_PATHS):
            return self.get_response(request)

        if _is_api(request):
            try:
                user = _api_user(request)
            except AuthenticationFailed as error:
                return JsonResponse({"detail": str(error.detail)}, status=401)
            if user is None:
                return JsonResponse({"detail": _("Authentication credentials were not provided.")}, status=401)
        else:
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())

        membership = membership_get(user=user, station=request.tenant)
        if membership is None:
            return self.refuse(request)
        request.membership = membership
        return self.get_response(request)

    @staticmethod
    def refuse(request: HttpRequest) -> HttpResponse:
        message = _("You are not a member of this station.")
        if _is_api(request):
            return JsonResponse({"detail": message}, status=403)
        return render(request, "403.html", {"message": message}, status=403)
