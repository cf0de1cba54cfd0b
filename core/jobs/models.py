"""Long work (imports, exports, bulk operations) run by Celery, with the progress people watch in the page.

The app is in both the public schema and every station schema: a job belongs where it was started, so a station's
uploads and error reports are reachable only from that station, and the bureau's only from the public host.
"""

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Finished")
    FAILED = "failed", _("Failed")


def input_path(job: "Job", filename: str) -> str:
    """An uploaded input is kept under its schema, named at random (never by the name it came with), with the
    extension that tells the reader how to read it."""
    from django.db import connection

    extension = ".xlsx" if filename.lower().endswith(".xlsx") else ".csv"
    return f"jobs/{connection.schema_name}/{uuid.uuid4().hex}{extension}"


# What each kind of job is called on its page ("导出企业名录"), registered by the app that starts it
# (`job_kind_register`): the jobs app knows no app.
KIND_LABELS: dict[str, str] = {}


def job_kind_register(kind: str, label) -> str:
    KIND_LABELS[kind] = label
    return kind


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
    input_file = models.FileField(_("input file"), upload_to=input_path, max_length=255, blank=True)
    # The last sign of life of the job's worker (created, started, progress, end): the watchdog fails a job whose
    # worker has not been heard of for `JOB_STALE_AFTER` (core.jobs.services.job_fail_stale).
    heartbeat_at = models.DateTimeField(_("last progress"), default=timezone.now)
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
    def kind_label(self) -> str:
        return str(KIND_LABELS.get(self.kind, _("Background job")))

    @property
    def finished(self) -> bool:
        return self.status in {JobStatus.SUCCEEDED, JobStatus.FAILED}

    @property
    def percent(self) -> int:
        if self.status == JobStatus.SUCCEEDED:
            return 100
        if not self.total:
            return 0
        return min(100, self.done * 100 // self.total)
