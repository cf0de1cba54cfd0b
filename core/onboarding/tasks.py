from functools import partial

from celery import shared_task

from core.jobs.services import job_run_guarded
from core.onboarding.services import station_onboard_run


@shared_task
def station_onboard_task(*, job_id: int, actor_id: int, fields: dict) -> None:
    job_run_guarded(job_id=job_id, work=partial(station_onboard_run, job_id=job_id, actor_id=actor_id, fields=fields))
