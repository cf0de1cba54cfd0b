"""A job whose worker is killed mid-job (SIGKILL, its whole process group) ends anyway: the watchdog, which beat runs
in every schema, fails it with a reason the job's page shows.

A real Celery worker runs a real import through the broker; the job and its rows are committed (the worker cannot see
the test's own transaction), so the test removes them itself, whatever happens."""

import datetime
import os
import random
import signal
import time

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.html import escape
from django_tenants.utils import schema_context

from core.common.shared_rows import shared_row_delete
from core.directory import uscc
from core.directory.columns import ENTERPRISE_COLUMNS
from core.directory.imports import BATCH
from core.directory.models import Enterprise
from core.directory.services import directory_import_start
from core.directory.tables import write_csv
from core.jobs.models import Job, JobStatus
from core.jobs.services import job_error_stale
from core.jobs.tasks import jobs_watchdog
from tests.committed import on_own_connection
from tests.conftest import host_client

PREFIX = "看门狗测试企业"
ROWS = 30 * BATCH  # long enough to be killed in the middle of


def _import_file() -> bytes:
    rng = random.Random(1616)  # noqa: S311  (test data)
    rows = [[f"{PREFIX}{n}", uscc.generate(rng), "", "", "银州区", "", "", "", "", ""] for n in range(ROWS)]
    return write_csv([column.header for column in ENTERPRISE_COLUMNS], rows)


def _wait(condition, *, seconds: float, what: str, log) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} within {seconds} s; worker log:\n{log.read_text(errors='replace')}")
        time.sleep(0.05)


@pytest.mark.timeout(300)
def test_a_job_whose_worker_is_killed_mid_job_is_failed_by_the_watchdog(city, celery_worker, settings, alpha_host):
    schema = city.alpha.schema_name
    data = _import_file()

    def start() -> tuple[int, str]:
        with schema_context(schema):
            job = directory_import_start(
                what="enterprises",
                user=city.alpha_staff,
                station=city.alpha,
                file=SimpleUploadedFile("看门狗.csv", data),
            )
        return job.pk, job.input_file.name

    def state(job_id: int) -> Job:
        with schema_context(schema):
            return Job.objects.get(pk=job_id)

    job_id, stored = on_own_connection(start)  # committed: the task is queued to the worker
    try:
        _wait(
            lambda: state(job_id).status == JobStatus.RUNNING and state(job_id).done >= BATCH,
            seconds=180,
            what="the worker did not start the import",
            log=celery_worker.log,
        )
        os.killpg(celery_worker.process.pid, signal.SIGKILL)  # mid-job: the worker and its children, at once
        celery_worker.process.wait()
        killed = state(job_id)
        assert killed.status == JobStatus.RUNNING and killed.done < ROWS  # it stopped in the middle, and says so

        # Without a watchdog it would show "running" forever. Beat's watchdog visits every schema.
        settings.JOB_STALE_AFTER = datetime.timedelta(seconds=2)
        time.sleep(2.5)
        counts = on_own_connection(jobs_watchdog)
        assert counts[city.alpha.code] == 1

        failed = state(job_id)
        reason = job_error_stale(status=JobStatus.RUNNING, minutes=1)
        assert (failed.status, failed.error) == (JobStatus.FAILED, reason)
        assert failed.finished_at is not None and failed.done == killed.done
        client = host_client(alpha_host, city.alpha_staff)
        page = client.get(f"/jobs/{job_id}/").content.decode()
        assert escape(reason) in page
        assert client.get(f"/api/v1/jobs/{job_id}/").json()["status"] == "failed"
        # What the worker committed before it died is kept; the watchdog does not touch it.
        saved = Enterprise.objects.filter(name__startswith=PREFIX).count()
        assert killed.done <= saved <= killed.done + BATCH  # (it may have died between a batch and its progress)
    finally:

        def clean_up():
            with shared_row_delete():
                Enterprise.objects.filter(name__startswith=PREFIX).delete()
            with schema_context(schema):
                Job.objects.filter(pk=job_id).delete()
            default_storage.delete(stored)

        on_own_connection(clean_up)
