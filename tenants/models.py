"""Tenancy: stations (one PostgreSQL schema each), their host names, users and who works where.

Everything here lives in the public schema. Rules about these models (how a station is created, which status may
follow which, who may be a member) live in ``tenants.services``, never in ``save()``.
"""

from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_tenants.models import DomainMixin, TenantMixin

from core.districts import District

STATION_CODE_VALIDATOR = RegexValidator(
    r"^[a-z][a-z0-9]{1,29}$",
    _("Use 2 to 30 lower-case letters and digits, starting with a letter (it becomes the station's host name)."),
)
PHONE_VALIDATOR = RegexValidator(
    r"^[0-9+\-() ]{5,30}$",
    _("Enter a phone number: digits, spaces, +, - and brackets."),
)


class BureauRole(models.TextChoices):
    NONE = "", _("None")
    ADMIN = "admin", _("Bureau administrator")
    VIEWER = "viewer", _("Bureau viewer")
    # Separated duties (GB/T 22239-2019, 访问控制): accounts, roles, unlocks and tokens; reading the audit trail.
    SECURITY = "security", _("Security administrator")
    AUDITOR = "auditor", _("Audit administrator")


class User(AbstractUser):
    """A person. Users live once, in the public schema; `Membership` says in which stations they work."""

    full_name = models.CharField(_("full name"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True, validators=[PHONE_VALIDATOR])
    bureau_role = models.CharField(
        _("bureau role"), max_length=10, choices=BureauRole.choices, blank=True, default=BureauRole.NONE
    )
    # When the password was last set (GB/T 22239-2019 身份鉴别: passwords are changed periodically; see
    # core.accounts.middleware). Empty for an account whose password was never set.
    password_changed_at = models.DateTimeField(_("password changed at"), null=True, blank=True)
    # The number of unread in-app notifications, kept by core.notifications.services (never computed per page: every
    # page's bell shows it from the user already loaded).
    notifications_unread = models.PositiveIntegerField(_("unread notifications"), default=0)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def display_name(self) -> str:
        return self.full_name or self.username

    def set_password(self, raw_password):
        """Every way a password is set (changed, reset, an invitation accepted, a command) passes here: stamp it."""
        super().set_password(raw_password)
        if raw_password is not None:
            self.password_changed_at = timezone.now()


class StationStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    EVALUATING = "evaluating", _("Under evaluation")
    PUBLISHED = "published", _("Published")
    SUSPENDED = "suspended", _("Suspended")


class Station(TenantMixin):
    """A one-stop quality service station (一站式质量服务站); its working data lives in its own schema."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    code = models.CharField(_("code"), max_length=30, unique=True, validators=[STATION_CODE_VALIDATOR])
    district = models.CharField(_("district"), max_length=20, choices=District.choices)
    address = models.CharField(_("address"), max_length=200)
    service_phone = models.CharField(_("service phone"), max_length=30, validators=[PHONE_VALIDATOR])
    complaint_phone = models.CharField(_("complaint phone"), max_length=30, validators=[PHONE_VALIDATOR])
    # Shown on the public portal (clause 4.2.2). Blank only on stations created before these were asked for; the
    # bureau's onboarding form requires them.
    hours = models.CharField(_("opening hours"), max_length=200, blank=True)
    founding_body = models.CharField(_("founding body"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=StationStatus.choices, default=StationStatus.DRAFT)
    # The catalog items (clause 5.1) the station serves itself: what other stations search by when they refer a case.
    items = models.ManyToManyField(
        "catalog.ServiceItem", related_name="stations", blank=True, verbose_name=_("service items")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    status_changed_at = models.DateTimeField(_("status changed at"), null=True, blank=True)

    # Schemas are created by `tenants.services.station_create`, which clones the template schema.
    auto_create_schema = True
    auto_drop_schema = False

    class Meta:
        verbose_name = _("station")
        verbose_name_plural = _("stations")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class StationStatusChange(models.Model):
    """One change of a station's status (clause 3: evaluated, published, suspended, restored), with who did it and
    why. Kept for good: the history of a station's standing."""

    station = models.ForeignKey(
        Station, on_delete=models.CASCADE, related_name="status_changes", verbose_name=_("station")
    )
    from_status = models.CharField(_("from"), max_length=12, choices=StationStatus.choices)
    to_status = models.CharField(_("to"), max_length=12, choices=StationStatus.choices)
    reason = models.TextField(_("reason"), blank=True)
    changed_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("changed by")
    )
    changed_at = models.DateTimeField(_("changed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("station status change")
        verbose_name_plural = _("station status changes")
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.station}: {self.from_status} → {self.to_status}"


class Domain(DomainMixin):
    class Meta:
        verbose_name = _("domain")
        verbose_name_plural = _("domains")


class MemberRole(models.TextChoices):
    HEAD = "head", _("Station head")
    STAFF = "staff", _("Staff")


class Membership(models.Model):
    """Who works in which station, and as what. A user without one is refused everywhere in that station."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user"))
    station = models.ForeignKey(
        Station, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("station")
    )
    role = models.CharField(_("role"), max_length=10, choices=MemberRole.choices)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    invitation_sent_at = models.DateTimeField(_("invitation sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["station", "role", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["user", "station"], name="membership_one_per_user_and_station"),
            # Clause 4.4.2: one station head, responsible for all the station's quality work.
            models.UniqueConstraint(
                fields=["station"],
                condition=models.Q(role="head", is_active=True),
                name="membership_one_active_head_per_station",
                violation_error_message=_("This station already has an active station head."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.station} ({self.get_role_display()})"


class StationPublication(models.Model):
    """One publication (公示, clause 3) of a station on the public portal: who published it when, until when the
    public notice runs, and a snapshot of exactly what was published (the facts clause 4.2.2 asks to display and the
    supervision channels of clause 6.1). Never changed: republishing after a change writes a new one, so the portal
    keeps the history of what was published when."""

    station = models.ForeignKey(
        Station, on_delete=models.CASCADE, related_name="publications", verbose_name=_("station")
    )
    published_at = models.DateTimeField(_("published at"))
    notice_until = models.DateTimeField(_("public notice until"))
    published_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("published by"))
    snapshot = models.JSONField(_("what was published"))

    class Meta:
        verbose_name = _("station publication")
        verbose_name_plural = _("station publications")
        ordering = ["-published_at", "-id"]
        indexes = [models.Index(fields=["station", "-published_at"], name="publication_station_latest")]

    def __str__(self) -> str:
        return f"{self.station} @ {self.published_at:%Y-%m-%d}"


class SpareSchema(models.Model):
    """A schema cloned from the station template ahead of time, waiting to become a new station's schema: onboarding
    renames it instead of cloning (``tenants.spare_schemas``). `template_state` fingerprints the template's applied
    migrations when it was cloned; a spare whose fingerprint is not the template's current one is never used."""

    schema_name = models.CharField(_("schema name"), max_length=63, unique=True)
    template_state = models.CharField(_("template state"), max_length=64)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("spare schema")
        verbose_name_plural = _("spare schemas")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.schema_name


class TemplateDump(models.Model):
    """The station template's DDL and small data as ``pg_dump`` wrote them for one state of the template
    (`template_state`): spares are replayed from it (``tenants.spare_schemas``), so ``pg_dump``, which reads the
    catalog of every schema, runs once per deploy and not once per spare or per worker process."""

    template_state = models.CharField(_("template state"), max_length=64, unique=True)
    sql = models.TextField(_("SQL"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("template dump")
        verbose_name_plural = _("template dumps")

    def __str__(self) -> str:
        return self.template_state


class StationWork(models.Model):
    """That a schema (a station's, or the public one) may have work of one kind for a sweep, due from `due_at`: the
    beat sweeps visit the schemas named here instead of every schema (``tenants.work``). The app that creates the work
    marks it in the same transaction; the sweep clears the row once it finds nothing left, unless it was marked again
    meanwhile (`updated_at` changed). `kind` is the app's own name for its work ("messaging.outbox"): tenancy knows no
    domain app."""

    schema_name = models.CharField(_("schema name"), max_length=63)
    kind = models.CharField(_("kind"), max_length=40)
    due_at = models.DateTimeField(_("due at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("station work")
        verbose_name_plural = _("station work")
        constraints = [models.UniqueConstraint(fields=["schema_name", "kind"], name="station_work_one_per_kind")]
        # The beat's question: which schemas have work of this kind due now.
        indexes = [models.Index(fields=["kind", "due_at"], name="station_work_kind_due")]

    def __str__(self) -> str:
        return f"{self.schema_name}: {self.kind} @ {self.due_at:%Y-%m-%d %H:%M}"
