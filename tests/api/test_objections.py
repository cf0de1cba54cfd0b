"""The bureau's API of objections to publications (公示异议, clause 3, issue 20): bureau roles list and read them,
administrators uphold or dismiss one with its reason; everyone else is refused."""

import pytest

from core.evaluation.models import ObjectionState, PublicationObjection
from core.evaluation.services import objection_create, station_publish
from tenants.models import StationStatus
from tests.conftest import host_client
from tests.core.evaluation.test_publication import prepare

pytestmark = pytest.mark.django_db

LIST = "/api/v1/publication/objections/"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def publication(city):
    return station_publish(station=prepare(city.alpha, approved_by=city.bureau_admin), user=city.bureau_admin)


def raise_objection(publication, n: int = 0) -> PublicationObjection:
    return objection_create(
        publication=publication,
        client_address=f"203.0.113.{n}",
        name=f"异议人{n}",
        phone="13912345678",
        text=f"第 {n} 条异议",
    )


@pytest.mark.clause("3")
def test_the_bureau_lists_objections_waiting_first_in_constant_queries(
    city, public_host, publication, django_assert_max_num_queries
):
    first = raise_objection(publication, 1)
    client = host_client(public_host, city.bureau_viewer)
    PublicationObjection.objects.filter(pk=first.pk).update(
        state=ObjectionState.DISMISSED, reason="不成立", handled_at=first.received_at
    )
    for n in range(2, 6):
        raise_objection(publication, n)
    with django_assert_max_num_queries(12):
        body = client.get(LIST).json()
    assert body["count"] == 5
    states = [row["state"] for row in body["results"]]
    assert states == ["received"] * 4 + ["dismissed"]
    assert body["results"][0]["station_code"] == "alpha" and body["results"][0]["name"] == "异议人5"
    assert client.get(LIST, {"state": "dismissed"}).json()["count"] == 1


@pytest.mark.clause("3")
def test_an_admin_upholds_one_and_the_station_is_evaluated_again(city, public_host, publication):
    raised = raise_objection(publication)
    admin = host_client(public_host, city.bureau_admin)
    refused = admin.post(f"{LIST}{raised.pk}/", {"state": "upheld", "reason": ""}, content_type="application/json")
    assert refused.status_code == 400 and set(refused.json()) == {"reason"}
    response = admin.post(
        f"{LIST}{raised.pk}/", {"state": "upheld", "reason": "公示内容不实。"}, content_type="application/json"
    )
    assert response.status_code == 200
    assert (response.json()["state"], response.json()["reason"]) == ("upheld", "公示内容不实。")
    city.alpha.refresh_from_db()
    assert city.alpha.status == StationStatus.EVALUATING


@pytest.mark.clause("3")
def test_the_viewer_station_members_outsiders_and_anonymous_callers_are_refused(city, public_host, publication):
    raised = raise_objection(publication)
    detail = f"{LIST}{raised.pk}/"
    viewer = host_client(public_host, city.bureau_viewer)
    assert viewer.get(detail).status_code == 200
    assert (
        viewer.post(detail, {"state": "dismissed", "reason": "x"}, content_type="application/json").status_code == 403
    )
    for user in (city.alpha_head, city.outsider):
        client = host_client(public_host, user)
        assert client.get(LIST).status_code == 403
        assert client.get(detail).status_code == 403
        assert (
            client.post(detail, {"state": "upheld", "reason": "x"}, content_type="application/json").status_code == 403
        )
    assert host_client(public_host).get(LIST).status_code == 401
    raised.refresh_from_db()
    assert raised.state == ObjectionState.RECEIVED
    assert host_client(public_host, city.bureau_admin).get(f"{LIST}999999/").status_code == 404
