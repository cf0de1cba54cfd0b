"""Host names and absolute URLs of the public site and of each station."""

from django.conf import settings
from django.urls import reverse
from django_tenants.utils import get_public_schema_name


def station_host(code: str) -> str:
    return f"{code}.{settings.BASE_DOMAIN}"


def _origin(host: str) -> str:
    port = f":{settings.URL_PORT}" if settings.URL_PORT else ""
    return f"{settings.URL_SCHEME}://{host}{port}"


def public_url(path: str = "/") -> str:
    return _origin(settings.BASE_DOMAIN) + path


def station_url(code: str, path: str = "/") -> str:
    return _origin(station_host(code)) + path


def station_reverse(code: str, name: str, **kwargs) -> str:
    """The absolute URL of the station page `name` (its path parameters in `kwargs`) on station `code`'s host, from
    anywhere: a task, the public schema, an e-mail or a notification."""
    return station_url(code, reverse(name, urlconf=settings.ROOT_URLCONF, kwargs=kwargs or None))


def is_public_request(request) -> bool:
    tenant = getattr(request, "tenant", None)
    return tenant is None or tenant.schema_name == get_public_schema_name()


def client_address(request) -> str:
    """The address of whoever sent the request. Behind `TRUSTED_PROXY_HOPS` proxies of ours (the Ingress), it is the
    entry of X-Forwarded-For the outermost of them wrote; entries before it came from the client and are not trusted.
    With no proxy, REMOTE_ADDR."""
    hops = settings.TRUSTED_PROXY_HOPS
    if hops:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR", "")
