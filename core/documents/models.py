"""Files attached to demands and cases (issue 19): inspection and test reports the station fetches and hands out
(clauses 5.1.7.4, 5.1.8.2), certificates, calibration certificates, photos of the site, scans.

- `Document`: one version of a file on a demand (the demand as a whole) or on one of its cases, in the station's own
  schema. Its kind is read from its content (`core.uploads.checks`), it is kept under the station's code as
  `documents/<code>/<yyyy>/<uuid><ext>` (never the name it came with), and it is filed into the enterprise's quality
  archive when uploaded. A new version shares the `series` of the earlier ones and marks the previous one superseded;
  none is ever deleted. Released to the enterprise (the standard's 发放检验检测报告), it says when and by whom.

Never deleted, never changed: a trigger (migration 0002) refuses DELETE except inside an approved archive disposal
(`core.archive.desk_sources.DISPOSAL_SETTING`) and any UPDATE but setting, once, the release and supersede columns.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.common.shared_rows import shared_key

KEEP = models.DO_NOTHING  # shared rows are never deleted: the public tables refuse DELETE (core.common.shared_rows)


class DocumentKind(models.TextChoices):
    REPORT = "report", _("Inspection and test report")
    CERTIFICATE = "certificate", _("Certificate")
    CALIBRATION = "calibration", _("Calibration certificate")
    PHOTO = "photo", _("Photo of the site")
    SCAN = "scan", _("Scan")
    OTHER = "other", _("Other document")


def document_path(document: "Document", filename: str) -> str:
    """The service names the stored file itself (`documents/<station code>/<yyyy>/<uuid><ext>`)."""
    return filename


class Document(models.Model):
    demand = models.ForeignKey(
        "desk.Demand", on_delete=models.PROTECT, related_name="documents", verbose_name=_("demand")
    )
    # None: a document of the demand as a whole.
    case = models.ForeignKey(
        "desk.ServiceCase",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="documents",
        verbose_name=_("case"),
    )
    kind = models.CharField(_("kind of document"), max_length=20, choices=DocumentKind.choices)
    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(_("file"), upload_to=document_path, max_length=255)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    series = models.UUIDField(_("series"), default=uuid.uuid4, editable=False)
    version = models.PositiveIntegerField(_("version"), default=1)
    superseded_at = models.DateTimeField(_("superseded at"), null=True, blank=True)
    superseded_by = models.OneToOneField(
        "self", on_delete=KEEP, null=True, blank=True, related_name="supersedes", verbose_name=_("superseded by")
    )
    # None on a copy that travelled back from another station: the uploader's name is kept as it was.
    uploaded_by = shared_key(settings.AUTH_USER_MODEL, null=True, verbose_name=_("uploaded by"))
    uploaded_by_name = models.CharField(_("uploaded by"), max_length=150, blank=True)
    uploaded_at = models.DateTimeField(_("uploaded at"))
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)
    released_by = shared_key(settings.AUTH_USER_MODEL, null=True, verbose_name=_("released by"))
    released_by_name = models.CharField(_("released by"), max_length=150, blank=True)
    # A copy that travelled back from the station that served a referral: that station, and the uid of its document
    # (a repeated message copies nothing twice).
    origin_station_name = models.CharField(_("from station"), max_length=100, blank=True)
    origin_uid = models.UUIDField(_("original document"), unique=True, null=True, blank=True, editable=False)
    uid = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["-uploaded_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["series", "version"], name="documents_one_row_per_version"),
            models.UniqueConstraint(
                fields=["series"], condition=models.Q(superseded_at__isnull=True), name="documents_one_current_version"
            ),
            # A replacement first stops the earlier version being current, then links it to the new one.
            models.CheckConstraint(
                condition=models.Q(superseded_by__isnull=True) | models.Q(superseded_at__isnull=False),
                name="documents_superseded_when_replaced",
            ),
            models.CheckConstraint(
                condition=models.Q(released_at__isnull=True) | ~models.Q(released_by_name=""),
                name="documents_released_by_someone",
            ),
            models.CheckConstraint(condition=models.Q(version__gte=1), name="documents_version_from_one"),
        ]
        indexes = [
            models.Index(name="documents_of_case", fields=["case", "uploaded_at"]),
            models.Index(name="documents_of_demand", fields=["demand", "uploaded_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.version})"

    @property
    def is_current(self) -> bool:
        return self.superseded_at is None

    @property
    def is_released(self) -> bool:
        return self.released_at is not None
