"""A "replica" database alias for the tests of one module, as `DATABASE_REPLICA_URL` makes one: the test database
itself over a second connection (what `TEST: {"MIRROR": "default"}` gives a test run, so Django's test case wraps
no transaction around it), or, for one test, another server (`replica_elsewhere`): a closed port, a server that never
answers, a real standby (tests/clusters.py).

Django's test case refuses connections to aliases the test does not name, so the alias must exist before the test's
database fixture: a module-scoped fixture makes it (`replica_alias`) and the module's tests name it
(`REPLICA_TESTS`). It is removed, its connection closed and the per-process verdict forgotten afterwards, even on
failure.
"""

import contextlib
import copy
import socket
from collections.abc import Iterator

import pytest
from django.db import DEFAULT_DB_ALIAS, connections

from core.common.replica import REPLICA, SOURCE_REPLICA, replica_verdict, replica_verdict_forget

REPLICA_TESTS = pytest.mark.django_db(databases=[DEFAULT_DB_ALIAS, REPLICA])


def _drop_connection() -> None:
    with contextlib.suppress(Exception):
        connections[REPLICA].close()
    with contextlib.suppress(AttributeError):
        del connections[REPLICA]
    replica_verdict_forget()


@contextlib.contextmanager
def replica_alias() -> Iterator[None]:
    database = copy.deepcopy(connections[DEFAULT_DB_ALIAS].settings_dict)
    database["OPTIONS"] = {**database.get("OPTIONS", {}), "connect_timeout": 1}
    database["TEST"] = {**database.get("TEST", {}), "MIRROR": DEFAULT_DB_ALIAS}
    connections.settings[REPLICA] = database
    replica_verdict_forget()
    try:
        yield
    finally:
        _drop_connection()
        connections.settings.pop(REPLICA, None)


@contextlib.contextmanager
def _swapped(database: dict | None, *, forget: bool = True) -> Iterator[None]:
    """The alias's settings replaced by `database` (None: no replica) for the block. The test's own connection (which
    holds the test case's transaction) is put aside and back, never closed. The process's verdict on the replica is
    forgotten at the start (unless not `forget`) and at the end."""
    original, saved = connections[REPLICA], connections.settings[REPLICA]
    del connections[REPLICA]
    if database is None:
        del connections.settings[REPLICA]
    else:
        connections.settings[REPLICA] = database
    if forget:
        replica_verdict_forget()
    try:
        yield
    finally:
        if REPLICA in connections.settings:
            with contextlib.suppress(Exception):
                connections[REPLICA].close()
        connections.settings[REPLICA] = saved
        connections[REPLICA] = original
        replica_verdict_forget()


def replica_elsewhere(**changes):
    """The alias pointed at another server (`HOST`, `PORT`, `NAME`) for the block, then back at the test database."""
    return _swapped({**copy.deepcopy(connections.settings[REPLICA]), **changes})


@contextlib.contextmanager
def replica_stops_after_check() -> Iterator[None]:
    """The replica answers this process's check, then stops (its port closed) while that verdict is still trusted: what
    a replica that dies within `CHECK_CACHE_SECONDS` of a check, or in the middle of a request, does to the reads."""
    replica_verdict_forget()
    assert replica_verdict().source == SOURCE_REPLICA
    with _swapped({**copy.deepcopy(connections.settings[REPLICA]), "PORT": closed_port()}, forget=False):
        yield


def without_replica():
    """No replica configured for the block."""
    return _swapped(None)


def closed_port() -> int:
    """A local port nobody listens on (connecting is refused at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def silent_server() -> Iterator[int]:
    """A local port that accepts connections and never says a word: a replica whose host hangs, which only the
    connect timeout ends."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield sock.getsockname()[1]
