"""A task that stands for a long export, for the queue tests: imported by their worker (`--include`)."""

import time
from pathlib import Path

from celery import shared_task


@shared_task
def slow_export_task(*, folder: str, seconds: int = 60) -> None:
    """Says it started, then runs until the test lets it finish (or `seconds` pass). Named like an export, so it is
    routed as one (settings.CELERY_TASK_ROUTES)."""
    here = Path(folder)
    (here / "started").touch()
    deadline = time.monotonic() + seconds
    while not (here / "finish").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    (here / "finished").touch()
