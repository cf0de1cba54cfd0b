"""Benchmark of referrals between stations (issue 5): how fast a referral crosses from one station to another.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/stationnet_bench_referrals \\
    CELERY_BROKER_URL=redis://127.0.0.1:6379/9 STATIONNET_CELERY_QUEUE=bench_referrals \\
    DJANGO_SECRET_KEY=bench .venv/bin/python bench/referrals.py

It (re)creates its own database (whose name must contain "bench"), migrates it, provisions two published stations
(a sender and a receiver) and one enterprise, opens the sender's cases, and measures in one run:

* inline, per referral, in this process: ``referral_create`` (its own transaction), the delivery of the messages it
  sent (``message_deliver``, the work a Celery worker does, without the broker), the receiver accepting it
  (``referral_transition``, which opens a case in the receiver's desk) and the delivery of that answer back to the
  sender (and of the sender's update of the bureau's read model). The baseline, interleaved with them, is the desk's
  own ``case_plan`` (served by the station itself) on the same kind of case: "referring a case costs X× planning it
  yourself".
* through the real broker and a real Celery worker (prefork, two children): a backlog queued before the worker
  starts (its capacity), then referrals created as fast as one creator can while it runs: the delivery lag of every
  message they sent (the receiver's inbox ``applied_at`` minus the sender's outbox ``created_at``) and the throughput
  of the whole drain; compared to the inline delivery.
* the bureau's station × station matrix (``core.network.selectors.referral_matrix``) over generated ``ReferralFlow``
  rows, against a plain ``SELECT count(*)`` of the same table.

Every figure is also printed as a ratio to a baseline measured in the same run. Nothing here is a test: run it by
hand, or with ``--smoke`` for a small run that checks the benchmark still works. See bench/README.md.
"""

import argparse
import contextlib
import datetime
import hashlib
import json
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO_ROOT), str(REPO_ROOT / "platform")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stationnet.settings")
# The benchmark's own Celery queue: the worker it starts takes nothing else, and purging it touches nobody else's.
os.environ.setdefault("STATIONNET_CELERY_QUEUE", "bench_referrals")

import django  # noqa: E402  (the path must be set first)
from psycopg2 import sql  # noqa: E402

from bench.directory import (  # noqa: E402
    SqlTimer,
    database_settings,
    drop_database,
    machine,
    percentile,
    recreate_database,
    summarise,
    timed,
)
from tests.processes import stop_group  # noqa: E402  (the worker is stopped the way the tests stop theirs)

FULL = {
    "referrals": 2_000,
    "broker_referrals": 1_000,
    "backlog_referrals": 1_000,
    "flows": 200_000,
    "flow_stations": 100,
}
SMOKE = {"referrals": 100, "broker_referrals": 50, "backlog_referrals": 50, "flows": 10_000, "flow_stations": 100}
CASES_PER_DEMAND = 100  # the sender's cases are opened by demands of one box, this many cases each
WARMUP = 10  # inline iterations run first and left out of the figures (imports, caches, the first plans)
INSTITUTIONS = 20  # for the matrix's "to institutions" column
WATCHED_SOURCES = (
    "core/referrals/services.py",
    "core/referrals/models.py",
    "core/messaging/services.py",
    "core/messaging/models.py",
    "core/messaging/tasks.py",
    "core/network/services.py",
    "core/network/models.py",
    "core/network/selectors.py",
    "core/desk/services.py",
)
SENDER, RECEIVER = "bsend", "brecv"
REASON = "本站无压力表检定能力"
ASK = "请为企业安排压力表检定"
SHARED_PARTS = ["contact", "boxes"]
# What each inline operation is called in the report, in the order it runs.
OPERATIONS = {
    "plan_self": "baseline: case_plan, served by the station itself",
    "refer": "(a) referral_create",
    "deliver_request": "(b) deliver its messages (request → receiver, flow → bureau)",
    "accept": "(c) receiver accepts (referral_transition, opens a case)",
    "deliver_answer": "(c) deliver the answer back (receiver → sender, the sender's case follows)",
    "deliver_flow_update": "(c) deliver the sender's update of the bureau's read model",
}
TABLE_OF = re.compile(r'\b(?:FROM|INTO|UPDATE)\s+"?(?:\w+"?\."?)?(\w+)"?', re.IGNORECASE)


# --- Set-up ----------------------------------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--referrals", type=int, help=f"inline referrals (default {FULL['referrals']:,})")
    parser.add_argument(
        "--broker-referrals", type=int, help=f"referrals through the worker (default {FULL['broker_referrals']:,})"
    )
    parser.add_argument(
        "--backlog-referrals",
        type=int,
        help=f"referrals queued before the worker starts, to measure its capacity (default {FULL['backlog_referrals']:,})",
    )
    parser.add_argument("--flows", type=int, help=f"ReferralFlow rows for the matrix (default {FULL['flows']:,})")
    parser.add_argument(
        "--flow-stations", type=int, help=f"stations the flows run between (default {FULL['flow_stations']})"
    )
    parser.add_argument("--matrix-runs", type=int, default=20, help="timed runs of the matrix (default 20)")
    parser.add_argument(
        "--drain-timeout", type=float, default=900.0, help="seconds to wait for the worker to deliver (default 900)"
    )
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, for checking the benchmark itself")
    parser.add_argument("--seed", type=float, default=0.2026, help="seed of the generated flows (-1 … 1)")
    parser.add_argument("--skip-broker", action="store_true", help="do not run the part through the worker")
    parser.add_argument("--skip-matrix", action="store_true", help="do not run the matrix part")
    parser.add_argument("--worker-log", type=Path, default=REPO_ROOT / "var" / "bench" / "referrals-worker.log")
    parser.add_argument("--drop", action="store_true", help="drop the benchmark database at the end")
    parser.add_argument("--json", type=Path, help="also write every figure to this JSON file")
    args = parser.parse_args()
    sizes = SMOKE if args.smoke else FULL
    for name, default in sizes.items():
        if getattr(args, name) is None:
            setattr(args, name, default)
    if args.flow_stations < 3:
        parser.error("--flow-stations must be at least 3")
    return args


def check_queue() -> str:
    """The Celery queue must be the benchmark's own: it is purged, and a worker is started on it."""
    from django.conf import settings

    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    if "bench" not in queue:
        sys.exit(f"Refusing to use Celery queue {queue!r}: set STATIONNET_CELERY_QUEUE to a name containing 'bench'.")
    return queue


@dataclass
class Stations:
    sender: object
    receiver: object
    sender_head: object
    receiver_head: object
    enterprise: object
    cases: list = field(default_factory=list)  # the sender's cases not used yet, oldest first

    def take(self, count: int) -> list:
        taken, self.cases = self.cases[:count], self.cases[count:]
        if len(taken) < count:
            raise RuntimeError(f"only {len(taken)} cases left of {count} needed")
        return taken


def provision(total_cases: int, results: dict) -> Stations:
    """Two published stations, one enterprise, and `total_cases` cases received by the sender."""
    from django.utils import timezone
    from django_tenants.utils import schema_context

    from core.catalog.models import FormBox
    from core.desk import services as desk
    from core.desk.models import Channel
    from core.directory import uscc
    from core.directory.models import Enterprise
    from core.operations.demo import pre_duty_training_record
    from tenants.models import StationStatus, User
    from tenants.selectors import PLATFORM
    from tenants.services import station_change_status, station_create

    setup = results.setdefault("setup", {})
    stations = []
    with timed(setup, "stations_s"):
        for code, name, district in ((SENDER, "基准测试发送站", "yinzhou"), (RECEIVER, "基准测试接收站", "kaiyuan")):
            station = station_create(
                actor=PLATFORM,
                code=code,
                name=name,
                district=district,
                address=f"铁岭市{name}路1号",
                service_phone="024-70000021",
                complaint_phone="024-70000022",
                head_full_name=f"{name}站长",
                head_email=f"{code}-head@example.test",
            )
            station_change_status(user=PLATFORM, station=station, status=StationStatus.EVALUATING)
            stations.append(station_change_status(user=PLATFORM, station=station, status=StationStatus.PUBLISHED))
    sender, receiver = stations
    for station in stations:  # clause 4.4.1: the heads who plan and accept are cleared for duty, as in the demo
        pre_duty_training_record(station=station)
    enterprise = Enterprise.objects.create(
        uscc=uscc.generate(random.Random(5222)),  # noqa: S311  (benchmark data)
        name="铁岭市基准测试阀门有限公司",
        district="yinzhou",
        legal_representative="李基准",
        contact_person="王基准",
        phone="024-72000000",
        email="bench@example.test",
        address="铁岭市银州区基准路1号",
    )
    bench = Stations(
        sender=sender,
        receiver=receiver,
        sender_head=User.objects.get(memberships__station=sender),
        receiver_head=User.objects.get(memberships__station=receiver),
        enterprise=enterprise,
    )
    with timed(setup, "cases_s"), schema_context(sender.schema_name):
        box = FormBox.objects.get(form="A", label="计量检定、校准")
        (draft,) = desk.demand_case_drafts(boxes=[box], exam_categories=[], other_needs="")
        left = total_cases
        while left > 0:
            demand = desk.demand_create(
                station=sender,
                user=bench.sender_head,
                enterprise=enterprise,
                channel=Channel.VISIT,
                filled_on=timezone.localdate(),
                boxes=[box],
                drafts=[draft] * min(left, CASES_PER_DEMAND),
            )
            bench.cases += list(demand.cases.order_by("id"))
            left -= CASES_PER_DEMAND
    setup["cases"] = len(bench.cases)
    return bench


# --- Measuring one operation -----------------------------------------------------------------------------------------


@dataclass
class Samples:
    seconds: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    db_seconds: list[float] = field(default_factory=list)

    def add(self, seconds: float, queries: int, db_seconds: float) -> None:
        self.seconds.append(seconds)
        self.queries.append(queries)
        self.db_seconds.append(db_seconds)

    def summary(self) -> dict:
        return summarise(
            self.seconds,
            queries_median=statistics.median(self.queries),
            queries_min=min(self.queries),
            queries_max=max(self.queries),
            db_share=sum(self.db_seconds) / sum(self.seconds),
        )


def measure(function: Callable[[], object]) -> tuple[object, float, int, float]:
    """Run `function`; (its result, seconds, statements, seconds in the database). The statements are counted by an
    execute wrapper, whose cost is negligible (CaptureQueriesContext is used on a sample only, see `breakdown`)."""
    from django.db import connection

    timer = SqlTimer()
    with connection.execute_wrapper(timer):
        start = time.perf_counter()
        result = function()
        elapsed = time.perf_counter() - start
    return result, elapsed, timer.statements, timer.seconds


def breakdown(function: Callable[[], object]) -> tuple[object, dict]:
    """Run `function` under CaptureQueriesContext: its statements by kind and table (for the report's "where the
    queries go"), and their number."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        result = function()
    tables: Counter = Counter()
    for query in captured.captured_queries:
        text = query["sql"].lstrip()
        verb = text.split(None, 1)[0].upper() if text else "?"
        found = TABLE_OF.search(text)
        if found:
            tables[f"{verb} {found.group(1)}"] += 1
        elif "advisory" in text:
            tables["SELECT pg_advisory_xact_lock"] += 1
        else:
            tables[verb] += 1  # BEGIN, SAVEPOINT, RELEASE, SET search_path
    return result, {"queries": len(captured.captured_queries), "by_table": dict(tables.most_common())}


def pending_messages(schema: str) -> list[tuple[int, str]]:
    from django_tenants.utils import schema_context

    from core.messaging.models import OutboxMessage

    with schema_context(schema):
        return list(OutboxMessage.objects.filter(delivered_at__isnull=True).order_by("id").values_list("id", "kind"))


@dataclass
class Recorder:
    """The figures of the inline part: per operation, per kind of message delivered, per whole referral; and the
    statements of one sampled referral. `counted` and `sampled` say what the current iteration is for."""

    ops: dict[str, Samples] = field(default_factory=lambda: {name: Samples() for name in OPERATIONS})
    per_kind: dict[str, Samples] = field(default_factory=dict)
    per_referral: Samples = field(default_factory=Samples)
    samples: dict[str, dict] = field(default_factory=dict)
    counted: bool = False
    sampled: bool = False

    def run(self, name: str, function: Callable[[], object], kind: str | None = None):
        """(result, seconds, queries, seconds in the database) of one operation, recorded under `name`, or under
        the message `kind` for a single delivery."""
        if self.sampled:
            result, captured = breakdown(function)
            self.samples.setdefault(kind or name, captured)
            return result, 0.0, 0, 0.0
        result, seconds, queries, db_seconds = measure(function)
        if self.counted:
            (self.per_kind.setdefault(kind, Samples()) if kind else self.ops[name]).add(seconds, queries, db_seconds)
        return result, seconds, queries, db_seconds

    def deliver(self, schema: str, name: str) -> tuple[float, int, float]:
        """Deliver the pending messages of `schema`'s outbox one by one, as the worker's tasks would; their total
        is recorded under `name`."""
        from django_tenants.utils import schema_context

        from core.messaging.services import message_deliver

        seconds = queries = db_seconds = 0
        with schema_context(schema):
            for message_id, kind in pending_messages(schema):
                _r, s, q, d = self.run(name, lambda message_id=message_id: message_deliver(message_id=message_id), kind)
                seconds, queries, db_seconds = seconds + s, queries + q, db_seconds + d
        if self.counted:
            self.ops[name].add(seconds, queries, db_seconds)
        return seconds, queries, db_seconds


# --- Inline: each step of a referral in this process -----------------------------------------------------------------


def inline_benchmark(args: argparse.Namespace, bench: Stations, results: dict) -> None:
    from django.utils import timezone
    from django_tenants.utils import schema_context

    from core.desk import services as desk
    from core.desk.models import PlanKind
    from core.referrals import services as referrals
    from core.referrals.models import Direction, Referral, ReferralState

    recorder = Recorder()
    consent_at = timezone.now() - datetime.timedelta(minutes=5)
    sender, receiver = bench.sender.schema_name, bench.receiver.schema_name
    total = WARMUP + args.referrals
    planned_cases = bench.take(total)
    referred_cases = bench.take(total)
    run, deliver = recorder.run, recorder.deliver
    started = time.perf_counter()
    for index in range(total):
        recorder.counted = index >= WARMUP
        recorder.sampled = index == WARMUP - 1  # the last warm-up: every statement captured, for the breakdown
        # The baseline: the station plans a case of the same kind to serve it itself.
        with schema_context(sender):
            case = planned_cases[index]
            run(
                "plan_self",
                lambda case=case: desk.case_plan(
                    case=case,
                    user=bench.sender_head,
                    kind=PlanKind.SELF,
                    evaluation="本站可检定",
                    appointment_at=timezone.now() + datetime.timedelta(days=1),
                    staff=bench.sender_head,
                ),
            )
        # (a) The sender refers a case to the receiver.
        with schema_context(sender):
            case = referred_cases[index]
            outgoing, *cost_a = run(
                "refer",
                lambda case=case: referrals.referral_create(
                    case=case,
                    user=bench.sender_head,
                    station=bench.receiver,
                    reason=REASON,
                    ask=ASK,
                    parts=SHARED_PARTS,
                    consent_channel="phone",
                    consent_at=consent_at,
                ),
            )
        # (b) Its messages are delivered: the request to the receiver's inbox, the flow to the bureau's read model.
        cost_b = deliver(sender, "deliver_request")
        # (c) The receiver accepts it; the answer goes back, and the sender's case follows; the bureau is told.
        with schema_context(receiver):
            incoming = Referral.objects.get(uid=outgoing.uid, direction=Direction.INCOMING)
            _r, *cost_c = run(
                "accept",
                lambda incoming=incoming: referrals.referral_transition(
                    referral=incoming, user=bench.receiver_head, to=ReferralState.ACCEPTED
                ),
            )
        cost_answer = deliver(receiver, "deliver_answer")
        cost_flow = deliver(sender, "deliver_flow_update")
        if recorder.counted:
            parts = (cost_a, cost_b, cost_c, cost_answer, cost_flow)
            recorder.per_referral.add(*(sum(part[i] for part in parts) for i in range(3)))
        if recorder.counted and (index - WARMUP + 1) % max(1, args.referrals // 10) == 0:
            print(f"  {index - WARMUP + 1:,} / {args.referrals:,} referrals", flush=True)
    elapsed = time.perf_counter() - started

    # Everything arrived, once, and every answer is back at its sender.
    with schema_context(sender):
        accepted = Referral.objects.filter(direction=Direction.OUTGOING, state=ReferralState.ACCEPTED).count()
    with schema_context(receiver):
        arrived = Referral.objects.filter(direction=Direction.INCOMING).count()
    left = len(pending_messages(sender)) + len(pending_messages(receiver)) + len(pending_messages("public"))
    if accepted != total or arrived != total or left:
        raise RuntimeError(f"inline: {arrived} arrived, {accepted} accepted at the sender of {total}; {left} pending")

    figures = results.setdefault("inline", {})
    figures["referrals"] = args.referrals
    figures["seconds"] = elapsed
    figures["operations"] = {name: samples.summary() for name, samples in recorder.ops.items()}
    figures["per_message"] = {kind: samples.summary() for kind, samples in recorder.per_kind.items()}
    figures["per_referral"] = recorder.per_referral.summary()
    all_messages = [seconds for samples in recorder.per_kind.values() for seconds in samples.seconds]
    figures["any_message"] = summarise(all_messages)
    figures["sample_statements"] = recorder.samples


# --- Through the broker and a real worker ----------------------------------------------------------------------------


def purge_queue(queue: str) -> int:
    """Drop the tasks waiting in the benchmark's queues (those the set-up and the inline part published): the default
    one, `queue`, and those named after it (settings.WORKER_QUEUES)."""
    from stationnet.celery import worker_queues_purge

    return worker_queues_purge()


@contextlib.contextmanager
def worker(log_path: Path) -> Iterator[subprocess.Popen]:
    """A Celery worker, prefork with two children, on this database and queue, started as tests/processes.py does
    (its own process group, stopped with the group); yields once it says it is ready."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    from django.conf import settings

    command = [sys.executable, "-m", "celery", "-A", "stationnet", "worker", "--pool", "prefork", "--concurrency", "2"]
    command += ["-Q", ",".join(settings.WORKER_QUEUES.values())]
    env = {**os.environ, "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    with log_path.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(  # noqa: S603  (our own command, with this interpreter)
            [*command, "--loglevel", "INFO"],
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 90
            while " ready." not in log_path.read_text(encoding="utf-8"):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the worker did not start:\n{log_path.read_text(encoding='utf-8')[-3000:]}")
                time.sleep(0.2)
            yield process
        finally:
            stop_group(process)


def last_outbox_id(schema: str) -> int:
    from django.db.models import Max
    from django_tenants.utils import schema_context

    from core.messaging.models import OutboxMessage

    with schema_context(schema):
        return OutboxMessage.objects.aggregate(last=Max("id"))["last"] or 0


def undelivered_since(schema: str, after_id: int) -> int:
    from django_tenants.utils import schema_context

    from core.messaging.models import OutboxMessage

    with schema_context(schema):
        return OutboxMessage.objects.filter(id__gt=after_id, delivered_at__isnull=True).count()


def wait_delivered(schema: str, after_id: int, timeout: float) -> float:
    """Poll until every message of `schema`'s outbox after `after_id` is delivered; the monotonic time it was seen."""
    deadline = time.monotonic() + timeout
    while undelivered_since(schema, after_id):
        if time.monotonic() > deadline:
            raise RuntimeError(f"{undelivered_since(schema, after_id)} messages still undelivered after {timeout} s")
        time.sleep(0.1)
    return time.monotonic()


@dataclass
class Message:
    kind: str
    uid: str  # of the referral it is about
    created: float  # epoch seconds: the outbox's created_at (written inside the sender's transaction)
    applied: float  # the destination inbox's applied_at (the start of the transaction that applied it)
    acknowledged: float  # the outbox's delivered_at (after the apply committed)
    attempts: int

    @property
    def lag(self) -> float:
        return self.applied - self.created


def delivered_messages(sender: str, receiver: str, after_id: int) -> list[Message]:
    """The messages of the sender's outbox after `after_id`, each with the time its destination applied it (the
    destination inbox's row of the same key: the receiver's, or the public schema's)."""
    from django.db import connection

    query = sql.SQL(
        """
        SELECT o.kind, split_part(o.stream, ':', 2), EXTRACT(EPOCH FROM o.created_at), EXTRACT(EPOCH FROM i.applied_at),
               EXTRACT(EPOCH FROM o.delivered_at), o.attempts
        FROM {sender}.messaging_outboxmessage o
        JOIN (
            SELECT key, applied_at FROM {receiver}.messaging_inboxmessage
            UNION ALL
            SELECT key, applied_at FROM public.messaging_inboxmessage
        ) i ON i.key = o.key
        WHERE o.id > %s
        ORDER BY o.id
        """
    ).format(sender=sql.Identifier(sender), receiver=sql.Identifier(receiver))
    with connection.cursor() as cursor:
        cursor.execute(query.as_string(cursor.connection), [after_id])
        return [
            Message(kind, uid, float(created), float(applied), float(acknowledged), attempts)
            for kind, uid, created, applied, acknowledged, attempts in cursor.fetchall()
        ]


def refer_each(bench: Stations, cases: list) -> tuple[list[float], dict[str, float]]:
    """The sender refers each case, committing one by one (each commit queues its messages' delivery): the seconds
    each took, and the epoch time each had committed and queued its messages, by the referral's uid."""
    from django.utils import timezone
    from django_tenants.utils import schema_context

    from core.referrals import services as referrals

    consent_at = timezone.now() - datetime.timedelta(minutes=5)
    seconds, committed = [], {}
    with schema_context(bench.sender.schema_name):
        for case in cases:
            start = time.perf_counter()
            referral = referrals.referral_create(
                case=case,
                user=bench.sender_head,
                station=bench.receiver,
                reason=REASON,
                ask=ASK,
                parts=SHARED_PARTS,
                consent_channel="phone",
                consent_at=consent_at,
            )
            seconds.append(time.perf_counter() - start)
            committed[str(referral.uid)] = time.time()
    return seconds, committed


def broker_benchmark(args: argparse.Namespace, bench: Stations, queue: str, results: dict) -> None:
    """Two runs through the worker. Backlog: referrals created while no worker runs, then drained by a worker just
    started (what the worker can do, at most). Paced: referrals created one after another as fast as one creator
    can while the worker delivers (the lag a user sees)."""
    from django.conf import settings

    if source_fingerprint() != results["sources"]:
        # The worker would import the code as it is now, this process runs it as it was, on a database migrated then.
        raise RuntimeError("the measured code changed on disk since the run started: run the benchmark again")
    figures = results.setdefault("broker", {})
    figures["broker"] = settings.CELERY_BROKER_URL.split("://", 1)[0]
    figures["queue"] = queue
    figures["purged_tasks"] = purge_queue(queue)
    figures["worker_log"] = str(args.worker_log)
    sender, receiver = bench.sender.schema_name, bench.receiver.schema_name
    backlog_cases = bench.take(args.backlog_referrals)
    cases = bench.take(args.broker_referrals)

    before = last_outbox_id(sender)
    refer_each(bench, backlog_cases)
    with worker(args.worker_log):
        wait_delivered(sender, before, args.drain_timeout)
        backlog = delivered_messages(sender, receiver, before)
        after_id = last_outbox_id(sender)
        started = time.monotonic()
        create_seconds, committed = refer_each(bench, cases)
        created = time.monotonic()
        done = wait_delivered(sender, after_id, args.drain_timeout)
    messages = delivered_messages(sender, receiver, after_id)
    # The referred cases' facts for the city statistics travel the same way (to the bureau, one per change of the
    # case): what is measured here is the referrals' own messages.
    backlog, messages = ([m for m in found if not m.kind.startswith("stats.")] for found in (backlog, messages))
    for name, found, referrals in (("backlog", backlog, args.backlog_referrals), ("paced", messages, len(cases))):
        # A request to the receiver and a flow to the bureau per referral.
        if len(found) != 2 * referrals:
            raise RuntimeError(
                f"through the worker ({name}): {len(found)} referral messages applied of {2 * referrals}"
            )

    applied = sorted(backlog, key=lambda message: message.applied)
    figures["backlog"] = {
        "referrals": args.backlog_referrals,
        "messages": len(backlog),
        "drain_seconds": applied[-1].applied - applied[0].applied,
        "messages_per_second": (len(applied) - 1) / (applied[-1].applied - applied[0].applied),
    }
    lags = [message.lag for message in messages]
    figures["referrals"] = len(cases)
    figures["messages"] = len(messages)
    figures["create"] = summarise(create_seconds, per_second=len(cases) / (created - started))
    figures["create_seconds"] = created - started
    figures["drain_seconds"] = done - started  # from the first referral to the last delivery seen by the poller
    figures["after_last_create_seconds"] = done - created
    first_created = min(message.created for message in messages)
    figures["messages_per_second"] = len(messages) / (max(message.applied for message in messages) - first_created)
    figures["lag_applied"] = lag_summary(lags)
    figures["lag_applied_by_kind"] = {
        kind: lag_summary([message.lag for message in messages if message.kind == kind])
        for kind in sorted({message.kind for message in messages})
    }
    # From the sender's commit (its messages queued) to the apply: the broker and the worker alone.
    figures["lag_after_commit"] = lag_summary([message.applied - committed[message.uid] for message in messages])
    figures["lag_acknowledged"] = lag_summary([message.acknowledged - message.created for message in messages])
    figures["retried_messages"] = sum(1 for message in messages if message.attempts > 1)
    # The lag of the first and last tenth: does the queue grow while one creator outpaces two children?
    tenth = max(1, len(lags) // 10)
    figures["lag_first_tenth_p50_s"] = statistics.median(lags[:tenth])
    figures["lag_last_tenth_p50_s"] = statistics.median(lags[-tenth:])


def lag_summary(values: list[float]) -> dict:
    return {
        "n": len(values),
        "p50_s": percentile(values, 50),
        "p95_s": percentile(values, 95),
        "max_s": max(values),
        "mean_s": statistics.fmean(values),
    }


# --- The bureau's matrix ---------------------------------------------------------------------------------------------


def matrix_benchmark(args: argparse.Namespace, bench: Stations, results: dict) -> None:
    """ReferralFlow rows between `flow_stations` stations: the two real ones and station rows without a schema
    (the matrix reads the public schema only), and some to institutions; then the matrix against a count."""
    from django.db import connection
    from django.utils import timezone

    from bench.generators import institutions
    from core.catalog.models import ServiceCategory
    from core.common.shared_rows import shared_row_delete
    from core.directory.models import Institution
    from core.network.selectors import referral_matrix
    from tenants.models import Station, StationStatus

    figures = results.setdefault("matrix", {})
    extra = [
        Station(
            name=f"基准矩阵站{number:03d}",
            code=f"bflow{number:03d}",
            schema_name=f"st_bflow{number:03d}",
            district="yinzhou",
            address="铁岭市基准路1号",
            service_phone="024-70000023",
            complaint_phone="024-70000024",
            status=StationStatus.PUBLISHED,
        )
        for number in range(args.flow_stations - 2)
    ]
    with timed(figures, "generate_s"):
        Station.objects.bulk_create(extra)  # rows only: no schema is created (the matrix never reads one)
        station_ids = [bench.sender.pk, bench.receiver.pk, *(station.pk for station in extra)]
        made = Institution.objects.bulk_create(
            [Institution(**values) for values in institutions(int(abs(args.seed) * 10**6), INSTITUTIONS)]
        )
        institution_ids = [institution.pk for institution in made]
        category_ids = list(ServiceCategory.objects.values_list("pk", flat=True))
        with connection.cursor() as cursor:
            cursor.execute("SELECT setseed(%s)", [args.seed])
            cursor.execute(
                FLOWS_SQL,
                {
                    "count": args.flows,
                    "stations": station_ids,
                    "institutions": institution_ids,
                    "categories": category_ids,
                },
            )
            cursor.execute("VACUUM (ANALYZE) network_referralflow")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*), pg_total_relation_size('network_referralflow') FROM network_referralflow")
        rows, size = cursor.fetchone()
    figures["rows"] = rows
    figures["generated"] = args.flows
    figures["stations"] = args.flow_stations
    figures["stations_without_schema"] = len(extra)
    figures["institutions"] = INSTITUTIONS
    figures["table_mib"] = round(size / 2**20, 1)

    def count() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM network_referralflow")
            return cursor.fetchone()[0]

    last_90_days = timezone.localdate() - datetime.timedelta(days=90)
    runs = {
        "baseline_count": count,
        "matrix": referral_matrix,
        "matrix_last_90_days": lambda: referral_matrix(requested_from=last_90_days),
    }
    for name, function in runs.items():
        for _warm in range(2):
            function()
        samples = Samples()
        for _run in range(args.matrix_runs):
            result, seconds, queries, db_seconds = measure(function)
            samples.add(seconds, queries, db_seconds)
        figures[name] = samples.summary()
        if name.startswith("matrix"):
            figures[name]["pairs"] = len(result.cells)
            figures[name]["flows_counted"] = result.total.total + sum(c.total for c in result.to_institutions.values())
    # Where the time of one matrix goes: each of its statements, in milliseconds.
    timer = SqlTimer(keep_text=True)
    with connection.execute_wrapper(timer):
        referral_matrix()
    figures["matrix_statements"] = timer.texts
    if figures["matrix"]["flows_counted"] != rows:
        raise RuntimeError(f"the matrix counted {figures['matrix']['flows_counted']} flows of {rows}")

    # Leave the database as the other parts left it: no station rows without a schema. Raw deletes: the ORM's
    # cascade would look for the stations' own tables in the public schema.
    with shared_row_delete(), connection.cursor() as cursor:
        ids = [station.pk for station in extra]
        cursor.execute(
            "DELETE FROM network_referralflow WHERE from_station_id = ANY(%s) OR to_station_id = ANY(%s)", [ids, ids]
        )
        cursor.execute("DELETE FROM tenants_station WHERE id = ANY(%s)", [ids])


# Flows as the stations' outboxes would have fed them over a year: 10 % to institutions; states in proportions a
# working network might show; the answer within three days, the outcome within a month.
FLOWS_SQL = """
WITH picks AS (
    SELECT g,
           floor(random() * cardinality(%(stations)s::int[]))::int AS from_index,
           floor(random() * (cardinality(%(stations)s::int[]) - 1))::int AS to_step,
           random() < 0.1 AS to_institution,
           (%(institutions)s::int[])[1 + floor(random() * cardinality(%(institutions)s::int[]))::int] AS institution,
           (%(categories)s::int[])[1 + floor(random() * cardinality(%(categories)s::int[]))::int] AS category,
           random() AS r,
           now() - random() * interval '365 days' AS requested_at,
           random() * interval '72 hours' AS wait,
           random() * interval '30 days' AS serve
    FROM generate_series(1, %(count)s) AS g
), flows AS (
    SELECT *,
           CASE WHEN r < 0.10 THEN 'requested' WHEN r < 0.15 THEN 'accepted' WHEN r < 0.25 THEN 'in_service'
                WHEN r < 0.27 THEN 'on_hold' WHEN r < 0.67 THEN 'completed' WHEN r < 0.87 THEN 'declined'
                WHEN r < 0.92 THEN 'withdrawn' ELSE 'failed' END AS state
    FROM picks
)
INSERT INTO network_referralflow (
    uid, number, from_station_id, to_station_id, institution_id, category_id, previous_uid, state, requested_at,
    accept_due_at, answered_at, accepted_at, closed_at, overdue_at, version, updated_at
)
SELECT gen_random_uuid(),
       'BENCH-' || g,
       (%(stations)s::int[])[1 + from_index],
       CASE WHEN to_institution THEN NULL
            ELSE (%(stations)s::int[])[1 + (from_index + 1 + to_step) %% cardinality(%(stations)s::int[])] END,
       CASE WHEN to_institution THEN institution END,
       category,
       NULL,
       state,
       requested_at,
       requested_at + interval '2 days',
       CASE WHEN state NOT IN ('requested', 'withdrawn') THEN requested_at + wait END,
       CASE WHEN state IN ('accepted', 'in_service', 'on_hold', 'completed', 'failed') THEN requested_at + wait END,
       CASE WHEN state IN ('declined', 'withdrawn') THEN requested_at + wait
            WHEN state IN ('completed', 'failed') THEN requested_at + wait + serve END,
       CASE WHEN state = 'requested' AND r < 0.03 THEN requested_at + interval '2 days' END,
       CASE WHEN state = 'requested' THEN 1 WHEN state IN ('accepted', 'declined', 'withdrawn') THEN 2 ELSE 4 END,
       now()
FROM flows
"""


# --- Report ----------------------------------------------------------------------------------------------------------


def ratio(value: float, baseline: float) -> str:
    return f"{value / baseline:.2f}×" if baseline else "—"


def report(results: dict) -> None:
    if "inline" in results:
        report_inline(results["inline"])
    if "broker" in results:
        report_broker(results["broker"], results.get("inline"))
    if "matrix" in results:
        report_matrix(results["matrix"])


def report_inline(figures: dict) -> None:
    ops = figures["operations"]
    base = ops["plan_self"]
    print(f"\nInline, per referral ({figures['referrals']:,} referrals after {WARMUP} warm-up, in this process)")
    print(f"{'operation':<82}{'p50':>8}{'p95':>8}{'mean':>8}{'× p50':>8}{'× mean':>8}{'queries':>9}{'db':>6}")
    rows = [(OPERATIONS[name], ops[name]) for name in OPERATIONS]
    rows.append(("(a)+(b)+(c): the whole crossing, both ways", figures["per_referral"]))
    for label, op in rows:
        print(
            f"{label:<82}{op['p50_ms']:>8.1f}{op['p95_ms']:>8.1f}{op['mean_ms']:>8.1f}"
            f"{ratio(op['p50_ms'], base['p50_ms']):>8}{ratio(op['mean_ms'], base['mean_ms']):>8}"
            f"{op['queries_median']:>9.0f}{op['db_share']:>6.0%}"
        )
    print("\nPer message delivered inline (message_deliver), ms: p50 / p95 / mean, queries")
    for kind, op in figures["per_message"].items():
        print(f"  {kind:<24}{op['p50_ms']:>8.1f}{op['p95_ms']:>8.1f}{op['mean_ms']:>8.1f}{op['queries_median']:>6.0f}")
    print("\nWhere the queries go (one referral, captured with CaptureQueriesContext; statement and table: count)")
    for name, sample in figures["sample_statements"].items():
        top = ", ".join(f"{what} {n}" for what, n in list(sample["by_table"].items())[:10])
        print(f"  {name} ({sample['queries']}): {top}")


def report_broker(figures: dict, inline: dict | None) -> None:
    backlog = figures["backlog"]
    print(f"\nThrough the broker ({figures['broker']}, queue {figures['queue']}) and a worker (prefork, 2 children)")
    print(
        f"  backlog: {backlog['referrals']:,} referrals queued with no worker running, {backlog['messages']:,}"
        f" messages drained in {backlog['drain_seconds']:.1f} s: {backlog['messages_per_second']:.1f} messages/s"
        " (the worker's capacity)"
    )
    create = figures["create"]
    print(
        f"  paced: {figures['referrals']:,} referrals created one after another in {figures['create_seconds']:.1f} s"
        f" ({create['per_second']:.1f} referrals/s; referral_create p50 {create['p50_ms']:.1f} ms, p95"
        f" {create['p95_ms']:.1f} ms while the worker runs)"
    )
    print(
        f"  all {figures['messages']:,} messages delivered {figures['drain_seconds']:.1f} s after the first referral"
        f" ({figures['after_last_create_seconds']:.1f} s after the last): {figures['messages_per_second']:.1f}"
        f" messages/s; {figures['retried_messages']} delivered on a second attempt or later"
    )
    print(f"  {'lag, s':<52}{'p50':>8}{'p95':>8}{'max':>8}{'mean':>8}{'× inline p50':>14}")
    lines = [("applied (inbox applied_at − outbox created_at)", figures["lag_applied"], "any_message")]
    lines += [(f"  {kind}", lag, kind) for kind, lag in figures["lag_applied_by_kind"].items()]
    lines.append(("from the sender's commit to applied", figures["lag_after_commit"], "any_message"))
    lines.append(("acknowledged (outbox delivered_at − created_at)", figures["lag_acknowledged"], "any_message"))
    for label, lag, kind in lines:
        inline_ms = (inline["per_message"].get(kind) or inline["any_message"])["p50_ms"] if inline else None
        print(
            f"  {label:<52}{lag['p50_s']:>8.3f}{lag['p95_s']:>8.3f}{lag['max_s']:>8.3f}{lag['mean_s']:>8.3f}"
            f"{ratio(lag['p50_s'] * 1000, inline_ms) if inline_ms else '—':>14}"
        )
    print(
        f"  lag p50 of the first tenth of the messages {figures['lag_first_tenth_p50_s']:.3f} s, of the last tenth"
        f" {figures['lag_last_tenth_p50_s']:.3f} s"
    )


def report_matrix(figures: dict) -> None:
    print(
        f"\nThe bureau's matrix: {figures['rows']:,} ReferralFlow rows between {figures['stations']} stations"
        f" ({figures['stations_without_schema']} of them rows without a schema) and {figures['institutions']}"
        f" institutions, {figures['table_mib']} MiB"
    )
    base = figures["baseline_count"]
    print(f"  {'':<44}{'p50':>8}{'p95':>8}{'max':>8}{'× p50':>8}{'queries':>9}{'db':>6}")
    for name, label in (
        ("baseline_count", "baseline: SELECT count(*) of the table"),
        ("matrix", "referral_matrix(), every flow"),
        ("matrix_last_90_days", "referral_matrix(requested_from=90 days ago)"),
    ):
        op = figures[name]
        print(
            f"  {label:<44}{op['p50_ms']:>8.1f}{op['p95_ms']:>8.1f}{op['max_ms']:>8.1f}"
            f"{ratio(op['p50_ms'], base['p50_ms']):>8}{op['queries_median']:>9.0f}{op['db_share']:>6.0%}"
        )
    print("  the statements of one matrix, ms:")
    for line in figures["matrix_statements"]:
        print(f"    {line[:110]}")


def source_fingerprint() -> dict[str, str]:
    """Hashes of the code under measurement: the report says if it changed on disk while the benchmark ran."""
    return {
        path: hashlib.sha256((REPO_ROOT / path).read_bytes()).hexdigest()[:12]
        for path in WATCHED_SOURCES
        if (REPO_ROOT / path).exists()
    }


def main() -> None:
    # A SIGTERM (kill, a CI timeout) ends the run through the context managers, so the worker's group is stopped too.
    signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(143))
    args = parse_args()
    db = database_settings()
    results: dict = {"arguments": {k: str(v) for k, v in vars(args).items()}}
    results["started_at"] = datetime.datetime.now(tz=datetime.UTC).isoformat(timespec="seconds")
    results["sources"] = source_fingerprint()
    started = time.perf_counter()

    def save() -> None:
        """Write what is known so far: a run that fails late keeps the figures of its earlier phases."""
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            text = json.dumps(results, indent=2, ensure_ascii=False, default=str) + "\n"
            args.json.write_text(text, encoding="utf-8")

    print(f"Creating database {db['dbname']} …", flush=True)
    recreate_database(db)
    django.setup()
    queue = check_queue()
    # Import everything measured now, so that the whole run uses one version of the code.
    from django.core.management import call_command

    import core.messaging.services  # noqa: F401
    import core.network.selectors  # noqa: F401
    import core.referrals.services  # noqa: F401

    results["machine"] = machine()
    setup = results.setdefault("setup", {})
    print("Migrating …", flush=True)
    with timed(setup, "migrate_s"):
        call_command("migrate_schemas", interactive=False, verbosity=0)
    cases = 2 * (WARMUP + args.referrals) + (0 if args.skip_broker else args.backlog_referrals + args.broker_referrals)
    print(f"Provisioning two stations and {cases:,} cases …", flush=True)
    bench = provision(cases, results)
    save()
    # The machine's load average (1, 5, 15 minutes) before each part: the figures of a busy machine are slower.
    load = results.setdefault("load_average", {})
    load["inline"] = os.getloadavg()
    print("Inline referrals …", flush=True)
    inline_benchmark(args, bench, results)
    save()
    if not args.skip_broker:
        load["broker"] = os.getloadavg()
        print("Referrals through the broker and a worker …", flush=True)
        broker_benchmark(args, bench, queue, results)
        save()
    if not args.skip_matrix:
        load["matrix"] = os.getloadavg()
        print("The bureau's matrix …", flush=True)
        matrix_benchmark(args, bench, results)
    load["end"] = os.getloadavg()
    results["total_s"] = time.perf_counter() - started
    if source_fingerprint() != results["sources"]:
        results["sources_changed_during_run"] = source_fingerprint()
        print("\nNote: the measured code changed on disk during the run (this run used the version it started with).")
    save()
    report(results)
    print(
        f"\nSet-up (not a result): migrate {setup['migrate_s']:.1f} s, two stations {setup['stations_s']:.1f} s,"
        f" {setup['cases']:,} cases {setup['cases_s']:.1f} s"
    )
    print(
        "Load average (1 min) before each part: "
        + ", ".join(f"{part} {values[0]:.1f}" for part, values in results["load_average"].items())
    )
    print(f"Total {results['total_s']:.0f} s")
    if args.drop:
        drop_database(db)


if __name__ == "__main__":
    main()
