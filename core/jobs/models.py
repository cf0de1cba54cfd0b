"""Long work (imports, exports, bulk operations) run by Celery, with the progress people watch in the page.

The app is in both the public schema and every station schema: a job belongs where it was started, so a station's
uploads and error reports are reachable only from that station, and the bureau's only from the public host.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Finished")
    FAILED = "failed", _("Failed")


class Job(models.Model):
    kind = models.CharField(_("kind"), max_length=60)
    status = models.CharField(_("status"), max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    created_by_id = models.BigIntegerField(_("created by"), null=True, blank=True)
    created_by_name = models.CharField(_("created by"), max_length=150, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    total = models.PositiveIntegerField(_("total"), default=0)
    done = models.PositiveIntegerField(_("done"), default=0)
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    input_name = models.CharField(_("input file"), max_length=200, blank=True)
    input_data = models.BinaryField(_("input data"), blank=True, default=b"")
    result_name = models.CharField(_("result file"), max_length=200, blank=True)
    result_content_type = models.CharField(max_length=100, blank=True)
    result_data = models.BinaryField(_("result data"), blank=True, default=b"")

    class Meta:
        verbose_name = _("job")
        verbose_name_plural = _("jobs")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.status})"

    @property
    def percent(self) -> int:
        if self.status == JobStatus.SUCCEEDED:
            return 100
        if not self.total:
            return 0
        return min(100, self.done * 100 // self.total)
