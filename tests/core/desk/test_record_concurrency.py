"""Saving and amending a service record at once never deadlock (issue 16): `record_save` and `record_amend` take the
case's row, then the record's, in that one order. Before, `record_amend` locked the record and then the case and
`record_save` the case and then the record: about 1 in 25 concurrent pairs deadlocked.

Threads have their own connections and commit for real, so the test works on a station of its own (its schema is
dropped at the end, with the public rows it committed). Each round starts four writes at once, on an open case (a
save that succeeds, an amendment refused because the case is open) and on a closed one (a save refused because the
case is closed, an amendment that succeeds); after 40 rounds nothing failed but the expected refusals, and each
record's version, timeline and amendments count exactly the writes that succeeded."""

import datetime
import random
import threading
from dataclasses import dataclass, field

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from core.catalog.models import FormBox
from core.common.shared_rows import shared_row_delete
from core.desk import services
from core.desk.models import CaseState, Channel, EventKind, PlanKind, RecordAmendment, ServiceCase, ServiceRecord
from core.directory import uscc
from core.directory.models import Enterprise
from core.districts import District
from core.messaging.models import InboxMessage
from core.notifications.models import Notification, NotificationPreference
from core.operations.demo import pre_duty_training_record
from core.stats.services import station_facts_delete
from tenants.models import Domain, Membership, Station, StationStatusChange, User
from tenants.selectors import PLATFORM
from tenants.services import station_create
from tests.committed import on_own_connection

ROUNDS = 40
CODE = "lockrace"


@dataclass
class Race:
    station: Station
    head: User
    open_case: ServiceCase  # following up: its record is saved
    closed_case: ServiceCase  # completed: its record is amended
    stations: list[int] = field(default_factory=list)
    users: list[int] = field(default_factory=list)
    enterprises: list[int] = field(default_factory=list)


def _case_with_record(station: Station, head: User, enterprise: Enterprise, *, completed: bool) -> ServiceCase:
    box = FormBox.objects.get(form="A", label="计量检定、校准")
    demand = services.demand_create(
        station=station, user=head, enterprise=enterprise, channel=Channel.VISIT, boxes=[box]
    )
    case = demand.cases.get()
    now = timezone.now()
    services.case_plan(
        case=case,
        user=head,
        kind=PlanKind.SELF,
        evaluation="企业自有压力表需送检",
        appointment_at=now + datetime.timedelta(days=1),
        staff=head,
    )
    case = services.case_transition(case=case, to=CaseState.IN_SERVICE, user=head)
    case = services.case_transition(case=case, to=CaseState.FOLLOWING_UP, user=head)
    services.record_save(
        case=case,
        user=head,
        requested_at=now - datetime.timedelta(hours=5),
        received_at=now - datetime.timedelta(hours=4),
        answered_at=now - datetime.timedelta(hours=3),
        on_site_at=now - datetime.timedelta(hours=2),
        ended_at=now - datetime.timedelta(hours=1),
        resolution="上门检定压力表 3 块，均合格",
    )
    if completed:
        case = services.case_transition(case=case, to=CaseState.COMPLETED, user=head)
    return case


def _create(made: dict) -> Race:
    station = station_create(
        actor=PLATFORM,
        code=CODE,
        name="锁顺序测试站",
        district=District.YINZHOU,
        address="铁岭市锁顺序测试站路1号",
        service_phone="024-70000021",
        complaint_phone="024-70000022",
        head_full_name="锁顺序测试站站长",
        head_email=f"{CODE}-head@example.test",
    )
    made["stations"].append(station.pk)
    made["users"] += list(Membership.objects.filter(station=station).values_list("user_id", flat=True))
    head = User.objects.get(memberships__station=station)
    enterprise = Enterprise.objects.create(
        uscc=uscc.generate(random.Random(1622)),  # noqa: S311  (test data)
        name="铁岭市锁顺序测试阀门有限公司",
        district=District.YINZHOU,
        contact_person="测试联系人",
    )
    made["enterprises"].append(enterprise.pk)
    with schema_context(station.schema_name):
        pre_duty_training_record(station=station, members=[head])
        open_case = _case_with_record(station, head, enterprise, completed=False)
        closed_case = _case_with_record(station, head, enterprise, completed=True)
    connection.set_schema_to_public()
    return Race(station=station, head=head, open_case=open_case, closed_case=closed_case, **made)


def _remove(made: dict) -> None:
    """Drop the station's schema and delete the public rows the test committed (raw deletes, in an order the foreign
    keys accept: the ORM's cascade would look for station tables in the public schema)."""
    connection.set_schema_to_public()

    def delete(model, column: str, values: list) -> None:
        if values:
            with connection.cursor() as cursor:
                table = connection.ops.quote_name(model._meta.db_table)
                cursor.execute(f"DELETE FROM {table} WHERE {column} = ANY(%s)", [values])  # noqa: S608  (our names)

    with shared_row_delete():
        for station in Station.objects.filter(pk__in=made["stations"]):
            station_facts_delete(station=station)
            with connection.cursor() as cursor:
                cursor.execute(f"DROP SCHEMA IF EXISTS {connection.ops.quote_name(station.schema_name)} CASCADE")
            delete(InboxMessage, "source", [station.schema_name])
        delete(Domain, "tenant_id", made["stations"])
        delete(Notification, "station_id", made["stations"])
        delete(Notification, "recipient_id", made["users"])
        delete(NotificationPreference, "user_id", made["users"])
        delete(Membership, "station_id", made["stations"])
        delete(Station.items.through, "station_id", made["stations"])
        delete(StationStatusChange, "station_id", made["stations"])
        delete(Station, "id", made["stations"])
        delete(User, "id", made["users"])
        delete(Enterprise, "id", made["enterprises"])


@pytest.fixture
def race(db):
    made = {"stations": [], "users": [], "enterprises": []}
    try:
        yield on_own_connection(_create, made)
    finally:
        on_own_connection(_remove, made)


def _records(race: Race) -> tuple[ServiceRecord, ServiceRecord]:
    with schema_context(race.station.schema_name):
        return ServiceRecord.objects.get(case=race.open_case), ServiceRecord.objects.get(case=race.closed_case)


def _state(race: Race) -> dict:
    with schema_context(race.station.schema_name):
        open_record = ServiceRecord.objects.get(case=race.open_case)
        closed_record = ServiceRecord.objects.get(case=race.closed_case)
        return {
            "open": (open_record.version, open_record.resolution),
            "closed": (closed_record.version, closed_record.resolution),
            "open_record_events": race.open_case.events.filter(kind=EventKind.RECORD).count(),
            "amendments": RecordAmendment.objects.filter(record=closed_record).count(),
            "amendment_events": race.closed_case.events.filter(kind=EventKind.AMENDMENT).count(),
        }


@pytest.mark.clause("7.2")
def test_saves_and_amendments_at_once_never_deadlock_and_every_write_counts(race):
    before = on_own_connection(_state, race)
    start = threading.Barrier(4)
    refusals: dict[str, list[str]] = {"save_open": [], "amend_open": [], "save_closed": [], "amend_closed": []}
    failures: list[BaseException] = []
    open_record, closed_record = on_own_connection(_records, race)  # the test's connection stays out of the schema

    writes = {
        "save_open": lambda n: services.record_save(case=race.open_case, user=race.head, resolution=f"第{n}次保存"),
        "amend_open": lambda n: services.record_amend(
            record=open_record, user=race.head, reason="同时更正", resolution=f"第{n}次更正（未结案）"
        ),
        "save_closed": lambda n: services.record_save(case=race.closed_case, user=race.head, resolution=f"第{n}次"),
        "amend_closed": lambda n: services.record_amend(
            record=closed_record, user=race.head, reason=f"第{n}次核对", resolution=f"第{n}次更正"
        ),
    }

    def write(name: str) -> None:
        try:
            with schema_context(race.station.schema_name):
                for n in range(1, ROUNDS + 1):
                    start.wait(timeout=60)
                    try:
                        writes[name](n)
                    except ValidationError as refused:
                        refusals[name].append(next(iter(refused.error_dict.values()))[0].code)
        except BaseException as error:  # noqa: BLE001  (a deadlock, or anything else: reported below)
            failures.append(error)
            start.abort()
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(name,)) for name in writes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert refusals == {
        "save_open": [],
        "amend_open": ["open"] * ROUNDS,
        "save_closed": ["closed"] * ROUNDS,
        "amend_closed": [],
    }
    after = on_own_connection(_state, race)
    assert after["open"] == (before["open"][0] + ROUNDS, f"第{ROUNDS}次保存")
    assert after["closed"] == (before["closed"][0] + ROUNDS, f"第{ROUNDS}次更正")
    assert after["open_record_events"] == before["open_record_events"] + ROUNDS
    assert after["amendments"] == before["amendments"] + ROUNDS
    assert after["amendment_events"] == before["amendment_events"] + ROUNDS
