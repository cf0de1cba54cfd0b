"""The bell on every page (the unread count, without a query of its own), the notification list with its read marks,
and the preferences page, on both kinds of host."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.notifications import services
from core.notifications.kinds import COMPLAINT_RECEIVED, DEADLINE_NEAR, KINDS
from core.notifications.models import Notification, NotificationPreference
from tenants.hosts import station_url
from tenants.models import User
from tests.conftest import host_client

pytestmark = pytest.mark.django_db


def tell(user: User, n: int = 1, *, prefix: str = "page") -> list[Notification]:
    for i in range(n):
        services.notify(
            recipients=[user],
            kind=COMPLAINT_RECEIVED,
            key=f"{prefix}:{i}",
            title=f"投诉 #{i} 已登记",
            url=station_url("alpha", f"/complaints/{i}/"),
        )
    return list(Notification.objects.filter(recipient=user, key__startswith=f"{prefix}:").order_by("key"))


def queries(client, path: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200
    return len(captured), response.content.decode()


@pytest.mark.parametrize("where", ["station", "public"])
def test_the_bell_shows_the_unread_count_without_a_query(city, alpha_host, public_host, where):
    host, user, path = (
        (alpha_host, city.alpha_staff, "/") if where == "station" else (public_host, city.bureau_admin, "/console/")
    )
    client = host_client(host, user)
    before, page = queries(client, path)
    assert 'id="bell" class="bell"' in page and "has-unread" not in page
    tell(user, 3)
    after, page = queries(client, path)
    assert after == before
    assert '<span class="count">3<span class="visually-hidden"> 条未读</span></span>' in page


def test_the_list_marks_one_read_and_goes_to_its_object(city, alpha_host):
    first, second = tell(city.alpha_staff, 2)
    client = host_client(alpha_host, city.alpha_staff)
    page = client.get("/notifications/").content.decode()
    assert "投诉 #0 已登记" in page and "投诉 #1 已登记" in page and "全部标为已读" in page
    response = client.post(f"/notifications/{first.pk}/read/")
    assert response.status_code == 302 and response["Location"] == first.url
    first.refresh_from_db()
    assert first.read_at is not None
    assert User.objects.get(pk=city.alpha_staff.pk).notifications_unread == 1
    unread = client.get("/notifications/?show=unread").content.decode()
    assert "投诉 #1 已登记" in unread and "投诉 #0 已登记" not in unread
    assert client.get(f"/notifications/{first.pk}/read/").status_code == 405


def test_someone_elses_notification_is_missing(city, alpha_host):
    [theirs] = tell(city.alpha_head)
    client = host_client(alpha_host, city.alpha_staff)
    assert client.post(f"/notifications/{theirs.pk}/read/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_all_read_at_once_on_the_public_host(city, public_host):
    tell(city.bureau_viewer, 3)
    client = host_client(public_host, city.bureau_viewer)
    response = client.post("/notifications/read-all/", follow=True)
    assert "已将 3 条通知标为已读" in response.content.decode()
    assert User.objects.get(pk=city.bureau_viewer.pk).notifications_unread == 0
    assert not Notification.objects.filter(recipient=city.bureau_viewer, read_at__isnull=True).exists()


def test_the_preferences_page_saves_the_choices(city, alpha_host):
    client = host_client(alpha_host, city.alpha_staff)
    page = client.get("/notifications/preferences/").content.decode()
    for kind in KINDS.values():
        assert str(kind.label) in page
    assert f'name="{DEADLINE_NEAR}.email" id="id_{DEADLINE_NEAR}.email" checked' in page  # the default
    response = client.post("/notifications/preferences/", {f"{COMPLAINT_RECEIVED}.email": "on"})
    assert response.status_code == 302
    saved = dict(NotificationPreference.objects.filter(user=city.alpha_staff).values_list("kind", "email"))
    # Every kind left unticked is off now, the complaint's e-mail on.
    assert saved[COMPLAINT_RECEIVED] is True and saved[DEADLINE_NEAR] is False


def test_sms_without_a_mobile_number_is_refused_on_its_field(city, alpha_host):
    User.objects.filter(pk=city.alpha_staff.pk).update(phone="024-70000001")
    client = host_client(alpha_host, city.alpha_staff)
    typed = {f"{COMPLAINT_RECEIVED}.email": "on", f"{DEADLINE_NEAR}.sms": "on"}
    response = client.post("/notifications/preferences/", typed)
    assert response.status_code == 400
    page = response.content.decode()
    assert f'id="id_{DEADLINE_NEAR}.sms_error"' in page and "短信通知需要手机号码" in page
    assert f'name="{COMPLAINT_RECEIVED}.email" id="id_{COMPLAINT_RECEIVED}.email" checked' in page  # as typed
    assert not NotificationPreference.objects.filter(user=city.alpha_staff).exists()


def test_signed_out_visitors_are_sent_to_sign_in(alpha_host, public_host):
    for host in (alpha_host, public_host):
        response = host_client(host).get("/notifications/")
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
