"""The members API and the profile (issue 18): members read, the head invites and deactivates, refusals in Chinese,
outsiders refused, another station's membership not found."""

import pytest

from tenants.models import Membership
from tenants.selectors import membership_get
from tests.conftest import host_client
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_members_read_the_list_in_few_queries(city, alpha_host, django_assert_max_num_queries):
    client = host_client(alpha_host, city.alpha_staff)
    client.get("/api/v1/members/")
    with django_assert_max_num_queries(12):
        body = client.get("/api/v1/members/").json()
    assert {row["username"] for row in body["results"]} >= {city.alpha_head.username, city.alpha_staff.username}


def test_the_head_invites_and_deactivates_through_the_api(city, alpha_host):
    client = host_client(alpha_host, city.alpha_head)
    refused = client.post("/api/v1/members/", {"full_name": "", "email": "x"}, content_type="application/json")
    assert refused.status_code == 400 and {"full_name", "email"} <= set(refused.json())
    created = client.post(
        "/api/v1/members/", {"full_name": "孙七", "email": "sun7@example.test"}, content_type="application/json"
    )
    assert created.status_code == 201 and created.json()["role"] == "staff"
    pk = created.json()["id"]
    gone = client.post(f"/api/v1/members/{pk}/deactivate/")
    assert gone.status_code == 200 and gone.json()["is_active"] is False
    assert client.post(f"/api/v1/members/{pk}/reactivate/").json()["is_active"] is True


def test_staff_may_not_change_members_and_the_head_is_told_why(city, alpha_host):
    staff = Membership.objects.get(station=city.alpha, user=city.alpha_staff)
    assert host_client(alpha_host, city.alpha_staff).post(f"/api/v1/members/{staff.pk}/deactivate/").status_code == 403
    head = Membership.objects.get(station=city.alpha, user=city.alpha_head)
    refused = host_client(alpha_host, city.alpha_head).post(f"/api/v1/members/{head.pk}/deactivate/")
    assert refused.status_code == 400 and "不能停用自己" in str(refused.json())


def test_another_stations_membership_is_not_found(city, alpha_host):
    other = Membership.objects.get(station=city.beta, user=city.beta_staff)
    assert host_client(alpha_host, city.alpha_head).post(f"/api/v1/members/{other.pk}/deactivate/").status_code == 404
    assert membership_get(user=city.beta_staff, station=city.beta) is not None


@pytest.mark.parametrize("who", [None, "outsider", "beta_head"])
def test_outsiders_are_refused(city, alpha_host, who):
    client = host_client(alpha_host, getattr(city, who) if who else None)
    assert client.get("/api/v1/members/").status_code in {401, 403}
    assert client.post("/api/v1/members/", {"full_name": "x", "email": "x@example.test"}).status_code in {401, 403}


def test_the_owner_changes_their_profile(city, public_host):
    user = UserFactory()
    client = host_client(public_host, user)
    refused = client.patch("/api/v1/me/", {"email": "bad"}, content_type="application/json")
    assert refused.status_code == 400 and "email" in refused.json()
    done = client.patch("/api/v1/me/", {"full_name": "新名字"}, content_type="application/json")
    assert done.status_code == 200 and done.json()["full_name"] == "新名字"
    assert host_client(public_host).patch(
        "/api/v1/me/", {"full_name": "x"}, content_type="application/json"
    ).status_code in {401, 403}
