"""Provisioning a station: schema cloned from the template, host routed, head invited and able to sign in."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django_tenants.utils import schema_context, schema_exists

from core.activity.models import ActivityEntry, ActivityVerb
from core.districts import District
from tenants.hosts import station_host
from tenants.models import Domain, MemberRole, Station, StationStatus
from tenants.selectors import PLATFORM
from tenants.services import membership_invitation_send, station_change_status, station_create
from tests.conftest import host_client

pytestmark = pytest.mark.django_db

STATION = {
    "name": "清河区一站式质量服务站",
    "code": "qinghe",
    "district": District.QINGHE,
    "address": "铁岭市清河区红旗街1号",
    "service_phone": "024-75100001",
    "complaint_phone": "024-75100002",
    "head_full_name": "吴海",
    "head_email": "wuhai@example.test",
}


def applied_migrations(schema: str) -> set[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT app, name FROM "{schema}".django_migrations')  # noqa: S608  (schema names are ours)
        return set(cursor.fetchall())


@pytest.fixture
def provisioned(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        station = station_create(actor=PLATFORM, **STATION)
    return station, callbacks


def test_station_gets_its_own_schema_cloned_from_the_template(provisioned, settings):
    station, _ = provisioned
    assert station.schema_name == "st_qinghe"
    assert schema_exists("st_qinghe")
    # Cloned: the same tables and the same migration history as the template, without running migrations.
    assert applied_migrations("st_qinghe") == applied_migrations(settings.TENANT_BASE_SCHEMA)
    with schema_context(station.schema_name):
        opened = ActivityEntry.objects.get(verb=ActivityVerb.STATION_OPENED)
    assert opened.detail == STATION["name"]


def test_station_host_routes_to_the_station(provisioned):
    station, _ = provisioned
    assert Domain.objects.get(tenant=station).domain == "qinghe.localhost"
    response = host_client(station_host("qinghe")).get("/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/"


def test_head_is_invited_and_can_then_sign_in(provisioned, mailoutbox):
    station, callbacks = provisioned
    head_membership = station.memberships.get()
    assert head_membership.role == MemberRole.HEAD
    assert not head_membership.user.has_usable_password()
    assert len(callbacks) == 2  # the invitation task and the spare schemas' refill are queued once it commits

    assert membership_invitation_send(membership_id=head_membership.pk) is True
    assert membership_invitation_send(membership_id=head_membership.pk) is False  # sent once only
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["wuhai@example.test"]
    assert "清河区一站式质量服务站" in message.subject
    link = re.search(r"http://qinghe\.localhost(/accounts/invite/\S+/)", message.body).group(1)

    client = host_client(station_host("qinghe"))
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    set_password = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "Qinghe-station-2026", "new_password2": "Qinghe-station-2026"},
    )
    assert set_password.status_code == 302

    signed_in = client.post(
        "/accounts/login/", {"username": "wuhai@example.test", "password": "Qinghe-station-2026"}, follow=True
    )
    assert signed_in.status_code == 200
    assert "清河区一站式质量服务站" in signed_in.content.decode()
    assert signed_in.context["membership"].role == MemberRole.HEAD


def test_create_station_command(capsys):
    call_command(
        "create_station",
        code="xifeng",
        name="西丰县一站式质量服务站",
        district=District.XIFENG,
        address="西丰县西丰镇1号",
        service_phone="024-78100001",
        complaint_phone="024-78100002",
        head_name="郑欣",
        head_email="zhengxin@example.test",
    )
    assert "http://xifeng.localhost" in capsys.readouterr().out
    assert schema_exists("st_xifeng")
    assert Station.objects.get(code="xifeng").memberships.get().user.full_name == "郑欣"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"code": "Bad Code"}, "code"),
        ({"code": "www"}, "code"),
        ({"code": "alpha"}, "code"),  # taken by the session city
        ({"district": "shenyang"}, "district"),
        ({"service_phone": "call me"}, "service_phone"),
    ],
)
def test_bad_station_input_is_refused_field_by_field(city, changes, field):
    with pytest.raises(ValidationError) as refused:
        station_create(actor=PLATFORM, **{**STATION, **changes})
    assert field in refused.value.message_dict
    assert not schema_exists("st_bad code")


@pytest.mark.clause("3")
def test_station_is_evaluated_before_it_is_published_and_can_be_suspended(provisioned):
    station, _ = provisioned
    assert station.status == StationStatus.DRAFT
    with pytest.raises(ValidationError):
        station_change_status(user=PLATFORM, station=station, status=StationStatus.PUBLISHED)
    for status in (StationStatus.EVALUATING, StationStatus.PUBLISHED, StationStatus.SUSPENDED, StationStatus.PUBLISHED):
        station = station_change_status(user=PLATFORM, station=station, status=status)
        assert station.status == status
    assert station.status_changed_at is not None
