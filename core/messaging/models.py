"""Reliable messages between schemas: a transactional outbox in the sender's schema, an inbox in the receiver's.

The app lives in the public schema and in every station's schema (like `core.jobs`): any of them may send, any may
receive. A message is written to the sender's `OutboxMessage` table in the same transaction as the change it carries,
so both commit or neither does. A Celery task delivers it (retried until it is acknowledged, see
`core.messaging.services`); the receiver applies it in one transaction together with an `InboxMessage` row keyed by
the message's idempotency key, so a message delivered twice is applied once. The receiver's code sees the payload
only: never the sender's schema.
"""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboxMessage(models.Model):
    key = models.UUIDField(_("idempotency key"), unique=True, default=uuid.uuid4, editable=False)
    destination = models.CharField(_("destination schema"), max_length=63)
    kind = models.CharField(_("kind"), max_length=60)
    # The messages of one stream are applied by the receiver in the order they were sent.
    stream = models.CharField(_("stream"), max_length=100)
    seq = models.PositiveIntegerField(_("sequence"))
    payload = models.JSONField(_("payload"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    attempted_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    # How often the sweep queued it again: each time, the next sweep waits twice as long for it.
    requeues = models.PositiveIntegerField(_("queued again"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("outgoing message")
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["stream", "seq"], name="messaging_outbox_stream_seq")]
        indexes = [
            models.Index(
                name="messaging_outbox_pending",
                fields=["created_at"],
                condition=models.Q(delivered_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.destination} ({self.stream} #{self.seq})"


class InboxMessage(models.Model):
    """A message this schema has applied: its key makes a second delivery a no-op."""

    key = models.UUIDField(_("idempotency key"), unique=True)
    source = models.CharField(_("source schema"), max_length=63)
    kind = models.CharField(_("kind"), max_length=60)
    stream = models.CharField(_("stream"), max_length=100)
    seq = models.PositiveIntegerField(_("sequence"))
    applied_at = models.DateTimeField(_("applied at"), auto_now_add=True)

    class Meta:
        verbose_name = _("applied message")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "stream", "seq"], name="messaging_inbox_source_stream_seq")
        ]

    def __str__(self) -> str:
        return f"{self.kind} ← {self.source} ({self.stream} #{self.seq})"
