"""Complaints of a station (clause 6.5, handled after GB/T 19012), in the station's schema.

A `Complaint` comes from a public opinion of kind complaint or is entered by staff. It moves received →
acknowledged → investigating → responded → closed (with the complainant's feedback); acknowledging and responding
each have a deadline in working days from its reception. Every step is a `ComplaintEvent` (append-only). An unresolved
complaint is escalated to the bureau (GB/T 19013, `core.escalations`); the bureau's handling comes back by message and
is kept on the complaint.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.common.shared_rows import shared_key
from core.supervision.models import OpinionChannel

KEEP = models.DO_NOTHING


class ComplaintState(models.TextChoices):
    RECEIVED = "received", _("Received")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    INVESTIGATING = "investigating", _("Investigating")
    RESPONDED = "responded", _("Responded")
    CLOSED = "closed", _("Closed")


class Feedback(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    NOT_SATISFIED = "not_satisfied", _("Not satisfied")


class Complaint(models.Model):
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # The complainant's reference number (`ALPHA-TS-2026-000012`), gap-free per year, taken when it is opened.
    reference = models.CharField(_("reference number"), max_length=40, unique=True, editable=False)
    opinion = models.OneToOneField(
        "supervision.Opinion",
        on_delete=KEEP,
        null=True,
        blank=True,
        related_name="complaint",
        verbose_name=_("opinion"),
    )
    case = models.ForeignKey(
        "desk.ServiceCase", on_delete=KEEP, null=True, blank=True, related_name="+", verbose_name=_("service case")
    )
    channel = models.CharField(_("channel"), max_length=20, choices=OpinionChannel.choices)
    complainant_name = models.CharField(_("complainant"), max_length=100, blank=True)
    complainant_phone = models.CharField(_("phone"), max_length=30, blank=True)
    complainant_email = models.EmailField(_("e-mail"), blank=True)
    subject = models.TextField(_("complaint"))
    state = models.CharField(_("state"), max_length=20, choices=ComplaintState.choices, default=ComplaintState.RECEIVED)
    received_at = models.DateTimeField(_("received at"))
    acknowledge_due_at = models.DateTimeField(_("acknowledge by"))
    response_due_at = models.DateTimeField(_("respond by"))
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    responded_at = models.DateTimeField(_("responded at"), null=True, blank=True)
    response = models.TextField(_("response"), blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    feedback = models.CharField(_("complainant's feedback"), max_length=20, choices=Feedback.choices, blank=True)
    feedback_text = models.TextField(_("feedback in words"), blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    escalation_reason = models.TextField(_("reason for escalation"), blank=True)
    # Escalated by the beat task, `COMPLAINT_ESCALATE_AFTER_WORKING_DAYS` working days past its response deadline.
    escalated_automatically = models.BooleanField(_("escalated automatically"), default=False)
    bureau_handling = models.TextField(_("bureau's handling"), blank=True)
    bureau_handled_at = models.DateTimeField(_("handled by the bureau at"), null=True, blank=True)
    bureau_handled_by = models.CharField(_("handled by"), max_length=150, blank=True)
    created_by = shared_key(settings.AUTH_USER_MODEL, null=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(name="complaints_state_due", fields=["state", "response_due_at"])]

    def __str__(self) -> str:
        if self.reference:
            return _("Complaint %(reference)s") % {"reference": self.reference}
        return _("Complaint #%(id)s") % {"id": self.pk}


class ComplaintEventKind(models.TextChoices):
    STATE = "state", _("State change")
    ESCALATION = "escalation", _("Escalated to the bureau")
    BUREAU = "bureau", _("Bureau's handling")
    NOTE = "note", _("Note")
    REMINDER = "reminder", _("Deadline reminder")


class ComplaintEvent(models.Model):
    """The complaint's timeline. Append-only: migration 0002 adds a trigger that refuses UPDATE and DELETE."""

    complaint = models.ForeignKey(Complaint, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(_("kind"), max_length=20, choices=ComplaintEventKind.choices)
    from_state = models.CharField(max_length=20, choices=ComplaintState.choices, blank=True)
    to_state = models.CharField(max_length=20, choices=ComplaintState.choices, blank=True)
    text = models.TextField(_("text"), blank=True)
    actor = shared_key(settings.AUTH_USER_MODEL, null=True)
    actor_name = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(_("time"))

    class Meta:
        verbose_name = _("complaint event")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.get_kind_display()}"


class ComplaintDeadline(models.TextChoices):
    ACKNOWLEDGE = "acknowledge", _("Acknowledgement")
    RESPONSE = "response", _("Response")


class ReminderKind(models.TextChoices):
    DUE_SOON = "due_soon", _("Due soon")
    OVERDUE = "overdue", _("Overdue")


class ComplaintReminder(models.Model):
    """A deadline reminder decided on for a complaint: one per complaint, deadline and kind (the unique constraint
    makes a second one impossible). `sent_at` is set once its e-mail went out, so a retried send does not repeat it."""

    complaint = models.ForeignKey(Complaint, on_delete=models.PROTECT, related_name="reminders")
    deadline = models.CharField(_("deadline"), max_length=20, choices=ComplaintDeadline.choices)
    kind = models.CharField(_("kind"), max_length=20, choices=ReminderKind.choices)
    due_at = models.DateTimeField(_("due at"))
    recipients = models.JSONField(_("recipients"), default=list, blank=True)
    created_at = models.DateTimeField(_("decided at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("complaint reminder")
        verbose_name_plural = _("complaint reminders")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["complaint", "deadline", "kind"], name="complaint_reminder_once"),
        ]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.deadline} {self.kind}"
