"""Referrals of a case to another station or to an institution (clause 5.2.2), in the station's own schema.

A referral between two stations exists twice: the sender's copy (`OUTGOING`) and the receiver's (`INCOMING`), with
the same `uid` and number. Neither station reads the other's schema: every change one side makes travels to the other
as a message through the reliable outbox (`core.messaging`), and both copies keep the same timeline
(`ReferralEvent`). The receiver's copy holds only what the sender chose to share (`shared`).

A referral to an institution exists once, at the station, which records its states on the institution's behalf, and
what of the demand it handed to the institution with the enterprise's consent (`shared_parts`, `shared`, `consent_*`).
"""

import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.common.shared_rows import shared_key


class ReferralState(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    IN_SERVICE = "in_service", _("In service")
    ON_HOLD = "on_hold", _("On hold")
    COMPLETED = "completed", _("Completed")
    FAILED = "failed", _("Failed")


class Direction(models.TextChoices):
    OUTGOING = "out", _("Referred by us")
    INCOMING = "in", _("Referred to us")


class ConsentChannel(models.TextChoices):
    """How the enterprise agreed to its data going to the other station."""

    SIGNED = "signed", _("Signed on the demand form")
    IN_PERSON = "in_person", _("In person")
    PHONE = "phone", _("By phone")
    EMAIL = "email", _("By e-mail")
    IM = "im", _("By instant messaging")
    ONLINE = "online", _("Online")


class Referral(models.Model):
    uid = models.UUIDField(_("referral id"), unique=True, default=uuid.uuid4, editable=False)
    number = models.CharField(_("number"), max_length=34, unique=True)
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    # The other station (the receiver of an outgoing referral, the sender of an incoming one), or the institution.
    partner = shared_key("tenants.Station", null=True, verbose_name=_("station"))
    institution = shared_key("directory.Institution", null=True, verbose_name=_("institution"))
    # The sender's case (outgoing), or the case the receiver opened when it accepted (incoming).
    case = models.ForeignKey(
        "desk.ServiceCase",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals",
        verbose_name=_("case"),
    )
    previous = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("re-routed from")
    )
    state = models.CharField(_("state"), max_length=20, choices=ReferralState.choices, default=ReferralState.REQUESTED)
    category = shared_key("catalog.ServiceCategory", verbose_name=_("service category"))
    enterprise_name = models.CharField(_("enterprise"), max_length=200)
    reason = models.TextField(_("why it is referred"))
    ask = models.TextField(_("what is asked"))
    shared_parts = ArrayField(models.CharField(max_length=30), verbose_name=_("data shared"), default=list, blank=True)
    # What travelled to the receiver: the identity and the request always, the rest as chosen (see `shared_parts`).
    shared = models.JSONField(_("shared data"), default=dict, blank=True)
    # The stations tried before this one (a re-routed referral), as the sender described them.
    chain = models.JSONField(_("earlier referrals"), default=list, blank=True)
    consent_channel = models.CharField(_("consent given"), max_length=20, choices=ConsentChannel.choices, blank=True)
    consent_at = models.DateTimeField(_("consent given at"), null=True, blank=True)
    requested_at = models.DateTimeField(_("requested at"))
    accept_due_at = models.DateTimeField(_("to be accepted by"))
    answered_at = models.DateTimeField(_("accepted or declined at"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    overdue_at = models.DateTimeField(_("flagged overdue at"), null=True, blank=True)
    outcome = models.TextField(_("outcome"), blank=True)
    # What the partner reported when it completed the referral, besides the outcome: the receiving station's service
    # record (its on-site and end times, who served, the institution it used), or what the station recorded on an
    # institution's behalf. The sender's own service record (Appendix B) starts from it.
    on_site_at = models.DateTimeField(_("on-site handling time"), null=True, blank=True)
    service_ended_at = models.DateTimeField(_("service end time"), null=True, blank=True)
    technician = models.CharField(_("technician"), max_length=50, blank=True)
    served_by = models.CharField(_("served by"), max_length=150, blank=True)
    served_institution = shared_key("directory.Institution", null=True, verbose_name=_("institution that served"))
    state_reason = models.TextField(_("reason"), blank=True)
    created_by = shared_key(settings.AUTH_USER_MODEL, null=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(name="referral_direction_state", fields=["direction", "state", "accept_due_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(partner__isnull=False) | models.Q(institution__isnull=False),
                name="referral_has_a_partner",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def to_institution(self) -> bool:
        return self.institution_id is not None


class ReferralEventKind(models.TextChoices):
    STATE = "state", _("State change")
    PROGRESS = "progress", _("Progress")
    OVERDUE = "overdue", _("Overdue")
    SHARED = "shared", _("Data handed over")


class ReferralEvent(models.Model):
    """The timeline both stations see. Each event is written where it happened and copied to the other side with the
    same `uid`; append-only (migration 0002)."""

    uid = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(_("kind"), max_length=20, choices=ReferralEventKind.choices)
    from_state = models.CharField(max_length=20, choices=ReferralState.choices, blank=True)
    to_state = models.CharField(max_length=20, choices=ReferralState.choices, blank=True)
    text = models.TextField(_("text"), blank=True)
    station_name = models.CharField(_("station"), max_length=200, blank=True)
    actor_name = models.CharField(_("by"), max_length=150, blank=True)
    occurred_at = models.DateTimeField(_("time"))

    class Meta:
        verbose_name = _("referral event")
        ordering = ["occurred_at", "id"]

    def __str__(self) -> str:
        return f"{self.referral} {self.get_kind_display()}"
