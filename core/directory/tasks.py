from functools import partial

from celery import shared_task

from core.directory.exports import directory_export_run
from core.directory.imports import directory_import_run
from core.directory.notifications import qualification_expiry_notify
from core.jobs.services import job_run_guarded


@shared_task
def directory_import_task(*, job_id: int, station_id: int | None) -> None:
    job_run_guarded(job_id=job_id, work=partial(directory_import_run, job_id=job_id, station_id=station_id))


@shared_task
def directory_export_task(*, job_id: int, filters: dict) -> None:
    job_run_guarded(job_id=job_id, work=partial(directory_export_run, job_id=job_id, filters=filters))


@shared_task(autoretry_for=(OSError,), retry_backoff=60, max_retries=10)
def qualification_expiry_notify_task() -> int:
    return qualification_expiry_notify()
