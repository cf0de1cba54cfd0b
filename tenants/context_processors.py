from tenants.hosts import is_public_request
from tenants.models import StationStatus
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

    return {
        "station": None if public else request.tenant,
        "membership": membership,
        "is_public_site": public,
        "is_bureau": bool(user is not None and user_has_bureau_role(user=user)),
        "shows_api_docs": shows_api_docs,
        # Every page of a suspended station tells its members (base.html); the station's row is the request's own.
        "station_suspended": bool(
            not public and membership is not None and request.tenant.status == StationStatus.SUSPENDED
        ),
    }
