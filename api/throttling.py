"""How often the API may be called (DRF throttles), counted in Django's cache (Redis where there is one, see
`CACHES`): per signed-in user (`UserThrottle`), per address for anonymous callers (`AddressThrottle`), and, much more
strictly, per address on the token endpoint, where a password is checked (`TokenIssueThrottle`): a password guesser
gets a few tries a minute there, on top of the sign-in lockout.

The rates are read from `API_THROTTLE_RATES` when a request comes (not when the class is defined, as DRF's own
throttles do), so an operator's setting and a test's `settings` fixture both apply; a rate of None turns that limit
off. A refused request is answered 429 with `Retry-After` and a `detail` in the user's language (`throttled`). When
the cache cannot be reached the request is let through, not failed (`core.common.cache`)."""

import math

from django.conf import settings
from django.utils.translation import ngettext
from rest_framework.exceptions import ErrorDetail, Throttled
from rest_framework.throttling import SimpleRateThrottle

from core.common.cache import CACHE_ERRORS, cache_failed
from tenants.hosts import client_address


class SettingsRateThrottle(SimpleRateThrottle):
    """A throttle whose rate is `API_THROTTLE_RATES[scope]`, read at each request."""

    def get_rate(self) -> str | None:
        return settings.API_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request, view) -> bool:
        try:
            return super().allow_request(request, view)
        except CACHE_ERRORS:
            cache_failed(f"the API rate limit {self.scope!r}")
            return True

    def address_key(self, request) -> str | None:
        address = client_address(request)
        return self.cache_format % {"scope": self.scope, "ident": address} if address else None


class UserThrottle(SettingsRateThrottle):
    """Requests of one signed-in user (by session or token), wherever they come from."""

    scope = "user"

    def get_cache_key(self, request, view) -> str | None:
        if not (request.user and request.user.is_authenticated):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class AddressThrottle(SettingsRateThrottle):
    """Requests of anonymous callers from one address (the token endpoint, the schema, refused calls)."""

    scope = "address"

    def get_cache_key(self, request, view) -> str | None:
        if request.user and request.user.is_authenticated:
            return None
        return self.address_key(request)


class TokenIssueThrottle(SettingsRateThrottle):
    """Attempts to get a token (a user name and password) from one address: only the POSTs count."""

    scope = "token_issue"

    def allow_request(self, request, view) -> bool:
        if request.method != "POST":
            return True
        return super().allow_request(request, view)

    def get_cache_key(self, request, view) -> str | None:
        return self.address_key(request)


def throttled(wait: float | None) -> Throttled:
    """The 429 refusal: its `detail` says in the user's language how many seconds to wait (also in `Retry-After`)."""
    exc = Throttled()
    if wait is None:
        return exc
    seconds = max(1, math.ceil(wait))
    exc.wait = seconds
    message = ngettext(
        "Too many requests: please try again in %(seconds)d second.",
        "Too many requests: please try again in %(seconds)d seconds.",
        seconds,
    ) % {"seconds": seconds}
    exc.detail = ErrorDetail(message, code="throttled")
    return exc
