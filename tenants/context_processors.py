from tenants.hosts import is_public_request
from tenants.selectors import user_has_bureau_role


def tenancy(request):
    public = is_public_request(request)
    user = getattr(request, "user", None)
    return {
        "station": None if public else request.tenant,
        "membership": getattr(request, "membership", None),
        "is_public_site": public,
        "is_bureau": bool(user is not None and user_has_bureau_role(user=user)),
    }
