"""A run lock (`core.common.locks.run_lock`) held by another database session, as by another worker's run."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connections

from core.common.locks import RUN_LOCK_CLASS


@contextmanager
def held_elsewhere(name: str) -> Iterator[None]:
    other = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s, hashtext(%s))", [RUN_LOCK_CLASS, name])
            assert cursor.fetchone()[0], f"{name} is held already"
        yield
    finally:
        # Released before closing: a session's locks go a moment after its socket closes, not at once.
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, hashtext(%s))", [RUN_LOCK_CLASS, name])
        other.close()
