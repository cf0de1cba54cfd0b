"""Committed work from inside a test: a test's own connection sits in a transaction that is rolled back, invisible to
the processes under test (a web server, a Celery worker). Work done here commits, on a connection of its own."""

from concurrent.futures import ThreadPoolExecutor

import psycopg2
from django.db import connections

from tests.processes import database_url


def set_status(station_id: int, status: str) -> None:
    """Set a station's status, committed."""
    with psycopg2.connect(database_url()) as db, db.cursor() as cursor:
        cursor.execute("UPDATE tenants_station SET status = %s WHERE id = %s", [status, station_id])
    db.close()


def committed(function, *args):
    """Run `function` on this thread's own connection (autocommit: other processes see what it writes), closing the
    thread's connections afterwards."""
    try:
        return function(*args)
    finally:
        connections.close_all()


def on_own_connection(function, *args):
    """Run ORM work in a thread of its own (Django's connections are per thread; Playwright's event loop also refuses
    database work next to it): its connection commits, and sees what other processes committed."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(committed, function, *args).result()
