"""The life of a job: created (queued) → running, with progress → finished or failed."""

from django.db import transaction
from django.utils import timezone

from core.jobs.models import Job, JobStatus


@transaction.atomic
def job_create(*, kind: str, user=None, input_name: str = "", input_data: bytes = b"") -> Job:
    job = Job(
        kind=kind,
        created_by_id=getattr(user, "pk", None),
        created_by_name=str(user) if user is not None else "",
        input_name=input_name,
        input_data=input_data,
    )
    job.full_clean(exclude=["input_data", "result_data"])
    job.save()
    return job


def job_start(*, job_id: int, total: int) -> Job:
    """Mark a job running. Returns it; a job already finished is returned as it is (a re-delivered task)."""
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job_id)
        if job.status in {JobStatus.SUCCEEDED, JobStatus.FAILED}:
            return job
        job.status = JobStatus.RUNNING
        job.started_at = job.started_at or timezone.now()
        job.total = total
        job.done = 0
        job.save(update_fields=["status", "started_at", "total", "done"])
    return job


def job_progress(*, job_id: int, done: int) -> None:
    """Record progress in its own short transaction, so the page sees it while the work goes on."""
    Job.objects.filter(pk=job_id).update(done=done)


@transaction.atomic
def job_finish(
    *, job_id: int, summary: dict, result_name: str = "", result_data: bytes = b"", result_content_type: str = ""
) -> Job:
    job = Job.objects.select_for_update().get(pk=job_id)
    job.status = JobStatus.SUCCEEDED
    job.finished_at = timezone.now()
    job.done = job.total
    job.summary = summary
    job.result_name = result_name
    job.result_data = result_data
    job.result_content_type = result_content_type
    job.save()
    return job


@transaction.atomic
def job_fail(*, job_id: int, error: str) -> Job:
    job = Job.objects.select_for_update().get(pk=job_id)
    job.status = JobStatus.FAILED
    job.finished_at = timezone.now()
    job.error = error[:2000]
    job.save(update_fields=["status", "finished_at", "error"])
    return job
