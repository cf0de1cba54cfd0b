from django.http import Http404

from core.jobs.selectors import job_get
from tenants.pages import SharedPage


class JobPage(SharedPage):
    """A job's progress bar, kept up to date from the API, and its result when done."""

    template_name = "jobs/job.html"

    def get_context_data(self, **kwargs):
        job = job_get(job_id=self.kwargs["pk"])
        if job is None:
            raise Http404
        return super().get_context_data(**kwargs, job=job)
