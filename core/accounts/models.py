"""What an account has besides its user row (tenants.User): the sessions it is signed in with.

Public schema. A `UserSession` mirrors one of Django's sessions with what a person needs to recognise it (the host it
was opened on, the address, the browser, when it started and was last used), so that its owner sees it and ends it,
and deactivating a member ends the member's sessions on that station at once.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class UserSession(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="signed_in_sessions", verbose_name=_("user")
    )
    session_key = models.CharField(_("session key"), max_length=40, unique=True)
    host = models.CharField(_("host"), max_length=255)
    address = models.GenericIPAddressField(_("address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    last_seen_at = models.DateTimeField(_("last used at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        ordering = ["-last_seen_at", "-id"]
        indexes = [models.Index(fields=["user", "ended_at"], name="usersession_user_open")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.host}"
