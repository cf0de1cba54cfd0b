"""The station's members page (issue 18): the head invites, deactivates and brings back members, and sees the open
work of former members; staff read the list only; outsiders are refused like everywhere on a station host."""

import pytest

from core.audit.models import AuditAction, AuditEntry
from tenants.models import Membership
from tenants.selectors import membership_get
from tests.conftest import host_client
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_head_invites_with_field_errors_first_and_keeps_what_was_typed(city, alpha_host):
    client = host_client(alpha_host, city.alpha_head)
    page = client.get("/station/members/").content.decode()
    assert 'id="invite"' in page and city.alpha_staff.username in page
    refused = client.post("/station/members/", {"action": "invite", "full_name": "王五", "email": "not-an-address"})
    body = refused.content.decode()
    assert refused.status_code == 400 and 'value="王五"' in body and "合法的邮件地址" in body
    done = client.post("/station/members/", {"action": "invite", "full_name": "王五", "email": "wang5@example.test"})
    assert done.status_code == 302
    assert Membership.objects.filter(station=city.alpha, user__email="wang5@example.test", is_active=True).exists()
    assert "wang5@example.test" in client.get("/station/members/").content.decode()


def test_the_head_deactivates_and_brings_back(city, alpha_host):
    member = UserFactory()
    membership = Membership.objects.create(user=member, station=city.alpha, role="staff")
    client = host_client(alpha_host, city.alpha_head)
    assert client.post("/station/members/", {"action": "deactivate", "membership": membership.pk}).status_code == 302
    assert membership_get(user=member, station=city.alpha) is None
    assert "已停用" in client.get("/station/members/").content.decode()
    assert client.post("/station/members/", {"action": "reactivate", "membership": membership.pk}).status_code == 302
    assert membership_get(user=member, station=city.alpha) is not None
    assert AuditEntry.objects.filter(action=AuditAction.MEMBER_REACTIVATED, target=member.username).exists()


def test_the_head_cannot_deactivate_the_head_and_is_told_why(city, alpha_host):
    head = Membership.objects.get(station=city.alpha, user=city.alpha_head)
    client = host_client(alpha_host, city.alpha_head)
    response = client.post("/station/members/", {"action": "deactivate", "membership": head.pk}, follow=True)
    assert "不能停用自己" in response.content.decode()
    head.refresh_from_db()
    assert head.is_active


def test_staff_read_the_list_but_change_nothing(city, alpha_host):
    client = host_client(alpha_host, city.alpha_staff)
    page = client.get("/station/members/").content.decode()
    assert city.alpha_head.username in page and 'id="invite"' not in page
    staff = Membership.objects.get(station=city.alpha, user=city.alpha_staff)
    assert client.post("/station/members/", {"action": "deactivate", "membership": staff.pk}).status_code == 403


def test_another_stations_membership_is_not_found(city, alpha_host):
    other = Membership.objects.get(station=city.beta, user=city.beta_staff)
    client = host_client(alpha_host, city.alpha_head)
    assert client.post("/station/members/", {"action": "deactivate", "membership": other.pk}).status_code == 404
    other.refresh_from_db()
    assert other.is_active


def test_outsiders_are_refused(city, alpha_host):
    assert host_client(alpha_host).get("/station/members/").status_code == 302
    assert host_client(alpha_host, city.beta_head).get("/station/members/").status_code == 403
    assert host_client(alpha_host, city.outsider).post("/station/members/", {"action": "invite"}).status_code == 403
