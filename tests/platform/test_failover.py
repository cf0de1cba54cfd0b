"""Failover without loss (issue 21, item 1): the platform on a libpq multi-host DATABASE_URL over a primary and its
synchronous streaming standby (throwaway clusters, tests/clusters.py, loaded with a copy of the test database), a
web server and a Celery worker under load from threads (demands, cross-station referrals, the city statistics and
the portal page); the primary is stopped hard mid-load and the standby promoted. Every answer was a success or the
clean 503 (no stack trace), service resumed within 30 s, every demand and referral whose creation succeeded is there
after the failover, every message was delivered once (each inbox key once, each referral's copy once).

Zero loss needs the standby to have every committed transaction when the primary dies: the primary commits
synchronously (`synchronous_standby_names`), as docs/operations.md asks of a replicated city. The clusters are
throwaway: the test writes nothing to the test database.
"""

import contextlib
import datetime
import json
import os
import socket
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.utils import timezone

from stationnet.celery import app as celery_app
from tests import clusters
from tests.processes import serving, working

pytestmark = pytest.mark.django_db

REFERRALS_BEFORE_KILL = 5  # referrals created on the primary before it dies
WARM_UP_LIMIT = 90.0  # seconds to get there
UP = "clusters, copy and processes up (s)"
BROKER_PORT = int(os.environ.get("STATIONNET_TEST_BROKER_PORT", "6391"))  # the broker test's own Redis
PROMOTE_AFTER = 2.0  # seconds between the primary's death and the promotion (what an operator or Patroni takes)
AFTER_RESUMED = 6.0  # seconds of load once writes succeed again
RESUME_LIMIT = 30.0  # seconds from the kill to the first successful write: the bound
DELIVERY_LIMIT = 60.0  # seconds for every outbox to be empty after the load
RATES = "100000/min"  # the API's throttles out of the way: the load is one user's

# Run against the copy (DATABASE_URL of the cluster): publish alpha and beta, an enterprise, API tokens; what the
# load needs, printed as JSON.
SETUP = """
import json, random
import django
django.setup()
from django_tenants.utils import schema_context
from core.catalog.models import FormBox
from core.directory import uscc
from core.directory.models import Enterprise
from core.tokens.services import api_token_create
from tenants.models import Station, StationStatus, User

Station.objects.filter(code__in=["alpha", "beta"]).update(status=StationStatus.PUBLISHED)
enterprise = Enterprise.objects.create(
    uscc=uscc.generate(random.Random(2121)), name="铁岭市故障切换测试阀门有限公司", district="yinzhou",
    contact_person="切换测试联系人",
)
def token(username):
    user = User.objects.get(username=username)
    return api_token_create(actor=user, user=user, name="failover")[1]
with schema_context("st_alpha"):
    box = FormBox.objects.get(form="A", label="计量检定、校准").pk
print(json.dumps({
    "enterprise": enterprise.pk, "box": box, "beta": Station.objects.get(code="beta").pk,
    "alpha_token": token("alpha-staff"), "bureau_token": token("bureau-admin"),
}))
"""


@dataclass
class Answer:
    kind: str
    sent: float  # time.monotonic() when sent
    at: float  # when answered
    status: int  # 0: no HTTP answer at all
    body: str

    @property
    def ok(self) -> bool:
        return self.status in {200, 201}

    @property
    def clean_refusal(self) -> bool:
        """The 503 of stationnet.database_errors: JSON with a detail for the API, the short page otherwise."""
        if self.status != 503 or "Traceback" in self.body or 'File "' in self.body:
            return False
        if self.kind == "portal":
            return "服务暂时不可用" in self.body
        try:
            return set(json.loads(self.body)) == {"detail"}
        except ValueError:
            return False


@dataclass
class Load:
    port: int
    setup: dict
    answers: list[Answer] = field(default_factory=list)
    demands: list[str] = field(default_factory=list)  # numbers of the demands whose creation succeeded
    referrals: list[str] = field(default_factory=list)  # uids of the referrals whose creation succeeded
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def call(self, session: requests.Session, kind: str, method: str, host: str, path: str, **kwargs) -> Answer:
        sent = time.monotonic()
        try:
            response = session.request(
                method, f"http://127.0.0.1:{self.port}{path}", headers={"Host": host}, timeout=30, **kwargs
            )
            answer = Answer(kind, sent, time.monotonic(), response.status_code, response.text)
        except requests.RequestException as error:
            answer = Answer(kind, sent, time.monotonic(), 0, repr(error))
        with self.lock:
            self.answers.append(answer)
        return answer

    def demand(self, session: requests.Session) -> dict | None:
        body = {"enterprise": self.setup["enterprise"], "channel": "visit", "boxes": [self.setup["box"]]}
        answer = self.call(session, "demand", "POST", ALPHA, "/api/v1/desk/demands/", json=body)
        if not answer.ok:
            return None
        created = json.loads(answer.body)
        with self.lock:
            self.demands.append(created["number"])
        return created

    def demands_loop(self) -> None:
        with self.session(self.setup["alpha_token"]) as session:
            while not self.stop.is_set():
                self.demand(session)

    def referrals_loop(self) -> None:
        with self.session(self.setup["alpha_token"]) as session:
            while not self.stop.is_set():
                created = self.demand(session)
                if created is None:
                    time.sleep(0.2)
                    continue
                case = created["cases"][0]
                body = {
                    "station": self.setup["beta"],
                    "reason": "本站无压力表检定能力",
                    "ask": "请为企业安排压力表检定",
                    "parts": ["boxes"],
                    "consent_channel": "phone",
                    "consent_at": (timezone.now() - datetime.timedelta(minutes=5)).isoformat(),
                    "version": case["version"],
                }
                answer = self.call(
                    session, "referral", "POST", ALPHA, f"/api/v1/desk/cases/{case['id']}/referrals/", json=body
                )
                if answer.ok:
                    with self.lock:
                        self.referrals.append(json.loads(answer.body)["uid"])

    def reads_loop(self) -> None:
        with self.session(self.setup["bureau_token"]) as session:
            while not self.stop.is_set():
                self.call(session, "statistics", "GET", settings.BASE_DOMAIN, "/api/v1/statistics/")
                self.call(session, "portal", "GET", settings.BASE_DOMAIN, "/")
                time.sleep(0.1)

    @staticmethod
    def session(token: str) -> requests.Session:
        session = requests.Session()
        session.headers["Authorization"] = f"Token {token}"
        return session


ALPHA = f"alpha.{settings.BASE_DOMAIN}"


def outbox_pending(cluster: clusters.Cluster, database: str) -> int:
    # The SQL of this module is built from our schema names and the uids the load got back: nothing typed by a user.
    pending = " UNION ALL ".join(
        f"SELECT 1 FROM {schema}.messaging_outboxmessage WHERE delivered_at IS NULL"  # noqa: S608
        for schema in ("public", "st_alpha", "st_beta")
    )
    return int(cluster.psql(f"SELECT count(*) FROM ({pending}) AS pending", database))  # noqa: S608


def sweep_until_delivered(cluster: clusters.Cluster, database: str, connection=None) -> int:
    """What beat does every minute, every few seconds (the worker re-queues what waited over 3 s): until every
    outbox is empty; how many sweeps it took."""
    deadline = time.monotonic() + DELIVERY_LIMIT
    sweeps = 0
    while outbox_pending(cluster, database):
        if time.monotonic() > deadline:
            pytest.fail(f"{outbox_pending(cluster, database)} messages still undelivered after {DELIVERY_LIMIT} s")
        celery_app.send_task("core.messaging.tasks.outbox_requeue_stale_all_task", connection=connection)
        sweeps += 1
        time.sleep(4)
    return sweeps


def check_nothing_lost_nothing_twice(cluster: clusters.Cluster, database: str, load: Load) -> None:
    def rows(sql: str) -> list[str]:
        out = cluster.psql(sql, database)
        return out.splitlines() if out else []

    numbers = rows("SELECT number FROM st_alpha.desk_demand")
    assert set(load.demands) <= set(numbers), "a demand answered 201 is missing after the failover"
    assert len(load.demands) == len(set(load.demands))
    uids = ",".join(f"'{uid}'" for uid in load.referrals)
    mine = rows(f"SELECT uid FROM st_alpha.referrals_referral WHERE direction = 'out' AND uid IN ({uids})")  # noqa: S608
    theirs = rows(f"SELECT uid FROM st_beta.referrals_referral WHERE direction = 'in' AND uid IN ({uids})")  # noqa: S608
    assert sorted(mine) == sorted(load.referrals), "a referral answered 201 is missing at its sender"
    assert sorted(theirs) == sorted(load.referrals), "a referral is missing at its receiver, or arrived twice"
    flows = rows(f"SELECT uid FROM public.network_referralflow WHERE uid IN ({uids})")  # noqa: S608
    assert sorted(flows) == sorted(load.referrals), "the bureau's read model lost or doubled a referral"
    # Each message applied once: every delivered outbox key is in its destination's inbox exactly once.
    for source in ("public", "st_alpha", "st_beta"):
        for destination in ("public", "st_alpha", "st_beta"):
            if source == destination:
                continue
            sent = rows(
                f"SELECT key FROM {source}.messaging_outboxmessage WHERE destination = '{destination}' "  # noqa: S608
                f"AND created_at > now() - interval '1 hour'"
            )
            if not sent:
                continue
            keys = ",".join(f"'{key}'" for key in sent)
            applied = rows(f"SELECT key FROM {destination}.messaging_inboxmessage WHERE key IN ({keys})")  # noqa: S608
            assert sorted(applied) == sorted(sent), (source, destination)


def test_a_hard_stop_of_the_primary_loses_no_committed_work(city, tmp_path):
    timings: dict[str, float] = {}
    started = time.monotonic()
    with clusters.workspace() as root, clusters.primary(root) as main:
        database = clusters.load_test_database(main)
        with clusters.standby(main, root) as spare:
            main.configure(synchronous_standby_names="'*'", synchronous_commit="'on'")
            url = clusters.multi_host_url([main, spare], database)
            setup = json.loads(clusters.run_django(SETUP, url))
            env = {
                "DATABASE_URL": url,
                "STATIONNET_API_RATE_USER": RATES,
                "STATIONNET_API_RATE_ADDRESS": RATES,
                "STATIONNET_MESSAGE_REQUEUE_SECONDS": "3",
            }
            with working(tmp_path, **env), serving(tmp_path, **env) as port:
                timings[UP] = time.monotonic() - started
                load = Load(port=port, setup=setup)
                threads = [
                    threading.Thread(target=target, daemon=True)
                    for target in (load.demands_loop, load.referrals_loop, load.reads_loop)
                ]
                try:
                    for thread in threads:
                        thread.start()
                    # Load on the primary until referrals flow (a slow, shared CI machine takes a while to warm up).
                    warm = time.monotonic() + WARM_UP_LIMIT
                    while sum(a.ok for a in list(load.answers) if a.kind == "referral") < REFERRALS_BEFORE_KILL:
                        assert time.monotonic() < warm, Counter((a.kind, a.status) for a in load.answers)
                        time.sleep(0.2)
                    timings["load before the kill (s)"] = time.monotonic() - started - timings[UP]
                    killed_at = time.monotonic()
                    main.kill()
                    time.sleep(PROMOTE_AFTER)
                    spare.promote()
                    timings["promoted after kill (s)"] = time.monotonic() - killed_at
                    deadline = killed_at + RESUME_LIMIT + 10
                    promoted_at = time.monotonic()
                    while not any(a.ok and a.kind == "demand" and a.at > promoted_at for a in list(load.answers)):
                        assert time.monotonic() < deadline, "no write succeeded after the promotion"
                        time.sleep(0.2)
                    time.sleep(AFTER_RESUMED)
                finally:
                    load.stop.set()
                    for thread in threads:
                        thread.join(timeout=60)
                delivering = time.monotonic()
                sweeps = sweep_until_delivered(spare, database)
                timings["outboxes empty after the load (s)"] = time.monotonic() - delivering
                check_nothing_lost_nothing_twice(spare, database, load)
            celery_app.control.purge()

    bad = [a for a in load.answers if not (a.ok or a.clean_refusal)]
    assert not bad, [(a.kind, a.status, a.body[:300]) for a in bad[:5]]
    # The first write sent after the kill that succeeded: from the kill to its answer.
    writes_back = min(a.at for a in load.answers if a.sent > killed_at and a.ok and a.kind in {"demand", "referral"})
    resumed = writes_back - killed_at
    assert resumed < RESUME_LIMIT
    before = [a for a in load.answers if a.at < killed_at]
    assert sum(a.ok for a in before if a.kind == "referral") >= REFERRALS_BEFORE_KILL
    assert any(a.status == 503 for a in load.answers), "no request met the outage: the test proved nothing"
    timings["writes resumed after kill (s)"] = resumed
    timings["total (s)"] = time.monotonic() - started
    print(
        f"\nfailover: {Counter((a.kind, a.status) for a in load.answers)}; "
        f"{len(load.demands)} demands and {len(load.referrals)} referrals committed, none lost; "
        f"{sweeps} sweeps; {timings}"
    )


@contextlib.contextmanager
def redis_server(folder: Path, port: int) -> Iterator[subprocess.Popen]:
    """A throwaway Redis with no persistence (what it holds is lost when it is killed, as a broker's crash without
    AOF); killed afterwards if the test has not killed it already."""
    with (folder / f"redis-{port}.log").open("a", encoding="utf-8") as log:
        process = subprocess.Popen(
            ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=folder,
        )
    try:
        deadline = time.monotonic() + 20
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            if time.monotonic() > deadline or process.poll() is not None:
                pytest.fail(f"redis-server on port {port} did not start")
            time.sleep(0.1)
        yield process
    finally:
        process.kill()
        process.wait(timeout=20)


def test_a_broker_restart_loses_no_message_and_refuses_no_request(city, tmp_path):
    """The broker (a Redis without persistence) is killed with SIGKILL under load and started again empty: requests
    go on succeeding meanwhile (queueing after the commit may fail: the outbox keeps the message), and the outbox
    sweep delivers what the broker lost, each message once."""
    timings: dict[str, float] = {}
    started = time.monotonic()
    broker = f"redis://127.0.0.1:{BROKER_PORT}/0"
    web_log = tmp_path / "gunicorn.log"
    with clusters.workspace() as root, clusters.primary(root) as main:
        database = clusters.load_test_database(main)
        url = main.url(database)
        setup = json.loads(clusters.run_django(SETUP, url))
        env = {
            "DATABASE_URL": url,
            "CELERY_BROKER_URL": broker,
            # The throttles' counts stay on the suite's Redis: this test is about the broker.
            "STATIONNET_CACHE_URL": settings.CACHE_URL,
            "STATIONNET_API_RATE_USER": RATES,
            "STATIONNET_API_RATE_ADDRESS": RATES,
            "STATIONNET_MESSAGE_REQUEUE_SECONDS": "3",
        }
        with redis_server(tmp_path, BROKER_PORT) as first, working(tmp_path, **env), serving(tmp_path, **env) as port:
            timings[UP] = time.monotonic() - started
            load = Load(port=port, setup=setup)
            thread = threading.Thread(target=load.referrals_loop, daemon=True)
            try:
                thread.start()
                wait_for_referrals(load, REFERRALS_BEFORE_KILL, web_log)
                first.kill()  # SIGKILL
                first.wait(timeout=20)
                killed_at = time.monotonic()
                wait_for_referrals(load, REFERRALS_BEFORE_KILL + 3, web_log)  # created while the broker is away
                timings["broker away (s)"] = time.monotonic() - killed_at
                with redis_server(tmp_path, BROKER_PORT):
                    restarted_at = time.monotonic()
                    wait_for_referrals(load, REFERRALS_BEFORE_KILL + 6, web_log)
                    load.stop.set()
                    thread.join(timeout=60)
                    with celery_app.connection_for_write(broker) as connection:
                        sweeps = sweep_until_delivered(main, database, connection=connection)
                    timings["delivered after restart (s)"] = time.monotonic() - restarted_at
                    check_nothing_lost_nothing_twice(main, database, load)
            finally:
                load.stop.set()
                thread.join(timeout=60)

    during = [a for a in load.answers if killed_at < a.at < restarted_at]
    assert during and all(a.ok for a in during), Counter((a.kind, a.status) for a in during)
    bad = [a for a in load.answers if not a.ok]
    assert not bad, [(a.kind, a.status, a.body[:300]) for a in bad[:5]]
    timings["total (s)"] = time.monotonic() - started
    print(
        f"\nbroker restart: {Counter((a.kind, a.status) for a in load.answers)}; {len(load.referrals)} referrals, "
        f"{len(during)} answers while the broker was away, {sweeps} sweeps; {timings}"
    )


def wait_for_referrals(load: Load, count: int, log: Path) -> None:
    deadline = time.monotonic() + WARM_UP_LIMIT
    while len(load.referrals) < count:
        if time.monotonic() > deadline:
            pytest.fail(f"{Counter((a.kind, a.status) for a in load.answers)}\n{log.read_text()[-5000:]}")
        time.sleep(0.2)
