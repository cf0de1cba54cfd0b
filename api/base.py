"""The one base class per scope for API views: station-scoped and bureau-scoped.

Both resolve the scope and check permissions in ``initial()``, before the handler runs. A station view gets
``self.station`` and ``self.membership``. A view that its roles read but fewer may change names those in
``write_roles`` (see ``tenants.pages.roles_for``).

A view about one object of the station inherits the object's base (``DemandAPIView``, ``CaseAPIView``,
``ReferralAPIView``), which reaches the object named by ``<pk>`` for the caller through its one access selector once
the scope and the role are checked and before the handler runs (as Sentry's endpoint bases do in ``convert_args``):
the handler reads ``self.demand``, ``self.case`` or ``self.referral``, and an object the caller may not see answers
404 exactly like a missing one.

Every look at an enterprise's information is logged here, in one place (clause 7.3): once a station GET has answered
200, what it showed goes to `core.archive.services.enterprise_access_log`: the page of demands, cases or records that
`api.pagination.paginate` answered (a list read, one row per enterprise shown), or else the object of the object base
(``looked_at``: the demand, the case; an endpoint that shows another of its rows, such as the case's record, says so).
"""

from rest_framework.views import APIView

from api.permissions import (
    HasBureauRole,
    HasSharedScope,
    HasStationRole,
    IsStationMemberOrPublicUser,
    request_membership,
)
from core.archive.looks import VIEW_ACTIONS, looks_of
from core.archive.models import AccessAction, AccessChannel
from core.archive.services import enterprise_access_log
from core.desk.models import ServiceCase
from core.desk.selectors import case_access, demand_access
from core.referrals.models import Referral
from core.referrals.selectors import referral_access
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

    def looked_at(self) -> list:
        """The rows of an enterprise's information a GET of this endpoint shows besides a list (see the module)."""
        return []

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if request.method == "GET" and response.status_code == 200:
            self.looks_log(request)
        return response

    def looks_log(self, request) -> None:
        looks, action = looks_of(getattr(self, "listed_rows", None) or ()), AccessAction.LIST
        if not looks:
            looks = looks_of(self.looked_at())
            action = VIEW_ACTIONS.get(looks[0].kind, "") if looks else ""
        if looks:
            enterprise_access_log(
                user=request.user,
                looks=looks,
                action=action,
                channel=AccessChannel.API,
                detail=request.get_full_path(),
            )


class DemandAPIView(StationAPIView):
    """A station endpoint about one demand (`<pk>` in its path): `self.demand`, reached by `demand_access`."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.demand = demand_access(pk=kwargs["pk"], user=request.user)

    def looked_at(self) -> list:
        return [self.demand]


class CaseAPIView(StationAPIView):
    """A station endpoint about one case (`<pk>` in its path): `self.case`, reached by `case_access`."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.case = case_access(pk=kwargs["pk"], user=request.user)

    def looked_at(self) -> list:
        return [self.case]

    def case_reload(self) -> ServiceCase:
        """The case as a write left it, for the answer."""
        self.case = case_access(pk=self.case.pk, user=self.request.user)
        return self.case


class ReferralAPIView(StationAPIView):
    """A station endpoint about one referral (`<pk>` in its path): `self.referral`, reached by `referral_access`."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.referral = referral_access(pk=kwargs["pk"], user=request.user)

    def referral_reload(self) -> Referral:
        """The referral as a write left it, for the answer."""
        self.referral = referral_access(pk=self.referral.pk, user=self.request.user)
        return self.referral


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
