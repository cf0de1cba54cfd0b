from celery import shared_task

from core.archive.services import archive_export_run


@shared_task
def archive_export_task(*, job_id: int) -> None:
    archive_export_run(job_id=job_id)
