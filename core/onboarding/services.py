"""Onboarding a station without making a schema in a web request.

The console's onboarding takes a spare schema when one waits (a rename, in the request). With the pool empty it
queues a job instead (`station_onboard_start`): a worker replays the template into a new spare and then provisions the
station from it (`station_onboard_run`), while the bureau administrator watches the job's page. The form's input is
checked in the request first (``station_create(spare_only=True)`` checks everything before it looks for a spare), so
a wrong field is shown at once; what changed meanwhile (another station took the code) fails the job with the same
message. The job lives in the public schema, like the bureau's other jobs (``core.jobs``)."""

import dataclasses
import logging
import time

from django.core.exceptions import ValidationError
from django.db import OperationalError, transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_tenants.utils import get_public_schema_name, schema_context

from core.jobs.models import Job, job_kind_register
from core.jobs.services import job_create, job_finish, job_progress, job_start
from tenants.deploys import deploy_in_progress
from tenants.hosts import station_host
from tenants.models import Station, User
from tenants.services import station_create
from tenants.spare_schemas import LOCK_NOT_AVAILABLE, REFILL_ATTEMPTS, SpareSchemaUnavailable, spare_schema_create

logger = logging.getLogger(__name__)

ONBOARDING_KIND = job_kind_register("onboarding.station", gettext_lazy("Opening a station"))
# The job's steps, by `Job.done`: a schema replayed from the template, then the station provisioned in it.
STEPS = 2


@dataclasses.dataclass(frozen=True)
class Onboarding:
    """What an onboarding request got: the station (a spare was waiting) or the job that will make it."""

    station: Station | None = None
    job: Job | None = None


def station_onboard(*, actor: User, request: HttpRequest | None = None, **fields) -> Onboarding:
    """Provision a station from a waiting spare now, or queue its onboarding when none waits. A refusal of the input
    (ValidationError, field by field) is raised before anything is queued."""
    try:
        return Onboarding(station=station_create(actor=actor, request=request, spare_only=True, **fields))
    except SpareSchemaUnavailable:
        return Onboarding(job=station_onboard_start(actor=actor, fields=fields))


@transaction.atomic
def station_onboard_start(*, actor: User, fields: dict) -> Job:
    """Queue the onboarding of a station with the form's `fields` (checked already); it runs once committed."""
    job = job_create(kind=ONBOARDING_KIND, user=actor, input_name=str(fields.get("name", ""))[:200])
    from core.onboarding.tasks import station_onboard_task

    transaction.on_commit(lambda: station_onboard_task.delay(job_id=job.pk, actor_id=actor.pk, fields=fields))
    return job


def _spare_schema_made() -> None:
    """A spare replayed from the template and committed; it gives way to other onboardings' locks and tries again
    (as the pool's refill does)."""
    for attempt in range(REFILL_ATTEMPTS + 1):
        try:
            spare_schema_create()
        except OperationalError as error:
            if getattr(error.__cause__, "pgcode", None) != LOCK_NOT_AVAILABLE or attempt >= REFILL_ATTEMPTS:
                raise
            time.sleep(0.2 * (attempt + 1))
        else:
            return


# A queued onboarding that meets a deploy (``migrate_schemas`` holds ``tenants.deploys.DEPLOY_LOCK``) waits for it,
# looking again this often and keeping its job alive for the watchdog, at most this long.
DEPLOY_POLL_SECONDS = 5
DEPLOY_WAIT_SECONDS = 2 * 60 * 60


def _deploy_waited(*, job_id: int) -> None:
    """Wait while a deploy migrates the stations and the template (a spare replayed meanwhile could be half migrated).
    The form refuses an onboarding during a deploy; a job queued before it began waits here instead of failing."""
    waited = 0
    while deploy_in_progress():
        if waited >= DEPLOY_WAIT_SECONDS or not job_progress(job_id=job_id, done=0):
            raise ValidationError(_("The platform is being upgraded; open the station again in a few minutes."))
        time.sleep(DEPLOY_POLL_SECONDS)
        waited += DEPLOY_POLL_SECONDS


def station_onboard_run(*, job_id: int, actor_id: int, fields: dict) -> Job:
    """The worker's part: a spare made by replaying the template (committed, step 1), then the station provisioned
    from a spare (step 2). Should another onboarding take that spare first, ``station_create`` replays one for this
    station in its own transaction. A refusal fails the job with its messages (``job_run_guarded``)."""
    with schema_context(get_public_schema_name()):
        job = job_start(job_id=job_id, total=STEPS)
        if job.finished:
            return job
        actor = User.objects.get(pk=actor_id)
        _deploy_waited(job_id=job_id)
        _spare_schema_made()
        job_progress(job_id=job_id, done=1)
        station = station_create(actor=actor, **fields)
        logger.info("onboarding job %s opened station %s", job_id, station.code)
        return job_finish(
            job_id=job_id,
            summary={
                "station": station.pk,
                "code": station.code,
                "name": station.name,
                "host": station_host(station.code),
            },
        )
