"""Public supervision of a station (clause 6.1), in the station's schema.

An `Opinion` is whatever the public tells the station, by the public form of its host (`/feedback/`) or by phone,
WeChat, the suggestion box or in person (logged by staff): recorded, classified, answered and closed; where
reasonable it gets `ImprovementPlan`s (owner, due date, result), and its result may be published on the station's
public page. `PublicSubmission` keeps, for the rate limit of the public form, a salted hash of each submitting
address and when it submitted (never the address itself).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.common.shared_rows import shared_key

KEEP = models.DO_NOTHING  # users are never deleted (core.common.shared_rows); a case's foreign key refuses its delete


class OpinionKind(models.TextChoices):
    SUGGESTION = "suggestion", _("Suggestion")
    COMPLAINT = "complaint", _("Complaint")
    PRAISE = "praise", _("Praise")
    OTHER = "other", _("Other")


class OpinionChannel(models.TextChoices):
    WEB = "web", _("Public web form")
    PHONE = "phone", _("Phone")
    WECHAT = "wechat", _("WeChat")
    BOX = "box", _("Suggestion box")
    IN_PERSON = "in_person", _("In person")


class OpinionTopic(models.TextChoices):
    UNCLASSIFIED = "", _("Not classified yet")
    SERVICE_QUALITY = "service_quality", _("Quality of service")
    CONDUCT = "conduct", _("Staff conduct")
    TIMELINESS = "timeliness", _("Timeliness")
    FACILITIES = "facilities", _("Site and facilities")
    INFORMATION = "information", _("Information and publicity")
    OTHER = "other", _("Other")


class OpinionState(models.TextChoices):
    RECEIVED = "received", _("Received")
    ANSWERED = "answered", _("Answered")
    CLOSED = "closed", _("Closed")


def photo_path(opinion: "Opinion", filename: str) -> str:
    """Kept under the station's schema, named by the upload's kind (never by the name it came with)."""
    from django.db import connection

    return f"supervision/{connection.schema_name}/{filename}"


class Opinion(models.Model):
    kind = models.CharField(_("kind"), max_length=20, choices=OpinionKind.choices)
    channel = models.CharField(_("channel"), max_length=20, choices=OpinionChannel.choices)
    anonymous = models.BooleanField(_("anonymous"), default=True)
    name = models.CharField(_("name"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    text = models.TextField(_("opinion"))
    topic = models.CharField(_("topic"), max_length=30, choices=OpinionTopic.choices, blank=True)
    case = models.ForeignKey(
        "desk.ServiceCase",
        on_delete=KEEP,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("service case"),
    )
    photo = models.FileField(_("photo"), upload_to=photo_path, max_length=255, blank=True)
    photo_kind = models.CharField(max_length=10, blank=True)
    state = models.CharField(_("state"), max_length=20, choices=OpinionState.choices, default=OpinionState.RECEIVED)
    received_at = models.DateTimeField(_("received at"))
    logged_by = shared_key(settings.AUTH_USER_MODEL, null=True, verbose_name=_("logged by"))
    answer = models.TextField(_("answer"), blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answered_by = shared_key(settings.AUTH_USER_MODEL, null=True, verbose_name=_("answered by"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    published = models.BooleanField(_("published"), default=False)
    public_result = models.TextField(_("published result"), blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        verbose_name = _("opinion")
        verbose_name_plural = _("opinions")
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(name="supervision_opinion_state", fields=["state", "received_at"]),
            models.Index(name="supervision_opinion_public", fields=["published", "published_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                name="supervision_opinion_published_result",
                condition=models.Q(published=False) | ~models.Q(public_result=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"


class ImprovementPlan(models.Model):
    opinion = models.ForeignKey(Opinion, on_delete=models.PROTECT, related_name="plans", verbose_name=_("opinion"))
    what = models.TextField(_("what will be improved"))
    owner = shared_key(settings.AUTH_USER_MODEL, verbose_name=_("owner"))
    due_on = models.DateField(_("due on"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    result = models.TextField(_("result"), blank=True)
    created_by = shared_key(settings.AUTH_USER_MODEL)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("improvement plan")
        verbose_name_plural = _("improvement plans")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.what[:40]


class PublicSubmission(models.Model):
    """One accepted submission of the public form: a salted hash of the address it came from, and when."""

    client = models.CharField(max_length=64)
    submitted_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(name="supervision_submission_client", fields=["client", "submitted_at"])]

    def __str__(self) -> str:
        return f"{self.client[:8]} {self.submitted_at:%Y-%m-%d %H:%M}"


class PlanReminderKind(models.TextChoices):
    DUE_SOON = "due_soon", _("Due soon")
    OVERDUE = "overdue", _("Overdue")


class PlanReminder(models.Model):
    """A due-date reminder decided on for an improvement plan: one per plan and kind (unique). `sent_at` is set once
    its e-mail went out, so a retried send does not repeat it."""

    plan = models.ForeignKey(ImprovementPlan, on_delete=models.PROTECT, related_name="reminders")
    kind = models.CharField(_("kind"), max_length=20, choices=PlanReminderKind.choices)
    due_on = models.DateField(_("due on"))
    recipients = models.JSONField(_("recipients"), default=list, blank=True)
    created_at = models.DateTimeField(_("decided at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("improvement plan reminder")
        verbose_name_plural = _("improvement plan reminders")
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["plan", "kind"], name="plan_reminder_once")]

    def __str__(self) -> str:
        return f"{self.plan_id} {self.kind}"
