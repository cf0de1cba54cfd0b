"""Sending e-mails and text messages, each at most once, with its status kept.

- `delivery_queue` keeps one message (QUEUED) under its idempotency key, "one event, one recipient, one channel", and
  queues its task after the commit: a duplicated event finds the key taken and queues nothing. It never talks to a
  provider, so an outage never blocks the staff action that caused the message.
- `delivery_send` (the task's body) claims the row (QUEUED → SENDING, committed) before it talks to the provider: a
  duplicated or retried task finds it claimed and sends nothing. It then ends SENT; back to QUEUED with the reason on
  a failure that may pass (the task retries with back-off) or over the per-phone rate limit (`DeliveryDeferred`: the
  task retries when the limit allows); FAILED with the reason when no retry can help or the retries are spent.
- `deliveries_sweep` (beat, in each schema `delivery_queue` marked with `DELIVERIES_WORK`, ``tenants.work``): a queued
  message whose task was lost is queued again; one left SENDING by a worker that died mid-send is failed, never sent
  twice ("result unknown": staff check and resend).
- `delivery_resend`: staff send a failed message again, as a new row.
"""

import datetime
import logging
import smtplib
from email.utils import make_msgid

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.common.masking import mask_email, mask_phone
from core.common.sms import SmsFailure, mobile_number, sms_backend
from core.deliveries.models import Channel, Delivery, DeliveryStatus
from tenants.selectors import require_member
from tenants.tasks import queue_after_commit
from tenants.work import station_work_mark

logger = logging.getLogger(__name__)

# The sweep queues again a message whose attempt was due this long ago (its task was lost with the broker) and fails
# one SENDING for longer than a send can take (its worker died: whether the provider took it is unknown).
REQUEUE_AFTER = datetime.timedelta(minutes=10)
STALE_SENDING_AFTER = datetime.timedelta(minutes=30)
SWEEP_BATCH = 1000
# The tasks' back-off (core.common.mail.MAIL_RETRY): the next retry comes at most this long after a failure.
RETRY_BACKOFF = 30
RETRY_BACKOFF_MAX = 3600
ERROR_MAX_CHARS = 1000
# The deliveries' kind of work in tenants.work: the schemas the sweep visits.
DELIVERIES_WORK = "deliveries"


class DeliveryDeferred(Exception):
    """The message may not go yet (the per-phone rate limit): it is QUEUED again; try in `countdown` seconds."""

    def __init__(self, countdown: int) -> None:
        super().__init__(f"deferred for {countdown} s")
        self.countdown = countdown


def _in_site_language(message) -> str:
    """A reason kept on the row (a lazy translation) is read later by anyone: in the site's language, whoever's
    request made it."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(message)


# --- Queueing -------------------------------------------------------------------------------------------------------


@transaction.atomic
def delivery_queue(
    *,
    key: str,
    channel: str,
    address: str,
    kind: str,
    text: str,
    subject: str = "",
    params: dict | None = None,
    case_id: int | None = None,
    demand_id: int | None = None,
) -> Delivery:
    """Keep one message to send and queue its sending after the commit. A key already kept returns that delivery and
    queues nothing (a duplicated event sends nothing twice). An SMS address must be a mobile number (normalised to
    its 11 digits), an e-mail one an address: ValidationError on "address" otherwise."""
    existing = Delivery.objects.filter(key=key).first()
    if existing is not None:
        return existing
    address = (address or "").strip()
    if channel == Channel.SMS:
        number = mobile_number(address)
        if not number:
            raise ValidationError(
                {"address": _("Enter a mainland China mobile number of 11 digits, such as 13912345678.")},
                code="mobile",
            )
        address = number
    elif channel == Channel.EMAIL:
        try:
            validate_email(address)
        except ValidationError:
            raise ValidationError(
                {"address": _("Enter a valid e-mail address, such as name@example.com.")}, code="email"
            ) from None
    delivery = Delivery(
        key=key,
        channel=channel,
        address=address,
        kind=kind,
        subject=" ".join(subject.split())[:200],
        text=text,
        params={str(name): str(value) for name, value in (params or {}).items()},
        case_id=case_id,
        demand_id=demand_id,
        status=DeliveryStatus.QUEUED,
    )
    delivery.full_clean(validate_unique=False)
    try:
        with transaction.atomic():
            delivery.save()
    except IntegrityError:
        # The same event queued at the same moment by another transaction, which committed first.
        return Delivery.objects.get(key=key)
    from core.deliveries.tasks import delivery_send_task

    # The sweep looks here once the message could have been lost (it stays marked until nothing is pending).
    station_work_mark(kind=DELIVERIES_WORK, due_at=delivery.next_attempt_at + REQUEUE_AFTER)
    queue_after_commit(delivery_send_task, delivery_id=delivery.pk)
    return delivery


# --- Sending --------------------------------------------------------------------------------------------------------


def _claim(delivery_id: int) -> Delivery | None:
    """QUEUED → SENDING, committed, the attempt counted; None when the row is not queued (sending elsewhere, sent,
    failed) or locked by another worker claiming it now."""
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(pk=delivery_id, status=DeliveryStatus.QUEUED)
            .first()
        )
        if delivery is None:
            return None
        delivery.status = DeliveryStatus.SENDING
        delivery.attempts += 1
        delivery.attempted_at = timezone.now()
        delivery.save(update_fields=["status", "attempts", "attempted_at"])
    return delivery


def _settle(delivery: Delivery, **fields) -> None:
    """Write the end of an attempt on a SENDING row (the sweep may have failed it meanwhile: then it stays so)."""
    Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.SENDING).update(**fields)
    for name, value in fields.items():
        setattr(delivery, name, value)


def _rate_keys(phone: str) -> list[tuple[str, int, int]]:
    """The cache counters of `phone` now: (key, limit, seconds until the window ends), this clock hour's and
    today's. The number is kept hashed."""
    now = timezone.localtime()
    digest = salted_hmac("core.deliveries.sms-rate", phone).hexdigest()[:32]
    next_hour = now.replace(minute=0, second=0, microsecond=0) + datetime.timedelta(hours=1)
    next_day = timezone.make_aware(datetime.datetime.combine(now.date() + datetime.timedelta(days=1), datetime.time()))
    return [
        (f"deliveries:sms:{digest}:{now:%Y%m%d%H}", settings.SMS_PER_PHONE_PER_HOUR, _seconds(next_hour - now)),
        (f"deliveries:sms:{digest}:{now:%Y%m%d}", settings.SMS_PER_PHONE_PER_DAY, _seconds(next_day - now)),
    ]


def _seconds(delta: datetime.timedelta) -> int:
    return max(1, int(delta.total_seconds()) + 1)


def _rate_take(phone: str) -> tuple[list[str], int]:
    """Count one message to `phone` in this hour's and today's windows. Returns the keys counted (to give back if
    nothing went) and 0, or, when a window is full, nothing counted and the seconds until it ends."""
    taken = []
    for key, limit, wait in _rate_keys(phone):
        cache.add(key, 0, timeout=wait + 60)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=wait + 60)
            count = 1
        taken.append(key)
        if count > limit:
            _rate_give_back(taken)
            return [], wait
    return taken, 0


def _rate_give_back(keys: list[str]) -> None:
    for key in keys:
        try:
            cache.decr(key)
        except ValueError:
            pass


def _send(delivery: Delivery) -> str:
    """Hand the message to its provider; its message id. Raises SmsFailure, SMTPException or OSError."""
    if delivery.channel == Channel.SMS:
        return sms_backend().send(
            phone=delivery.address, kind=delivery.kind, params=dict(delivery.params), text=delivery.text
        )
    message_id = make_msgid(domain=settings.BASE_DOMAIN)
    message = EmailMessage(
        subject=delivery.subject,
        body=delivery.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[delivery.address],
        headers={"Message-ID": message_id},
    )
    message.send()
    return message_id


def _permanent(error: BaseException) -> bool:
    """Whether sending again cannot help: the SMS provider said so, or the mail server refused the address for good."""
    if isinstance(error, SmsFailure):
        return error.permanent
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return bool(error.recipients) and all(code >= 500 for code, _reply in error.recipients.values())
    return False


def _transient(error: BaseException) -> bool:
    return isinstance(error, SmsFailure | smtplib.SMTPException | OSError) and not _permanent(error)


def _reason(error: BaseException) -> str:
    """The failure as the provider or the mail server gave it."""
    if isinstance(error, SmsFailure):
        text = error.reason
    elif isinstance(error, smtplib.SMTPRecipientsRefused):
        text = "; ".join(f"{address}: {_reply(code, reply)}" for address, (code, reply) in error.recipients.items())
    elif isinstance(error, smtplib.SMTPResponseException):
        text = _reply(error.smtp_code, error.smtp_error)
    else:
        text = f"{type(error).__name__}: {error}"
    return text[:ERROR_MAX_CHARS]


def _reply(code: int, reply: bytes | str) -> str:
    return f"{code} {reply.decode(errors='replace') if isinstance(reply, bytes) else reply}"


def _next_retry(attempts: int) -> datetime.datetime:
    """When the task's next retry comes at the latest (its back-off with jitter stays below this)."""
    return timezone.now() + datetime.timedelta(seconds=min(RETRY_BACKOFF_MAX, RETRY_BACKOFF * 2 ** max(0, attempts)))


def delivery_send(*, delivery_id: int, last_attempt: bool = False) -> bool:
    """Send one queued message, at most once (the body of `delivery_send_task`). True when it went.

    A row not QUEUED (being sent, sent, failed: a duplicated or retried task) returns False and sends nothing. An SMS
    over its number's rate limit goes back to QUEUED and raises `DeliveryDeferred` (never dropped). A failure that
    may pass puts it back to QUEUED with the reason and is raised again for the task to retry, unless this was the
    `last_attempt`; a permanent failure, the last attempt's or an unexpected error ends it FAILED with the reason."""
    delivery = _claim(delivery_id)
    if delivery is None:
        return False
    counted: list[str] = []
    if delivery.channel == Channel.SMS:
        counted, wait = _rate_take(delivery.address)
        if wait:
            _settle(
                delivery,
                status=DeliveryStatus.QUEUED,
                attempts=delivery.attempts - 1,  # nothing was attempted
                last_error=_in_site_language(
                    gettext_lazy("Over the sending limit for this number; it will be sent later.")
                ),
                next_attempt_at=timezone.now() + datetime.timedelta(seconds=wait),
            )
            # The task comes back within the hour at the latest (a broker holds an early message no longer); a
            # longer wait (the daily limit) takes a few returns, or the sweep's once the retries are spent.
            raise DeliveryDeferred(min(wait, RETRY_BACKOFF_MAX))
    try:
        with translation.override(settings.LANGUAGE_CODE):
            provider_id = _send(delivery)
    except Exception as error:
        _rate_give_back(counted)
        reason = _reason(error)
        if _transient(error) and not last_attempt:
            _settle(
                delivery,
                status=DeliveryStatus.QUEUED,
                last_error=reason,
                next_attempt_at=_next_retry(delivery.attempts),
            )
            logger.warning("delivery %s (%s) failed, retried later: %s", delivery.pk, delivery.kind, reason)
            raise
        _settle(delivery, status=DeliveryStatus.FAILED, last_error=reason)
        logger.warning("delivery %s (%s) failed for good: %s", delivery.pk, delivery.kind, reason)
        if _permanent(error):
            return False  # nothing to retry
        raise
    _settle(delivery, status=DeliveryStatus.SENT, sent_at=timezone.now(), provider_id=provider_id[:200], last_error="")
    masked = mask_phone(delivery.address) if delivery.channel == Channel.SMS else mask_email(delivery.address)
    logger.info(
        "delivery %s (%s) sent by %s to %s: %s", delivery.pk, delivery.kind, delivery.channel, masked, provider_id
    )
    logger.debug("delivery %s text: %s", delivery.pk, delivery.text)
    return True


# --- The sweep ------------------------------------------------------------------------------------------------------


@transaction.atomic
def deliveries_sweep() -> dict[str, int]:
    """In the active schema: queue again the messages whose attempt was due more than `REQUEUE_AFTER` ago (a lost
    task), and fail those SENDING for more than `STALE_SENDING_AFTER` (a worker that died mid-send: the provider may
    or may not have taken it, so it is never sent again by itself). The counts."""
    from core.deliveries.tasks import delivery_send_task

    now = timezone.now()
    lost = list(
        Delivery.objects.select_for_update(skip_locked=True)
        .filter(status=DeliveryStatus.QUEUED, next_attempt_at__lte=now - REQUEUE_AFTER)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    Delivery.objects.filter(pk__in=lost).update(next_attempt_at=now)
    for pk in lost:
        queue_after_commit(delivery_send_task, delivery_id=pk)
    failed = Delivery.objects.filter(status=DeliveryStatus.SENDING, attempted_at__lte=now - STALE_SENDING_AFTER).update(
        status=DeliveryStatus.FAILED,
        last_error=_in_site_language(
            gettext_lazy("Sending was interrupted and its result is unknown; check, then send again.")
        ),
    )
    return {"requeued": len(lost), "failed": failed}


# --- Staff --------------------------------------------------------------------------------------------------------


@transaction.atomic
def delivery_resend(*, delivery: Delivery, user) -> Delivery:
    """A station member sends a failed message again: a new delivery (key `<key>:resend:<n>`) with the same address
    and text, queued as any. Refused for a message that did not fail, or that was already sent again and is not
    failed again."""
    require_member(user=user)
    original = Delivery.objects.select_for_update().get(pk=delivery.pk)
    if original.status != DeliveryStatus.FAILED:
        raise ValidationError(_("Only a message that failed can be sent again."), code="not_failed")
    prefix = f"{original.key}:resend:"
    resends = list(Delivery.objects.filter(key__startswith=prefix).values_list("key", "status"))
    direct = [(key, status) for key, status in resends if key[len(prefix) :].isdigit()]
    if any(status != DeliveryStatus.FAILED for _key, status in direct):
        raise ValidationError(_("This message has already been sent again."), code="resent")
    number = max((int(key[len(prefix) :]) for key, _status in direct), default=0) + 1
    return delivery_queue(
        key=f"{prefix}{number}",
        channel=original.channel,
        address=original.address,
        kind=original.kind,
        text=original.text,
        subject=original.subject,
        params=original.params,
        case_id=original.case_id,
        demand_id=original.demand_id,
    )
