"""Reads of notifications: a user's own, and their channel preferences with the kinds' defaults."""

from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import Http404

from core.notifications.kinds import KINDS
from core.notifications.models import Notification, NotificationPreference
from tenants.models import User


def notification_list(*, user: User, unread: bool = False) -> QuerySet[Notification]:
    """The user's notifications, newest first; only the unread ones when `unread`."""
    notifications = Notification.objects.filter(recipient=user).select_related("station")
    if unread:
        notifications = notifications.filter(read_at__isnull=True)
    return notifications.order_by("-created_at", "-id")


def notification_access(*, pk, user: User) -> Notification:
    """One of the user's own notifications; someone else's is missing (Http404) like one that does not exist."""
    if user is None or not user.is_authenticated:
        raise TypeError("notification_access needs the user")
    notification = Notification.objects.filter(pk=pk, recipient=user).first() if str(pk).isdigit() else None
    if notification is None:
        raise Http404
    return notification


@dataclass(frozen=True)
class PreferenceRow:
    kind: str
    label: str
    email: bool
    sms: bool
    # Whether the user chose, or these are the kind's defaults.
    chosen: bool


def notification_preferences(*, user: User) -> list[PreferenceRow]:
    """Every kind, with the user's choice of e-mail and SMS or the kind's defaults, in the registry's order."""
    chosen = {
        kind: (email, sms)
        for kind, email, sms in NotificationPreference.objects.filter(user=user).values_list("kind", "email", "sms")
    }
    rows = []
    for code, kind in KINDS.items():
        email, sms = chosen.get(code, (kind.email, kind.sms))
        rows.append(PreferenceRow(kind=code, label=str(kind.label), email=email, sms=sms, chosen=code in chosen))
    return rows
