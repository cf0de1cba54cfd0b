"""Station operations (clauses 4.2.2, 4.3, 4.4, 4.5), in the station's schema: the staff register with qualifications
and trainings (a member without a completed pre-duty training is not assigned cases), the equipment register with its
maintenance logs, the eight written systems as versioned documents, and the text of the public display.

Users live in the public schema; the rows here point at them by keys without a database constraint, and users are
never deleted (`core.common.shared_rows`), as for the desk's.
Rules live in `core.operations.services`, never in ``save()``.
"""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.common.shared_rows import shared_key
from tenants.models import User


class StaffRecord(models.Model):
    """The register's entry of one member of the station (clause 4.4.1): when they took duty and their background.
    The role (head or staff, clause 4.4.2) is the member's Membership, in the public schema."""

    # One entry per member; a key without a database constraint, as `shared_key` makes (core.common.shared_rows).
    user = models.OneToOneField(
        User, db_constraint=False, on_delete=models.PROTECT, related_name="+", verbose_name=_("member")
    )
    duty_start = models.DateField(_("on duty since"), null=True, blank=True)
    background = models.TextField(_("professional background and experience"), blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("staff record")
        verbose_name_plural = _("staff records")
        ordering = ["user__username"]

    def __str__(self) -> str:
        return str(self.user)


class StaffQualification(models.Model):
    """A qualification a member holds: its name, certificate number and how long it is valid."""

    staff = models.ForeignKey(
        StaffRecord, on_delete=models.CASCADE, related_name="qualifications", verbose_name=_("staff record")
    )
    name = models.CharField(_("qualification"), max_length=100)
    number = models.CharField(_("certificate number"), max_length=60, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    # Withdrawn (expired, revoked): kept in the register, no longer valid.
    withdrawn_on = models.DateField(_("withdrawn on"), null=True, blank=True)
    withdrawal_reason = models.CharField(_("reason for withdrawal"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("qualification")
        verbose_name_plural = _("qualifications")
        ordering = ["staff", "name", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def withdrawn(self) -> bool:
        return self.withdrawn_on is not None


class TrainingKind(models.TextChoices):
    PRE_DUTY = "pre_duty", _("Pre-duty training")
    ONGOING = "ongoing", _("Ongoing training")


def certificate_path(training: "Training", filename: str) -> str:
    from django.db import connection

    return f"operations/{connection.schema_name}/trainings/{filename}"


class Training(models.Model):
    """A training session (clause 4.4.1) and who attended it. A completed pre-duty training (held on or before today,
    attendance completed, not cancelled) clears a member for duty. A cancelled training is kept, with its reason."""

    title = models.CharField(_("title"), max_length=200)
    held_on = models.DateField(_("date"))
    trainer = models.CharField(_("trainer"), max_length=120, blank=True)
    hours = models.DecimalField(
        _("hours"), max_digits=5, decimal_places=1, validators=[MinValueValidator(Decimal("0.5"))]
    )
    kind = models.CharField(_("kind"), max_length=10, choices=TrainingKind.choices)
    certificate = models.FileField(_("certificate"), upload_to=certificate_path, max_length=255, blank=True)
    certificate_name = models.CharField(_("certificate file name"), max_length=255, blank=True)
    certificate_kind = models.CharField(_("certificate kind"), max_length=10, blank=True)
    attendees = models.ManyToManyField(
        User, through="TrainingAttendance", related_name="+", verbose_name=_("attendees")
    )
    created_by = shared_key(User, on_delete=models.PROTECT, verbose_name=_("recorded by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancellation_reason = models.CharField(_("reason for cancellation"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("training")
        verbose_name_plural = _("trainings")
        ordering = ["-held_on", "-pk"]

    def __str__(self) -> str:
        return self.title

    @property
    def cancelled(self) -> bool:
        return self.cancelled_at is not None


class TrainingAttendance(models.Model):
    training = models.ForeignKey(
        Training, on_delete=models.CASCADE, related_name="attendance", verbose_name=_("training")
    )
    user = shared_key(User, on_delete=models.PROTECT, verbose_name=_("member"))
    completed = models.BooleanField(_("completed"), default=True)

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        ordering = ["training", "user__username"]
        constraints = [models.UniqueConstraint(fields=["training", "user"], name="operations_attendance_once")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.training}"


class EquipmentKind(models.TextChoices):
    """The kinds of clause 4.3.1–4.3.4."""

    OFFICE = "office", _("Office equipment")
    ACCESSIBILITY = "accessibility", _("Accessibility and convenience facilities")
    SCREENS = "screens", _("Monitors, screens and touch screens")
    FIRE = "fire", _("Fire equipment, emergency lights and signs")


# An item inspected less often than every ten years is not maintained (and a longer interval only overflows dates).
MAINTENANCE_INTERVAL_MAX_DAYS = 3650


class Equipment(models.Model):
    """An item of the equipment register (clause 4.3), inspected and maintained every `maintenance_interval_days`
    (clause 4.3.5). `reminded_for` is the due date the head was last reminded of: one reminder per due date. A retired
    (decommissioned) item is kept with its maintenance logs, listed apart and no longer reminded of."""

    kind = models.CharField(_("kind"), max_length=15, choices=EquipmentKind.choices)
    name = models.CharField(_("name"), max_length=120)
    model_number = models.CharField(_("model"), max_length=120, blank=True)
    location = models.CharField(_("location"), max_length=120, blank=True)
    acquired_on = models.DateField(_("acquired on"), null=True, blank=True)
    maintenance_interval_days = models.PositiveIntegerField(
        _("maintenance interval (days)"),
        validators=[MinValueValidator(1), MaxValueValidator(MAINTENANCE_INTERVAL_MAX_DAYS)],
    )
    next_maintenance_due = models.DateField(_("next maintenance due"))
    reminded_for = models.DateField(_("reminded of the due date"), null=True, blank=True)
    retired_on = models.DateField(_("retired on"), null=True, blank=True)
    retirement_reason = models.CharField(_("reason for retirement"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("equipment")
        verbose_name_plural = _("equipment")
        ordering = ["kind", "name", "pk"]
        indexes = [models.Index(fields=["next_maintenance_due"], name="operations_equipment_due")]

    def __str__(self) -> str:
        return self.name

    @property
    def retired(self) -> bool:
        return self.retired_on is not None


class MaintenanceLog(models.Model):
    """One inspection or maintenance of an item: when, who, what was done; the next due date is computed."""

    equipment = models.ForeignKey(Equipment, on_delete=models.CASCADE, related_name="logs", verbose_name=_("equipment"))
    performed_on = models.DateField(_("date"))
    performed_by = shared_key(User, on_delete=models.PROTECT, verbose_name=_("done by"))
    work = models.TextField(_("what was done"))
    next_due = models.DateField(_("next due"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("maintenance log")
        verbose_name_plural = _("maintenance logs")
        ordering = ["equipment", "-performed_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.equipment} {self.performed_on}"


class SystemCode(models.TextChoices):
    """The eight basic written systems of clause 4.5, in the standard's words."""

    A = "a", "岗位职责"
    B = "b", "服务过程管理"
    C = "c", "记录及档案管理"
    D = "d", "设备及安全管理"
    E = "e", "服务投诉及反馈处理"
    F = "f", "突发性事件应急处理预案"
    G = "g", "服务质量监督考核管理"
    H = "h", "如遇应急、突发事件，应按政府部门要求执行"


class SystemDocument(models.Model):
    """One of the station's written systems (clause 4.5); its text lives in its versions."""

    code = models.CharField(_("system"), max_length=1, choices=SystemCode.choices, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("written system")
        verbose_name_plural = _("written systems")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code}) {self.get_code_display()}"


def version_path(version: "SystemDocumentVersion", filename: str) -> str:
    from django.db import connection

    return f"operations/{connection.schema_name}/systems/{version.document.code}/{filename}"


class SystemDocumentVersion(models.Model):
    """A version of a written system, published by the station head: a PDF or Word file and/or its text. Versions are
    never changed or deleted; the current one is the newest in effect."""

    document = models.ForeignKey(
        SystemDocument, on_delete=models.CASCADE, related_name="versions", verbose_name=_("written system")
    )
    number = models.PositiveIntegerField(_("version"))
    effective_on = models.DateField(_("effective from"))
    text = models.TextField(_("text"), blank=True)
    file = models.FileField(_("file"), upload_to=version_path, max_length=255, blank=True)
    file_name = models.CharField(_("file name"), max_length=255, blank=True)
    file_kind = models.CharField(_("file kind"), max_length=10, blank=True)
    approved_by = shared_key(User, on_delete=models.PROTECT, verbose_name=_("approved by"))
    published_at = models.DateTimeField(_("published at"))

    class Meta:
        verbose_name = _("written system version")
        verbose_name_plural = _("written system versions")
        ordering = ["document", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="operations_version_number_per_system")
        ]

    def __str__(self) -> str:
        return f"{self.document} v{self.number}"


class DisplayNotice(models.Model):
    """What the station displays besides its facts (clause 4.2.2): the service process, in words. One row."""

    process = models.TextField(_("service process"), blank=True)
    notes = models.TextField(_("other notices"), blank=True)
    updated_by = shared_key(User, on_delete=models.PROTECT, null=True, verbose_name=_("updated by"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("public display")
        verbose_name_plural = _("public display")

    def __str__(self) -> str:
        return "display"
