from django.db.models import QuerySet

from core.jobs.models import Job


def job_list(*, kind_prefix: str = "") -> QuerySet[Job]:
    jobs = Job.objects.defer("result_data").order_by("-created_at", "-id")
    return jobs.filter(kind__startswith=kind_prefix) if kind_prefix else jobs


def job_get(*, job_id: int) -> Job | None:
    return Job.objects.defer("result_data").filter(pk=job_id).first()
