"""Complaints escalated by stations to the bureau (clause 6.5, GB/T 19013), in the public schema.

A station escalates a complaint it could not settle (`core.complaints.services.complaint_escalate`); the message
lands here as one `Escalation` (applied once, keyed by the complaint's uid). The bureau sees them city-wide on the
console and records its handling, which travels back to the station by message.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

KEEP = models.DO_NOTHING


class EscalationState(models.TextChoices):
    OPEN = "open", _("Waiting for the bureau")
    HANDLED = "handled", _("Handled by the bureau")


class Escalation(models.Model):
    uid = models.UUIDField(_("complaint"), unique=True, default=uuid.uuid4)
    station = models.ForeignKey(
        "tenants.Station", on_delete=KEEP, related_name="escalations", verbose_name=_("station")
    )
    complaint_id = models.PositiveBigIntegerField()
    reference = models.CharField(_("reference number"), max_length=40, blank=True)
    subject = models.TextField(_("complaint"))
    complainant_name = models.CharField(_("complainant"), max_length=100, blank=True)
    complainant_phone = models.CharField(_("phone"), max_length=30, blank=True)
    complainant_email = models.EmailField(_("e-mail"), blank=True)
    received_at = models.DateTimeField(_("received at"))
    station_response = models.TextField(_("station's response"), blank=True)
    feedback = models.CharField(_("complainant's feedback"), max_length=20, blank=True)
    feedback_text = models.TextField(_("feedback in words"), blank=True)
    reason = models.TextField(_("reason for escalation"))
    escalated_at = models.DateTimeField(_("escalated at"))
    # Sent by the station's beat task, not by a person: its response deadline had passed by this many working days.
    automatic = models.BooleanField(_("escalated automatically"), default=False)
    overdue_working_days = models.PositiveSmallIntegerField(_("working days overdue"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=20, choices=EscalationState.choices, default=EscalationState.OPEN)
    handling = models.TextField(_("bureau's handling"), blank=True)
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=KEEP, null=True, blank=True, related_name="+", verbose_name=_("handled by")
    )

    class Meta:
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        ordering = ["-escalated_at", "-id"]
        indexes = [models.Index(name="escalation_state_time", fields=["state", "escalated_at"])]

    def __str__(self) -> str:
        return f"{self.station_id}:{self.complaint_id}"
