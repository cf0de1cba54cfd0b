"""The life of a job: created (queued) → running, with progress → finished or failed. Every job ends.

- A job's task runs its work through `job_run_guarded`: whatever the work raises, the job fails with a reason people
  read on the job's page (the traceback goes to the log).
- Every step records the worker's last sign of life (`heartbeat_at`); the watchdog (`job_fail_stale`, run by beat in
  every schema) fails a job whose worker has not been heard of for `JOB_STALE_AFTER`: a worker killed mid-job, a task
  lost with its broker.
- A finished job stays finished: a re-delivered task, a late worker or the watchdog never change its end.
"""

import datetime
import logging
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.jobs.models import Job, JobStatus

logger = logging.getLogger(__name__)

UNFINISHED = (JobStatus.QUEUED, JobStatus.RUNNING)


@transaction.atomic
def job_create(*, kind: str, user=None, input_name: str = "", input_file: File | None = None) -> Job:
    """A queued job; `input_file` (an upload) is kept in the default storage under this schema."""
    job = Job(
        kind=kind,
        created_by_id=getattr(user, "pk", None),
        created_by_name=str(user) if user is not None else "",
        input_name=input_name,
        heartbeat_at=timezone.now(),
    )
    job.full_clean(exclude=["input_file", "result_data"])
    if input_file is not None:
        input_file.seek(0)
        job.input_file.save(input_name or input_file.name or "input", input_file, save=False)
    job.save()
    return job


def job_start(*, job_id: int, total: int) -> Job:
    """Mark a job running. Returns it; a job already finished is returned as it is (a re-delivered task)."""
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job_id)
        if job.finished:
            return job
        job.status = JobStatus.RUNNING
        job.started_at = job.started_at or timezone.now()
        job.heartbeat_at = timezone.now()
        job.total = total
        job.done = 0
        job.save(update_fields=["status", "started_at", "heartbeat_at", "total", "done"])
    return job


def job_progress(*, job_id: int, done: int) -> bool:
    """Record progress in its own short transaction, so the page sees it while the work goes on. False when the job
    is no longer running (the watchdog gave up on it)."""
    updated = Job.objects.filter(pk=job_id, status=JobStatus.RUNNING).update(done=done, heartbeat_at=timezone.now())
    return bool(updated)


@transaction.atomic
def job_finish(
    *, job_id: int, summary: dict, result_name: str = "", result_data: bytes = b"", result_content_type: str = ""
) -> Job:
    job = Job.objects.select_for_update().get(pk=job_id)
    if job.finished:
        return job
    job.status = JobStatus.SUCCEEDED
    job.finished_at = job.heartbeat_at = timezone.now()
    job.done = job.total
    job.summary = summary
    job.result_name = result_name
    job.result_data = result_data
    job.result_content_type = result_content_type
    job.save()
    return job


@transaction.atomic
def job_fail(*, job_id: int, error: str) -> Job:
    """End a job as failed with `error`, the reason its page shows (in the user's language). A finished job is
    returned as it is."""
    job = Job.objects.select_for_update().get(pk=job_id)
    if job.finished:
        return job
    job.status = JobStatus.FAILED
    job.finished_at = job.heartbeat_at = timezone.now()
    job.error = error[:2000]
    job.save(update_fields=["status", "finished_at", "heartbeat_at", "error"])
    return job


def job_error_unexpected() -> str:
    return _(
        "The job stopped on an unexpected error and was not finished. Try again; if it fails again, tell the "
        "administrator (the error is in the worker's log)."
    )


def job_run_guarded(*, job_id: int, work: Callable[[], object]) -> Job:
    """Run a job's work (the body of its Celery task) so that the job ends whatever happens: a refusal
    (ValidationError) fails it with its messages, any other error with a reason people read, its traceback logged.
    Errors that end the process (a killed worker) are the watchdog's."""
    try:
        work()
    except ValidationError as error:
        logger.warning("job %s refused: %s", job_id, error.messages)
        return job_fail(job_id=job_id, error=" ".join(error.messages))
    except Exception:
        logger.exception("job %s failed", job_id)
        return job_fail(job_id=job_id, error=job_error_unexpected())
    return Job.objects.get(pk=job_id)


def job_error_stale(*, status: str, minutes: int) -> str:
    if status == JobStatus.QUEUED:
        return _(
            "No worker took up this job within %(minutes)s minutes; it was given up. Start it again; if it happens "
            "again, tell the administrator."
        ) % {"minutes": minutes}
    return _(
        "The worker stopped while running this job (no progress for %(minutes)s minutes); it was given up. Start it "
        "again."
    ) % {"minutes": minutes}


@transaction.atomic
def job_fail_stale(*, older_than: datetime.timedelta | None = None) -> int:
    """Fail the jobs of this schema, queued or running, whose worker has not been heard of for `older_than`
    (`JOB_STALE_AFTER`). A job being finished right now (its row locked) is left to its worker. The number failed."""
    older_than = settings.JOB_STALE_AFTER if older_than is None else older_than
    now = timezone.now()
    minutes = max(1, round(older_than.total_seconds() / 60))
    stale = (
        Job.objects.select_for_update(skip_locked=True)
        .filter(status__in=UNFINISHED, heartbeat_at__lt=now - older_than)
        .only("id", "status")
    )
    count = 0
    for job in stale:
        logger.warning("job %s (%s) has had no sign of life for %s: failed", job.pk, job.status, older_than)
        job.error = job_error_stale(status=job.status, minutes=minutes)
        job.status = JobStatus.FAILED
        job.finished_at = job.heartbeat_at = now
        job.save(update_fields=["status", "finished_at", "heartbeat_at", "error"])
        count += 1
    return count
