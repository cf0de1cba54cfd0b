"""The city-wide view of the station network, in the public schema: what the bureau sets and sees across stations.

- `ReferralPolicy`: the bureau's rules for referrals between stations (how many working days a station has to accept
  or decline one). One row; `core.network.selectors.referral_policy_get` gives the default until the bureau sets it.
- `ReferralFlow`: one row per referral, the bureau's read model of referrals city-wide (the station × station matrix,
  overdue acceptances). Fed by the sending station through the reliable outbox (`core.messaging`); it holds who
  referred what kind of need to whom and how it went, never the enterprise's data.
- `StationLoad`: each station's current load (open cases, referrals waiting), published by the station the same way,
  for staff choosing where to refer.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

KEEP = models.DO_NOTHING


class ReferralPolicy(models.Model):
    accept_working_days = models.PositiveSmallIntegerField(
        _("working days to accept a referral"), validators=[MinValueValidator(1), MaxValueValidator(30)]
    )
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=KEEP, null=True, blank=True, related_name="+")
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("referral policy")

    def __str__(self) -> str:
        return f"{self.accept_working_days}"


class ReferralFlow(models.Model):
    uid = models.UUIDField(unique=True)
    number = models.CharField(_("number"), max_length=34)
    from_station = models.ForeignKey(
        "tenants.Station", on_delete=KEEP, related_name="+", verbose_name=_("referring station")
    )
    to_station = models.ForeignKey(
        "tenants.Station",
        on_delete=KEEP,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("receiving station"),
    )
    institution = models.ForeignKey(
        "directory.Institution", on_delete=KEEP, null=True, blank=True, related_name="+", verbose_name=_("institution")
    )
    category = models.ForeignKey(
        "catalog.ServiceCategory", on_delete=KEEP, related_name="+", verbose_name=_("service category")
    )
    previous_uid = models.UUIDField(null=True, blank=True)
    state = models.CharField(_("state"), max_length=20)
    requested_at = models.DateTimeField(_("requested at"))
    accept_due_at = models.DateTimeField(_("to be accepted by"))
    answered_at = models.DateTimeField(_("accepted or declined at"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    overdue_at = models.DateTimeField(_("flagged overdue at"), null=True, blank=True)
    # The sender's version of the referral this row shows: an older snapshot arriving late never overwrites it.
    version = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("referral flow")
        ordering = ["-requested_at", "-id"]
        indexes = [
            models.Index(name="network_flow_pair", fields=["from_station", "to_station", "requested_at"]),
            models.Index(name="network_flow_requested", fields=["requested_at"]),
        ]

    def __str__(self) -> str:
        return self.number


class StationLoad(models.Model):
    station = models.OneToOneField("tenants.Station", on_delete=models.CASCADE, related_name="load")
    open_cases = models.PositiveIntegerField(_("open cases"), default=0)
    referrals_waiting = models.PositiveIntegerField(_("referrals waiting to be accepted"), default=0)
    measured_at = models.DateTimeField(_("measured at"))

    class Meta:
        verbose_name = _("station load")

    def __str__(self) -> str:
        return f"{self.station_id}: {self.open_cases}"
