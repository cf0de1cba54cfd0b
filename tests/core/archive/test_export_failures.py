"""The archive's ZIP of PDFs is a job: when the PDFs cannot be made, or its task meets any other error, the job ends
failed with a reason its page shows in the user's language, never the printer's technical message."""

import pytest
from django.utils.html import escape

from core.archive import services
from core.archive.models import ArchiveExport
from core.archive.tasks import archive_export_task
from core.jobs.models import Job, JobStatus
from core.jobs.services import job_error_unexpected
from tests.conftest import host_client
from tests.core.desk.builders import take_demand

pytestmark = pytest.mark.django_db


def test_an_archive_export_without_a_printer_fails_with_a_reason_people_read(city, alpha, enterprise, settings):
    settings.STATIONNET_CHROMIUM = "/nonexistent/chromium"
    take_demand(city, enterprise)
    job = services.archive_export_start(enterprise=enterprise, user=city.alpha_staff)
    archive_export_task(job_id=job.pk)  # what the worker runs
    job = Job.objects.get(pk=job.pk)
    assert job.status == JobStatus.FAILED and job.finished_at is not None
    assert "STATIONNET_CHROMIUM" not in job.error and "nonexistent" not in job.error  # the log's, not the page's
    assert "chromium" in job.error and "fonts-noto-cjk" in job.error  # what to install, in the user's language


def test_any_other_error_of_the_archive_export_fails_its_job(city, alpha, enterprise, alpha_host):
    take_demand(city, enterprise)
    job = services.archive_export_start(enterprise=enterprise, user=city.alpha_staff)
    ArchiveExport.objects.filter(job_id=job.pk).delete()  # its export row gone: the task cannot go on
    archive_export_task(job_id=job.pk)
    job = Job.objects.get(pk=job.pk)
    assert (job.status, job.error) == (JobStatus.FAILED, job_error_unexpected())
    page = host_client(alpha_host, city.alpha_staff).get(f"/jobs/{job.pk}/").content.decode()
    assert escape(job_error_unexpected()) in page
