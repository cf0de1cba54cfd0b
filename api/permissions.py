"""API permissions. Every endpoint inherits a scope base of ``api.base``, which names its permissions (members of the
host's station with ``station_roles``, bureau roles with ``bureau_roles``, any signed-in user for ``UserAPIView``).
The default, for a view that inherits none, refuses everyone (``ScopeRequired``): a view forgotten outside the bases
is closed, never open to any signed-in user. The open doors name their own (the token, the schema)."""

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

from tenants.hosts import is_public_request
from tenants.models import BureauRole, MemberRole
from tenants.pages import roles_for
from tenants.selectors import membership_get, user_has_bureau_role


def request_membership(request):
    """The membership the access middleware resolved, resolved again for a token-authenticated DRF user."""
    membership = getattr(request._request, "membership", None)
    if membership is None or membership.user_id != request.user.pk:
        membership = membership_get(user=request.user, station=request.tenant)
        request._request.membership = membership
    return membership


class ScopeRequired(BasePermission):
    """DRF's default: refuses every request to a view that does not inherit one of ``api.base``'s scope classes."""

    message = _("This endpoint is not open.")

    def has_permission(self, request, view) -> bool:
        return False


class IsStationMemberOrPublicUser(BasePermission):
    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        if is_public_request(request):
            return True
        return request_membership(request) is not None


class HasStationRole(BasePermission):
    """On a station host, a member whose role is in the view's ``station_roles``."""

    def has_permission(self, request, view) -> bool:
        if is_public_request(request) or not request.user.is_authenticated:
            return False
        membership = request_membership(request)
        roles = getattr(view, "station_roles", (MemberRole.HEAD, MemberRole.STAFF))
        roles = roles_for(request.method, roles, getattr(view, "write_roles", None))
        return membership is not None and membership.role in roles


class HasBureauRole(BasePermission):
    """On the public host, a user whose bureau role is in the view's ``bureau_roles``."""

    def has_permission(self, request, view) -> bool:
        roles = getattr(view, "bureau_roles", (BureauRole.ADMIN, BureauRole.VIEWER))
        roles = roles_for(request.method, roles, getattr(view, "write_roles", None))
        return is_public_request(request) and user_has_bureau_role(user=request.user, roles=roles)


class HasSharedScope(BasePermission):
    """The shared directory's readers: on a station host its members, on the public host bureau roles, of whom only
    the view's ``bureau_write_roles`` (by default the administrators) send anything but a read."""

    def has_permission(self, request, view) -> bool:
        if is_public_request(request):
            writers = getattr(view, "bureau_write_roles", (BureauRole.ADMIN,))
            roles = roles_for(request.method, (BureauRole.ADMIN, BureauRole.VIEWER), writers)
            return user_has_bureau_role(user=request.user, roles=roles)
        return request.user.is_authenticated and request_membership(request) is not None
