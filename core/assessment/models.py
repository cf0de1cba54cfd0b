"""The station head's supervision of internal work quality (clauses 6.3, 6.4), in the station's schema.

- `CaseReview`: the head marks an important case for review (why), then writes the review: findings, a conclusion
  and the follow-up asked for (clause 6.3, 监督评价). One per case; once written it is final (a trigger refuses
  changing or deleting a written review).
- `StaffAssessment`: the periodic assessment of one member for one month or quarter on the three dimensions of
  clause 6.4: civility (文明性), timeliness (及时性) and accuracy (正确率). Each dimension keeps the level the data
  suggested (`prefilled_*`, from `core.assessment.selectors.assessment_prefill`, with the figures behind it in
  `figures`) next to the level the head set, and a remark when the two differ. Confirmed by the head, it is frozen:
  the services refuse any change and a trigger refuses UPDATE and DELETE of a confirmed row.

The desk's cases are pointed at with no ON DELETE action in the database, like the desk's own rows; users by keys
without a database constraint, and users are never deleted (`core.common.shared_rows`).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.common.shared_rows import shared_key

DIMENSIONS = ("civility", "timeliness", "accuracy")


class PeriodKind(models.TextChoices):
    MONTH = "month", _("Month")
    QUARTER = "quarter", _("Quarter")


class Level(models.TextChoices):
    """The assessment's levels, best first (优秀 / 良好 / 合格 / 待改进); the thresholds are settings."""

    EXCELLENT = "excellent", _("Excellent")
    GOOD = "good", _("Good")
    PASS = "pass", _("Pass")
    IMPROVE = "improve", _("Needs improvement")


class ReviewConclusion(models.TextChoices):
    SOUND = "sound", _("Service sound")
    IMPROVE = "improve", _("Improvement needed")
    UNSATISFACTORY = "unsatisfactory", _("Unsatisfactory")


class CaseReview(models.Model):
    case = models.OneToOneField(
        "desk.ServiceCase", on_delete=models.PROTECT, related_name="head_review", verbose_name=_("service case")
    )
    reason = models.TextField(_("why it is reviewed"))
    marked_by = shared_key(settings.AUTH_USER_MODEL)
    marked_at = models.DateTimeField(_("marked at"))
    findings = models.TextField(_("findings"), blank=True)
    conclusion = models.CharField(_("conclusion"), max_length=20, choices=ReviewConclusion.choices, blank=True)
    follow_up = models.TextField(_("follow-up"), blank=True)
    reviewed_by = shared_key(settings.AUTH_USER_MODEL, null=True)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("case review")
        verbose_name_plural = _("case reviews")
        ordering = ["-marked_at", "-id"]

    def __str__(self) -> str:
        return f"{self.case}"


def level_field(text):
    return models.CharField(text, max_length=20, choices=Level.choices, blank=True)


class StaffAssessment(models.Model):
    member = shared_key(settings.AUTH_USER_MODEL, verbose_name=_("member"))
    period_kind = models.CharField(_("period"), max_length=10, choices=PeriodKind.choices)
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    # What the data suggested ("" when the period gave nothing to measure), and the figures behind it.
    prefilled_civility = level_field(_("civility (from the data)"))
    prefilled_timeliness = level_field(_("timeliness (from the data)"))
    prefilled_accuracy = level_field(_("accuracy (from the data)"))
    figures = models.JSONField(_("figures"), default=dict)
    # What the head set.
    civility = level_field(_("civility"))
    timeliness = level_field(_("timeliness"))
    accuracy = level_field(_("accuracy"))
    civility_remark = models.TextField(_("remark on civility"), blank=True)
    timeliness_remark = models.TextField(_("remark on timeliness"), blank=True)
    accuracy_remark = models.TextField(_("remark on accuracy"), blank=True)
    remark = models.TextField(_("overall remark"), blank=True)
    prepared_by = shared_key(settings.AUTH_USER_MODEL)
    prepared_at = models.DateTimeField(_("prepared at"))
    confirmed_by = shared_key(settings.AUTH_USER_MODEL, null=True, verbose_name=_("confirmed by"))
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        verbose_name = _("staff assessment")
        verbose_name_plural = _("staff assessments")
        ordering = ["-period_start", "member__username", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "period_kind", "period_start"], name="assessment_one_per_member_and_period"
            ),
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")), name="assessment_period_in_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} {self.period_start}–{self.period_end}"

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None
