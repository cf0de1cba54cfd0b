"""The one base class per scope for pages.

``StationPage``: pages of a station host. The access middleware has already refused non-members; this base makes
the station and the membership available to the view and adds the role check (``station_roles``).
``BureauPage``: pages of the bureau console on the public host, for users holding one of ``bureau_roles``.
Both answer "not allowed" before the handler runs. A page that everyone of its roles reads but fewer may change
names those in ``write_roles``: they alone may send anything but GET, HEAD or OPTIONS.
"""

from django.contrib.auth.mixins import AccessMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.views.generic import TemplateView

from tenants.hosts import is_public_request
from tenants.models import BureauRole, MemberRole
from tenants.selectors import membership_get, user_has_bureau_role

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def roles_for(method: str, roles: tuple[str, ...], write_roles: tuple[str, ...] | None) -> tuple[str, ...]:
    """The roles a request of `method` needs: `write_roles`, when set, for anything that is not a read."""
    return roles if write_roles is None or method in SAFE_METHODS else write_roles


class StationPage(AccessMixin, TemplateView):
    station_roles: tuple[str, ...] = (MemberRole.HEAD, MemberRole.STAFF)
    write_roles: tuple[str, ...] | None = None

    def dispatch(self, request, *args, **kwargs):
        if is_public_request(request):
            raise Http404
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        membership = request.membership or membership_get(user=request.user, station=request.tenant)
        if membership is None or membership.role not in roles_for(request.method, self.station_roles, self.write_roles):
            raise PermissionDenied
        self.station = request.tenant
        self.membership = membership
        return super().dispatch(request, *args, **kwargs)

    @property
    def is_head(self) -> bool:
        return self.membership.role == MemberRole.HEAD


class BureauPage(AccessMixin, TemplateView):
    bureau_roles: tuple[str, ...] = (BureauRole.ADMIN, BureauRole.VIEWER)
    write_roles: tuple[str, ...] | None = None

    def dispatch(self, request, *args, **kwargs):
        if not is_public_request(request):
            raise Http404
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        roles = roles_for(request.method, self.bureau_roles, self.write_roles)
        if not user_has_bureau_role(user=request.user, roles=roles):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class SharedPage(AccessMixin, TemplateView):
    """Pages of what the city shares (the directory): a station's members on its host, bureau roles on the public
    host, where only ``bureau_write_roles`` (the administrators) send anything but a read. ``self.station`` is the
    host's station, or None for the bureau."""

    bureau_write_roles: tuple[str, ...] = (BureauRole.ADMIN,)

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if is_public_request(request):
            roles = roles_for(request.method, (BureauRole.ADMIN, BureauRole.VIEWER), self.bureau_write_roles)
            if not user_has_bureau_role(user=request.user, roles=roles):
                raise PermissionDenied
            self.station = None
        else:
            if (request.membership or membership_get(user=request.user, station=request.tenant)) is None:
                raise PermissionDenied
            self.station = request.tenant
        return super().dispatch(request, *args, **kwargs)


class AccountPage(AccessMixin, TemplateView):
    """Pages of one's own account (profile, password, sessions) on either kind of host, for whoever is signed in; on
    a station host the access middleware has already refused non-members."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        return super().dispatch(request, *args, **kwargs)
