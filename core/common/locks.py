"""One run at a time: a PostgreSQL advisory lock, tried once and never waited for.

A session lock, not a transaction one: a beat sweep spans many transactions (one per schema). It dies with its
connection, so a worker killed mid-run never holds it after its connection is gone (PostgreSQL ends the session when
the socket closes; a hung worker holds it until its connection is ended). Keys live in the two-int space
(`pg_try_advisory_lock(int, int)`) under one class of their own, apart from the single-key locks used elsewhere.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DatabaseError, connection

logger = logging.getLogger(__name__)

RUN_LOCK_CLASS = 0x5357_5250  # "SWRP": the first key of every lock taken here


@contextmanager
def run_lock(name: str) -> Iterator[bool]:
    """Try the lock `name` on the default connection: yields True when taken (it is released on leaving), False when
    another session holds it (nothing to release)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, hashtext(%s))", [RUN_LOCK_CLASS, name])
        taken = cursor.fetchone()[0]
    try:
        yield taken
    finally:
        if taken:
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s, hashtext(%s))", [RUN_LOCK_CLASS, name])
            except DatabaseError:
                # The connection broke during the run: the lock ends with its session (Django drops an unusable
                # connection after the task), and the run's own error is the one to see.
                logger.warning("run lock %s not released: its connection is unusable", name)
