from functools import partial

from celery import shared_task

from core.archive.services import archive_export_run
from core.jobs.services import job_run_guarded


@shared_task
def archive_export_task(*, job_id: int) -> None:
    job_run_guarded(job_id=job_id, work=partial(archive_export_run, job_id=job_id))
