from tenants.hosts import is_public_request, station_url
from tenants.models import BureauRole, StationStatus
from tenants.selectors import membership_list_for_user, user_has_bureau_role


def tenancy(request):
    public = is_public_request(request)
    user = getattr(request, "user", None)
    membership = getattr(request, "membership", None)

    def shows_api_docs() -> bool:
        """The navigation's API link: for signed-in staff only, members of a station (of this one on a station host)
        and the bureau's roles. Asked only when the page shows the navigation; a query only for a user signed in on
        the public host without a bureau role."""
        if user is None or not user.is_authenticated:
            return False
        if not public:
            return membership is not None
        return user_has_bureau_role(user=user) or membership_list_for_user(user=user).exists()

    def other_stations() -> list[dict]:
        """The other stations the user works in (a staff member shared by two stations), to switch to. Asked only when
        the header shows it: one query, for members signed in on a station host."""
        if user is None or not user.is_authenticated or public or membership is None:
            return []
        return [
            {"name": m.station.name, "url": station_url(m.station.code, "/")}
            for m in membership_list_for_user(user=user).exclude(station=request.tenant)
        ]

    return {
        "station": None if public else request.tenant,
        "membership": membership,
        "is_public_site": public,
        "is_bureau": bool(user is not None and user_has_bureau_role(user=user, roles=tuple(BureauRole.values[1:]))),
        "other_stations": other_stations,
        "shows_api_docs": shows_api_docs,
        # Every page of a suspended station tells its members (base.html); the station's row is the request's own.
        "station_suspended": bool(
            not public and membership is not None and request.tenant.status == StationStatus.SUSPENDED
        ),
    }
