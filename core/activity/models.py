"""The station's activity log: what happened in this station, by whom. Lives in the station's own schema."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ActivityVerb(models.TextChoices):
    STATION_OPENED = "station_opened", _("Station opened")
    MEMBER_SIGNED_IN = "member_signed_in", _("Member signed in")
    MEMBER_JOINED = "member_joined", _("Member joined")
    MEMBER_LEFT = "member_left", _("Member deactivated")
    QUALIFICATION_CHANGED = "qualification_changed", _("Qualification corrected")
    QUALIFICATION_WITHDRAWN = "qualification_withdrawn", _("Qualification withdrawn")
    TRAINING_CHANGED = "training_changed", _("Training corrected")
    TRAINING_CANCELLED = "training_cancelled", _("Training cancelled")
    EQUIPMENT_CHANGED = "equipment_changed", _("Equipment corrected")
    EQUIPMENT_RETIRED = "equipment_retired", _("Equipment retired")


class ActivityEntry(models.Model):
    # Users live in the public schema; a station schema keeps the id and the name as they were at the time.
    actor_id = models.BigIntegerField(_("actor id"), null=True, blank=True)
    actor_name = models.CharField(_("actor"), max_length=150, blank=True)
    verb = models.CharField(_("what happened"), max_length=30, choices=ActivityVerb.choices)
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("activity entry")
        verbose_name_plural = _("activity entries")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_name} {self.get_verb_display()}"
