"""Reads of the read models from a replica, by app and by view, never by hand (issue 21, item 2).

The city statistics, the referral matrix and the open data read from the ``replica`` database when one is configured
(``DATABASE_REPLICA_URL``), but only while a view marked for it runs (`ReplicaReadsMixin`, `replica_reads_view`) and
only for the models named in ``DATABASE_REPLICA_MODELS``: everything else, and every write, stays on the primary.
Before the first replica read of a request the replica is checked once (reachable, its lag); one that is down or more
than ``DATABASE_REPLICA_MAX_LAG`` seconds behind makes the whole request read the primary. The verdict is kept a few
seconds per process so that a down replica does not cost every request a connect timeout. The page or API answer says
which it was and how fresh the figures are (`Freshness`).

A replica that stops after the check (within those seconds, or in the middle of a request) fails the reads sent to
it. A marked view that reads (GET, HEAD) and fails while the replica was its source is then run once more on the
primary, in the same request, when the replica does not answer a new check (`_run_marked`); the failed attempt ran
in a transaction of the primary, so whatever it wrote (the log of a look at a case list) is rolled back, not written
twice. Any other error is the request's own and goes on to the 503 page or JSON (stationnet.database_errors).

This module knows no app: the models are named in settings, and raw SQL asks `read_connection(model)` for its
connection.
"""

import contextvars
import datetime
import functools
import logging
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, router, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

REPLICA = "replica"
# Requests whose view may run a second time on the primary after the replica failed it.
READ_METHODS = frozenset({"GET", "HEAD"})
# How long a process trusts its last check of the replica, good or bad (seconds).
CHECK_CACHE_SECONDS = 5.0

SOURCE_REPLICA = "replica"
SOURCE_PRIMARY = "primary"
SOURCE_FALLBACK = "primary-fallback"

CHECK_SQL = (
    "SELECT now(), pg_is_in_recovery(), "
    "COALESCE(pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn(), false), "
    "EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())"
)


@dataclass(frozen=True)
class Freshness:
    """Where a request's figures came from, and as of when: the replica with its lag, the primary because no replica
    is configured, or the primary because the replica was down (`lag` None) or too far behind."""

    source: str
    as_of: datetime.datetime
    lag: float | None = None

    @property
    def text(self) -> str:
        if self.source == SOURCE_REPLICA:
            return _("Figures from the read-only replica, as of %(time)s (%(lag)s s behind)") % {
                "time": formats.time_format(timezone.localtime(self.as_of), "H:i:s"),
                "lag": round(self.lag or 0),
            }
        if self.source == SOURCE_FALLBACK and self.lag is not None:
            return _("The read-only replica is %(lag)s s behind; the figures were read from the primary") % {
                "lag": round(self.lag)
            }
        if self.source == SOURCE_FALLBACK:
            return _("The read-only replica is unavailable; the figures were read from the primary")
        return _("Live figures (primary database)")

    def headers(self) -> dict[str, str]:
        """The API's account of the same: ``X-Data-Source``, ``X-Data-As-Of`` (ISO 8601, Beijing time) and, from the
        replica, ``X-Data-Lag`` (whole seconds)."""
        headers = {
            "X-Data-Source": self.source,
            "X-Data-As-Of": timezone.localtime(self.as_of).isoformat(timespec="seconds"),
        }
        if self.source == SOURCE_REPLICA:
            headers["X-Data-Lag"] = str(round(self.lag or 0))
        return headers


class ReplicaReads:
    """One marked request: its verdict, taken once, before its first replica read (or when the page shows it)."""

    def __init__(self) -> None:
        self.verdict: Freshness | None = None

    def decide(self) -> Freshness:
        if self.verdict is None:
            self.verdict = replica_verdict()
        return self.verdict

    @property
    def freshness(self) -> Freshness:
        """The verdict for the page (taken now if no read needed it yet, so that later reads follow it)."""
        return self.decide()

    def answered(self) -> Freshness:
        """The verdict for an answer's headers: no replica read taken means the primary answered, live."""
        return self.verdict or Freshness(SOURCE_PRIMARY, timezone.now())


logger = logging.getLogger(__name__)
_current: contextvars.ContextVar[ReplicaReads | None] = contextvars.ContextVar("replica_reads", default=None)
_cache: dict[str, tuple[float, Freshness]] = {}
_cache_lock = threading.Lock()


def replica_configured() -> bool:
    return REPLICA in connections.settings


def replica_max_lag() -> float:
    return float(getattr(settings, "DATABASE_REPLICA_MAX_LAG", 5))


def _check() -> Freshness:
    """Ask the replica where it stands. Not in recovery (a mirror, or a promoted standby) or caught up with what it
    received: lag 0. Otherwise the lag is the age of the last transaction it replayed; unknown counts as too far."""
    try:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute(CHECK_SQL)
            now, in_recovery, caught_up, lag = cursor.fetchone()
    except DatabaseError:
        connections[REPLICA].close_if_unusable_or_obsolete()
        return Freshness(SOURCE_FALLBACK, timezone.now())
    if not in_recovery or caught_up:
        return Freshness(SOURCE_REPLICA, now, 0.0)
    if lag is None:  # nothing replayed since it started: how far behind is unknown
        return Freshness(SOURCE_FALLBACK, timezone.now())
    lag = max(float(lag), 0.0)
    if lag > replica_max_lag():
        return Freshness(SOURCE_FALLBACK, timezone.now(), lag)
    return Freshness(SOURCE_REPLICA, now - datetime.timedelta(seconds=lag), lag)


def replica_verdict() -> Freshness:
    """Whether reads go to the replica now, from this process's last check when it is recent enough."""
    if not replica_configured():
        return Freshness(SOURCE_PRIMARY, timezone.now())
    with _cache_lock:
        cached = _cache.get(REPLICA)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        verdict = _check()
        _cache[REPLICA] = (time.monotonic() + CHECK_CACHE_SECONDS, verdict)
        return verdict


def replica_verdict_forget() -> None:
    """Drop the cached verdict (the next marked read checks the replica again)."""
    with _cache_lock:
        _cache.clear()


@contextmanager
def replica_reads():
    """Mark the code inside as a read-model view: the router may send its reads of the replica's models there."""
    reads = ReplicaReads()
    token = _current.set(reads)
    try:
        yield reads
    finally:
        _current.reset(token)


def current_replica_reads() -> ReplicaReads | None:
    return _current.get()


def _finish(response, reads: ReplicaReads):
    # A template response renders after the view returns, outside the mark: render it inside, so that its lazy
    # reads are routed like the view's.
    if callable(getattr(response, "render", None)) and not getattr(response, "is_rendered", True):
        response.render()
    for name, value in reads.answered().headers().items():
        response[name] = value
    return response


def _replica_failed(reads: ReplicaReads, request) -> bool:
    """Whether the error a marked request just met was the replica's: the request read there, only reads, and the
    replica does not answer a new check. Its verdict is then kept for the next requests too."""
    if reads.verdict is None or reads.verdict.source != SOURCE_REPLICA or request.method not in READ_METHODS:
        return False
    connections[REPLICA].close_if_unusable_or_obsolete()
    verdict = _check()
    if verdict.source == SOURCE_REPLICA:
        return False
    with _cache_lock:
        _cache[REPLICA] = (time.monotonic() + CHECK_CACHE_SECONDS, verdict)
    return True


def _run_marked(request, respond):
    """`respond()` (the view) with its reads of the read models routed; once more on the primary if the replica
    failed it (see the module's docstring)."""
    if not replica_configured():
        with replica_reads() as reads:
            return _finish(respond(), reads)
    with replica_reads() as reads:
        try:
            with transaction.atomic(using=DEFAULT_DB_ALIAS):
                return _finish(respond(), reads)
        except DatabaseError:
            if not _replica_failed(reads, request):
                raise
            logger.warning("The replica failed %s %s; answered from the primary", request.method, request.path)
    with replica_reads() as reads:
        reads.verdict = replica_verdict()
        return _finish(respond(), reads)


class ReplicaReadsMixin:
    """A class-based view (Django or DRF) whose reads of the read models may go to the replica."""

    def dispatch(self, request, *args, **kwargs):
        return _run_marked(request, lambda: super(ReplicaReadsMixin, self).dispatch(request, *args, **kwargs))


def replica_reads_view(view):
    """The same for a function view."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        return _run_marked(request, lambda: view(request, *args, **kwargs))

    return wrapped


def data_freshness(request) -> dict:
    """Context processor: ``data_freshness`` (a `ReplicaReads`) on the pages of marked views, else nothing."""
    reads = current_replica_reads()
    return {"data_freshness": reads} if reads is not None else {}


def _routed(model) -> bool:
    names = getattr(settings, "DATABASE_REPLICA_MODELS", ())
    meta = model._meta
    return meta.app_label in names or meta.label_lower in names


class ReplicaRouter:
    """After django-tenants' router: reads of the read models go to the replica inside marked views while it is
    fit; nothing is ever written to or migrated on it."""

    def db_for_read(self, model, **hints):
        reads = _current.get()
        if reads is None or not replica_configured() or not _routed(model):
            return None
        if reads.decide().source != SOURCE_REPLICA:
            return DEFAULT_DB_ALIAS
        replica = connections[REPLICA]
        # The replica reads in the schema the request is in (public tables are found from every schema).
        default = connections[DEFAULT_DB_ALIAS]
        tenant = getattr(default, "tenant", None)
        if tenant is not None and getattr(replica, "schema_name", None) != default.schema_name:
            replica.set_tenant(tenant)
        return REPLICA

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS if replica_configured() else None

    def allow_relation(self, obj1, obj2, **hints):
        if {obj1._state.db, obj2._state.db} <= {DEFAULT_DB_ALIAS, REPLICA}:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return False if db == REPLICA else None


def read_connection(model):
    """The connection raw SQL over `model`'s table reads through: the one the router picks for it."""
    return connections[router.db_for_read(model)]
