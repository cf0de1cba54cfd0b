"""In-app notifications of staff and bureau users, and each user's channel preferences (public schema).

A `Notification` is one event told to one person: the unique `(recipient, key)` makes a repeated or retried event
tell nobody twice. Its `url` is absolute (a station's object lives on the station's host). The number of a user's
unread notifications is kept on the user (`User.notifications_unread`) by `core.notifications.services`, so that
every page shows it without a query of its own.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.notifications.kinds import KIND_CHOICES, KINDS


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    # The station the event happened in; empty for the bureau's own (an institution's qualification).
    station = models.ForeignKey(
        "tenants.Station",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("station"),
    )
    kind = models.CharField(_("kind"), max_length=40, choices=KIND_CHOICES)
    key = models.CharField(_("event key"), max_length=200)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    url = models.URLField(_("link"), max_length=500)
    created_at = models.DateTimeField(_("created at"))
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "key"], name="notification_once_per_event"),
        ]
        indexes = [models.Index(fields=["recipient", "read_at", "-created_at"], name="notification_inbox")]

    def __str__(self) -> str:
        return self.title

    @property
    def kind_label(self) -> str:
        kind = KINDS.get(self.kind)
        return str(kind.label) if kind else self.kind


class NotificationPreference(models.Model):
    """Whether a user also gets one kind of notification by e-mail and by SMS (in the app, always). No row: the
    kind's defaults (`core.notifications.kinds`)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preferences",
        verbose_name=_("user"),
    )
    kind = models.CharField(_("kind"), max_length=40, choices=KIND_CHOICES)
    email = models.BooleanField(_("by e-mail"), default=False)
    sms = models.BooleanField(_("by SMS"), default=False)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notification_preference_once_per_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.kind}"
