"""The bureau's API of escalated complaints (clause 6.5, GB/T 19013), on the public host: bureau roles read the
city-wide list and an escalation; administrators record the handling, which goes back to the station; station users
and outsiders are refused."""

import pytest
from django_tenants.utils import schema_context

from core.complaints import services
from core.complaints.models import Complaint
from core.escalations.models import Escalation
from tests.conftest import host_client
from tests.core.referrals.builders import deliver_all

pytestmark = pytest.mark.django_db

LIST = "/api/v1/escalations/"


def escalate(city, station, user, subject: str, *, respond: bool = True) -> Complaint:
    with schema_context(station.schema_name):
        complaint = services.complaint_create(user=user, channel="phone", subject=subject)
        if respond:
            for to, extra in (("acknowledged", {}), ("investigating", {}), ("responded", {"text": "已答复"})):
                complaint = services.complaint_transition(complaint=complaint, user=user, to=to, **extra)
        services.complaint_escalate(complaint=complaint, user=user, reason="争议未解决", unresolvable=not respond)
    deliver_all(city)
    return complaint


@pytest.fixture
def escalations(city):
    alpha = escalate(city, city.alpha, city.alpha_head, "铁岭的投诉")
    beta = escalate(city, city.beta, city.beta_head, "开原的投诉", respond=False)
    return Escalation.objects.get(uid=alpha.uid), Escalation.objects.get(uid=beta.uid)


@pytest.mark.clause("6.5")
def test_bureau_roles_list_escalations_city_wide_with_filters(city, public_host, escalations):
    alpha, beta = escalations
    viewer = host_client(public_host, city.bureau_viewer)
    body = viewer.get(LIST).json()
    assert body["count"] == 2 and {row["subject"] for row in body["results"]} == {"铁岭的投诉", "开原的投诉"}
    body = viewer.get(f"{LIST}?station={city.beta.pk}").json()
    assert [(row["id"], row["station_code"], row["responded"]) for row in body["results"]] == [
        (beta.pk, city.beta.code, False)
    ]
    assert viewer.get(f"{LIST}?state=handled").json()["count"] == 0
    assert viewer.get(f"{LIST}?state=open&station={city.alpha.pk}").json()["results"][0]["id"] == alpha.pk
    refused = viewer.get(f"{LIST}?state=nonsense")
    assert refused.status_code == 400 and "state" in refused.json()

    detail = viewer.get(f"{LIST}{alpha.pk}/").json()
    assert (detail["reason"], detail["station_response"], detail["handling"]) == ("争议未解决", "已答复", "")
    assert viewer.get(f"{LIST}999999/").status_code == 404


@pytest.mark.clause("6.5")
def test_an_administrator_records_the_handling_and_the_station_gets_it(city, public_host, escalations):
    alpha, _beta = escalations
    url = f"{LIST}{alpha.pk}/"
    viewer = host_client(public_host, city.bureau_viewer)
    assert viewer.post(url, {"handling": "x"}, content_type="application/json").status_code == 403
    admin = host_client(public_host, city.bureau_admin)
    refused = admin.post(url, {"handling": ""}, content_type="application/json")
    assert refused.status_code == 400 and "handling" in refused.json()
    response = admin.post(url, {"handling": "已约谈站长，双方达成一致"}, content_type="application/json")
    assert response.status_code == 200
    assert (response.json()["state"], response.json()["handled_by"]) == ("handled", city.bureau_admin.display_name)
    assert viewer.get(f"{LIST}?state=handled").json()["results"][0]["id"] == alpha.pk
    deliver_all(city)
    with schema_context(city.alpha.schema_name):
        complaint = Complaint.objects.get(uid=alpha.uid)
        assert complaint.bureau_handling == "已约谈站长，双方达成一致"


def test_station_users_and_outsiders_are_refused(city, public_host, alpha_host, escalations):
    alpha, _beta = escalations
    for path in (LIST, f"{LIST}{alpha.pk}/"):
        for user in (city.outsider, city.alpha_head, city.alpha_staff, city.beta_staff):
            client = host_client(public_host, user)
            assert client.get(path).status_code == 403
            assert client.post(path, {"handling": "x"}, content_type="application/json").status_code == 403
        # A station host has no such endpoint at all.
        assert host_client(alpha_host, city.alpha_head).get(path).status_code == 404
    assert Escalation.objects.get(pk=alpha.pk).handling == ""


def test_the_list_takes_a_fixed_number_of_queries(city, public_host, escalations, django_assert_num_queries):
    viewer = host_client(public_host, city.bureau_viewer)
    viewer.get(LIST)  # warm the session and the caches
    with django_assert_num_queries(
        6
    ) as captured:  # search path, session, user, the second factor, bureau role, the page with its count
        body = viewer.get(LIST).json()
    assert body["count"] == 2
    for station, user in ((city.alpha, city.alpha_head), (city.beta, city.beta_head)):
        escalate(city, station, user, "又一个")
    with django_assert_num_queries(len(captured.captured_queries)):
        assert viewer.get(LIST).json()["count"] == 4
