"""Out-of-process parts started by tests (a Celery worker, a web server), against the test database."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from stationnet.database_url import database_url as database_settings_url

REPO_ROOT = Path(__file__).resolve().parents[1]


def database_url() -> str:
    """A DATABASE_URL for the test database (every host of a multi-host one, and its options)."""
    return database_settings_url(connection.settings_dict)


@contextlib.contextmanager
def running(args: list[str], log_path: Path, **env: str) -> Iterator[subprocess.Popen]:
    """Run `python -m <args>` from the repository root with the test database; its output goes to `log_path`."""
    environment = {**os.environ, "DATABASE_URL": database_url(), **env}
    with log_path.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", *args],
            cwd=REPO_ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so that its children (gunicorn's workers) stop too
        )
        try:
            yield process
        finally:
            stop_group(process)


def stop_group(process: subprocess.Popen) -> None:
    """Stop the process and all its children, so none keeps a connection to the test database."""
    for sig, grace in ((signal.SIGTERM, 20), (signal.SIGKILL, 5)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            try:
                os.killpg(process.pid, 0)
            except ProcessLookupError:
                process.wait()
                return
            process.poll()
            time.sleep(0.1)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def serving(folder: Path, port: int | None = None, **env: str) -> Iterator[int]:
    """gunicorn on `port` or a free one (with `env` over the test database's settings); yields the port once /healthz
    answers."""
    port = port or free_port()
    log = folder / "gunicorn.log"
    command = ["gunicorn", "stationnet.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", "2"]
    with running(command, log, **{**env, "STATIONNET_URL_PORT": str(port)}) as process:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):  # noqa: S310  (our own server)
                    break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    pytest.fail(f"web server did not start:\n{log.read_text()}")
                time.sleep(0.3)
        yield port


@dataclass
class Worker:
    mail_dir: Path
    log: Path
    # The worker's main process; its process group holds its pool's children too (a fault test kills the group).
    process: subprocess.Popen | None = None


@contextlib.contextmanager
def working(
    folder: Path,
    *,
    concurrency: int | None = None,
    queues: list[str] | None = None,
    include: list[str] | None = None,
    **env: str,
) -> Iterator[Worker]:
    """A Celery worker: one process (solo pool) by default, or a prefork pool of `concurrency` children; consuming
    every queue (settings.WORKER_QUEUES) or only `queues` (their keys, such as "bulk"); importing the task modules
    `include` too (a test's own tasks)."""
    names = [settings.WORKER_QUEUES[key] for key in (queues or settings.WORKER_QUEUES)]
    worker = Worker(mail_dir=folder / "mail", log=folder / "worker.log")
    pool = ["--pool", "solo"] if concurrency is None else ["--pool", "prefork", "--concurrency", str(concurrency)]
    command = ["celery", "-A", "stationnet", "worker", *pool, "--loglevel", "INFO", "-Q", ",".join(names)]
    command += [argument for module in include or [] for argument in ("--include", module)]
    backend = "django.core.mail.backends.filebased.EmailBackend"
    with running(
        command, worker.log, DJANGO_EMAIL_BACKEND=backend, DJANGO_EMAIL_FILE_PATH=str(worker.mail_dir), **env
    ) as process:
        worker.process = process
        yield worker
