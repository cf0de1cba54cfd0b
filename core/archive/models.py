"""The enterprise quality archive of clause 7, in the station's own schema.

- `ArchiveEntry`: a document of an enterprise's archive (a demand, a case, a service record, a survey, or whatever
  another app registers as an archive source, see `core.archive.sources`) with its archive number
  (`ALPHA-DA-2026-000012`, clause 7.4): given once, in date order, from the desk's gap-free sequences, never reused
  (the sequence never goes back, even when a disposal removes the entry).
- `ConfidentialCase`: a case the head marked confidential (clause 7.3): only its assignee (a django-guardian object
  permission) and the station's head see it and its archive entries.
- `ArchiveAccess`: the log of every view and export of an enterprise's archive, and of every refused or approved
  disposal (clause 7.3); the head reads it.
- `ArchiveDisposal`: a disposal of an enterprise's archive after the retention period (clause 7.4): asked by staff,
  approved by the head, and what it removed.
- `ArchiveExport`: the ZIP of PDFs of an export job, kept apart from the job so that only its requester downloads it.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

KEEP = models.DO_NOTHING  # the database's foreign key (no action) refuses the delete of a shared row


class ArchiveEntry(models.Model):
    number = models.CharField(_("archive number"), max_length=34, unique=True, editable=False)
    enterprise = models.ForeignKey(
        "directory.Enterprise", on_delete=KEEP, related_name="+", verbose_name=_("enterprise")
    )
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
    marked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=KEEP, related_name="+")
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


class ArchiveAccess(models.Model):
    """Who did what with which enterprise's archive, and when. Users live in the public schema; the name is kept as
    it was (like the activity log)."""

    user_id = models.BigIntegerField(_("user id"))
    user_name = models.CharField(_("user"), max_length=150)
    action = models.CharField(_("action"), max_length=30, choices=AccessAction.choices)
    enterprise = models.ForeignKey(
        "directory.Enterprise", on_delete=KEEP, related_name="+", verbose_name=_("enterprise")
    )
    enterprise_name = models.CharField(_("enterprise name"), max_length=200)
    detail = models.CharField(_("detail"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("archive access")
        verbose_name_plural = _("archive access log")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.user_name} {self.action} {self.enterprise_name}"


class DisposalState(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    APPROVED = "approved", _("Approved and carried out")


class ArchiveDisposal(models.Model):
    enterprise = models.ForeignKey(
        "directory.Enterprise", on_delete=KEEP, related_name="+", verbose_name=_("enterprise")
    )
    enterprise_name = models.CharField(_("enterprise name"), max_length=200)
    state = models.CharField(_("state"), max_length=20, choices=DisposalState.choices, default=DisposalState.REQUESTED)
    reason = models.TextField(_("reason"))
    last_recorded_at = models.DateTimeField(_("last record"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=KEEP, related_name="+")
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=KEEP, null=True, blank=True, related_name="+")
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
    enterprise = models.ForeignKey(
        "directory.Enterprise", on_delete=KEEP, related_name="+", verbose_name=_("enterprise")
    )
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=KEEP, related_name="+")
    name = models.CharField(max_length=200, blank=True)
    data = models.BinaryField(blank=True, default=b"")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("archive export")

    def __str__(self) -> str:
        return self.name
