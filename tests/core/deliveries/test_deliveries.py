"""Every e-mail and text message at most once, with its status: queued after the commit, sent by its task in the
station's schema (run here as the worker would: `tests.tasks.run_queued`), never twice for a duplicated event or
task, retried after a provider's failure, failed with the provider's reason when no retry helps, held back by the
per-phone rate limit but never dropped, and swept when its task was lost or its worker died.

The SMS provider is the file backend (or a failing fake of it, `backends.py`); e-mail goes to Django's locmem outbox;
the rate limit's counters are in the test run's Redis (each test texts numbers of its own)."""

import datetime
import secrets

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django_tenants.utils import get_public_schema_name, schema_context

from core.common.sms import FileBackend, SmsFailure
from core.deliveries.models import Channel, Delivery, DeliveryStatus, delivery_kind_register
from core.deliveries.selectors import deliveries_of_case, deliveries_of_demand
from core.deliveries.services import (
    DeliveryDeferred,
    deliveries_sweep,
    delivery_queue,
    delivery_resend,
    delivery_send,
)
from core.deliveries.tasks import deliveries_sweep_all_task, delivery_send_task
from tenants.selectors import PLATFORM
from tests.core.deliveries.backends import FlakyBackend
from tests.tasks import queued_tasks, run_queued

pytestmark = pytest.mark.django_db

RATE_LIMITED = "超过每个号码的发送频率限制，稍后发送"
INTERRUPTED = "发送中断，结果未知，请核实后重新发送"
LINK = "https://alpha.localhost/track/AbC123:xyz/"

delivery_kind_register("test_registered", "需求受理通知")


@pytest.fixture(autouse=True)
def _sms_folder(settings, tmp_path):
    settings.SMS_BACKEND = "core.common.sms.FileBackend"
    settings.SMS_FILE_PATH = tmp_path / "sms"
    FlakyBackend.failures = 0


@pytest.fixture
def phone() -> str:
    """A mobile number of this test's own (the rate limit's counters outlive a test)."""
    return f"139{secrets.randbelow(10**8):08d}"


@pytest.fixture
def alpha(city):
    with schema_context(city.alpha.schema_name):
        yield city.alpha


def sms_files(phone: str):
    return FileBackend().messages_to(phone)


def queue_sms(phone: str, key: str = "demand:1:registered:sms", **fields) -> Delivery:
    return delivery_queue(
        key=key,
        channel=Channel.SMS,
        address=phone,
        kind=fields.pop("kind", "test_registered"),
        text=fields.pop("text", f"【银州测试站】您的需求已受理，编号 ALPHA-2026-000001。查看进度：\n{LINK}"),
        params=fields.pop("params", {"number": "ALPHA-2026-000001"}),
        **fields,
    )


def delivery(pk: int) -> Delivery:
    return Delivery.objects.get(pk=pk)


# --- Queued after the commit, sent by the task --------------------------------------------------------------------


def test_an_sms_is_queued_after_the_commit_and_its_task_writes_it_once(
    city, alpha, phone, django_capture_on_commit_callbacks
):
    written = f"+86 {phone[:3]}-{phone[3:7]}-{phone[7:]}"
    with django_capture_on_commit_callbacks() as callbacks:
        queued = queue_sms(written, demand_id=7, case_id=9)
    assert (queued.status, queued.address, queued.attempts) == (DeliveryStatus.QUEUED, phone, 0)
    assert sms_files(phone) == []  # nothing sent before the commit
    [task] = queued_tasks(callbacks, app="core.deliveries")
    assert task.args == (delivery_send_task, city.alpha.schema_name, {"delivery_id": queued.pk})

    assert run_queued(callbacks, app="core.deliveries") == [True]
    sent = delivery(queued.pk)
    assert (sent.status, sent.attempts, sent.last_error) == (DeliveryStatus.SENT, 1, "")
    assert sent.sent_at is not None and sent.attempted_at is not None
    [path] = sms_files(phone)
    assert sent.provider_id == path.stem
    content = path.read_text(encoding="utf-8")
    assert f"To: {phone}\nKind: test_registered\n" in content
    assert content.endswith(f"{LINK}\n")


def test_an_e_mail_is_sent_from_the_site_with_its_subject_and_text(
    city, alpha, mailoutbox, django_capture_on_commit_callbacks, settings
):
    with django_capture_on_commit_callbacks() as callbacks:
        queued = delivery_queue(
            key="case:3:completed:email",
            channel=Channel.EMAIL,
            address=" wang@example.test ",
            kind="case_completed",
            subject="服务已完成\n（银州测试站）",
            text=f"您的服务事项已完成。\n{LINK}\n",
            case_id=3,
        )
    assert queued.address == "wang@example.test"
    assert queued.subject == "服务已完成 （银州测试站）"  # one line: a header never breaks
    assert run_queued(callbacks, app="core.deliveries") == [True]
    [message] = mailoutbox
    assert (message.to, message.from_email, message.subject) == (
        ["wang@example.test"],
        settings.DEFAULT_FROM_EMAIL,
        "服务已完成 （银州测试站）",
    )
    assert message.body == f"您的服务事项已完成。\n{LINK}\n"
    sent = delivery(queued.pk)
    assert sent.status == DeliveryStatus.SENT
    assert sent.provider_id == message.extra_headers["Message-ID"]


def test_a_delivery_of_the_public_schema_is_sent_in_the_public_schema(city, phone, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        queued = queue_sms(phone, key="bureau:1:sms")
    [task] = queued_tasks(callbacks, app="core.deliveries")
    assert task.args[1] == get_public_schema_name()
    assert run_queued(callbacks, app="core.deliveries") == [True]
    assert delivery(queued.pk).status == DeliveryStatus.SENT
    with schema_context(city.alpha.schema_name):
        assert not Delivery.objects.filter(key="bureau:1:sms").exists()


def test_queueing_never_talks_to_the_provider(city, alpha, phone, settings, django_capture_on_commit_callbacks):
    """A provider outage never blocks the staff action that caused the message: it is only kept and queued."""
    settings.SMS_BACKEND = "tests.core.deliveries.backends.FlakyBackend"
    FlakyBackend.failures = 100
    with django_capture_on_commit_callbacks():
        queued = queue_sms(phone)
    assert queued.status == DeliveryStatus.QUEUED
    assert FlakyBackend.failures == 100


# --- At most once ---------------------------------------------------------------------------------------------------


def test_the_same_key_queues_nothing_twice(city, alpha, phone, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as first:
        queued = queue_sms(phone)
    with django_capture_on_commit_callbacks() as second:
        again = queue_sms(phone, text="另一条文字")
    assert again.pk == queued.pk and again.text == queued.text
    assert len(queued_tasks(first, app="core.deliveries")) == 1
    assert queued_tasks(second, app="core.deliveries") == []
    assert Delivery.objects.filter(key="demand:1:registered:sms").count() == 1
    run_queued(first, app="core.deliveries")
    with django_capture_on_commit_callbacks() as third:
        assert queue_sms(phone).status == DeliveryStatus.SENT  # a duplicated event after the send: nothing again
    assert queued_tasks(third, app="core.deliveries") == []
    assert len(sms_files(phone)) == 1


def test_a_duplicated_task_sends_once(city, alpha, phone, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        queued = queue_sms(phone)
    assert run_queued(callbacks, app="core.deliveries") == [True]
    assert run_queued(callbacks, app="core.deliveries") == [False]  # the broker delivered it twice
    assert len(sms_files(phone)) == 1
    assert delivery(queued.pk).attempts == 1


def test_two_sends_of_one_delivery_send_once(city, alpha, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():
        queued = delivery_queue(
            key="k:email", channel=Channel.EMAIL, address="li@example.test", kind="x", subject="s", text="t"
        )
    assert delivery_send(delivery_id=queued.pk) is True
    assert delivery_send(delivery_id=queued.pk) is False
    assert len(mailoutbox) == 1


def test_a_delivery_being_sent_elsewhere_is_not_sent_again(city, alpha, phone, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():
        queued = queue_sms(phone)
    Delivery.objects.filter(pk=queued.pk).update(status=DeliveryStatus.SENDING, attempted_at=timezone.now())
    assert delivery_send(delivery_id=queued.pk) is False
    assert sms_files(phone) == []
    Delivery.objects.filter(pk=queued.pk).update(status=DeliveryStatus.FAILED)
    assert delivery_send(delivery_id=queued.pk) is False
    assert delivery_send(delivery_id=0) is False  # gone


# --- Failures -------------------------------------------------------------------------------------------------------


def test_after_a_providers_failure_the_message_waits_with_the_reason_then_goes(
    city, alpha, phone, settings, django_capture_on_commit_callbacks
):
    settings.SMS_BACKEND = "tests.core.deliveries.backends.FlakyBackend"
    FlakyBackend.failures = 1
    with django_capture_on_commit_callbacks():
        queued = queue_sms(phone)
    with pytest.raises(SmsFailure):  # raised for the task to retry with back-off
        delivery_send(delivery_id=queued.pk)
    waiting = delivery(queued.pk)
    assert (waiting.status, waiting.last_error, waiting.attempts) == (
        DeliveryStatus.QUEUED,
        "isp.SYSTEM_ERROR: 系统异常",
        1,
    )
    assert waiting.next_attempt_at > timezone.now()
    assert sms_files(phone) == []

    assert delivery_send(delivery_id=queued.pk) is True
    sent = delivery(queued.pk)
    assert (sent.status, sent.last_error, sent.attempts) == (DeliveryStatus.SENT, "", 2)
    assert len(sms_files(phone)) == 1


def test_the_task_retries_a_providers_failure(city, alpha, phone, settings, django_capture_on_commit_callbacks):
    settings.SMS_BACKEND = "tests.core.deliveries.backends.FlakyBackend"
    FlakyBackend.failures = 2
    with django_capture_on_commit_callbacks() as callbacks:
        queued = queue_sms(phone)
    assert run_queued(callbacks, app="core.deliveries") == [True]  # run eagerly: the retries follow at once
    sent = delivery(queued.pk)
    assert (sent.status, sent.attempts) == (DeliveryStatus.SENT, 3)
    assert len(sms_files(phone)) == 1


def test_a_wrong_number_fails_for_good_with_the_providers_reason(
    city, alpha, phone, settings, django_capture_on_commit_callbacks
):
    settings.SMS_BACKEND = "tests.core.deliveries.backends.WrongNumberBackend"
    with django_capture_on_commit_callbacks() as callbacks:
        queued = queue_sms(phone)
    assert run_queued(callbacks, app="core.deliveries") == [False]  # not retried
    failed = delivery(queued.pk)
    assert (failed.status, failed.last_error, failed.attempts) == (
        DeliveryStatus.FAILED,
        "isv.MOBILE_NUMBER_ILLEGAL: 非法手机号",
        1,
    )
    assert failed.sent_at is None


def test_the_last_attempts_failure_is_final(city, alpha, phone, settings, django_capture_on_commit_callbacks):
    settings.SMS_BACKEND = "tests.core.deliveries.backends.FlakyBackend"
    FlakyBackend.failures = 1
    with django_capture_on_commit_callbacks():
        queued = queue_sms(phone)
    with pytest.raises(SmsFailure):
        delivery_send(delivery_id=queued.pk, last_attempt=True)
    failed = delivery(queued.pk)
    assert (failed.status, failed.last_error) == (DeliveryStatus.FAILED, "isp.SYSTEM_ERROR: 系统异常")
    assert delivery_send(delivery_id=queued.pk) is False  # a late retry sends nothing


def test_a_provider_down_for_every_retry_ends_failed(city, alpha, phone, settings, django_capture_on_commit_callbacks):
    settings.SMS_BACKEND = "tests.core.deliveries.backends.FlakyBackend"
    FlakyBackend.failures = 100
    with django_capture_on_commit_callbacks() as callbacks:
        queued = queue_sms(phone)
    with pytest.raises(SmsFailure):
        run_queued(callbacks, app="core.deliveries")
    failed = delivery(queued.pk)
    assert failed.status == DeliveryStatus.FAILED
    assert failed.attempts == delivery_send_task.max_retries + 1
    assert failed.last_error == "isp.SYSTEM_ERROR: 系统异常"


def test_a_mail_server_refusing_the_address_fails_it_for_good(
    city, alpha, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "tests.core.deliveries.backends.RefusingEmailBackend"
    with django_capture_on_commit_callbacks() as callbacks:
        queued = delivery_queue(key="k", channel=Channel.EMAIL, address="nobody@example.test", kind="x", text="t")
    assert run_queued(callbacks, app="core.deliveries") == [False]
    failed = delivery(queued.pk)
    assert (failed.status, failed.last_error) == (DeliveryStatus.FAILED, "nobody@example.test: 550 5.1.1 No such user")


def test_an_unreachable_mail_server_is_retried(city, alpha, settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "tests.core.deliveries.backends.UnreachableEmailBackend"
    with django_capture_on_commit_callbacks():
        queued = delivery_queue(key="k", channel=Channel.EMAIL, address="li@example.test", kind="x", text="t")
    with pytest.raises(ConnectionRefusedError):
        delivery_send(delivery_id=queued.pk)
    waiting = delivery(queued.pk)
    assert (waiting.status, waiting.last_error) == (
        DeliveryStatus.QUEUED,
        "ConnectionRefusedError: [Errno 111] Connection refused",
    )


# --- Bad addresses --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("address", ["12345", "024-70000001", "1391234000x", ""])
def test_a_wrong_sms_address_is_refused_in_chinese(city, alpha, address, django_capture_on_commit_callbacks):
    with translation.override("zh-hans"), django_capture_on_commit_callbacks() as callbacks:
        with pytest.raises(ValidationError) as refused:
            queue_sms(address)
    assert refused.value.message_dict == {"address": ["请填写 11 位中国大陆手机号码，如 13912345678。"]}
    assert not Delivery.objects.exists()
    assert callbacks == []


def test_a_wrong_e_mail_address_is_refused_in_chinese(city, alpha):
    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        delivery_queue(key="k", channel=Channel.EMAIL, address="not an address", kind="x", text="t")
    assert refused.value.message_dict == {"address": ["请填写有效的电子邮箱地址，如 name@example.com。"]}


# --- The rate limit per phone ---------------------------------------------------------------------------------------


def test_over_the_rate_limit_a_message_waits_for_the_next_hour_and_is_never_dropped(
    city, alpha, phone, settings, django_capture_on_commit_callbacks
):
    settings.SMS_PER_PHONE_PER_HOUR = 2
    settings.SMS_PER_PHONE_PER_DAY = 10
    start = timezone.localtime().replace(minute=20, second=0, microsecond=0)
    with time_machine.travel(start, tick=False):
        with django_capture_on_commit_callbacks():
            rows = [queue_sms(phone, key=f"event:{n}:sms") for n in range(3)]
        assert [delivery_send(delivery_id=row.pk) for row in rows[:2]] == [True, True]
        with translation.override("en"), pytest.raises(DeliveryDeferred) as deferred:
            delivery_send(delivery_id=rows[2].pk)
        assert deferred.value.countdown == 40 * 60 + 1  # the rest of the hour
        held = delivery(rows[2].pk)
        assert (held.status, held.last_error, held.attempts) == (DeliveryStatus.QUEUED, RATE_LIMITED, 0)
        assert held.next_attempt_at == start + datetime.timedelta(minutes=40, seconds=1)
        assert len(sms_files(phone)) == 2
    with time_machine.travel(start + datetime.timedelta(minutes=41), tick=False):
        assert delivery_send(delivery_id=rows[2].pk) is True  # the next hour: it goes
    sent = delivery(rows[2].pk)
    assert (sent.status, sent.attempts, sent.last_error) == (DeliveryStatus.SENT, 1, "")
    assert len(sms_files(phone)) == 3


def test_the_task_of_a_rate_limited_message_retries_it_later(
    city, alpha, phone, settings, django_capture_on_commit_callbacks
):
    settings.SMS_PER_PHONE_PER_HOUR = 1
    settings.SMS_PER_PHONE_PER_DAY = 10
    with django_capture_on_commit_callbacks() as callbacks:
        queue_sms(phone, key="a")
        held = queue_sms(phone, key="b")
    # The first goes; the second is retried by its task (at once when run eagerly) until its retries run out, and
    # stays queued for the sweep: never dropped.
    with pytest.raises(DeliveryDeferred):
        run_queued(callbacks, app="core.deliveries")
    held = delivery(held.pk)
    assert (held.status, held.attempts, held.last_error) == (DeliveryStatus.QUEUED, 0, RATE_LIMITED)
    assert len(sms_files(phone)) == 1


def test_the_daily_limit_holds_across_hours(city, alpha, phone, settings, django_capture_on_commit_callbacks):
    settings.SMS_PER_PHONE_PER_HOUR = 2
    settings.SMS_PER_PHONE_PER_DAY = 3
    morning = timezone.localtime().replace(hour=9, minute=0, second=0, microsecond=0)
    with django_capture_on_commit_callbacks():
        rows = [queue_sms(phone, key=f"event:{n}:sms") for n in range(4)]
    with time_machine.travel(morning, tick=False):
        assert [delivery_send(delivery_id=row.pk) for row in rows[:2]] == [True, True]
    with time_machine.travel(morning + datetime.timedelta(hours=1), tick=False):
        assert delivery_send(delivery_id=rows[2].pk) is True
        with pytest.raises(DeliveryDeferred) as deferred:
            delivery_send(delivery_id=rows[3].pk)
    assert deferred.value.countdown == 3600  # back within the hour, to wait on until tomorrow
    assert delivery(rows[3].pk).next_attempt_at == morning.replace(hour=0) + datetime.timedelta(days=1, seconds=1)
    with time_machine.travel(morning + datetime.timedelta(days=1), tick=False):
        assert delivery_send(delivery_id=rows[3].pk) is True
    assert len(sms_files(phone)) == 4


def test_a_failed_attempt_does_not_count_against_the_number(
    city, alpha, phone, settings, django_capture_on_commit_callbacks
):
    settings.SMS_BACKEND = "tests.core.deliveries.backends.FlakyBackend"
    settings.SMS_PER_PHONE_PER_HOUR = 1
    FlakyBackend.failures = 3
    with django_capture_on_commit_callbacks() as callbacks:
        queue_sms(phone)
    assert run_queued(callbacks, app="core.deliveries") == [True]


# --- The sweep ------------------------------------------------------------------------------------------------------


def test_the_sweep_queues_lost_messages_again_and_fails_interrupted_ones(
    city, alpha, phone, django_capture_on_commit_callbacks
):
    now = timezone.now()
    with django_capture_on_commit_callbacks():
        lost, fresh, interrupted, busy = (queue_sms(phone, key=f"k{n}") for n in range(4))
    Delivery.objects.filter(pk=lost.pk).update(next_attempt_at=now - datetime.timedelta(minutes=11))
    Delivery.objects.filter(pk=fresh.pk).update(next_attempt_at=now - datetime.timedelta(minutes=5))
    Delivery.objects.filter(pk=interrupted.pk).update(
        status=DeliveryStatus.SENDING, attempts=1, attempted_at=now - datetime.timedelta(minutes=31)
    )
    Delivery.objects.filter(pk=busy.pk).update(
        status=DeliveryStatus.SENDING, attempts=1, attempted_at=now - datetime.timedelta(minutes=10)
    )
    with translation.override("en"), django_capture_on_commit_callbacks() as callbacks:
        assert deliveries_sweep() == {"requeued": 1, "failed": 1}
    assert [task.args[2] for task in queued_tasks(callbacks, app="core.deliveries")] == [{"delivery_id": lost.pk}]
    assert delivery(lost.pk).next_attempt_at >= now  # not queued again by the next sweep at once
    assert (delivery(interrupted.pk).status, delivery(interrupted.pk).last_error) == (
        DeliveryStatus.FAILED,
        INTERRUPTED,
    )
    assert delivery(busy.pk).status == DeliveryStatus.SENDING
    assert delivery(fresh.pk).status == DeliveryStatus.QUEUED

    assert run_queued(callbacks, app="core.deliveries") == [True]
    assert delivery(lost.pk).status == DeliveryStatus.SENT
    with django_capture_on_commit_callbacks() as callbacks:
        assert deliveries_sweep() == {"requeued": 0, "failed": 0}


def test_beat_sweeps_the_public_schema_and_every_station(city, phone, django_capture_on_commit_callbacks):
    # Queued an hour ago, their tasks lost: each schema was marked with work (tenants.work), due by now.
    with time_machine.travel(timezone.now() - datetime.timedelta(hours=1)):
        for schema in (get_public_schema_name(), city.alpha.schema_name, city.beta.schema_name):
            with schema_context(schema), django_capture_on_commit_callbacks():
                queue_sms(phone, key=f"lost:{schema}")
    with django_capture_on_commit_callbacks() as callbacks:
        result = deliveries_sweep_all_task()
    assert result[get_public_schema_name()] == {"requeued": 1, "failed": 0}
    assert result["alpha"] == result["beta"] == {"requeued": 1, "failed": 0}
    schemas = sorted(task.args[1] for task in queued_tasks(callbacks, app="core.deliveries"))
    assert schemas == sorted([get_public_schema_name(), city.alpha.schema_name, city.beta.schema_name])


# --- Staff send a failed message again ----------------------------------------------------------------------------


def test_a_member_sends_a_failed_message_again_as_a_new_delivery(
    city, alpha, phone, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks():
        failed = queue_sms(phone, case_id=5)
    Delivery.objects.filter(pk=failed.pk).update(status=DeliveryStatus.FAILED, last_error=INTERRUPTED)
    failed.refresh_from_db()
    with django_capture_on_commit_callbacks() as callbacks:
        again = delivery_resend(delivery=failed, user=city.alpha_staff)
    assert again.pk != failed.pk
    assert (again.key, again.status, again.address, again.text, again.case_id) == (
        "demand:1:registered:sms:resend:1",
        DeliveryStatus.QUEUED,
        phone,
        failed.text,
        5,
    )
    assert run_queued(callbacks, app="core.deliveries") == [True]
    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        delivery_resend(delivery=failed, user=city.alpha_staff)  # sent again already
    assert refused.value.messages == ["该消息已重新发送。"]
    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        delivery_resend(delivery=again, user=city.alpha_staff)  # it went
    assert refused.value.messages == ["只有发送失败的消息才能重新发送。"]

    Delivery.objects.filter(pk=again.pk).update(status=DeliveryStatus.FAILED)
    third = delivery_resend(delivery=failed, user=city.alpha_head)  # the resend failed too: once more
    assert third.key == "demand:1:registered:sms:resend:2"


@pytest.mark.parametrize("who", ["beta_staff", "bureau_admin", "outsider", None])
def test_only_a_member_of_the_station_sends_again(city, alpha, phone, who, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():
        failed = queue_sms(phone)
    Delivery.objects.filter(pk=failed.pk).update(status=DeliveryStatus.FAILED)
    with pytest.raises(PermissionDenied):
        delivery_resend(delivery=failed, user=getattr(city, who) if who else PLATFORM)
    assert Delivery.objects.count() == 1


# --- What the case and demand pages show ------------------------------------------------------------------------


def test_the_lists_of_a_case_and_a_demand(city, alpha, phone, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():
        first = queue_sms(phone, key="a", case_id=1, demand_id=10)
        second = delivery_queue(
            key="b", channel=Channel.EMAIL, address="li@example.test", kind="x", text="t", case_id=1, demand_id=10
        )
        queue_sms(phone, key="c", case_id=2, demand_id=11)
    assert list(deliveries_of_case(case_id=1)) == [second, first]
    assert list(deliveries_of_demand(demand_id=10)) == [second, first]
    assert list(deliveries_of_case(case_id=3)) == []


def test_the_list_partial_masks_addresses_and_says_the_status_and_reason_in_chinese(
    city, alpha, phone, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks():
        sms = queue_sms(phone, key="a", case_id=1)
        mail = delivery_queue(
            key="b", channel=Channel.EMAIL, address="zhang@example.test", kind="other_kind", text="t", case_id=1
        )
    Delivery.objects.filter(pk=sms.pk).update(
        status=DeliveryStatus.FAILED, attempts=2, last_error="isv.MOBILE_NUMBER_ILLEGAL: 非法手机号"
    )
    with translation.override("zh-hans"):
        html = render_to_string(
            "deliveries/_list.html", {"deliveries": deliveries_of_case(case_id=1), "can_resend": True}
        )
        empty = render_to_string("deliveries/_list.html", {"deliveries": []})
    assert f"{phone[:3]}****{phone[7:]}" in html and phone not in html
    assert "z***@example.test" in html and "zhang@" not in html
    assert "短信" in html and "电子邮件" in html
    assert "需求受理通知" in html  # the registered kind's label
    assert "other_kind" in html  # an unregistered kind shows as it is
    assert "发送失败" in html and "排队待发" in html
    assert "isv.MOBILE_NUMBER_ILLEGAL: 非法手机号" in html
    assert "已尝试 2 次" in html
    assert html.count('value="delivery_resend"') == 1  # only the failed one
    assert f'name="delivery" value="{sms.pk}"' in html
    assert f'name="delivery" value="{mail.pk}"' not in html
    assert "尚未发送消息。" in empty


def test_beat_sweeps_every_five_minutes():
    from celery.schedules import crontab
    from django.conf import settings

    entry = settings.CELERY_BEAT_SCHEDULE["deliveries-sweep"]
    assert entry["task"] == deliveries_sweep_all_task.name == "core.deliveries.tasks.deliveries_sweep_all_task"
    assert entry["schedule"] == crontab(minute="*/5")
