"""The API of one's own notifications on both kinds of host: the list (only one's own, a fixed number of queries),
read marks (another's is missing), and the channel preferences (SMS refused without a mobile number)."""

import secrets

import pytest

from core.notifications import services
from core.notifications.kinds import COMPLAINT_RECEIVED, DEADLINE_NEAR, KINDS
from core.notifications.models import Notification, NotificationPreference
from tenants.hosts import station_url
from tenants.models import User
from tests.conftest import host_client

pytestmark = pytest.mark.django_db


def tell(user: User, n: int, *, station=None) -> None:
    for i in range(n):
        services.notify(
            recipients=[user],
            kind=COMPLAINT_RECEIVED,
            key=f"api:{user.pk}:{i}",
            title=f"投诉 #{i} 已登记",
            url=station_url("alpha", f"/complaints/{i}/"),
            station=station,
        )


def test_the_list_holds_only_ones_own_in_a_fixed_number_of_queries(city, alpha_host, django_assert_num_queries):
    tell(city.alpha_staff, 30, station=city.alpha)
    tell(city.alpha_head, 2)
    client = host_client(alpha_host, city.alpha_staff)
    # search path x2, host, session, user, membership (middleware), count, page (with the stations)
    with django_assert_num_queries(9):
        response = client.get("/api/v1/notifications/?limit=25")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 30 and len(body["results"]) == 25
    first = body["results"][0]
    assert first["title"] == "投诉 #29 已登记" and first["station"] == "alpha" and first["read"] is False
    assert first["kind_display"] == str(KINDS[COMPLAINT_RECEIVED].label)
    assert {row["id"] for row in body["results"]} <= set(
        Notification.objects.filter(recipient=city.alpha_staff).values_list("pk", flat=True)
    )


def test_one_read_then_all(city, public_host):
    tell(city.bureau_viewer, 3)
    client = host_client(public_host, city.bureau_viewer)
    [newest, *_] = client.get("/api/v1/notifications/").json()["results"]
    answer = client.post(f"/api/v1/notifications/{newest['id']}/read/")
    assert answer.status_code == 200 and answer.json()["read"] is True
    unread = client.get("/api/v1/notifications/?unread=true").json()
    assert unread["count"] == 2 and newest["id"] not in {row["id"] for row in unread["results"]}
    assert client.post("/api/v1/notifications/read-all/").json() == {"read": 2, "unread": 0}


def test_someone_elses_notification_is_missing(city, alpha_host):
    tell(city.alpha_head, 1)
    theirs = Notification.objects.get(recipient=city.alpha_head, key=f"api:{city.alpha_head.pk}:0")
    client = host_client(alpha_host, city.alpha_staff)
    assert client.post(f"/api/v1/notifications/{theirs.pk}/read/").status_code == 404
    assert client.post("/api/v1/notifications/999999999/read/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_the_preferences_read_and_write(city, alpha_host):
    client = host_client(alpha_host, city.alpha_staff)
    rows = {row["kind"]: row for row in client.get("/api/v1/notifications/preferences/").json()}
    assert list(rows) == list(KINDS)
    assert rows[DEADLINE_NEAR] | {"label": ""} == {"kind": DEADLINE_NEAR, "label": "", "email": True, "sms": False}
    User.objects.filter(pk=city.alpha_staff.pk).update(phone="024-70000001")
    sent = [
        {"kind": COMPLAINT_RECEIVED, "email": True, "sms": False},
        {"kind": DEADLINE_NEAR, "email": True, "sms": True},
    ]
    refused = client.put("/api/v1/notifications/preferences/", sent, content_type="application/json")
    assert refused.status_code == 400
    assert refused.json() == {f"{DEADLINE_NEAR}.sms": ["短信通知需要手机号码：请先在个人资料中填写。"]}
    assert not NotificationPreference.objects.filter(user=city.alpha_staff).exists()

    User.objects.filter(pk=city.alpha_staff.pk).update(phone=f"139{secrets.randbelow(10**8):08d}")
    saved = client.put("/api/v1/notifications/preferences/", sent, content_type="application/json")
    assert saved.status_code == 200
    rows = {row["kind"]: row for row in saved.json()}
    assert (rows[DEADLINE_NEAR]["sms"], rows[COMPLAINT_RECEIVED]["email"]) == (True, True)
    bad = client.put("/api/v1/notifications/preferences/", [{"kind": "nope"}], content_type="application/json")
    assert bad.status_code == 400


def test_signed_out_callers_are_refused(alpha_host, public_host):
    assert host_client(alpha_host).get("/api/v1/notifications/").status_code == 401
    assert host_client(public_host).get("/api/v1/notifications/").status_code in {401, 403}
