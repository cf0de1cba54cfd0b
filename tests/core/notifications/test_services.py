"""The notification service: one in-app notification per active person and event, the unread count kept on the user,
and the e-mail and SMS each person chose for the kind (or its default), each sent once however often the event is
repeated; read marks and the channel preferences."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django_tenants.utils import get_public_schema_name, schema_context

from core.deliveries.models import Delivery
from core.notifications import selectors, services
from core.notifications.kinds import COMPLAINT_RECEIVED, DEADLINE_NEAR, KINDS
from core.notifications.models import Notification, NotificationPreference
from tenants.models import User
from tests.core.notifications.outbox import sent, sms_texts
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LINK = "https://alpha.localhost/desk/cases/1/"


def unread(user: User) -> int:
    return User.objects.get(pk=user.pk).notifications_unread


def tell(people, *, key="test:1", kind=DEADLINE_NEAR, **extra) -> int:
    values = {"title": "案件 ALPHA-2026-000001-1 将于 2026-03-12 到期", "url": LINK} | extra
    return services.notify(recipients=people, kind=kind, key=key, **values)


def test_each_active_person_is_told_once_and_counted(city):
    gone = UserFactory(is_active=False)
    people = [city.alpha_head, city.alpha_staff, city.alpha_staff, gone]
    before = {user.pk: unread(user) for user in people}
    assert tell(people) == 2
    assert tell(people) == 0  # the same event again: nobody is told twice
    rows = Notification.objects.filter(key="test:1")
    assert sorted(rows.values_list("recipient__username", flat=True)) == ["alpha-head@example.test", "alpha-staff"]
    assert {row.url for row in rows} == {LINK} and all(row.read_at is None for row in rows)
    assert unread(city.alpha_head) == before[city.alpha_head.pk] + 1
    assert unread(city.alpha_staff) == before[city.alpha_staff.pk] + 1
    assert unread(gone) == 0
    assert tell([city.alpha_staff], key="test:2") == 1
    assert unread(city.alpha_staff) == before[city.alpha_staff.pk] + 2


def test_the_email_follows_the_kinds_default_unless_the_person_chose(
    city, mailoutbox, django_capture_on_commit_callbacks
):
    assert KINDS[DEADLINE_NEAR].email and not KINDS[COMPLAINT_RECEIVED].email
    services.notification_preference_set(user=city.alpha_staff, kind=DEADLINE_NEAR, email=False, sms=False)
    services.notification_preference_set(user=city.alpha_staff, kind=COMPLAINT_RECEIVED, email=True, sms=False)
    with django_capture_on_commit_callbacks() as callbacks:
        tell([city.alpha_head, city.alpha_staff], body="检定压力表", key="test:near")
        tell([city.alpha_head, city.alpha_staff], kind=COMPLAINT_RECEIVED, title="投诉 #1 已登记", key="test:complaint")
    assert sent(callbacks) == [True, True]
    assert sorted((mail.to[0], mail.subject) for mail in mailoutbox) == [
        ("alpha-head@example.test", "案件 ALPHA-2026-000001-1 将于 2026-03-12 到期"),
        ("alpha-staff@example.test", "投诉 #1 已登记"),
    ]
    # No template of the event's own: the generic one, with the title, the text and the link.
    body = next(mail.body for mail in mailoutbox if mail.to == ["alpha-head@example.test"])
    assert "检定压力表" in body and LINK in body


def test_an_event_of_its_own_keeps_its_email(city, alpha, mailoutbox, django_capture_on_commit_callbacks):
    context = {"qualifications": [], "today": None}
    with django_capture_on_commit_callbacks() as callbacks:
        tell([city.alpha_head], email=("directory", "expiring", context))
    assert sent(callbacks) == [True]
    [mail] = mailoutbox
    assert mail.subject == "0项服务机构资质即将到期"


def test_sms_goes_to_a_mobile_number_of_those_who_chose_it(city, mobile, django_capture_on_commit_callbacks):
    User.objects.filter(pk=city.alpha_staff.pk).update(phone=f"+86 {mobile[:3]}-{mobile[3:7]}-{mobile[7:]}")
    staff = User.objects.get(pk=city.alpha_staff.pk)
    services.notification_preference_set(user=staff, kind=DEADLINE_NEAR, email=False, sms=True)
    with django_capture_on_commit_callbacks() as callbacks:
        tell([city.alpha_head, staff])
        tell([city.alpha_head, staff])  # repeated: nothing more
    assert sent(callbacks) == [True, True]  # the head's e-mail (by default) and the staff's SMS
    [text] = sms_texts(mobile)
    assert "ALPHA-2026-000001-1" in text and LINK in text
    deliveries = Delivery.objects.order_by("key")
    assert [(d.key, d.channel, d.kind) for d in deliveries] == [
        (f"test:1:{city.alpha_head.pk}:email", "email", DEADLINE_NEAR),
        (f"test:1:{staff.pk}:sms", "sms", DEADLINE_NEAR),
    ]


def test_no_sms_without_a_mobile_number_nor_email_without_an_address(city, django_capture_on_commit_callbacks):
    person = UserFactory(email="", phone="024-70000001")
    NotificationPreference.objects.create(user=person, kind=DEADLINE_NEAR, email=True, sms=True)  # then the number went
    with django_capture_on_commit_callbacks() as callbacks:
        assert tell([person]) == 1
    assert sent(callbacks) == []
    assert Notification.objects.filter(recipient=person).count() == 1


def test_a_notification_from_a_station_is_public_and_its_deliveries_the_stations(
    city, alpha, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        tell([city.alpha_head], station=city.alpha, case_id=7)
    assert sent(callbacks) == [True]
    assert Delivery.objects.get().case_id == 7  # alpha's
    with schema_context(get_public_schema_name()):
        assert Notification.objects.get(key="test:1").station == city.alpha
        assert not Delivery.objects.exists()


def test_a_bad_notification_is_refused(city):
    with pytest.raises(KeyError):
        tell([city.alpha_head], kind="no_such_kind")
    with pytest.raises(ValidationError):
        tell([city.alpha_head], url="not a link")


def test_reading_recounts_the_unread(city):
    person = UserFactory()
    for n in range(3):
        tell([person], key=f"test:{n}")
    assert unread(person) == 3
    first = selectors.notification_list(user=person).last()
    services.notification_read(user=person, notification=first)
    services.notification_read(user=person, notification=first)  # again: nothing changes
    assert unread(person) == 2
    assert [n.key for n in selectors.notification_list(user=person, unread=True)] == ["test:2", "test:1"]
    assert services.notifications_read_all(user=person) == 2
    assert unread(person) == 0
    assert not selectors.notification_list(user=person, unread=True).exists()


def test_nobody_reads_someone_elses(city):
    tell([city.alpha_head])
    notification = Notification.objects.get(key="test:1", recipient=city.alpha_head)
    with pytest.raises(PermissionDenied):
        services.notification_read(user=city.alpha_staff, notification=notification)
    with pytest.raises(Http404):
        selectors.notification_access(pk=notification.pk, user=city.alpha_staff)


def test_sms_needs_a_mobile_number_in_the_profile(city, mobile):
    person = UserFactory(phone="024-70000001")
    with pytest.raises(ValidationError) as refused:
        services.notification_preference_set(user=person, kind=DEADLINE_NEAR, email=True, sms=True)
    assert refused.value.message_dict == {"sms": ["短信通知需要手机号码：请先在个人资料中填写。"]}
    assert not NotificationPreference.objects.filter(user=person).exists()
    person.phone = mobile
    services.notification_preference_set(user=person, kind=DEADLINE_NEAR, email=False, sms=True)
    services.notification_preference_set(user=person, kind=DEADLINE_NEAR, email=False, sms=True)
    assert list(NotificationPreference.objects.filter(user=person).values_list("kind", "email", "sms")) == [
        (DEADLINE_NEAR, False, True)
    ]


def test_the_preferences_show_the_defaults_until_chosen_and_save_all_or_nothing(city):
    person = UserFactory()
    rows = {row.kind: row for row in selectors.notification_preferences(user=person)}
    assert list(rows) == list(KINDS)
    assert (rows[DEADLINE_NEAR].email, rows[DEADLINE_NEAR].sms, rows[DEADLINE_NEAR].chosen) == (True, False, False)
    with pytest.raises(ValidationError) as refused:
        services.notification_preferences_save(
            user=person, choices={COMPLAINT_RECEIVED: (True, False), DEADLINE_NEAR: (True, True)}
        )
    assert list(refused.value.message_dict) == [f"{DEADLINE_NEAR}.sms"]
    assert not NotificationPreference.objects.filter(user=person).exists()
    # Only what differs from the present choice is written.
    saved = services.notification_preferences_save(
        user=person, choices={COMPLAINT_RECEIVED: (True, False), DEADLINE_NEAR: (True, False)}
    )
    assert saved == 1
    rows = {row.kind: row for row in selectors.notification_preferences(user=person)}
    assert (rows[COMPLAINT_RECEIVED].email, rows[COMPLAINT_RECEIVED].chosen) == (True, True)
