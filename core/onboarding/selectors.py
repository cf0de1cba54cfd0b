"""Reads of queued onboardings: their job (in the public schema) and the steps its page lists."""

import dataclasses

from django.utils.translation import gettext as _

from core.jobs.models import Job, JobStatus
from core.jobs.selectors import job_get
from core.onboarding.services import ONBOARDING_KIND


@dataclasses.dataclass(frozen=True)
class Step:
    label: str
    state: str  # "done", "running", "waiting" or "failed"


def onboarding_job_get(*, job_id: int) -> Job | None:
    job = job_get(job_id=job_id)
    return job if job is not None and job.kind == ONBOARDING_KIND else None


def onboarding_steps(*, job: Job) -> list[Step]:
    """Queued, the schema replayed, the station provisioned: each done, running, waiting, or where the job failed."""
    labels = [
        _("Queued for a worker"),
        _("Preparing the station's database schema"),
        _("Creating the station, its host and its head"),
    ]
    # How many steps are behind the job: queued (0 done), running (1 + its progress), succeeded (all).
    if job.status == JobStatus.SUCCEEDED:
        behind = len(labels)
    elif job.status == JobStatus.QUEUED:
        behind = 0
    else:
        behind = 1 + job.done
    steps = []
    for index, label in enumerate(labels):
        if index < behind:
            state = "done"
        elif index == behind:
            state = "failed" if job.status == JobStatus.FAILED else "running"
        else:
            state = "waiting"
        steps.append(Step(label=label, state=state))
    return steps
