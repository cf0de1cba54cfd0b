"""Onboarding with no spare schema waiting: the web request queues a job and makes no schema; a worker replays the
template into a spare and opens the station from it; the job's page follows it to the end."""

import threading
import time
from functools import partial

import pytest
from django.conf import settings
from django.db import connection
from django_tenants.utils import schema_exists

from core.jobs.models import Job, JobStatus
from core.onboarding import services as onboarding_services
from core.onboarding.services import ONBOARDING_KIND, station_onboard_start
from core.onboarding.tasks import station_onboard_task
from tenants.deploys import deploy_lock
from tenants.models import Station
from tenants.spare_schemas import spare_schemas_refill
from tests.committed import on_own_connection
from tests.conftest import host_client
from tests.platform.console.test_onboarding import FORM, NEW, field_errors
from tests.processes import working
from tests.tenants.test_spare_replay import names_of
from tests.tenants.test_spare_schemas import drop_committed, spare_names

pytestmark = pytest.mark.django_db


def onboarding_jobs():
    return Job.objects.filter(kind=ONBOARDING_KIND)


def test_a_refused_input_is_shown_at_once_and_nothing_is_queued(city, public_host):
    spare_schemas_refill(size=0)
    jobs = set(onboarding_jobs().values_list("pk", flat=True))
    response = host_client(public_host, city.bureau_admin).post(NEW, FORM | {"code": "alpha"})

    assert response.status_code == 400
    html = response.content.decode()
    assert "代码" in field_errors(html, "code")[0]  # in Chinese, on its field
    assert FORM["name"] in html and FORM["head_email"] in html  # what was typed is kept
    assert set(onboarding_jobs().values_list("pk", flat=True)) == jobs


def test_a_job_that_cannot_open_the_station_fails_with_its_reason(city, public_host):
    job = station_onboard_start(actor=city.bureau_admin, fields=FORM | {"code": "alpha"})
    station_onboard_task(job_id=job.pk, actor_id=city.bureau_admin.pk, fields=FORM | {"code": "alpha"})

    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert "代码" in job.error
    page = host_client(public_host, city.bureau_admin).get(f"{NEW}{job.pk}/")
    assert page.status_code == 200
    assert "Refresh" not in page  # finished: the page stops reloading
    html = page.content.decode()
    assert job.error in html and 'class="step-failed"' in html


def test_the_progress_page_is_for_bureau_admins_and_onboarding_jobs_only(city, public_host):
    job = station_onboard_start(actor=city.bureau_admin, fields=FORM)
    admin = host_client(public_host, city.bureau_admin)
    page = admin.get(f"{NEW}{job.pk}/")
    assert page.status_code == 200 and page["Refresh"] == "1"  # queued: the page reloads itself
    assert host_client(public_host, city.bureau_viewer).get(f"{NEW}{job.pk}/").status_code == 403
    other = Job.objects.create(kind="directory.enterprise_export")
    assert admin.get(f"{NEW}{other.pk}/").status_code == 404


def test_an_empty_pool_queues_the_onboarding_and_a_worker_opens_the_station(city, public_host, tmp_path):
    code = FORM["code"]
    job_ids = []
    try:
        on_own_connection(partial(spare_schemas_refill, size=0))
        spares = on_own_connection(spare_names)

        response = on_own_connection(lambda: host_client(public_host, city.bureau_admin).post(NEW, FORM))

        assert response.status_code == 302
        job = on_own_connection(lambda: onboarding_jobs().order_by("-pk").first())
        job_ids.append(job.pk)
        assert response["Location"] == f"{NEW}{job.pk}/"
        # The request made no schema: no station's, no spare; the job waits for a worker.
        assert not on_own_connection(schema_exists, f"st_{code}")
        assert on_own_connection(spare_names) == spares
        assert job.status == JobStatus.QUEUED and job.input_name == FORM["name"]

        with working(tmp_path, STATIONNET_SPARE_SCHEMAS="0") as worker:
            deadline = time.monotonic() + 120
            while not (job := on_own_connection(lambda: Job.objects.get(pk=job_ids[0]))).finished:
                assert time.monotonic() < deadline, worker.log.read_text()
                time.sleep(0.3)
        assert job.status == JobStatus.SUCCEEDED, job.error
        station = on_own_connection(lambda: Station.objects.get(code=code))
        assert job.summary["station"] == station.pk
        assert on_own_connection(names_of, f"st_{code}") == on_own_connection(names_of, settings.TENANT_BASE_SCHEMA)

        page = on_own_connection(lambda: host_client(public_host, city.bureau_admin).get(response["Location"]))
        html = page.content.decode()
        assert f'href="/console/stations/{station.pk}/"' in html
        assert html.count('class="step-done"') == 3
    finally:
        on_own_connection(drop_committed, [code])
        on_own_connection(lambda: Job.objects.filter(pk__in=job_ids).delete())
        connection.set_schema_to_public()


def _deploy_held(seconds: float) -> threading.Event:
    """A deploy (`migrate_schemas`' lock) held on its own connection for `seconds`; set once it holds."""
    holding = threading.Event()

    def hold():
        with deploy_lock():
            holding.set()
            time.sleep(seconds)

    threading.Thread(target=hold, daemon=True).start()
    assert holding.wait(30)
    return holding


def test_a_queued_onboarding_waits_for_a_deploy_to_end(city, monkeypatch):
    monkeypatch.setattr(onboarding_services, "DEPLOY_POLL_SECONDS", 0.2)
    fields = FORM | {"code": "alpha"}  # refused once it runs: the reason shows that it ran after the deploy
    job = station_onboard_start(actor=city.bureau_admin, fields=fields)
    _deploy_held(1.5)
    started = time.monotonic()

    station_onboard_task(job_id=job.pk, actor_id=city.bureau_admin.pk, fields=fields)

    assert time.monotonic() - started >= 1.0
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert "代码" in job.error and "升级" not in job.error


def test_a_deploy_longer_than_the_wait_fails_the_onboarding_with_its_reason(city, monkeypatch):
    monkeypatch.setattr(onboarding_services, "DEPLOY_POLL_SECONDS", 0.2)
    monkeypatch.setattr(onboarding_services, "DEPLOY_WAIT_SECONDS", 0.4)
    job = station_onboard_start(actor=city.bureau_admin, fields=FORM)
    _deploy_held(3)

    station_onboard_task(job_id=job.pk, actor_id=city.bureau_admin.pk, fields=FORM)

    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert "升级" in job.error
    assert not Station.objects.filter(code=FORM["code"]).exists()
