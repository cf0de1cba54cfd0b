"""The enterprise quality archive of clause 7, in the station's own schema.

- `ArchiveEntry`: a document of an enterprise's archive (a demand, a case, a service record, a survey, or whatever
  another app registers as an archive source, see `core.archive.sources`) with its archive number
  (`ALPHA-DA-2026-000012`, clause 7.4): given once, in the transaction that creates the document (so in creation
  order), from the desk's gap-free sequences, never reused
  (the sequence never goes back, even when a disposal removes the entry).
- `ConfidentialCase`: a case the head marked confidential (clause 7.3): only its assignee (a django-guardian object
  permission) and the station's head see it and its archive entries.
- `ArchiveAccess`: the log of every look at an enterprise's information (clause 7.3): its archive, a demand, a case,
  a service record, the printed forms and their PDFs, the API's reads and lists of them, exports; and of every refused
  or approved disposal. The head reads it per enterprise and per member.
- `ArchiveDisposal`: a disposal of an enterprise's archive after the retention period (clause 7.4): asked by staff,
  approved by the head, and what it removed.
- `ArchiveExport`: the ZIP of PDFs of an export job, kept apart from the job so that only its requester downloads it.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.common.shared_rows import shared_key


class ArchiveEntry(models.Model):
    number = models.CharField(_("archive number"), max_length=34, unique=True, editable=False)
    enterprise = shared_key("directory.Enterprise", verbose_name=_("enterprise"))
    source = models.CharField(_("kind of document"), max_length=40)
    object_id = models.BigIntegerField(_("document id"))
    recorded_at = models.DateTimeField(_("date of the document"))
    filed_at = models.DateTimeField(_("filed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("archive entry")
        verbose_name_plural = _("archive entries")
        ordering = ["recorded_at", "id"]
        constraints = [models.UniqueConstraint(fields=["source", "object_id"], name="archive_entry_one_per_document")]
        indexes = [models.Index(name="archive_entry_enterprise", fields=["enterprise", "recorded_at"])]

    def __str__(self) -> str:
        return self.number


class ConfidentialCase(models.Model):
    case = models.OneToOneField(
        "desk.ServiceCase", on_delete=models.CASCADE, related_name="confidential", verbose_name=_("case")
    )
    marked_by = shared_key(settings.AUTH_USER_MODEL)
    marked_at = models.DateTimeField(_("marked at"), auto_now_add=True)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        verbose_name = _("confidential case")

    def __str__(self) -> str:
        return f"{self.case_id}"


class AccessAction(models.TextChoices):
    VIEW = "view", _("Viewed the archive")
    EXPORT = "export", _("Exported the archive")
    DOWNLOAD = "download", _("Downloaded the export")
    DISPOSAL_REFUSED = "disposal_refused", _("Disposal refused")
    DISPOSAL_REQUESTED = "disposal_requested", _("Disposal requested")
    DISPOSAL_APPROVED = "disposal_approved", _("Disposal approved")
    DEMAND_VIEW = "demand_view", _("Viewed a demand")
    CASE_VIEW = "case_view", _("Viewed a case")
    RECORD_VIEW = "record_view", _("Viewed a service record")
    LIST = "list", _("Read a list")
    PRINT = "print", _("Printed a form")
    PDF = "pdf", _("Downloaded a form as PDF")


class AccessChannel(models.TextChoices):
    """Where the look happened; blank for what a service logs by itself (a disposal)."""

    PAGE = "page", pgettext_lazy("access channel", "Page")
    API = "api", pgettext_lazy("access channel", "API")


class LookKind(models.TextChoices):
    """What of an enterprise's information was looked at."""

    ARCHIVE = "archive", _("Archive")
    DEMAND = "demand", _("Demand")
    CASE = "case", _("Case")
    RECORD = "record", _("Service record")
    FORM_A = "form_a", _("Appendix A")
    FORM_B = "form_b", _("Appendix B")


class ArchiveAccess(models.Model):
    """Who looked at what of which enterprise's information, or did what with its archive, and when (clause 7.3).
    Users live in the public schema; the name is kept as it was (like the activity log). A list read is one row per
    enterprise it showed, naming that enterprise's documents in `object_label`."""

    user_id = models.BigIntegerField(_("user id"))
    user_name = models.CharField(_("user"), max_length=150)
    action = models.CharField(_("action"), max_length=30, choices=AccessAction.choices)
    channel = models.CharField(
        pgettext_lazy("access channel", "channel"), max_length=10, choices=AccessChannel.choices, blank=True, default=""
    )
    enterprise = shared_key("directory.Enterprise", verbose_name=_("enterprise"))
    enterprise_name = models.CharField(_("enterprise name"), max_length=200)
    object_kind = models.CharField(_("what"), max_length=20, choices=LookKind.choices, blank=True, default="")
    object_id = models.BigIntegerField(_("object id"), null=True, blank=True)
    object_label = models.CharField(_("which"), max_length=300, blank=True, default="")
    detail = models.CharField(_("detail"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("archive access")
        verbose_name_plural = _("archive access log")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(name="archive_access_enterprise", fields=["enterprise", "-created_at"]),
            models.Index(name="archive_access_user", fields=["user_id", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.user_name} {self.action} {self.enterprise_name}"


class DisposalState(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    APPROVED = "approved", _("Approved and carried out")


class ArchiveDisposal(models.Model):
    enterprise = shared_key("directory.Enterprise", verbose_name=_("enterprise"))
    enterprise_name = models.CharField(_("enterprise name"), max_length=200)
    state = models.CharField(_("state"), max_length=20, choices=DisposalState.choices, default=DisposalState.REQUESTED)
    reason = models.TextField(_("reason"))
    last_recorded_at = models.DateTimeField(_("last record"))
    requested_by = shared_key(settings.AUTH_USER_MODEL)
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    approved_by = shared_key(settings.AUTH_USER_MODEL, null=True)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    removed_counts = models.JSONField(_("removed documents by kind"), default=dict, blank=True)
    removed_numbers = models.JSONField(_("removed archive numbers"), default=list, blank=True)

    class Meta:
        verbose_name = _("archive disposal")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise"],
                condition=models.Q(state="requested"),
                name="archive_one_open_disposal",
            )
        ]

    def __str__(self) -> str:
        return f"{self.enterprise_name} {self.state}"


class ArchiveExport(models.Model):
    job_id = models.BigIntegerField(_("job"), unique=True)
    enterprise = shared_key("directory.Enterprise", verbose_name=_("enterprise"))
    requested_by = shared_key(settings.AUTH_USER_MODEL)
    name = models.CharField(max_length=200, blank=True)
    data = models.BinaryField(blank=True, default=b"")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("archive export")

    def __str__(self) -> str:
        return self.name
