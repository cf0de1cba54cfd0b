"""Archive numbers are given when a document is created (issue 20, clause 7.4): in the transaction that creates it, in
creation order across enterprises, gap-free per station and year; opening an archive writes nothing; the migration
numbers what was created before, in creation order, keeping numbers given earlier."""

import datetime
import importlib
import threading
import time
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection, transaction
from django.db.migrations.loader import MigrationLoader
from django.urls import reverse
from django.utils import timezone
from django_tenants.utils import schema_context

from core.archive import selectors
from core.archive.complaint_sources import COMPLAINT, OPINION
from core.archive.desk_sources import CASE, DEMAND, RECORD, SURVEY
from core.archive.models import ArchiveEntry
from core.complaints import services as complaint_services
from core.desk import services as desk_services
from core.desk.models import Demand, SurveyChannel
from core.documents.selectors import SOURCE as DOCUMENT
from core.supervision import services as supervision_services
from tests.conftest import host_client
from tests.core.desk.builders import case_completed, new_enterprise, take_demand
from tests.core.documents.builders import report

SHANGHAI = ZoneInfo("Asia/Shanghai")
ANSWERS = dict.fromkeys(("q1", "q2", "q3", "q4", "q6", "q7", "q8", "q9", "q10"), "satisfied") | {"q5": True}
BACKFILL = importlib.import_module("core.archive.migrations.0004_numbers_at_creation")


class RolledBack(Exception):
    pass


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def entry_of(source: str, pk: int) -> ArchiveEntry:
    return ArchiveEntry.objects.get(source=source, object_id=pk)


def serial(number: str) -> int:
    return int(number.rsplit("-", 1)[1])


def demand_entries(demand: Demand) -> list[ArchiveEntry]:
    """The entries of a demand and of its cases, in number order."""
    keys = [(DEMAND, demand.pk), *((CASE, pk) for pk in demand.cases.values_list("pk", flat=True))]
    return sorted((entry_of(*key) for key in keys), key=lambda e: e.number)


def consecutive(numbers: list[str]) -> bool:
    serials = [serial(n) for n in numbers]
    return serials == list(range(serials[0], serials[0] + len(serials)))


@pytest.mark.clause("7.4")
def test_every_kind_of_document_is_numbered_in_its_creating_transaction(city, alpha, enterprise, media):
    """Nobody opens the archive: each document has its number as soon as its service returns, the next one."""
    year = timezone.localdate().year
    numbers = []

    def filed(source: str, pk: int) -> None:
        entry = entry_of(source, pk)
        assert entry.enterprise_id == enterprise.pk and entry.number.startswith(f"ALPHA-DA-{year}-")
        numbers.append(entry.number)

    case = case_completed(city, enterprise)  # a demand, its case, the service record
    filed(DEMAND, case.demand_id)
    filed(CASE, case.pk)
    filed(RECORD, case.record.pk)
    survey = desk_services.survey_submit(case=case, channel=SurveyChannel.PAPER, user=city.alpha_staff, **ANSWERS)
    filed(SURVEY, survey.pk)
    opinion = supervision_services.opinion_log(
        user=city.alpha_staff, channel="phone", kind="suggestion", text="希望延长服务时间", case=case
    )
    filed(OPINION, opinion.pk)
    complaint = complaint_services.complaint_create(
        user=city.alpha_staff, channel="phone", subject="上门迟到", case=case
    )
    filed(COMPLAINT, complaint.pk)
    document = report(city, case)
    filed(DOCUMENT, document.pk)
    assert consecutive(numbers)
    assert not any(row.entry.pk is None for row in selectors.archive_rows(enterprise=enterprise))


@pytest.mark.clause("7.4")
def test_a_complaint_about_no_case_is_filed_when_it_is_linked_to_one(city, alpha, enterprise):
    case = take_demand(city, enterprise).cases.get()
    complaint = complaint_services.complaint_create(user=city.alpha_staff, channel="phone", subject="电话无人接听")
    assert not ArchiveEntry.objects.filter(source=COMPLAINT, object_id=complaint.pk).exists()
    complaint_services.complaint_link_case(complaint=complaint, user=city.alpha_staff, case=case)
    entry = entry_of(COMPLAINT, complaint.pk)
    assert entry.enterprise_id == enterprise.pk
    assert serial(entry.number) == serial(entry_of(CASE, case.pk).number) + 1
    # Linked to another enterprise's case, it moves to that archive with its number.
    other = take_demand(city, new_enterprise(name="铁岭市另一家测试有限公司")).cases.get()
    complaint_services.complaint_link_case(complaint=complaint, user=city.alpha_staff, case=other)
    moved = entry_of(COMPLAINT, complaint.pk)
    assert (moved.number, moved.enterprise_id) == (entry.number, other.demand.enterprise_id)


@pytest.mark.clause("7.4")
def test_documents_of_two_enterprises_interleaved_are_numbered_in_creation_order(city, alpha, enterprise):
    other = new_enterprise(name="铁岭市开原测试仪表有限公司")
    first = take_demand(city, enterprise)
    second = take_demand(city, other)
    third = take_demand(city, enterprise)
    entries = demand_entries(first) + demand_entries(second) + demand_entries(third)
    assert [e.enterprise_id for e in entries] == [enterprise.pk] * 2 + [other.pk] * 2 + [enterprise.pk] * 2
    assert consecutive([e.number for e in entries])


@pytest.mark.clause("7.4")
def test_a_rolled_back_creation_leaves_no_gap(city, alpha, enterprise):
    before = demand_entries(take_demand(city, enterprise))
    with pytest.raises(RolledBack), transaction.atomic():
        take_demand(city, enterprise)
        raise RolledBack
    after = demand_entries(take_demand(city, enterprise))
    assert consecutive([e.number for e in before + after])


@pytest.mark.clause("7.4")
def test_numbers_restart_with_each_local_year(city, alpha, enterprise):
    year = timezone.localdate().year + 1
    # 23:30 on 31 December and 00:30 on 1 January in Shanghai are both 31 December in UTC.
    with time_machine.travel(datetime.datetime(year, 12, 31, 23, 30, tzinfo=SHANGHAI), tick=False):
        last_of_year = demand_entries(take_demand(city, enterprise))
    with time_machine.travel(datetime.datetime(year + 1, 1, 1, 0, 30, tzinfo=SHANGHAI), tick=False):
        first_of_next = demand_entries(take_demand(city, enterprise))
    assert all(e.number.startswith(f"ALPHA-DA-{year}-") for e in last_of_year)
    assert [e.number for e in first_of_next] == [f"ALPHA-DA-{year + 1}-000001", f"ALPHA-DA-{year + 1}-000002"]


@pytest.mark.clause("7.4")
def test_opening_the_archive_writes_no_entry(city, alpha, enterprise, alpha_host):
    demand = take_demand(city, enterprise)
    ArchiveEntry.objects.filter(source=CASE).filter(object_id__in=demand.cases.values("pk")).delete()
    count = ArchiveEntry.objects.count()
    staff = host_client(alpha_host, city.alpha_staff)
    page = staff.get(reverse("archive:enterprise", args=[enterprise.pk]))
    assert page.status_code == 200 and demand.number in page.content.decode()
    api = staff.get(f"/api/v1/archive/enterprises/{enterprise.pk}/")
    assert api.status_code == 200
    assert [r["number"] for r in api.json()["results"]] == [entry_of(DEMAND, demand.pk).number, ""]
    assert ArchiveEntry.objects.count() == count


@pytest.mark.clause("7.4")
def test_the_migration_numbers_earlier_documents_in_creation_order_and_keeps_given_numbers(city, alpha, enterprise):
    other = new_enterprise(name="铁岭市调兵山测试化工有限公司")
    first = take_demand(city, enterprise)
    second = take_demand(city, other)
    third = take_demand(city, enterprise)
    complaint = complaint_services.complaint_create(
        user=city.alpha_staff, channel="phone", subject="投诉", case=second.cases.get()
    )
    # As before issue 20: only the second enterprise's demand was numbered (its archive was opened); keep it.
    kept = entry_of(DEMAND, second.pk)
    documents = [
        *demand_entries(first),
        *demand_entries(second),
        *demand_entries(third),
        entry_of(COMPLAINT, complaint.pk),
    ]
    ArchiveEntry.objects.filter(pk__in=[e.pk for e in documents if e.pk != kept.pk]).delete()

    # The migration's own models, as they are at its place in the migrations.
    historical = MigrationLoader(connection).project_state(("archive", "0004_numbers_at_creation")).apps
    BACKFILL.number_the_unfiled(historical, SimpleNamespace(connection=connection))

    after = [entry_of(e.source, e.object_id) for e in documents]
    assert entry_of(DEMAND, second.pk).number == kept.number
    renumbered = [e for e in after if e.pk != kept.pk]
    assert [(e.source, e.object_id) for e in sorted(renumbered, key=lambda e: e.number)] == [
        (e.source, e.object_id) for e in documents if e.pk != kept.pk
    ]
    assert consecutive([e.number for e in renumbered])
    assert serial(renumbered[0].number) > serial(kept.number)
    assert {e.enterprise_id for e in after[:2] + after[4:6]} == {enterprise.pk}
    assert entry_of(COMPLAINT, complaint.pk).enterprise_id == other.pk
    # Nothing left to number: a second run changes nothing.
    numbers = sorted(ArchiveEntry.objects.values_list("number", flat=True))
    BACKFILL.number_the_unfiled(historical, SimpleNamespace(connection=connection))
    assert sorted(ArchiveEntry.objects.values_list("number", flat=True)) == numbers


@pytest.mark.clause("7.4")
def test_two_demands_at_once_queue_for_their_numbers(city):
    """Two demands of one station taken at once, on two connections: the second waits for the first's transaction
    (the sequences' row locks); the first rolls back, and the second takes exactly its numbers (no gap, never the
    same number twice). Nothing is committed."""
    first_done, second_started = threading.Event(), threading.Event()
    found: dict[str, object] = {}

    def numbers(demand: Demand) -> list[str]:
        return [e.number for e in demand_entries(demand)]

    def first():
        with schema_context(city.alpha.schema_name), transaction.atomic():
            found["first"] = numbers(take_demand(city, new_enterprise(name="铁岭市并发测试一有限公司")))
            first_done.set()
            second_started.wait(10)
            time.sleep(1)
            found["second waited"] = "second" not in found
            raise RolledBack

    def second():
        first_done.wait(10)
        with schema_context(city.alpha.schema_name), transaction.atomic():
            second_started.set()
            found["second"] = numbers(take_demand(city, new_enterprise(name="铁岭市并发测试二有限公司")))
            raise RolledBack

    def run(work):
        try:
            work()
        except RolledBack:
            pass
        finally:
            from django.db import connections

            connections.close_all()

    threads = [threading.Thread(target=run, args=(work,)) for work in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert found["second waited"] is True
    assert found["second"] == found["first"]


@pytest.mark.clause("7.4")
def test_the_demo_history_numbers_every_document_as_it_creates_it(city, published):
    """The demo city's history is made through the services on a travelling clock: every document it makes is filed
    when made, gap-free in each year, in the order it was made."""
    from core.demo.history import history_load

    end = datetime.datetime(2026, 11, 27, 18, 0, tzinfo=SHANGHAI)
    history_load(stations=[city.alpha], months=2, per_station_month=6, end=end)
    with schema_context(city.alpha.schema_name):
        rows = [row for e in selectors.archive_enterprise_list() for row in selectors.archive_rows(enterprise=e)]
        assert rows and all(row.entry.pk is not None for row in rows)
        assert {row.entry.source for row in rows} >= {DEMAND, CASE, RECORD, SURVEY}
        entries = sorted(ArchiveEntry.objects.all(), key=lambda e: e.number)
        for year in {e.number.split("-")[2] for e in entries}:
            assert consecutive([e.number for e in entries if e.number.split("-")[2] == year])
        dates = [e.recorded_at for e in entries]
        assert dates == sorted(dates)
