"""Each kind of notification, from the service where its event happens: the in-app notification of the right people
linking to its object, its e-mail (by the kind's default) and SMS (when chosen), and nothing twice when the event
comes again."""

import datetime

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, schema_context

from core.complaints import services as complaints
from core.complaints.models import Complaint
from core.desk import services as desk
from core.desk.models import Channel, ServiceCase
from core.directory.models import Institution, Qualification
from core.directory.notifications import qualification_expiry_notify
from core.evaluation import services as evaluation
from core.notifications import kinds
from core.notifications.models import Notification
from core.notifications.services import notification_preference_set
from core.operations import services as operations
from core.operations.tasks import staff_qualification_expiry_remind_all_task
from core.referrals import services as referrals
from core.referrals.models import Referral, ReferralState
from tenants.hosts import public_url, station_url
from tenants.models import User
from tenants.selectors import PUBLIC
from tests.core.desk.builders import boxes, case_in_service, new_enterprise, take_demand
from tests.core.notifications.outbox import sent, sms_texts
from tests.core.referrals.builders import deliver_all, referred_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def enterprise(city):
    return new_enterprise()


def told(kind: str) -> dict[str, str]:
    """Who was told of `kind`, by user name (a head's without its domain), and the link each got."""
    with schema_context(get_public_schema_name()):
        rows = Notification.objects.filter(kind=kind).select_related("recipient")
        return {row.recipient.username.split("@")[0]: row.url for row in rows}


def sms_on(user: User, kind: str, mobile: str) -> None:
    """`user` has a mobile number and takes `kind` by SMS only."""
    User.objects.filter(pk=user.pk).update(phone=mobile)
    notification_preference_set(user=User.objects.get(pk=user.pk), kind=kind, email=False, sms=True)


def mails_to(mailoutbox, kind_text: str = "") -> list[str]:
    return sorted(address for mail in mailoutbox if kind_text in mail.subject for address in mail.to)


def test_an_online_demand_tells_the_stations_members(
    city, alpha, enterprise, mobile, django_capture_on_commit_callbacks
):
    sms_on(city.alpha_staff, kinds.DEMAND_NEW, mobile)
    with django_capture_on_commit_callbacks() as callbacks:
        demand = desk.demand_create(
            station=city.alpha,
            user=PUBLIC,
            enterprise=enterprise,
            channel=Channel.ONLINE,
            boxes=boxes("计量检定、校准"),
        )
    link = station_url("alpha", f"/desk/demands/{demand.pk}/")
    assert told(kinds.DEMAND_NEW) == {"alpha-head": link, "alpha-staff": link, "alpha-invitee": link}
    sent(callbacks)
    [text] = sms_texts(mobile)  # by SMS as chosen; by e-mail to nobody (the kind's default)
    assert demand.number in text and link in text
    # A demand the desk takes itself is nobody's news.
    take_demand(city, enterprise)
    assert len(told(kinds.DEMAND_NEW)) == 3


def test_a_deadline_near_tells_the_assignee_then_past_it_the_head(
    city, alpha, enterprise, mobile, mailoutbox, django_capture_on_commit_callbacks
):
    case = case_in_service(city, enterprise)
    sms_on(city.alpha_staff, kinds.DEADLINE_NEAR, mobile)
    ServiceCase.objects.filter(pk=case.pk).update(due_at=timezone.now() + datetime.timedelta(hours=1))
    with django_capture_on_commit_callbacks() as callbacks:
        assert desk.case_deadline_remind() == {"warned": 1, "escalated": 0}
        assert desk.case_deadline_remind() == {"warned": 0, "escalated": 0}
    link = station_url("alpha", f"/desk/cases/{case.pk}/")
    assert told(kinds.DEADLINE_NEAR) == {"alpha-staff": link}
    assert sent(callbacks) == [True]
    [text] = sms_texts(mobile)
    assert case.number in text and link in text
    assert mailoutbox == []  # the staff member chose SMS instead

    ServiceCase.objects.filter(pk=case.pk).update(due_at=timezone.now() - datetime.timedelta(minutes=1))
    with django_capture_on_commit_callbacks() as callbacks:
        assert desk.case_deadline_remind() == {"warned": 0, "escalated": 1}
        assert desk.case_deadline_remind() == {"warned": 0, "escalated": 0}
    assert told(kinds.DEADLINE_PASSED) == {"alpha-head": link, "alpha-staff": link}
    assert sent(callbacks) == [True, True]
    assert mails_to(mailoutbox) == ["alpha-head@example.test", "alpha-staff@example.test"]
    assert all(case.number in mail.subject and link in mail.body for mail in mailoutbox)


def test_a_referral_arriving_tells_the_receiving_head(
    city, published, enterprise, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        _case, outgoing, incoming = referred_case(city, enterprise)
    link = station_url("beta", f"/desk/referrals/{incoming.pk}/")
    assert told(kinds.REFERRAL_ARRIVED) == {"beta-head": link}
    assert all(sent(callbacks))  # (the enterprise's tracking link too)
    [mail] = [mail for mail in mailoutbox if mail.to == ["beta-head@example.test"]]
    assert outgoing.number in mail.subject and link in mail.body
    deliver_all(city)  # delivered again: nothing new
    assert len(told(kinds.REFERRAL_ARRIVED)) == 1


@pytest.mark.parametrize(("answer", "said"), [(ReferralState.ACCEPTED, "接收"), (ReferralState.DECLINED, "拒绝")])
def test_a_referral_answered_tells_the_sender(city, published, enterprise, mobile, answer, said):
    _case, outgoing, incoming = referred_case(city, enterprise)
    sms_on(city.alpha_head, kinds.REFERRAL_ANSWERED, mobile)
    reason = {"reason": "本站暂无检定能力"} if answer == ReferralState.DECLINED else {}
    with schema_context(city.beta.schema_name):
        referrals.referral_transition(referral=incoming, user=city.beta_staff, to=answer, **reason)
    deliver_all(city)
    link = station_url("alpha", f"/desk/referrals/{outgoing.pk}/")
    # The sending station's head and who referred it.
    assert told(kinds.REFERRAL_ANSWERED) == {"alpha-head": link, "alpha-staff": link}
    notification = Notification.objects.get(kind=kinds.REFERRAL_ANSWERED, recipient=city.alpha_head)
    assert said in notification.title and outgoing.number in notification.title
    # Why it was declined, or which case the receiver opened.
    assert reason.get("reason", "BETA-") in notification.body


def test_an_overdue_referral_tells_both_heads_and_the_bureau(
    city, published, enterprise, mailoutbox, django_capture_on_commit_callbacks
):
    _case, outgoing, incoming = referred_case(city, enterprise)
    with django_capture_on_commit_callbacks() as callbacks:
        with schema_context(city.alpha.schema_name):
            Referral.objects.filter(pk=outgoing.pk).update(accept_due_at=timezone.now() - datetime.timedelta(hours=1))
            assert referrals.referral_overdue_flag() == 1
            assert referrals.referral_overdue_flag() == 0
        deliver_all(city)  # the flag reaches the receiver's copy
    console = public_url(reverse("console:referrals", urlconf=settings.PUBLIC_SCHEMA_URLCONF))
    assert told(kinds.REFERRAL_OVERDUE) == {
        "alpha-head": station_url("alpha", f"/desk/referrals/{outgoing.pk}/"),
        "beta-head": station_url("beta", f"/desk/referrals/{incoming.pk}/"),
        "bureau-admin": console,
    }
    assert all(sent(callbacks))
    expected = ["alpha-head@example.test", "beta-head@example.test", "bureau-admin@example.test"]
    assert mails_to(mailoutbox, outgoing.number) == expected


def test_a_complaint_received_tells_the_head(city, alpha, mobile, django_capture_on_commit_callbacks):
    sms_on(city.alpha_head, kinds.COMPLAINT_RECEIVED, mobile)
    with django_capture_on_commit_callbacks() as callbacks:
        complaint = complaints.complaint_create(user=city.alpha_staff, channel="phone", subject="窗口人员态度生硬")
    link = station_url("alpha", f"/complaints/{complaint.pk}/")
    assert told(kinds.COMPLAINT_RECEIVED) == {"alpha-head": link}
    sent(callbacks)
    [text] = sms_texts(mobile)
    assert "窗口人员态度生硬" in text and link in text
    # One the head logs themself tells nobody.
    complaints.complaint_create(user=city.alpha_head, channel="phone", subject="等候时间过长")
    assert len(told(kinds.COMPLAINT_RECEIVED)) == 1


def test_a_complaint_due_tells_the_head_and_the_handler(city, alpha, mailoutbox, django_capture_on_commit_callbacks):
    complaint = complaints.complaint_create(user=city.alpha_staff, channel="phone", subject="窗口人员态度生硬")
    Complaint.objects.filter(pk=complaint.pk).update(acknowledge_due_at=timezone.now() - datetime.timedelta(hours=1))
    with django_capture_on_commit_callbacks() as callbacks:
        assert complaints.complaint_deadline_remind()["overdue"] == 1
        assert complaints.complaint_deadline_remind()["overdue"] == 0
    link = station_url("alpha", f"/complaints/{complaint.pk}/")
    assert told(kinds.COMPLAINT_DUE) == {"alpha-head": link, "alpha-staff": link}
    assert sent(callbacks) == [True, True]
    assert mails_to(mailoutbox, f"#{complaint.pk}") == ["alpha-head@example.test", "alpha-staff@example.test"]


def test_an_evaluation_round_opened_tells_the_head(city, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        evaluation_round = evaluation.evaluation_start(station=city.alpha, user=city.bureau_admin)
    link = station_url("alpha", f"/station/evaluation/rounds/{evaluation_round.number}/")
    assert told(kinds.EVALUATION_OPENED) == {"alpha-head": link}
    assert sent(callbacks) == [True]
    [mail] = mailoutbox
    assert mail.to == ["alpha-head@example.test"] and city.alpha.name in mail.subject


def test_a_staff_qualification_ending_tells_the_head_once_per_threshold(
    city, alpha, mobile, mailoutbox, django_capture_on_commit_callbacks
):
    today = timezone.localdate()
    qualification = operations.staff_qualification_add(
        user=city.alpha_head,
        member=city.alpha_staff,
        name="计量检定员证",
        valid_until=today + datetime.timedelta(days=100),
    )
    assert operations.staff_qualification_expiry_remind(today=today) == 0  # not yet
    with django_capture_on_commit_callbacks() as callbacks:
        assert operations.staff_qualification_expiry_remind(today=today + datetime.timedelta(days=15)) == 1
        assert operations.staff_qualification_expiry_remind(today=today + datetime.timedelta(days=16)) == 0
    assert told(kinds.QUALIFICATION_EXPIRING) == {"alpha-head": station_url("alpha", "/operations/")}
    assert sent(callbacks) == [True]
    assert "计量检定员证" in mailoutbox[0].subject and mailoutbox[0].to == ["alpha-head@example.test"]
    # Thirty days before, and on its last day (or once it has ended): each once more (issue 20: 90/30/0).
    assert operations.staff_qualification_expiry_remind(today=today + datetime.timedelta(days=70)) == 1
    assert operations.staff_qualification_expiry_remind(today=today + datetime.timedelta(days=71)) == 0
    assert operations.staff_qualification_expiry_remind(today=today + datetime.timedelta(days=101)) == 1
    assert Notification.objects.filter(kind=kinds.QUALIFICATION_EXPIRING).count() == 3
    # A withdrawn qualification is not reminded of.
    operations.staff_qualification_withdraw(
        user=city.alpha_head, qualification=qualification, reason="已注销", withdrawn_on=today
    )
    assert operations.staff_qualification_expiry_remind(today=today + datetime.timedelta(days=102)) == 0


def test_beat_looks_for_ending_staff_qualifications_daily_in_every_station(city, settings):
    entry = settings.CELERY_BEAT_SCHEDULE["operations-qualification-expiry"]
    assert entry["task"] == staff_qualification_expiry_remind_all_task.name
    with schema_context(city.alpha.schema_name):
        operations.staff_qualification_add(
            user=city.alpha_head,
            member=city.alpha_staff,
            name="计量检定员证",
            valid_until=timezone.localdate() + datetime.timedelta(days=3),
        )
    assert staff_qualification_expiry_remind_all_task.apply().get() == {"alpha": 1, "beta": 0}
    assert told(kinds.QUALIFICATION_EXPIRING) == {"alpha-head": station_url("alpha", "/operations/")}


def test_institution_qualifications_expiring_tell_the_bureaus_administrators(
    city, mailoutbox, django_capture_on_commit_callbacks
):
    lab = Institution.objects.create(name="铁岭检测中心", kind="testing")
    soon = timezone.localdate() + datetime.timedelta(days=30)
    Qualification.objects.create(institution=lab, kind="cma", number="210000000001", valid_until=soon)
    with django_capture_on_commit_callbacks() as callbacks:
        assert qualification_expiry_notify() == 1
        assert qualification_expiry_notify() == 0
    link = public_url("/directory/institutions/")
    assert told(kinds.QUALIFICATION_EXPIRING) == {"bureau-admin": link}
    notification = Notification.objects.get(kind=kinds.QUALIFICATION_EXPIRING)
    assert "铁岭检测中心" in notification.body and notification.station is None
    assert sent(callbacks) == [True]
    [mail] = mailoutbox
    assert mail.to == ["bureau-admin@example.test"] and "210000000001" in mail.body
