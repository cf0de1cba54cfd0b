"""Evaluation rounds (综合评估, clause 3): the bureau evaluates a station against the construction requirements of
clause 4 before it is published, and again every year. Public schema: the bureau's record of every station.

A round copies the checklist (`core.evaluation.checklist`) into its item rows when it opens. The station head fills
the self-assessment with evidence and submits it; a bureau administrator reviews each item and concludes. Rules live
in `core.evaluation.services`, never in ``save()``.
"""

from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from tenants.models import Station, User


class RoundKind(models.TextChoices):
    INITIAL = "initial", _("Initial evaluation")
    REEVALUATION = "reevaluation", _("Re-evaluation")
    FOLLOW_UP = "follow_up", _("Rectification follow-up")


class RoundStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")  # a re-evaluation waiting for its date: no items yet
    OPEN = "open", _("Self-assessment")  # the station head fills it
    SUBMITTED = "submitted", _("Under review")  # the bureau reviews it
    CONCLUDED = "concluded", _("Concluded")


class Conclusion(models.TextChoices):
    APPROVED = "approved", _("Approved")
    RECTIFY = "rectify", _("Rectify by a date")
    REJECTED = "rejected", _("Rejected")


class EvidenceKind(models.TextChoices):
    """What evidence a checklist item asks for (shown to the head and the reviewer)."""

    SITE_DOCUMENTS = "site", _("Site documents (lease or property certificate, where the site lies)")
    SAFETY_APPROVALS = "safety", _("Fire safety and environmental approvals or inspection reports")
    FLOOR_PLAN = "floor_plan", _("Floor plan with the floor area")
    PHOTOS = "photos", _("Photos of the site")
    AIR_QUALITY_REPORT = "air", _("Indoor air quality test report")
    EQUIPMENT_REGISTER = "equipment", _("The equipment register, or photos")
    MAINTENANCE_RECORDS = "maintenance", _("Inspection and maintenance records of the equipment")
    STAFF_REGISTER = "staff", _("The staff register with the pre-duty trainings")
    WRITTEN_SYSTEM = "system", _("The written system in effect")


class FiguresSource(models.TextChoices):
    """The operations registers (`core.operations`) whose figures the head may attach to an item as evidence."""

    STAFF = "staff", _("Staff register")
    EQUIPMENT = "equipment", _("Equipment register")
    SYSTEM = "system", _("Written systems")


class EvaluationRound(models.Model):
    """One evaluation of a station, numbered per station. At most one round per station is under way (scheduled,
    open or submitted); concluded rounds are kept as the station's history and never change."""

    station = models.ForeignKey(
        Station, on_delete=models.CASCADE, related_name="evaluation_rounds", verbose_name=_("station")
    )
    number = models.PositiveIntegerField(_("number"))
    kind = models.CharField(_("kind"), max_length=12, choices=RoundKind.choices)
    status = models.CharField(_("status"), max_length=10, choices=RoundStatus.choices)
    # The round this one follows up (a rectification follow-up carries its items over).
    previous = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("follows up")
    )
    # A scheduled re-evaluation opens on this date; a follow-up is due (rectified) by this date.
    due_on = models.DateField(_("due on"), null=True, blank=True)
    opened_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("opened by")
    )
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("submitted by")
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    concluded_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("concluded by")
    )
    concluded_at = models.DateTimeField(_("concluded at"), null=True, blank=True)
    conclusion = models.CharField(_("conclusion"), max_length=10, choices=Conclusion.choices, blank=True)
    rectify_by = models.DateField(_("rectify by"), null=True, blank=True)
    # The share of items found met, 0-100, computed when the round is concluded (never entered by hand).
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True, validators=[MaxValueValidator(100)])
    summary = models.TextField(_("summary"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("evaluation round")
        verbose_name_plural = _("evaluation rounds")
        ordering = ["station", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["station", "number"], name="evaluation_round_number_per_station"),
            models.UniqueConstraint(
                fields=["station"],
                condition=~models.Q(status="concluded"),
                name="evaluation_one_round_under_way_per_station",
                violation_error_message=_("This station has an evaluation round under way already."),
            ),
            models.CheckConstraint(
                condition=models.Q(status="concluded", conclusion__in=["approved", "rectify", "rejected"])
                | (~models.Q(status="concluded") & models.Q(conclusion="")),
                name="evaluation_round_concluded_has_conclusion",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.station} #{self.number}"


class EvaluationItem(models.Model):
    """One checklist item of a round, copied from the checklist when the round opened: the head's self-assessment and
    the bureau's review."""

    evaluation_round = models.ForeignKey(
        EvaluationRound, on_delete=models.CASCADE, related_name="items", verbose_name=_("evaluation round")
    )
    position = models.PositiveSmallIntegerField(_("position"))
    code = models.CharField(_("clause"), max_length=10)
    section = models.CharField(_("section"), max_length=10)
    section_title = models.CharField(_("section title"), max_length=50)
    title = models.TextField(_("requirement"))
    required = models.BooleanField(_("required"), default=True)
    # What evidence the item asks for, and whether it may be answered met without any (copied from the checklist).
    evidence_kind = models.CharField(_("evidence asked for"), max_length=12, choices=EvidenceKind.choices, blank=True)
    evidence_required = models.BooleanField(_("evidence required"), default=False)
    # The operations figures that may be attached as evidence, and the snapshot attached (taken when attached).
    figures_source = models.CharField(_("operations figures"), max_length=10, choices=FiguresSource.choices, blank=True)
    figures = models.JSONField(_("operations figures attached"), null=True, blank=True, encoder=DjangoJSONEncoder)
    figures_taken_at = models.DateTimeField(_("figures taken at"), null=True, blank=True)
    figures_taken_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("figures taken by")
    )
    self_met = models.BooleanField(_("self-assessment: met"), null=True, blank=True)
    self_note = models.TextField(_("self-assessment note"), blank=True)
    self_assessed_at = models.DateTimeField(_("self-assessed at"), null=True, blank=True)
    review_met = models.BooleanField(_("review: met"), null=True, blank=True)
    remark = models.TextField(_("reviewer's remark"), blank=True)
    reviewed_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("reviewed by")
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    # In a follow-up: the result and remark of the round it follows up, to show what is to be rectified.
    previous_met = models.BooleanField(_("previous result: met"), null=True, blank=True)
    previous_remark = models.TextField(_("previous remark"), blank=True)

    class Meta:
        verbose_name = _("evaluation item")
        verbose_name_plural = _("evaluation items")
        ordering = ["evaluation_round", "position"]
        constraints = [
            models.UniqueConstraint(fields=["evaluation_round", "code"], name="evaluation_item_code_per_round"),
            models.CheckConstraint(
                condition=models.Q(evidence_required=False) | ~models.Q(evidence_kind=""),
                name="evaluation_item_required_evidence_is_named",
            ),
            models.CheckConstraint(
                condition=models.Q(figures__isnull=True, figures_taken_at__isnull=True)
                | (models.Q(figures__isnull=False, figures_taken_at__isnull=False) & ~models.Q(figures_source="")),
                name="evaluation_item_figures_taken_when",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title[:20]}"


def evidence_path(evidence: "EvaluationEvidence", filename: str) -> str:
    """Kept under the station's code, named by the upload's kind (never by the name it came with)."""
    item = evidence.item
    return f"evaluation/{item.evaluation_round.station.code}/round-{item.evaluation_round.number}/{filename}"


class EvaluationEvidence(models.Model):
    """A file the head gave as evidence of an item (photo, PDF, Word or Excel document), its type checked by its
    content. A follow-up round carries the evidence over: its rows point at the same stored file."""

    item = models.ForeignKey(
        EvaluationItem, on_delete=models.CASCADE, related_name="evidence", verbose_name=_("evaluation item")
    )
    file = models.FileField(_("file"), upload_to=evidence_path, max_length=255)
    original_name = models.CharField(_("file name"), max_length=255)
    kind = models.CharField(_("kind"), max_length=10)
    size = models.PositiveIntegerField(_("size"))
    uploaded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("uploaded by"))
    uploaded_at = models.DateTimeField(_("uploaded at"))

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        ordering = ["item", "uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name
