"""Writes of notifications: `notify` (called by the services where something happens), read marks and each user's
channel preferences.

`notify` writes one in-app `Notification` per active recipient (the public schema's table, whatever schema is in
use) and, per the recipient's preference for the kind (or the kind's default), queues an e-mail and an SMS delivery
(`core.deliveries`, in the active schema: a station's deliveries stay in its schema). Every delivery's key is the
notification's key, the recipient and the channel: a repeated or retried event writes and sends nothing twice. It
is part of the service that decided on the event, whose actor that service has checked; it checks none of its own.

Each user's unread count is kept on the user (`User.notifications_unread`): raised by `notify` by the rows it really
created, recounted in one UPDATE when notifications are read, so that no page counts them again.
"""

import datetime
import hashlib
import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Count, F, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.common.sms import mobile_number
from core.deliveries.models import Delivery
from core.deliveries.services import delivery_queue
from core.notifications.kinds import KINDS, kind_get
from core.notifications.models import Notification, NotificationPreference
from tenants.models import Station, User
from tenants.selectors import DEMO, PLATFORM, SystemActor

logger = logging.getLogger(__name__)

TITLE_MAX = Notification._meta.get_field("title").max_length
DELIVERY_KEY_MAX = Delivery._meta.get_field("key").max_length


def _insert(rows: list[Notification]) -> set[int]:
    """Insert `rows`, skipping a recipient who has the event's notification already; the recipients really told."""
    fields = [field for field in Notification._meta.concrete_fields if not field.primary_key]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    row_sql = "(" + ", ".join(["%s"] * len(fields)) + ")"
    params = [field.get_db_prep_save(getattr(row, field.attname), connection) for row in rows for field in fields]
    table = quote(Notification._meta.db_table)
    sql = (
        f"INSERT INTO {table} ({columns}) VALUES {', '.join([row_sql] * len(rows))} "  # noqa: S608  (model's names)
        f"ON CONFLICT ({quote('recipient_id')}, {quote('key')}) DO NOTHING RETURNING {quote('recipient_id')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {recipient_id for (recipient_id,) in cursor.fetchall()}


def _render(template: str, context: dict) -> tuple[str, str]:
    """(subject, body) of `<template>_{subject,body}.txt`, in the site's language (the recipient is not whoever's
    request this is)."""
    with translation.override(settings.LANGUAGE_CODE):
        subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
        body = render_to_string(f"{template}_body.txt", context)
    return subject, body


def _channels(people: list[User], kind: str) -> dict[int, tuple[bool, bool]]:
    """(by e-mail, by SMS) for each of `people`: their preference for `kind`, or the kind's defaults."""
    default = kind_get(kind)
    chosen = {
        user_id: (email, sms)
        for user_id, email, sms in NotificationPreference.objects.filter(
            user__in=[person.pk for person in people], kind=kind
        ).values_list("user_id", "email", "sms")
    }
    return {person.pk: chosen.get(person.pk, (default.email, default.sms)) for person in people}


@transaction.atomic
def notify(
    *,
    recipients: Iterable[User],
    kind: str,
    key: str,
    title: str,
    url: str,
    station: Station | None = None,
    body: str = "",
    email: tuple[str, str, dict] | None = None,
    case_id: int | None = None,
) -> int:
    """Tell `recipients` (the active ones) of one event in the app, and by e-mail and SMS as each chose for `kind`.

    `key` names the event (at most 200 characters): a person already told of it is not told again, on any channel.
    `url` is the absolute link to the event's object. The e-mail is `email` = (app, template, context), rendered from
    `<app>/email/<template>_{subject,body}.txt`, or else the generic one with the title, the text and the link; the
    SMS (to a mobile number of the recipient's profile) is the title and the link. `case_id` puts the deliveries on
    that case's timeline (a case of the active station). Returns how many people were told now."""
    kind_get(kind)
    people = list({person.pk: person for person in recipients if person is not None and person.is_active}.values())
    if not people:
        return 0
    now = timezone.now()
    title = str(title)[:TITLE_MAX]
    template = Notification(
        recipient=people[0], station=station, kind=kind, key=key, title=title, body=body, url=url, created_at=now
    )
    template.full_clean(exclude=["recipient", "station"], validate_unique=False, validate_constraints=False)
    rows = [
        Notification(
            recipient=person, station=station, kind=kind, key=key, title=title, body=body, url=url, created_at=now
        )
        for person in people
    ]
    told = _insert(rows)
    if not told:
        return 0
    User.objects.filter(pk__in=told).update(notifications_unread=F("notifications_unread") + 1)
    told_people = [person for person in people if person.pk in told]
    channels = _channels(told_people, kind)
    rendered = None
    for person in told_people:
        by_email, by_sms = channels[person.pk]
        if by_email and person.email:
            if rendered is None:
                if email is not None:
                    app, name, context = email
                    rendered = _render(f"{app}/email/{name}", context)
                else:
                    context = {"title": title, "body": body, "link": url, "kind": kind_get(kind).label}
                    rendered = _render("notifications/email/notification", context)
            subject, text = rendered
            _deliver(
                key=_delivery_key(key, person, "email"),
                channel="email",
                address=person.email,
                kind=kind,
                text=text,
                subject=subject,
                case_id=case_id,
            )
        mobile = mobile_number(person.phone) if by_sms else ""
        if mobile:
            _deliver(
                key=_delivery_key(key, person, "sms"),
                channel="sms",
                address=mobile,
                kind=kind,
                text=f"{title}\n{url}",
                params={"title": title, "link": url},
                case_id=case_id,
            )
    return len(told)


def _delivery_key(key: str, person: User, channel: str) -> str:
    """The delivery's idempotency key: the event's, the recipient's and the channel's (a digest if too long)."""
    full = f"{key}:{person.pk}:{channel}"
    if len(full) <= DELIVERY_KEY_MAX:
        return full
    return f"notification:{hashlib.sha256(full.encode()).hexdigest()}"


def _deliver(**message) -> None:
    """Queue one delivery; an address the deliveries refuse (a profile's e-mail they find not valid) is logged and
    skipped: it never costs the in-app notification, nor the action that caused it."""
    try:
        delivery_queue(**message)
    except ValidationError as error:
        logger.warning("notification %s by %s not queued: %s", message["key"], message["channel"], error.messages)


def _unread_recount(users) -> None:
    """Set the unread count of `users` (a queryset) from their notifications, in one UPDATE."""
    unread = (
        Notification.objects.filter(recipient=OuterRef("pk"), read_at__isnull=True)
        .order_by()
        .values("recipient")
        .annotate(count=Count("pk"))
        .values("count")
    )
    users.update(notifications_unread=Coalesce(Subquery(unread), Value(0)))


def _require_person(user: User) -> None:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        raise PermissionDenied(_("Sign in to read your notifications."))


@transaction.atomic
def notification_read(*, user: User, notification: Notification) -> Notification:
    """Mark one of the user's own notifications read (again: nothing changes)."""
    _require_person(user)
    if notification.recipient_id != user.pk:
        raise PermissionDenied(_("This notification is someone else's."))
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=notification.read_at)
        _unread_recount(User.objects.filter(pk=user.pk))
    return notification


@transaction.atomic
def notifications_read_all(*, user: User) -> int:
    """Mark every unread notification of the user read; how many were."""
    _require_person(user)
    count = Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())
    _unread_recount(User.objects.filter(pk=user.pk))
    return count


@transaction.atomic
def notifications_read_before(*, actor: SystemActor, before: datetime.datetime) -> int:
    """Mark read, as of when they came, every notification older than `before` (the demo city's generated history:
    a year of past events is not news). The platform's only; the counts of the people concerned are set again."""
    if actor not in (PLATFORM, DEMO):
        raise PermissionDenied("only the platform marks notifications read for everyone")
    old = Notification.objects.filter(read_at__isnull=True, created_at__lt=before)
    people = list(old.values_list("recipient", flat=True).distinct())
    count = old.update(read_at=F("created_at"))
    _unread_recount(User.objects.filter(pk__in=people))
    return count


@transaction.atomic
def notification_preference_set(*, user: User, kind: str, email: bool, sms: bool) -> NotificationPreference:
    """Whether the user also gets `kind` by e-mail and by SMS. SMS needs a mobile number in the user's profile."""
    _require_person(user)
    if kind not in KINDS:
        raise ValidationError({"kind": [_("Choose one of the kinds of notification.")]})
    if sms and not mobile_number(user.phone):
        raise ValidationError({"sms": [_("Notifications by SMS need a mobile number: add one to your profile first.")]})
    values = {"email": bool(email), "sms": bool(sms)}
    NotificationPreference(user=user, kind=kind, **values).full_clean(
        exclude=["user"], validate_unique=False, validate_constraints=False
    )
    preference, _created = NotificationPreference.objects.update_or_create(user=user, kind=kind, defaults=values)
    return preference


@transaction.atomic
def notification_preferences_save(*, user: User, choices: dict[str, tuple[bool, bool]]) -> int:
    """Save the user's choices, (by e-mail, by SMS) by kind, all or none: a refusal names its field as
    `<kind>.<email|sms>`. Only what differs from the present choice (or the kind's default) is written; how many."""
    _require_person(user)
    current = {
        kind: (email, sms)
        for kind, email, sms in NotificationPreference.objects.filter(user=user).values_list("kind", "email", "sms")
    }
    errors: dict[str, list[str]] = {}
    saved = 0
    for kind, (email, sms) in choices.items():
        present = current.get(kind) or ((KINDS[kind].email, KINDS[kind].sms) if kind in KINDS else None)
        if present == (bool(email), bool(sms)):
            continue
        try:
            notification_preference_set(user=user, kind=kind, email=email, sms=sms)
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                errors.setdefault(f"{kind}.{field}" if field in ("email", "sms") else field, []).extend(messages)
        else:
            saved += 1
    if errors:
        raise ValidationError(errors)
    return saved
