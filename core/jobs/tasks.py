"""Beat's watchdog of the jobs: in the public schema and in every station's, a job whose worker has not been heard of
for `JOB_STALE_AFTER` is failed with a reason its page shows (see `core.jobs.services.job_fail_stale`)."""

from celery import shared_task
from django_tenants.utils import get_public_schema_name, schema_context

from core.jobs.services import job_fail_stale
from tenants.tasks import each_station


@shared_task
def jobs_watchdog() -> dict[str, int]:
    with schema_context(get_public_schema_name()):
        public = job_fail_stale()
    return {get_public_schema_name(): public, **each_station(job_fail_stale)}
