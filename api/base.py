"""The one base class per scope for API views: station-scoped and bureau-scoped.

Both resolve the scope and check permissions in ``initial()``, before the handler runs. A station view gets
``self.station`` and ``self.membership``. A view that its roles read but fewer may change names those in
``write_roles`` (see ``tenants.pages.roles_for``).
"""

from rest_framework.views import APIView

from api.permissions import (
    HasBureauRole,
    HasSharedScope,
    HasStationRole,
    IsStationMemberOrPublicUser,
    request_membership,
)
from tenants.hosts import is_public_request
from tenants.models import BureauRole, MemberRole


class StationAPIView(APIView):
    station_roles: tuple[str, ...] = (MemberRole.HEAD, MemberRole.STAFF)
    write_roles: tuple[str, ...] | None = None
    permission_classes = [IsStationMemberOrPublicUser, HasStationRole]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.station = request.tenant
        self.membership = request_membership(request)

    @property
    def is_head(self) -> bool:
        return self.membership is not None and self.membership.role == MemberRole.HEAD


class BureauAPIView(APIView):
    bureau_roles: tuple[str, ...] = (BureauRole.ADMIN, BureauRole.VIEWER)
    write_roles: tuple[str, ...] | None = None
    permission_classes = [IsStationMemberOrPublicUser, HasBureauRole]


class UserAPIView(APIView):
    """Endpoints about the caller themself: any signed-in user (on a station host, members only, as everywhere)."""

    permission_classes = [IsStationMemberOrPublicUser]


class SharedAPIView(APIView):
    """The shared directory, reached from both kinds of host: station members on theirs, bureau roles on the
    public host, where only ``bureau_write_roles`` send anything but GET, HEAD or OPTIONS. ``self.station`` is the
    station of the host, or None on the public host (the bureau)."""

    bureau_write_roles: tuple[str, ...] = (BureauRole.ADMIN,)
    permission_classes = [IsStationMemberOrPublicUser, HasSharedScope]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.station = None if is_public_request(request) else request.tenant
