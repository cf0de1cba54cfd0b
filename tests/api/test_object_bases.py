"""One access path per object: every station endpoint about a demand, a case or a referral inherits the base that
reaches it for the caller before the handler runs, and the access selectors refuse to run for nobody."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from api.base import CaseAPIView, DemandAPIView, ReferralAPIView
from core.desk.selectors import case_access, demand_access
from core.referrals.selectors import referral_access

BASES = {"demands/<int:pk>/": DemandAPIView, "cases/<int:pk>/": CaseAPIView, "referrals/<int:pk>/": ReferralAPIView}


def routes(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern.callback


def object_routes():
    found = []
    for route, callback in routes(get_resolver("api.v1.urls_station").url_patterns):
        for marker, base in BASES.items():
            if marker in route:
                found.append((route, callback.cls, base))
    return found


def test_the_station_api_has_object_routes_to_check():
    kinds = {base for _route, _view, base in object_routes()}
    assert kinds == set(BASES.values())


@pytest.mark.parametrize(("route", "view", "base"), object_routes(), ids=lambda value: str(value))
def test_every_endpoint_about_an_object_inherits_its_base(route, view, base):
    assert issubclass(view, base), f"{route}: {view.__name__} does not reach its object through {base.__name__}"


@pytest.mark.parametrize("access", [case_access, demand_access, referral_access])
def test_an_access_selector_needs_the_user(access):
    with pytest.raises(TypeError, match="needs the user"):
        access(pk=1, user=None)
