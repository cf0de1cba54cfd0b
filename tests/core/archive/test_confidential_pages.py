"""Confidential cases (clause 7.3) beyond the desk's case pages: the referral pages and API, and the desk's demand
pages and API. A member who may not see the case gets exactly what a missing one gives (404); its assignee and the
head see it."""

import pytest
from django.urls import reverse

from core.archive import services
from core.desk import services as desk_services
from tenants.models import MemberRole
from tenants.selectors import PLATFORM
from tenants.services import membership_create
from tests.conftest import host_client
from tests.core.desk.builders import take_demand
from tests.core.referrals.builders import refer
from tests.factories import UserFactory


@pytest.fixture
def alpha(alpha, published):
    """alpha's schema current, alpha and beta published (only published stations take referrals)."""
    return alpha


@pytest.fixture
def other_staff(city):
    user = UserFactory()
    membership_create(actor=PLATFORM, user=user, station=city.alpha, role=MemberRole.STAFF)
    return user


@pytest.fixture
def secret(city, alpha, enterprise):
    """A case of alpha assigned to alpha_staff, referred to beta, then marked confidential by the head; and a plain
    case of another demand with its own referral. (secret case, its referral, plain case, its referral)"""
    case = take_demand(city, enterprise).cases.get()
    desk_services.case_assign(case=case, user=city.alpha_head, assignee=city.alpha_staff)
    referral = refer(city, case)
    plain = take_demand(city, enterprise).cases.get()
    plain_referral = refer(city, plain)
    services.case_confidential_mark(case=case, user=city.alpha_head, reason="商业秘密")
    return case, referral, plain, plain_referral


def _viewers(city, other_staff):
    """(user, whether they see the confidential case)"""
    return ((city.alpha_staff, True), (city.alpha_head, True), (other_staff, False))


@pytest.mark.clause("7.3")
def test_the_referral_pages_hide_a_confidential_case_and_its_referrals(city, secret, other_staff, alpha_host):
    case, referral, plain, plain_referral = secret
    for user, sees in _viewers(city, other_staff):
        client = host_client(alpha_host, user)
        expected = 200 if sees else 404
        assert client.get(reverse("referrals:referral", args=[referral.pk])).status_code == expected, user
        assert client.get(reverse("referrals:refer", args=[case.pk])).status_code == expected, user
        # A POST answers the same as a GET: the refused member cannot act on it either.
        posted = client.post(reverse("referrals:referral", args=[referral.pk]), {"action": "withdraw", "version": 1})
        assert (posted.status_code == 404) is not sees, user
        assert client.get(reverse("referrals:referral", args=[plain_referral.pk])).status_code == 200
        listed = client.get(reverse("referrals:list") + "?tab=out")
        numbers = {r.number for r in listed.context["page"].object_list}
        assert (referral.number in numbers) is sees and plain_referral.number in numbers


@pytest.mark.clause("7.3")
def test_the_referral_api_hides_a_confidential_case_and_its_referrals(city, secret, other_staff, alpha_host):
    case, referral, plain, plain_referral = secret
    for user, sees in _viewers(city, other_staff):
        client = host_client(alpha_host, user)
        expected = 200 if sees else 404
        assert client.get(f"/api/v1/referrals/{referral.pk}/").status_code == expected, user
        assert client.get(f"/api/v1/desk/cases/{case.pk}/referrals/").status_code == expected, user
        assert client.get(f"/api/v1/desk/cases/{case.pk}/share-options/").status_code == expected, user
        if not sees:
            transition = client.post(
                f"/api/v1/referrals/{referral.pk}/transition/",
                {"to": "withdrawn", "reason": "x", "version": 1},
                content_type="application/json",
            )
            assert transition.status_code == 404
            created = client.post(
                f"/api/v1/desk/cases/{case.pk}/referrals/",
                {"station": city.beta.pk, "version": case.version},
                content_type="application/json",
            )
            assert created.status_code == 404
        listed = {r["id"] for r in client.get("/api/v1/referrals/?direction=out").json()["results"]}
        assert (referral.pk in listed) is sees and plain_referral.pk in listed
        assert client.get(f"/api/v1/referrals/{plain_referral.pk}/").status_code == 200
    # The referral is untouched by the refused attempts.
    referral.refresh_from_db()
    assert referral.state == "requested"


@pytest.mark.clause("7.3")
def test_the_demand_of_a_confidential_case_is_hidden_whole(city, secret, other_staff, alpha_host):
    case, _referral, plain, _plain_referral = secret
    demand, plain_demand = case.demand, plain.demand
    for user, sees in _viewers(city, other_staff):
        client = host_client(alpha_host, user)
        expected = 200 if sees else 404
        assert client.get(reverse("desk:demand", args=[demand.pk])).status_code == expected, user
        assert client.get(f"/api/v1/desk/demands/{demand.pk}/").status_code == expected, user
        assert client.get(reverse("desk:demand", args=[plain_demand.pk])).status_code == 200
        page = client.get(reverse("desk:demands"))
        shown = {d.pk for d in page.context["page"].object_list}
        assert (demand.pk in shown) is sees and plain_demand.pk in shown
        listed = {d["id"] for d in client.get("/api/v1/desk/demands/").json()["results"]}
        assert (demand.pk in listed) is sees and plain_demand.pk in listed
    # Lifted, the demand is everyone's again.
    services.case_confidential_unmark(case=case, user=city.alpha_head)
    assert host_client(alpha_host, other_staff).get(f"/api/v1/desk/demands/{demand.pk}/").status_code == 200


def test_a_referral_without_a_case_hides_nothing(city, secret, other_staff):
    """The selectors alone: a referral whose case link is empty (after a disposal) is visible to every member."""
    from core.referrals import selectors
    from core.referrals.models import Referral

    _case, referral, _plain, _plain_referral = secret
    Referral.objects.filter(pk=referral.pk).update(case=None)
    assert selectors.referral_access(pk=referral.pk, user=other_staff) == referral


def test_the_lists_cost_the_same_with_confidential_cases(
    city, secret, other_staff, alpha_host, enterprise, django_assert_num_queries
):
    """The filter is a subquery: the referral and demand lists take as many queries for more rows."""
    client = host_client(alpha_host, other_staff)
    counts = {}
    for url in ("/api/v1/referrals/", "/api/v1/desk/demands/"):
        counts[url] = _count(client, url)
    for _ in range(2):
        extra = take_demand(city, enterprise).cases.get()
        refer(city, extra)
        services.case_confidential_mark(case=extra, user=city.alpha_head)
        refer(city, take_demand(city, enterprise).cases.get())
    for url, count in counts.items():
        with django_assert_num_queries(count, info=url):
            assert client.get(url).status_code == 200


def _count(client, url) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    return len(captured)
