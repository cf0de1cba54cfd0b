"""The one base class per scope for pages.

``StationPage``: pages of a station host. The access middleware has already refused non-members; this base makes
the station and the membership available to the view and adds the role check (``station_roles``).
``BureauPage``: pages of the bureau console on the public host, for users holding one of ``bureau_roles``.
Both answer "not allowed" before the handler runs.
"""

from django.contrib.auth.mixins import AccessMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.views.generic import TemplateView

from tenants.hosts import is_public_request
from tenants.models import BureauRole, MemberRole
from tenants.selectors import membership_get, user_has_bureau_role


class StationPage(AccessMixin, TemplateView):
    station_roles: tuple[str, ...] = (MemberRole.HEAD, MemberRole.STAFF)

    def dispatch(self, request, *args, **kwargs):
        if is_public_request(request):
            raise Http404
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        membership = request.membership or membership_get(user=request.user, station=request.tenant)
        if membership is None or membership.role not in self.station_roles:
            raise PermissionDenied
        self.station = request.tenant
        self.membership = membership
        return super().dispatch(request, *args, **kwargs)


class BureauPage(AccessMixin, TemplateView):
    bureau_roles: tuple[str, ...] = (BureauRole.ADMIN, BureauRole.VIEWER)

    def dispatch(self, request, *args, **kwargs):
        if not is_public_request(request):
            raise Http404
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not user_has_bureau_role(user=request.user, roles=self.bureau_roles):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class SharedPage(AccessMixin, TemplateView):
    """Pages of what the city shares (the directory): a station's members on its host, bureau roles on the public
    host. ``self.station`` is the host's station, or None for the bureau."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if is_public_request(request):
            if not user_has_bureau_role(user=request.user):
                raise PermissionDenied
            self.station = None
        else:
            if (request.membership or membership_get(user=request.user, station=request.tenant)) is None:
                raise PermissionDenied
            self.station = request.tenant
        return super().dispatch(request, *args, **kwargs)
