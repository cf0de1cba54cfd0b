"""The console's account pages (issue 18): the security administrator's users, roles and lockouts page, and the head
handover; each refused to the roles it is not for."""

import pytest

from tenants.models import BureauRole, MemberRole, Membership, User
from tests.conftest import host_client
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def security():
    return UserFactory(username="security-admin", bureau_role=BureauRole.SECURITY)


def test_the_security_administrator_lands_on_the_accounts_page(city, public_host, security):
    client = host_client(public_host, security)
    assert client.get("/console/")["Location"] == "/console/users/"
    page = client.get("/console/users/").content.decode()
    assert "账号与安全" in page and city.bureau_admin.username in page


def test_a_bureau_role_is_given_with_field_errors_first(city, public_host, security):
    client = host_client(public_host, security)
    refused = client.post("/console/users/", {"action": "invite", "email": "x", "full_name": "赵六", "bureau_role": ""})
    assert refused.status_code == 400 and 'value="赵六"' in refused.content.decode()
    done = client.post(
        "/console/users/",
        {"action": "invite", "email": "zhao6@example.test", "full_name": "赵六", "bureau_role": BureauRole.AUDITOR},
    )
    assert done.status_code == 302
    assert User.objects.get(email="zhao6@example.test").bureau_role == BureauRole.AUDITOR


def test_roles_are_changed_and_accounts_closed_from_the_page(city, public_host, security):
    client = host_client(public_host, security)
    target = UserFactory(bureau_role=BureauRole.VIEWER)
    client.post("/console/users/", {"action": "role", "user": target.pk, "bureau_role": BureauRole.ADMIN})
    client.post("/console/users/", {"action": "deactivate", "user": target.pk})
    target.refresh_from_db()
    assert target.bureau_role == BureauRole.ADMIN and not target.is_active
    page = client.get("/console/users/?q=" + target.username).content.decode()
    assert "重新开放账号" in page


@pytest.mark.parametrize("who", ["bureau_admin", "bureau_viewer", "alpha_head", "outsider"])
def test_the_accounts_page_is_the_security_administrators_alone(city, public_host, who):
    client = host_client(public_host, getattr(city, who))
    assert client.get("/console/users/").status_code == 403
    assert client.post("/console/users/", {"action": "deactivate", "user": city.outsider.pk}).status_code == 403
    assert host_client(public_host).get("/console/users/").status_code == 302


def test_the_bureau_hands_the_head_role_over_from_the_station_page(city, public_host):
    client = host_client(public_host, city.bureau_admin)
    assert 'id="head-handover"' in client.get(f"/console/stations/{city.beta.pk}/").content.decode()
    refused = client.post(f"/console/stations/{city.beta.pk}/head/", {"email": "", "former_head": "staff"})
    assert refused.status_code == 400
    done = client.post(
        f"/console/stations/{city.beta.pk}/head/", {"email": city.beta_staff.username, "former_head": "staff"}
    )
    assert done.status_code == 302
    assert Membership.objects.get(station=city.beta, user=city.beta_staff).role == MemberRole.HEAD


@pytest.mark.parametrize("who", ["bureau_viewer", "beta_head", "outsider"])
def test_the_handover_is_refused_to_others(city, public_host, who):
    client = host_client(public_host, getattr(city, who))
    response = client.post(
        f"/console/stations/{city.beta.pk}/head/", {"email": city.beta_staff.username, "former_head": "staff"}
    )
    assert response.status_code == 403
    assert Membership.objects.get(station=city.beta, user=city.beta_staff).role == MemberRole.STAFF
