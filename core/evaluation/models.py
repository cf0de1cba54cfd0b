"""Evaluation rounds (综合评估, clause 3): the bureau evaluates a station against the construction requirements of
clause 4 before it is published, and again every year. Public schema: the bureau's record of every station.

A round copies the checklist (`core.evaluation.checklist`) into its item rows when it opens, each item with the weight
its round template (`ChecklistTemplate`, configured by the bureau) gives it, and the template's pass mark. The station
head fills the self-assessment with evidence and submits it; a bureau administrator scores each item (0 to its weight)
and concludes. Rules live in `core.evaluation.services`, never in ``save()``.
"""

from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import MaxValueValidator, MinValueValidator
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


# The weights and pass marks the bureau may set (a weight of 0 would take a requirement of clause 4 out of the score).
WEIGHT_MAX = 10
PASS_MARK_MAX = 100


class ChecklistTemplate(models.Model):
    """The bureau's round template of one kind of round (initial evaluation, re-evaluation): the weight of each
    checklist item and the pass mark. A round copies them when it opens, so a later edit never changes a round under
    way; a rectification follow-up takes those of the round it follows up. Seeded by the migration from the checklist's
    defaults (`core.evaluation.checklist`: 应 items weigh more than 宜 items)."""

    kind = models.CharField(
        _("kind of round"),
        max_length=12,
        unique=True,
        choices=[(RoundKind.INITIAL, RoundKind.INITIAL.label), (RoundKind.REEVALUATION, RoundKind.REEVALUATION.label)],
    )
    pass_mark = models.PositiveSmallIntegerField(
        _("pass mark"), default=80, validators=[MinValueValidator(1), MaxValueValidator(PASS_MARK_MAX)]
    )
    updated_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("updated by")
    )
    updated_at = models.DateTimeField(_("updated at"), null=True, blank=True)

    class Meta:
        verbose_name = _("round template")
        verbose_name_plural = _("round templates")
        ordering = ["kind"]

    def __str__(self) -> str:
        return self.get_kind_display()


class ChecklistTemplateWeight(models.Model):
    """The weight of one checklist item (by its code) in a round template."""

    template = models.ForeignKey(
        ChecklistTemplate, on_delete=models.CASCADE, related_name="weights", verbose_name=_("round template")
    )
    code = models.CharField(_("clause"), max_length=10)
    weight = models.PositiveSmallIntegerField(
        _("weight"), validators=[MinValueValidator(1), MaxValueValidator(WEIGHT_MAX)]
    )

    class Meta:
        verbose_name = _("item weight")
        verbose_name_plural = _("item weights")
        ordering = ["template", "id"]
        constraints = [
            models.UniqueConstraint(fields=["template", "code"], name="evaluation_template_weight_code"),
            models.CheckConstraint(
                condition=models.Q(weight__gte=1, weight__lte=WEIGHT_MAX), name="evaluation_template_weight_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.template} {self.code}: {self.weight}"


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
    # The weighted total, 0-100 (the items' scores over their weights, rounded down), computed when the round is
    # concluded (never entered by hand). Rounds concluded before weights existed keep the share of items found met.
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True, validators=[MaxValueValidator(100)])
    # The pass mark of the round's template when it opened (None: a round concluded before pass marks existed).
    pass_mark = models.PositiveSmallIntegerField(
        _("pass mark"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(PASS_MARK_MAX)]
    )
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
    # The item's weight in the round's total, copied from the round template when the round opened.
    weight = models.PositiveSmallIntegerField(
        _("weight"), default=1, validators=[MinValueValidator(1), MaxValueValidator(WEIGHT_MAX)]
    )
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
    # The reviewer's score, 0 to the weight (None: not reviewed yet); met is its full weight, anything less is not met
    # (`review_met` is kept with it: rounds reviewed before scores existed have their score backfilled from it).
    review_score = models.PositiveSmallIntegerField(_("review: score"), null=True, blank=True)
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
                condition=models.Q(review_score__isnull=True) | models.Q(review_score__lte=models.F("weight")),
                name="evaluation_item_score_within_weight",
            ),
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


# --- Objections to a publication (公示异议, clause 3) ------------------------------------------------------------------
# During a publication's public notice anyone may object on the station's portal page; the bureau upholds or dismisses
# each objection with a reason, which is published. The publication becomes final when its notice period is over and no
# objection is upheld or waiting; an upheld one withdraws it and takes the station back to evaluation. Rules live in
# `core.evaluation.services.publication`.


class ObjectionState(models.TextChoices):
    RECEIVED = "received", _("Received")
    UPHELD = "upheld", _("Upheld")
    DISMISSED = "dismissed", _("Dismissed")


class PublicationState(models.TextChoices):
    NOTICE = "notice", _("In public notice")
    FINAL = "final", _("Final")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class PublicationObjection(models.Model):
    """An objection to one publication of a station, raised by a member of the public with a name and a phone or an
    e-mail address (never published), and the bureau's handling: upheld or dismissed, with the reason the portal and
    the open data publish."""

    publication = models.ForeignKey(
        "tenants.StationPublication",
        on_delete=models.CASCADE,
        related_name="objections",
        verbose_name=_("publication"),
    )
    name = models.CharField(_("name"), max_length=100)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    text = models.TextField(_("objection"), max_length=4000)
    received_at = models.DateTimeField(_("received at"))
    state = models.CharField(_("state"), max_length=10, choices=ObjectionState.choices, default=ObjectionState.RECEIVED)
    reason = models.TextField(_("reason"), max_length=4000, blank=True)
    handled_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("handled by")
    )
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("objection to a publication")
        verbose_name_plural = _("objections to publications")
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["state", "received_at"], name="objection_state_received")]
        constraints = [
            models.CheckConstraint(condition=~models.Q(phone="") | ~models.Q(email=""), name="objection_has_a_contact"),
            models.CheckConstraint(
                condition=models.Q(state="received", handled_at__isnull=True, reason="")
                | (models.Q(state__in=["upheld", "dismissed"], handled_at__isnull=False) & ~models.Q(reason="")),
                name="objection_handled_with_a_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.publication} · {self.received_at:%Y-%m-%d %H:%M}"


class PublicationOutcome(models.Model):
    """Where one publication's public notice stands: in notice, final (the notice period ended with no upheld or
    waiting objection) or withdrawn (by an upheld objection). One row per publication, written with it."""

    publication = models.OneToOneField(
        "tenants.StationPublication", on_delete=models.CASCADE, related_name="outcome", verbose_name=_("publication")
    )
    state = models.CharField(
        _("state"), max_length=10, choices=PublicationState.choices, default=PublicationState.NOTICE
    )
    final_at = models.DateTimeField(_("final at"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        PublicationObjection,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("withdrawn by the objection"),
    )

    class Meta:
        verbose_name = _("outcome of a publication")
        verbose_name_plural = _("outcomes of publications")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state="notice", final_at__isnull=True, withdrawn_at__isnull=True)
                | models.Q(state="final", final_at__isnull=False, withdrawn_at__isnull=True)
                | models.Q(state="withdrawn", final_at__isnull=True, withdrawn_at__isnull=False),
                name="publication_outcome_dated",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.publication_id}: {self.state}"


class ObjectionSubmission(models.Model):
    """One accepted objection from the portal: a salted hash of the address it came from, and when (the rate limit of
    `core.common.public_forms`; kept a day)."""

    client = models.CharField(max_length=64)
    submitted_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(name="objection_submission_client", fields=["client", "submitted_at"])]

    def __str__(self) -> str:
        return f"{self.client[:8]} {self.submitted_at:%Y-%m-%d %H:%M}"
