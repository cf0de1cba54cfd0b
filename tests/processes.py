"""Out-of-process parts started by tests (a Celery worker, a web server), against the test database."""

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from tests.conftest import database_url

REPO_ROOT = Path(__file__).resolve().parents[1]


@contextlib.contextmanager
def running(args: list[str], log_path: Path, **env: str) -> Iterator[subprocess.Popen]:
    """Run `python -m <args>` from the repository root with the test database; its output goes to `log_path`."""
    environment = {**os.environ, "DATABASE_URL": database_url(), **env}
    with log_path.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", *args], cwd=REPO_ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
