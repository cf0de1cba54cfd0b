"""The fault test of the referral hand-over (issue 5, "How it must behave"): 1,000 referrals go from one station to
another through the real broker and a real Celery worker (prefork, two children) that is killed with SIGKILL, its
whole process group at once, and restarted several times while messages are in flight; messages already delivered are
delivered again on purpose (a lost acknowledgement, and a second apply of the same key). The receiving station
answers every referral as it arrives (declines most, accepts some and fails them, accepts a few and serves them to
completion), and the sweep the beat runs every minute re-queues what a killed worker took with it. In the end: 1,000
arrived, none twice, no case opened twice, every outcome back at its sender, the bureau's read model and both
timelines agree, and no outbox holds anything.

The work the worker must see is committed: it runs on connections of its own, in threads (a test's own connection
is inside its rolled-back transaction). Two stations of its own keep alpha and beta untouched; the fixture drops
their schemas and deletes every public row the test committed, whatever happens.
"""

import contextlib
import datetime
import os
import random
import signal
import threading
import time
import uuid
from collections import Counter, defaultdict
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.db import IntegrityError, connection
from django.db.models import Count
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, schema_context

from core.catalog.models import FormBox
from core.common.shared_rows import shared_row_delete
from core.desk import services as desk
from core.desk.models import CaseEvent, CaseState, Channel, Demand, EventKind, PlanKind, ServiceCase
from core.directory import uscc
from core.directory.models import Enterprise
from core.districts import District
from core.messaging.models import InboxMessage, OutboxMessage
from core.messaging.services import message_apply, outbox_requeue_stale
from core.messaging.tasks import message_deliver_task
from core.network.models import ReferralFlow, StationLoad
from core.notifications.models import Notification, NotificationPreference
from core.operations.demo import pre_duty_training_record
from core.referrals import services
from core.referrals.models import Direction, Referral, ReferralEvent, ReferralState
from core.stats.models import CaseFact
from core.stats.services import station_facts_delete
from stationnet.celery import app as celery_app
from stationnet.celery import worker_queues_purge
from tenants.models import Domain, Membership, Station, StationStatus, StationStatusChange, User
from tenants.selectors import PLATFORM
from tenants.services import station_change_status, station_create
from tenants.tasks import queue
from tests.committed import committed, on_own_connection
from tests.processes import working

S = ReferralState
N = 1000
SENDER, RECEIVER = "faultsend", "faultrecv"
# What happens to the worker, and when: its process group is killed and a new worker started while requests are
# arriving at the receiver (three times) and while its answers flow back (once); in between, messages delivered
# already are delivered again.
SCHEDULE = (
    ("kill", ("arrived", 200)),
    ("kill", ("arrived", 450)),
    ("duplicate", ("answered", 400)),
    ("kill", ("arrived", 700)),
    ("kill", ("answered", 900)),
)
# The queue of the messages between schemas: the only one the test's workers take.
QUEUE = "deliveries"
SWEEP_EVERY = 2.0  # seconds between two sweeps (the beat's is a minute)
SWEEP_OLDER_THAN = datetime.timedelta(seconds=5)
# Seconds for the whole flow, sweeps included. The test proves nothing is lost or applied twice, not a speed (the
# speed is bench/referrals.py's): a CI machine at half speed took 290 s to reach the last kill and did not empty the
# outboxes by 420 s, so the limit only stops a flow that is stuck.
DEADLINE = 900
RESOLUTION = "检定压力表 2 块，合格"
CASES_PER_DEMAND = 100


def fate(number: str) -> str:
    """What the receiver does with a referral, from its number's serial: completes 1 in 20, fails 1 in 10, declines
    the rest."""
    serial = int(number.rsplit("-", 1)[1])
    if serial % 20 == 0:
        return S.COMPLETED
    if serial % 10 == 5:
        return S.FAILED
    return S.DECLINED


EXPECTED = Counter(fate(f"X-{serial:06d}") for serial in range(1, N + 1))


@dataclass
class Fault:
    sender: Station
    receiver: Station
    sender_head: User
    receiver_head: User
    enterprise: Enterprise


@dataclass
class Made:
    """What the fixture committed, as it goes: all of it is removed at the end."""

    stations: list[Station] = field(default_factory=list)
    users: list[int] = field(default_factory=list)
    enterprises: list[int] = field(default_factory=list)


def _create(made: Made) -> Fault:
    stations = []
    for code, name, district in (
        (SENDER, "故障测试发送站", District.YINZHOU),
        (RECEIVER, "故障测试接收站", District.KAIYUAN),
    ):
        station = station_create(
            actor=PLATFORM,
            code=code,
            name=name,
            district=district,
            address=f"铁岭市{name}路1号",
            service_phone="024-70000011",
            complaint_phone="024-70000012",
            head_full_name=f"{name}站长",
            head_email=f"{code}-head@example.test",
        )
        made.stations.append(station)
        made.users += list(Membership.objects.filter(station=station).values_list("user_id", flat=True))
        station_change_status(user=PLATFORM, station=station, status=StationStatus.EVALUATING)
        stations.append(station_change_status(user=PLATFORM, station=station, status=StationStatus.PUBLISHED))
        # Clause 4.4.1: the head who accepts and plans is cleared for duty (the record goes with the schema).
        pre_duty_training_record(station=station)
    code = uscc.generate(random.Random(5222))  # noqa: S311  (test data)
    enterprise = Enterprise.objects.create(
        uscc=code, name="铁岭市故障测试阀门有限公司", district=District.YINZHOU, contact_person="故障测试联系人"
    )
    made.enterprises.append(enterprise.pk)
    sender, receiver = stations
    return Fault(
        sender=sender,
        receiver=receiver,
        sender_head=User.objects.get(memberships__station=sender),
        receiver_head=User.objects.get(memberships__station=receiver),
        enterprise=enterprise,
    )


def _remove(made: Made) -> None:
    """Drop the stations' schemas and delete the public rows the test committed (in an order the foreign keys
    accept; raw deletes, because the ORM's cascade would look for station tables in the public schema)."""
    connection.set_schema_to_public()
    ids = [station.pk for station in made.stations]
    schemas = [station.schema_name for station in made.stations]

    def delete(model, column: str, values: list) -> None:
        if values:
            with connection.cursor() as cursor:
                table = connection.ops.quote_name(model._meta.db_table)
                cursor.execute(f"DELETE FROM {table} WHERE {column} = ANY(%s)", [values])  # noqa: S608  (our names)

    with shared_row_delete():
        for station in made.stations:
            station_facts_delete(station=station)
        with connection.cursor() as cursor:
            for schema in schemas:
                cursor.execute(f"DROP SCHEMA IF EXISTS {connection.ops.quote_name(schema)} CASCADE")
        delete(ReferralFlow, "from_station_id", ids)
        delete(ReferralFlow, "to_station_id", ids)
        delete(StationLoad, "station_id", ids)
        delete(InboxMessage, "source", schemas)
        delete(Domain, "tenant_id", ids)
        delete(Notification, "station_id", ids)
        delete(Notification, "recipient_id", made.users)
        delete(NotificationPreference, "user_id", made.users)
        delete(Membership, "station_id", ids)
        delete(Station.items.through, "station_id", ids)
        delete(StationStatusChange, "station_id", ids)
        delete(Station, "id", ids)
        delete(User, "id", made.users)
        delete(Enterprise, "id", made.enterprises)


@pytest.fixture
def fault(db):
    made = Made()
    try:
        yield on_own_connection(_create, made)
    finally:
        on_own_connection(_remove, made)


# --- The two stations at work (each in a thread of its own) ---------------------------------------------------------


@dataclass
class Progress:
    created: int = 0
    arrived: int = 0
    answered: int = 0
    sent_all: bool = False
    answered_all: bool = False
    stop: threading.Event = field(default_factory=threading.Event)
    timings: dict[str, float] = field(default_factory=dict)

    def reached(self, point: tuple[str, int]) -> bool:
        name, count = point
        return getattr(self, name) >= count


def open_cases(fault: Fault) -> list[ServiceCase]:
    """The sending station's 1,000 cases, before the referrals start: taken as the desk's service allows it most
    cheaply, demands of one box that open CASES_PER_DEMAND cases each (one demand per case costs 20 queries more)."""
    with schema_context(fault.sender.schema_name):
        box = FormBox.objects.get(form="A", label="计量检定、校准")
        (draft,) = desk.demand_case_drafts(boxes=[box], exam_categories=[], other_needs="")
        cases = []
        for _demand in range(N // CASES_PER_DEMAND):
            demand = desk.demand_create(
                station=fault.sender,
                user=fault.sender_head,
                enterprise=fault.enterprise,
                channel=Channel.VISIT,
                boxes=[box],
                drafts=[draft] * CASES_PER_DEMAND,
            )
            cases += list(demand.cases.order_by("id"))
        return cases


def refer_all(fault: Fault, cases: list[ServiceCase], progress: Progress) -> None:
    """The sending station refers each case to the receiving one, committing one by one (each commit queues the
    delivery of its messages)."""
    started = time.monotonic()
    consent_at = timezone.now() - datetime.timedelta(minutes=5)
    with schema_context(fault.sender.schema_name):
        for case in cases:
            if progress.stop.is_set():
                return
            services.referral_create(
                case=case,
                user=fault.sender_head,
                station=fault.receiver,
                reason="本站无压力表检定能力",
                ask="请为企业安排压力表检定",
                parts=["boxes"],
                consent_channel="phone",
                consent_at=consent_at,
            )
            progress.created += 1
    progress.timings["refer 1,000 (s)"] = time.monotonic() - started
    progress.sent_all = True


def answer(fault: Fault, referral: Referral) -> None:
    user = fault.receiver_head
    what = fate(referral.number)
    if what == S.DECLINED:
        services.referral_transition(
            referral=referral, user=user, to=S.DECLINED, reason=f"本站本月检定已排满（{referral.number}）"
        )
        return
    referral = services.referral_transition(referral=referral, user=user, to=S.ACCEPTED)
    case = referral.case
    if what == S.FAILED:
        desk.case_transition(case=case, to=CaseState.CANCELLED, user=user, reason=f"企业撤回需求（{referral.number}）")
        return
    now = timezone.now()
    desk.case_plan(case=case, user=user, kind=PlanKind.SELF, evaluation="本站可检定", appointment_at=now, staff=user)
    case = desk.case_transition(case=case, to=CaseState.IN_SERVICE, user=user)
    case = desk.case_transition(case=case, to=CaseState.FOLLOWING_UP, user=user)
    desk.record_save(
        case=case,
        user=user,
        requested_at=now - datetime.timedelta(hours=3),
        received_at=now - datetime.timedelta(hours=2),
        ended_at=now - datetime.timedelta(hours=1),
        resolution=f"{RESOLUTION}（{referral.number}）",
    )
    desk.case_transition(case=case, to=CaseState.COMPLETED, user=user)


def answer_all(fault: Fault, progress: Progress) -> None:
    """The receiving station answers each referral that has arrived, until it has answered 1,000."""
    started = time.monotonic()
    with schema_context(fault.receiver.schema_name):
        while progress.answered < N and not progress.stop.is_set():
            progress.arrived = Referral.objects.filter(direction=Direction.INCOMING).count()
            waiting = list(Referral.objects.filter(direction=Direction.INCOMING, state=S.REQUESTED).order_by("id")[:50])
            if not waiting:
                time.sleep(0.2)
                continue
            for referral in waiting:
                answer(fault, referral)
                progress.answered += 1
    progress.timings["arrive and answer 1,000 (s)"] = time.monotonic() - started
    progress.answered_all = progress.answered >= N


def pending(schema: str) -> int:
    with schema_context(schema):
        return OutboxMessage.objects.filter(delivered_at__isnull=True).count()


def queued() -> int:
    """How many deliveries wait in this run's queue of them (not counting those a worker has taken): the queue the
    test's workers take (settings.WORKER_QUEUES; the others hold the set-up's tasks, which no worker here takes)."""
    with celery_app.connection_for_read() as broker:
        return broker.default_channel.queue_declare(queue=settings.WORKER_QUEUES[QUEUE]).message_count


def sweep_until_delivered(fault: Fault, progress: Progress) -> dict[str, int]:
    """What the beat does: re-queue the streams still undelivered a while after their last attempt, in both stations
    and the public schema; until every referral is answered and no outbox holds anything.

    The beat sweeps every minute whatever the queue holds; here the sweep comes every few seconds, when the broker's
    queue is empty: a message still undelivered then was taken by a killed worker (or its task is retrying). Sweeping
    while the worker is behind would only queue a second task for each message that waits in the queue anyway, and
    more with each sweep until the queue drains. The receiver's outbox is looked at before the sender's (whose
    messages to the bureau are written when the receiver's are applied), and the public schema's last."""
    schemas = (fault.receiver.schema_name, fault.sender.schema_name, get_public_schema_name())
    requeued = Counter()
    while not progress.stop.is_set():
        time.sleep(SWEEP_EVERY)
        if progress.answered_all and not any(pending(schema) for schema in schemas):
            return dict(requeued)
        if queued():
            continue
        for schema in schemas:
            with schema_context(schema):
                requeued[schema] += outbox_requeue_stale(older_than=SWEEP_OLDER_THAN)
    return dict(requeued)


# --- Faults ----------------------------------------------------------------------------------------------------------


@dataclass
class Duplicate:
    schema: str
    message_id: int
    attempts: int


def _picks(fault: Fault) -> tuple[tuple[str, str, int], ...]:
    """The messages delivered twice: requests (sender → receiver), reports to the bureau (sender → public) and
    answers (receiver → sender), so many of each kind."""
    return (
        (fault.sender.schema_name, services.MESSAGE_REQUESTED, 10),
        (fault.sender.schema_name, services.MESSAGE_FLOW, 5),
        (fault.receiver.schema_name, services.MESSAGE_EVENT, 10),
    )


def delivered_enough(fault: Fault) -> bool:
    """Whether enough messages of each picked kind are delivered to deliver them again (answers queue behind the
    requests and the case facts each station reports to the bureau, so they may lag the answering by a while)."""
    for schema, kind, count in _picks(fault):
        with schema_context(schema):
            if OutboxMessage.objects.filter(kind=kind, delivered_at__isnull=False).count() < count:
                return False
    return True


def deliver_twice(fault: Fault) -> list[Duplicate]:
    """Messages already delivered lose their acknowledgement and are queued again (see `_picks`). And one key of
    each direction is applied a second time directly: refused."""
    duplicates = []
    for schema, kind, count in _picks(fault):
        with schema_context(schema):
            delivered = list(OutboxMessage.objects.filter(kind=kind, delivered_at__isnull=False).order_by("id")[:count])
            assert len(delivered) == count, f"only {len(delivered)} {kind} messages delivered in {schema} so far"
            OutboxMessage.objects.filter(pk__in=[m.pk for m in delivered]).update(delivered_at=None)
            for message in delivered:
                queue(message_deliver_task, schema, {"message_id": message.pk})
                duplicates.append(Duplicate(schema=schema, message_id=message.pk, attempts=message.attempts))
        again = delivered[-1]
        with schema_context(again.destination):
            applied = message_apply(
                source=schema,
                key=str(again.key),
                kind=again.kind,
                stream=again.stream,
                seq=again.seq,
                payload=again.payload,
            )
        assert applied is False, f"{again} was applied a second time"
    return duplicates


class Workers:
    """The Celery worker, killed (its whole process group, SIGKILL) and started again as the test says."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.runs: list = []
        self.stack: contextlib.ExitStack | None = None

    def start(self) -> None:
        self.stack = contextlib.ExitStack()
        folder = self.folder / f"worker-{len(self.runs) + 1}"
        folder.mkdir()
        # The deliveries' queue only: kombu's file-system transport (the test command's broker without
        # CELERY_BROKER_URL) lists and sorts the whole broker folder for every queue it polls, and the 1,000 referrals'
        # backlog makes each poll of an empty queue cost seconds.
        self.runs.append(self.stack.enter_context(working(folder, concurrency=2, queues=[QUEUE])))

    @property
    def current(self):
        return self.runs[-1]

    def kill(self) -> None:
        process = self.current.process
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        self.stop()  # finds the group gone

    def stop(self) -> None:
        if self.stack is not None:
            self.stack.close()
            self.stack = None

    def succeeded(self) -> int:
        log = self.current.log
        return log.read_text(encoding="utf-8", errors="replace").count(" succeeded in ") if log.exists() else 0

    def logs(self, lines: int = 40) -> str:
        """Each worker's log: its last lines besides the routine ones (a task received, a task succeeded)."""
        parts = []
        for number, run in enumerate(self.runs, start=1):
            text = run.log.read_text(encoding="utf-8", errors="replace") if run.log.exists() else ""
            routine = (" received", " succeeded in ")
            notable = [line for line in text.splitlines() if not any(word in line for word in routine)]
            done = text.count(" succeeded in ")
            tail = "\n".join(notable[-lines:])
            parts.append(f"--- worker {number} ({run.log}): {done} tasks done; other lines, the last {lines}:\n{tail}")
        return "\n".join(parts)


def outboxes_report(fault: Fault) -> str:
    lines = []
    for schema in (fault.sender.schema_name, fault.receiver.schema_name, get_public_schema_name()):
        with schema_context(schema):
            stuck = OutboxMessage.objects.filter(delivered_at__isnull=True).order_by("id")
            lines.append(f"{schema}: {stuck.count()} undelivered")
            lines += [f"  {m} attempts={m.attempts} error={m.last_error[:300]!r}" for m in stuck[:10]]
    with schema_context(fault.receiver.schema_name):
        states = Counter(Referral.objects.values_list("state", flat=True))
    lines.append(f"receiver's copies by state: {dict(states)}")
    return "\n".join(lines)


def wait_for(condition, *, futures: list[Future], until: float, what: str) -> None:
    """Wait until `condition()`; a failed thread or the deadline fails the test."""
    while not condition():
        for future in futures:
            if future.done() and future.exception() is not None:
                raise future.exception()
        if time.monotonic() > until:
            raise TimeoutError(what)
        time.sleep(0.1)


# --- The test --------------------------------------------------------------------------------------------------------


@pytest.mark.clause("5.2.2")
@pytest.mark.timeout(DEADLINE + 180)
def test_a_thousand_referrals_survive_killed_workers_and_duplicate_deliveries(fault, tmp_path):
    progress = Progress()
    workers = Workers(tmp_path)
    started = time.monotonic()
    until = started + DEADLINE
    kills: list[dict] = []
    duplicates: list[Duplicate] = []
    threads = ThreadPoolExecutor(max_workers=3)
    try:
        cases = on_own_connection(open_cases, fault)
        progress.timings["open 1,000 cases (s)"] = time.monotonic() - started
        workers.start()
        sending = threads.submit(committed, refer_all, fault, cases, progress)
        answering = threads.submit(committed, answer_all, fault, progress)
        sweeping = threads.submit(committed, sweep_until_delivered, fault, progress)
        futures = [sending, answering, sweeping]
        for action, point in SCHEDULE:
            wait_for(lambda p=point: progress.reached(p), futures=futures, until=until, what=f"reaching {point}")
            if action == "duplicate":
                wait_for(
                    lambda: on_own_connection(delivered_enough, fault),
                    futures=futures,
                    until=until,
                    what="messages of each kind delivered",
                )
                duplicates = on_own_connection(deliver_twice, fault)
                continue
            # Kill a worker at work: it has finished tasks and messages wait in the outboxes.
            wait_for(lambda: workers.succeeded() > 0, futures=futures, until=until, what="the worker at work")
            in_flight = on_own_connection(
                lambda: {"sender": pending(fault.sender.schema_name), "receiver": pending(fault.receiver.schema_name)}
            )
            workers.kill()
            kills.append({"at": point, "after (s)": round(time.monotonic() - started, 1), "pending": in_flight})
            workers.start()
        wait_for(sweeping.done, futures=futures, until=until, what="every message delivered")
        requeued = sweeping.result()
        sending.result()
        answering.result()
        progress.timings["until every outbox delivered (s)"] = time.monotonic() - started
    except TimeoutError as error:
        progress.stop.set()
        pytest.fail(
            f"stuck after {DEADLINE} s: {error}; {progress}; kills {kills}\n"
            f"{on_own_connection(outboxes_report, fault)}\n{workers.logs()}"
        )
    finally:
        progress.stop.set()
        threads.shutdown(wait=True)
        workers.stop()
        worker_queues_purge()  # no task of these stations is left for a later test's worker

    assert len(kills) >= 3 and all(sum(kill["pending"].values()) > 0 for kill in kills), kills
    checked = time.monotonic()
    on_own_connection(check_everything, fault, duplicates)
    progress.timings["checks (s)"] = time.monotonic() - checked
    print(f"\nfault test: kills {kills}\nre-queued by the sweep {requeued}\ntimings {progress.timings}")


def check_everything(fault: Fault, duplicates: list[Duplicate]) -> None:
    sender, receiver, public = fault.sender.schema_name, fault.receiver.schema_name, get_public_schema_name()

    # 1,000 arrived, none twice; a case opened for each one accepted, and only one.
    with schema_context(receiver):
        theirs = {r.uid: r for r in Referral.objects.filter(direction=Direction.INCOMING)}
        assert len(theirs) == N and Referral.objects.count() == N
        accepted = Referral.objects.filter(accepted_at__isnull=False).count()
        assert accepted == EXPECTED[S.FAILED] + EXPECTED[S.COMPLETED]
        assert Demand.objects.filter(channel=Channel.REFERRAL).count() == accepted
        assert ServiceCase.objects.filter(demand__channel=Channel.REFERRAL).count() == accepted
        doubled = Referral.objects.filter(case__isnull=False).order_by().values("case").annotate(n=Count("id"))
        assert not doubled.filter(n__gt=1).exists()
        their_events = timelines()
    with schema_context(sender):
        mine = {r.uid: r for r in Referral.objects.select_related("case")}
        assert len(mine) == N and set(mine) == set(theirs)
        my_events = timelines()
        notes = Counter(CaseEvent.objects.filter(kind=EventKind.REFERRAL).values_list("case_id", flat=True).order_by())
        case_states = dict(ServiceCase.objects.values_list("pk", "state"))

    # Every outcome is back at its sender: the same final state, reason and outcome on both copies, the sender's case
    # told of each step and moved with it; the same timeline on both sides.
    follows = {S.DECLINED: CaseState.EVALUATING, S.FAILED: CaseState.EVALUATING, S.COMPLETED: CaseState.FOLLOWING_UP}
    for uid, their in theirs.items():
        my = mine[uid]
        assert their.number == my.number and their.state == fate(their.number), their.number
        for name in services.STATE_FIELDS:
            assert getattr(my, name) == getattr(their, name), (my.number, name)
        if their.state == S.COMPLETED:
            assert my.outcome == f"{RESOLUTION}（{my.number}）"
        else:
            assert my.state_reason.endswith(f"（{my.number}）") and not my.outcome
        assert my_events[uid] == their_events[uid], my.number
        assert notes[my.case_id] == len(my_events[uid]), my.number  # "referred" and one note per step
        assert case_states[my.case_id] == follows[my.state], my.number
    assert Counter(r.state for r in mine.values()) == EXPECTED

    # The bureau's read model: one row per referral, at the sender's last version.
    flows = {f.uid: f for f in ReferralFlow.objects.filter(from_station=fault.sender)}
    assert len(flows) == N
    for uid, my in mine.items():
        assert (flows[uid].state, flows[uid].version, flows[uid].to_station_id) == (
            my.state,
            my.version,
            fault.receiver.pk,
        )

    # The city statistics' read model: one fact per case of either station, in the case's last state.
    for station in (fault.sender, fault.receiver):
        with schema_context(station.schema_name):
            states = dict(ServiceCase.objects.values_list("pk", "state"))
        facts = dict(CaseFact.objects.filter(station=station).values_list("case_id", "state"))
        assert facts == states, station.code

    # Each message applied once: inbox keys unique, and as many inbox rows as delivered outbox rows, key for key, in
    # each direction; nothing pending anywhere; the messages delivered twice on purpose were delivered again.
    sent = {}
    for schema in (sender, receiver, public):
        with schema_context(schema):
            assert not OutboxMessage.objects.filter(delivered_at__isnull=True).exists(), schema
            for destination, key in OutboxMessage.objects.values_list("destination", "key"):
                sent.setdefault((schema, destination), set()).add(key)
    directions = {(sender, receiver), (sender, public), (receiver, sender), (receiver, public)}
    for source, destination in directions:
        with schema_context(destination):
            keys = list(InboxMessage.objects.filter(source=source).values_list("key", flat=True))
        assert len(keys) == len(set(keys)) == len(sent[(source, destination)]), (source, destination)
        assert set(keys) == sent[(source, destination)], (source, destination)
    assert set(sent) == directions
    for duplicate in duplicates:
        with schema_context(duplicate.schema):
            message = OutboxMessage.objects.get(pk=duplicate.message_id)
        assert message.delivered_at is not None and message.attempts > duplicate.attempts, message


def timelines() -> dict:
    """Each referral's events in the active schema: {referral uid: [(event uid, kind, to state), ...]}."""
    events = defaultdict(list)
    rows = ReferralEvent.objects.order_by("occurred_at", "uid").values_list("referral__uid", "uid", "kind", "to_state")
    for referral_uid, *event in rows:
        events[referral_uid].append(tuple(event))
    return events


@pytest.mark.clause("5.2.2")
def test_two_deliveries_of_one_message_at_the_same_moment_apply_it_once(fault):
    """Two workers deliver one message at the same moment (a re-queued task next to the first one, or a task that
    delivers its stream's earlier messages next to theirs): one applies it, the other waits for it and finds it
    applied; neither fails. Forty rounds, each a new message to the bureau's read model, started together."""
    rounds = 40
    keys = [str(uuid.uuid4()) for _round in range(rounds)]
    payload = {"station": fault.sender.pk, "open_cases": 1, "referrals_waiting": 0, "measured_at": "2026-03-02T08:00Z"}
    together = threading.Barrier(2)

    def deliver() -> list:
        results = []
        with schema_context(get_public_schema_name()):
            for number, key in enumerate(keys):
                together.wait(timeout=30)
                try:
                    applied = message_apply(
                        source=fault.sender.schema_name,
                        key=key,
                        kind=services.MESSAGE_LOAD,
                        stream=f"load:race-{number}",
                        seq=1,
                        payload=payload,
                    )
                except IntegrityError as error:
                    applied = error
                results.append(applied)
        return results

    with ThreadPoolExecutor(max_workers=2) as pool:
        first, second = [future.result() for future in [pool.submit(committed, deliver) for _side in range(2)]]
    assert [sorted([a, b], key=str) for a, b in zip(first, second, strict=True)] == [[False, True]] * rounds
