"""The work table (`tenants.work`) and the sweeps built on it (`tenants.tasks.each_station_with_work`): only the marked
schemas are visited, a mark is cleared when nothing is left unless it was marked again meanwhile, and two runs of one
sweep never overlap. A kind of this test's own keeps other tests' marks out of the way."""

import datetime
import importlib

import pytest
from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, schema_context

from core.deliveries.services import DELIVERIES_WORK
from core.messaging.services import OUTBOX_WORK
from core.referrals.services import OVERDUE_WORK
from tenants.models import StationWork
from tenants.tasks import each_station, each_station_with_work
from tenants.work import station_work_mark, stations_with_work
from tests.locks import held_elsewhere

pytestmark = pytest.mark.django_db

KIND = "tests.station_work"


class NoChunks:
    """The chunk task of a sweep whose due schemas always fit in one chunk: queueing it is a failure."""

    name = "tests.no_chunks"

    def apply_async(self, **kwargs):
        raise AssertionError(f"a chunk was queued: {kwargs}")


def mark(schema: str, *, due_at: datetime.datetime | None = None) -> None:
    with schema_context(schema), transaction.atomic():
        station_work_mark(kind=KIND, due_at=due_at)


def row(schema: str) -> StationWork | None:
    return StationWork.objects.filter(kind=KIND, schema_name=schema).first()


def sweep(visited: list[str], next_due=lambda: None) -> dict[str, object]:
    def run() -> str:
        visited.append(connection.schema_name)
        return "swept"

    return each_station_with_work(kind=KIND, run=run, next_due=next_due, chunk_task=NoChunks())


def test_a_mark_is_kept_in_the_public_schema_with_the_earliest_due_time(city):
    now = timezone.now()
    mark(city.alpha.schema_name, due_at=now + datetime.timedelta(minutes=10))
    first = row(city.alpha.schema_name)
    mark(city.alpha.schema_name, due_at=now + datetime.timedelta(minutes=1))
    mark(city.alpha.schema_name, due_at=now + datetime.timedelta(minutes=5))
    again = row(city.alpha.schema_name)
    assert again.due_at == now + datetime.timedelta(minutes=1)
    assert again.updated_at > first.updated_at  # each mark changes the stamp
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_schema FROM information_schema.tables WHERE table_name = %s", [StationWork._meta.db_table]
        )
        assert [name for (name,) in cursor.fetchall()] == [get_public_schema_name()]
    assert city.alpha.schema_name in stations_with_work(kind=KIND, now=now + datetime.timedelta(minutes=1))
    assert city.alpha.schema_name not in stations_with_work(kind=KIND, now=now)


def test_the_sweep_visits_only_the_schemas_with_work_due_and_clears_them(city):
    now = timezone.now()
    mark(city.alpha.schema_name, due_at=now - datetime.timedelta(seconds=1))
    mark(get_public_schema_name(), due_at=now - datetime.timedelta(minutes=2))
    mark(city.beta.schema_name, due_at=now + datetime.timedelta(minutes=5))  # not due yet
    visited = []
    result = sweep(visited)
    assert visited == [get_public_schema_name(), city.alpha.schema_name]  # the longest due first
    assert result == {get_public_schema_name(): "swept", city.alpha.code: "swept"}
    assert row(city.alpha.schema_name) is None and row(get_public_schema_name()) is None
    assert row(city.beta.schema_name) is not None
    visited.clear()
    assert sweep(visited) == {}
    assert visited == []


def test_work_left_moves_the_mark_to_when_it_is_due(city):
    later = timezone.now() + datetime.timedelta(minutes=7)
    mark(city.alpha.schema_name)
    sweep([], next_due=lambda: later)
    assert row(city.alpha.schema_name).due_at == later
    visited = []
    sweep(visited)
    assert city.alpha.schema_name not in visited


def test_a_mark_made_while_the_sweep_ran_survives_it(city):
    mark(city.alpha.schema_name, due_at=timezone.now() - datetime.timedelta(minutes=1))
    again = timezone.now() + datetime.timedelta(minutes=1)

    def run() -> None:
        # New work in the station after the sweep read the marks (the sweep found none of it).
        with transaction.atomic():
            station_work_mark(kind=KIND, due_at=again)

    each_station_with_work(kind=KIND, run=run, next_due=lambda: None, chunk_task=NoChunks())
    # Not cleared: the new work waits for the next sweep (the earlier due time kept).
    assert row(city.alpha.schema_name).due_at < again


def test_a_second_sweep_while_one_runs_returns_without_work(city):
    mark(city.alpha.schema_name)
    visited = []
    with held_elsewhere(f"sweep:{KIND}"):
        assert sweep(visited) == {}
    assert visited == []
    assert row(city.alpha.schema_name) is not None
    # A schema being swept by another run (a chunk queued twice) is left to it; the others are swept.
    mark(city.beta.schema_name)
    with held_elsewhere(f"sweep:{KIND}:{city.alpha.schema_name}"):
        sweep(visited)
    assert visited == [city.beta.schema_name]
    assert row(city.alpha.schema_name) is not None and row(city.beta.schema_name) is None
    # Once the other run is over, the lock is free again.
    assert sweep(visited) == {city.alpha.code: "swept"}


def test_a_failure_in_one_schema_keeps_its_mark_and_the_others_are_swept(city):
    mark(city.alpha.schema_name)
    mark(city.beta.schema_name)

    def run() -> None:
        if connection.schema_name == city.alpha.schema_name:
            raise ValueError("broken")

    with pytest.raises(RuntimeError, match=city.alpha.schema_name):
        each_station_with_work(kind=KIND, run=run, next_due=lambda: None, chunk_task=NoChunks())
    assert row(city.alpha.schema_name) is not None and row(city.beta.schema_name) is None


def test_a_mark_of_a_schema_that_is_no_station_is_dropped_unvisited(city):
    StationWork.objects.create(schema_name="gone_station", kind=KIND, due_at=timezone.now(), updated_at=timezone.now())
    visited = []
    sweep(visited)
    assert "gone_station" not in visited and row("gone_station") is None


def test_many_schemas_are_handed_to_chunk_tasks_held_back_for_their_lease(city, settings):
    settings.STATION_WORK_CHUNK = 1
    mark(city.alpha.schema_name)
    mark(city.beta.schema_name)

    class Chunks:
        name = "tests.chunks"
        queued = []

        def apply_async(self, *, kwargs, headers):
            self.queued.append((headers["_schema_name"], kwargs["schemas"]))

    chunks = Chunks()
    result = each_station_with_work(kind=KIND, run=lambda: None, next_due=lambda: None, chunk_task=chunks)
    assert sorted(chunks.queued) == [
        (get_public_schema_name(), [city.alpha.schema_name]),
        (get_public_schema_name(), [city.beta.schema_name]),
    ]
    assert result["chunks"] >= 2
    # Not queued again by the next beat while they wait; due again once the lease is over (a lost chunk task).
    assert city.alpha.schema_name not in stations_with_work(kind=KIND, now=timezone.now())
    lease_over = timezone.now() + settings.STATION_WORK_LEASE + datetime.timedelta(seconds=1)
    assert city.alpha.schema_name in stations_with_work(kind=KIND, now=lease_over)


def test_a_visit_every_station_run_while_another_runs_returns_at_once(city):
    def look() -> str:
        return connection.schema_name

    with held_elsewhere(f"each_station:{look.__module__}.{look.__qualname__}"):
        assert each_station(look) == {}
    assert each_station(look)[city.alpha.code] == city.alpha.schema_name


def test_the_migration_marks_every_station_and_the_public_schema_for_the_switched_sweeps(city):
    migration = importlib.import_module("tenants.migrations.0010_station_work")
    schemas = [get_public_schema_name(), city.alpha.schema_name, city.beta.schema_name]
    StationWork.objects.filter(schema_name__in=schemas).delete()
    with connection.cursor() as cursor:
        cursor.execute(migration.BACKFILL, migration.backfill_params())
    now = timezone.now()
    assert set(migration.BACKFILLED_KINDS) == {OUTBOX_WORK, DELIVERIES_WORK, OVERDUE_WORK}
    for kind in migration.BACKFILLED_KINDS:
        due = set(stations_with_work(kind=kind, now=now))
        assert {city.alpha.schema_name, city.beta.schema_name} <= due
        # Referrals live in the stations only: the public schema is marked for the outbox and the deliveries.
        assert (get_public_schema_name() in due) == (kind in (OUTBOX_WORK, DELIVERIES_WORK))
