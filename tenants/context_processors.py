from tenants.hosts import is_public_request
from tenants.models import StationStatus
from tenants.selectors import user_has_bureau_role


def tenancy(request):
    public = is_public_request(request)
    user = getattr(request, "user", None)
    membership = getattr(request, "membership", None)
    return {
        "station": None if public else request.tenant,
        "membership": membership,
        "is_public_site": public,
        "is_bureau": bool(user is not None and user_has_bureau_role(user=user)),
        # Every page of a suspended station tells its members (base.html); the station's row is the request's own.
        "station_suspended": bool(
            not public and membership is not None and request.tenant.status == StationStatus.SUSPENDED
        ),
    }
