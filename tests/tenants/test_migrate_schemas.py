"""Deploys at many stations (issue 21): ``migrate_schemas`` skips the station schemas that are up to date, migrates
the others in parallel child processes, and onboarding refuses while it runs.

The command runs as operators run it, ``manage.py migrate_schemas`` in a process of its own on the test database: its
child processes see only committed schemas, so the stations these tests make behind are the session city's, changed
and put back on connections of their own."""

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import BaseCommand, call_command
from django.db import connection

from tenants.deploys import deploy_in_progress, deploy_lock, schemas_behind
from tenants.models import Station
from tenants.selectors import PLATFORM
from tenants.services import station_create
from tests.committed import on_own_connection
from tests.conftest import host_client
from tests.processes import REPO_ROOT, database_url
from tests.tenants.test_spare_schemas import station_input

pytestmark = pytest.mark.django_db

REFUSED = "平台正在升级，请几分钟后再开通服务站。"


def manage(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603  (our own manage.py, fixed arguments)
        [sys.executable, "manage.py", *arguments],
        cwd=REPO_ROOT,
        env={**os.environ, "DATABASE_URL": database_url()},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def applied(schema: str) -> set[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT app, name FROM "{schema}".django_migrations')  # noqa: S608  (schema names are ours)
        return set(cursor.fetchall())


def columns(schema: str) -> set[tuple[str, str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = %s",
            [schema],
        )
        return set(cursor.fetchall())


def station_schemas() -> list[str]:
    return list(Station.objects.values_list("schema_name", flat=True))


def put_back(*schemas: str) -> None:
    """Migrate `schemas` forward again, whatever a test left them in."""
    for schema in schemas:
        result = manage("migrate_schemas", "--schema", schema, "--noinput", "--verbosity", "0")
        assert result.returncode == 0, result.stderr[-2000:]


def test_up_to_date_station_schemas_are_skipped_in_one_pass(city, django_assert_num_queries):
    schemas = station_schemas()
    with django_assert_num_queries(2):  # the catalog, then every schema's django_migrations at once
        assert schemas_behind(schema_names=schemas) == []

    result = manage("migrate_schemas", "--tenant", "--noinput")

    assert result.returncode == 0, result.stderr[-3000:]
    assert f"skipped {len(schemas)} schemas already up to date, migrating 0." in result.stdout
    assert "=== Starting migration" not in result.stdout  # no schema was visited, the template neither


def test_schemas_behind_are_migrated_in_parallel_children_and_end_equal(city):
    station_before = applied(city.alpha.schema_name)
    station_columns = {(table, column) for table, column, _type in columns(city.alpha.schema_name)}
    template_before = applied(settings.TENANT_BASE_SCHEMA)
    behind = [city.alpha.schema_name, city.beta.schema_name]
    try:
        # core.jobs' second migration undone for real (its columns go) in two stations and the template.
        for schema in [*behind, settings.TENANT_BASE_SCHEMA]:
            result = manage("migrate_schemas", "--schema", schema, "jobs", "0001", "--noinput")
            assert result.returncode == 0, result.stderr[-3000:]
            assert ("jobs", "0002_job_input_file_heartbeat") not in applied(schema)
        assert set(schemas_behind(schema_names=station_schemas())) == set(behind)

        result = manage("migrate_schemas", "--tenant", "--noinput", "--parallel", "2", "--batch", "1")

        assert result.returncode == 0, result.stderr[-3000:]
        skipped = len(station_schemas()) - 2
        assert f"skipped {skipped} schemas already up to date, migrating 2 (subprocess executor)." in result.stdout
        # The children share the command's output, so one's line may break into another's ("Applying …" waits for
        # its "OK"): each child's own messages are looked for in the whole output, not as whole lines.
        for schema in behind:  # each by a child process of its own ("1/1": one schema each, --batch 1)
            assert f"[1/1 (100%) standard:{schema}] === Starting migration" in result.stdout, result.stdout
            assert f"standard:{schema}]   Applying jobs.0002_job_input_file_heartbeat" in result.stdout, result.stdout
        # The template, behind too, is synced after the stations, in the command's own process.
        assert "standard:station_template]   Applying jobs.0002_job_input_file_heartbeat... OK" in result.stdout
    finally:
        put_back(*behind, settings.TENANT_BASE_SCHEMA)
    assert schemas_behind(schema_names=[*station_schemas(), settings.TENANT_BASE_SCHEMA]) == []
    assert applied(settings.TENANT_BASE_SCHEMA) == template_before
    for schema in behind:
        assert applied(schema) == station_before
        assert {(table, column) for table, column, _type in columns(schema)} == station_columns


def test_the_system_checks_run_once_a_command_not_once_a_schema(city, monkeypatch):
    """Django's migrate, run by the executor for each schema, would run every system check again (0.14 s a schema)."""
    checked = []
    check = BaseCommand.check

    def counted(self, *args, **kwargs):
        checked.append(type(self).__module__)
        return check(self, *args, **kwargs)

    monkeypatch.setattr(BaseCommand, "check", counted)
    schemas = f"{city.alpha.schema_name},{city.beta.schema_name}"  # nothing to apply: each schema is still visited

    call_command("migrate_schemas", schemas=schemas, interactive=False, verbosity=0, skip_checks=False)

    assert checked == ["tenants.management.commands.migrate_schemas"]


def test_a_failing_run_exits_non_zero_and_releases_the_lock(city):
    schema = city.beta.schema_name
    row = ("jobs", "0002_job_input_file_heartbeat")

    def forget_migration() -> None:  # recorded as not applied, its columns still there: applying it again fails
        with connection.cursor() as cursor:
            cursor.execute(f'DELETE FROM "{schema}".django_migrations WHERE app = %s AND name = %s', row)  # noqa: S608

    def remember_migration() -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                f'INSERT INTO "{schema}".django_migrations (app, name, applied) VALUES (%s, %s, now())',  # noqa: S608
                row,
            )

    on_own_connection(forget_migration)
    try:
        result = manage("migrate_schemas", "--tenant", "--noinput")
    finally:
        on_own_connection(remember_migration)

    assert result.returncode != 0
    assert "migrating 1 (subprocess executor)" in result.stdout
    assert "already exists" in result.stderr
    assert not deploy_in_progress()
    assert schemas_behind(schema_names=[schema]) == []


def test_the_lock_is_seen_while_held_and_released_after_an_error():
    assert not deploy_in_progress()
    with pytest.raises(RuntimeError), deploy_lock():
        assert deploy_in_progress()
        raise RuntimeError("the deploy failed")
    assert not deploy_in_progress()


def station_form(code: str) -> dict:
    return station_input(
        code, hours="周一至周五 8:30-17:00", founding_body="铁岭市市场监督管理局", head_phone="13800000000"
    )


def test_onboarding_refuses_while_a_deploy_runs(city):
    with deploy_lock(), pytest.raises(ValidationError) as refused:
        station_create(actor=PLATFORM, **station_form("deploying"))
    assert refused.value.messages == [REFUSED]
    assert not Station.objects.filter(code="deploying").exists()


def test_the_onboarding_page_shows_the_refusal(city, public_host):
    client = host_client(public_host, city.bureau_admin)
    with deploy_lock():
        response = client.post("/console/stations/new/", station_form("deploying"))
    assert response.status_code == 400
    assert list(response.context["form"].non_field_errors()) == [REFUSED], response.context["form"].errors
    assert REFUSED in response.content.decode()
    assert not Station.objects.filter(code="deploying").exists()
