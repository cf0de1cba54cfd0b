"""Messages to one address by e-mail or SMS, each with its delivery status.

One row is one event's message to one recipient on one channel (its `key`, unique): queued after the commit that
decided on it, sent at most once by `core.deliveries.services.delivery_send`, its status kept for the pages that show
it (a case's, a demand's). The app is in the public schema and in every station's, like `core.jobs`: a delivery
belongs where the event happened. It names its case or demand by id only (no foreign key: the public schema has
neither).
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SMS = "sms", pgettext_lazy("delivery", "SMS")


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", pgettext_lazy("delivery", "Queued")
    SENDING = "sending", pgettext_lazy("delivery", "Sending")
    SENT = "sent", pgettext_lazy("delivery", "Sent")
    FAILED = "failed", pgettext_lazy("delivery", "Failed")


# What each kind of message is called in the lists ("受理通知"), registered by the app that sends it
# (`delivery_kind_register`): the deliveries app knows no app.
KIND_LABELS: dict[str, object] = {}


def delivery_kind_register(kind: str, label) -> str:
    """Name a kind of message (a lazy translation) for the lists; returns `kind`."""
    KIND_LABELS[kind] = label
    return kind


PENDING = (DeliveryStatus.QUEUED, DeliveryStatus.SENDING)


class Delivery(models.Model):
    # "One event, one recipient, one channel": a second queueing of the same key sends nothing.
    key = models.CharField(pgettext_lazy("delivery", "key"), max_length=200, unique=True)
    channel = models.CharField(pgettext_lazy("delivery", "channel"), max_length=10, choices=Channel.choices)
    # An e-mail address, or a mobile number of 11 digits.
    address = models.CharField(_("address"), max_length=254)
    kind = models.CharField(_("kind"), max_length=60)
    subject = models.CharField(pgettext_lazy("delivery", "subject"), max_length=200, blank=True)
    # The whole message as sent.
    text = models.TextField(_("text"))
    # The variables of the SMS provider's template.
    params = models.JSONField(pgettext_lazy("delivery", "parameters"), default=dict, blank=True)
    demand_id = models.PositiveBigIntegerField(_("demand"), null=True, blank=True)
    case_id = models.PositiveBigIntegerField(_("case"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    # Why the last attempt did not send it, as the provider or the mail server said.
    last_error = models.TextField(_("reason"), blank=True)
    provider_id = models.CharField(pgettext_lazy("delivery", "provider's message id"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    attempted_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    # When the next attempt of a queued message is due (a retry after a failure or the rate limit); the sweep queues
    # a message again when this is long past (its task was lost).
    next_attempt_at = models.DateTimeField(pgettext_lazy("delivery", "next attempt"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = pgettext_lazy("delivery", "delivery")
        verbose_name_plural = pgettext_lazy("delivery", "deliveries")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["case_id", "-created_at"], name="delivery_case"),
            models.Index(fields=["demand_id", "-created_at"], name="delivery_demand"),
            models.Index(
                fields=["status", "next_attempt_at"], name="delivery_pending", condition=Q(status__in=PENDING)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.channel} ({self.status})"

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS.get(self.kind, self.kind))
