"""Every job ends: a task's error fails its job with a reason people read; the watchdog fails, in every schema, the
jobs whose worker went silent; a finished job stays finished."""

import datetime
import logging

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.utils import timezone
from django_tenants.utils import schema_context

from core.directory.tasks import directory_export_task, directory_import_task
from core.jobs.models import Job, JobStatus
from core.jobs.services import (
    job_create,
    job_error_stale,
    job_error_unexpected,
    job_fail,
    job_fail_stale,
    job_finish,
    job_progress,
    job_run_guarded,
    job_start,
)
from core.jobs.tasks import jobs_watchdog
from tests.conftest import host_client

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def silent_for(job: Job, minutes: int) -> Job:
    """`job` as if its worker had last been heard of `minutes` ago."""
    Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - datetime.timedelta(minutes=minutes))
    return job


def test_an_error_inside_a_task_fails_its_job_with_a_reason_and_logs_the_traceback(city, caplog):
    job = job_create(kind="directory.no_such_export", input_name="x.csv")  # the export knows no such kind
    with caplog.at_level(logging.ERROR, logger="core.jobs.services"):
        directory_export_task(job_id=job.pk, filters={})
    job.refresh_from_db()
    assert (job.status, job.error) == (JobStatus.FAILED, job_error_unexpected())
    assert job.finished_at is not None
    assert "KeyError" in caplog.text  # the traceback is the log's, not the page's


def test_an_import_whose_stored_file_is_gone_fails_with_a_reason(city):
    job = job_create(kind="directory.enterprise_import", input_name="名录.csv", input_file=ContentFile(b"a,b\n1,2\n"))
    job.input_file.storage.delete(job.input_file.name)
    directory_import_task(job_id=job.pk, station_id=None)
    job.refresh_from_db()
    assert (job.status, job.error) == (JobStatus.FAILED, job_error_unexpected())


def test_a_refusal_inside_the_work_fails_the_job_with_its_own_message(city):
    from django.core.exceptions import ValidationError

    job = job_create(kind="test.job")

    def work():
        raise ValidationError("这一行说明原因。")

    assert job_run_guarded(job_id=job.pk, work=work).error == "这一行说明原因。"


def test_the_watchdog_fails_silent_jobs_and_leaves_the_others(city):
    queued = silent_for(job_create(kind="test.queued"), 20)
    running = job_create(kind="test.running")
    job_start(job_id=running.pk, total=10)
    silent_for(running, 20)
    busy = job_create(kind="test.busy")
    job_start(job_id=busy.pk, total=10)
    job_progress(job_id=busy.pk, done=3)
    done = job_create(kind="test.done")
    job_finish(job_id=done.pk, summary={})
    silent_for(done, 60)

    assert job_fail_stale(older_than=datetime.timedelta(minutes=15)) == 2
    states = {job.pk: job for job in Job.objects.filter(pk__in=[queued.pk, running.pk, busy.pk, done.pk])}
    assert states[queued.pk].status == JobStatus.FAILED
    assert states[queued.pk].error == job_error_stale(status=JobStatus.QUEUED, minutes=15)
    assert states[running.pk].status == JobStatus.FAILED
    assert states[running.pk].error == job_error_stale(status=JobStatus.RUNNING, minutes=15)
    assert states[busy.pk].status == JobStatus.RUNNING
    assert states[done.pk].status == JobStatus.SUCCEEDED
    assert job_fail_stale(older_than=datetime.timedelta(minutes=15)) == 0


def test_the_watchdog_visits_the_public_schema_and_every_station(city):
    public = silent_for(job_create(kind="test.public"), 30)
    with schema_context(city.alpha.schema_name):
        alpha = silent_for(job_create(kind="test.alpha"), 30)
    with schema_context(city.beta.schema_name):
        beta = job_create(kind="test.beta")  # fresh: left alone

    counts = jobs_watchdog()

    assert counts["public"] == 1 and counts[city.alpha.code] == 1 and counts[city.beta.code] == 0
    assert Job.objects.get(pk=public.pk).status == JobStatus.FAILED
    with schema_context(city.alpha.schema_name):
        assert Job.objects.get(pk=alpha.pk).status == JobStatus.FAILED
    with schema_context(city.beta.schema_name):
        assert Job.objects.get(pk=beta.pk).status == JobStatus.QUEUED


def test_beat_runs_the_watchdog_and_the_bound_defaults_to_a_quarter_hour():
    assert settings.CELERY_BEAT_SCHEDULE["jobs-watchdog"]["task"] == jobs_watchdog.name
    assert settings.JOB_STALE_AFTER == datetime.timedelta(minutes=15)


def test_a_finished_job_stays_finished(city):
    job = job_create(kind="test.late")
    job_start(job_id=job.pk, total=5)
    job_fail(job_id=job.pk, error="停止了")
    assert job_progress(job_id=job.pk, done=4) is False  # the late worker learns it was given up
    assert job_finish(job_id=job.pk, summary={"rows": 5}).status == JobStatus.FAILED
    assert job_start(job_id=job.pk, total=5).status == JobStatus.FAILED
    job.refresh_from_db()
    assert (job.status, job.error, job.done) == (JobStatus.FAILED, "停止了", 0)


def test_the_job_page_and_api_show_why_a_job_failed(city, public_host):
    job = job_create(kind="test.page")
    job_fail(job_id=job.pk, error="文件无法读取：原因在此。")
    client = host_client(public_host, city.bureau_admin)
    assert "文件无法读取：原因在此。" in client.get(f"/jobs/{job.pk}/").content.decode()
    answer = client.get(f"/api/v1/jobs/{job.pk}/").json()
    assert (answer["status"], answer["error"]) == ("failed", "文件无法读取：原因在此。")
