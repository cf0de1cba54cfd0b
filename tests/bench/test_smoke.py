"""The benchmarks still run: each one's smoke run (tiny sizes, in its own database on the test database's server,
through the configured broker and a real worker where it uses them), as `bench/README.md` describes. Nothing here is
timed: the figures of `docs/performance.md` come from full runs by hand."""

import os
import subprocess
import sys
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.processes import REPO_ROOT, database_url

# Each benchmark with its smoke run's arguments; every one drops its database at the end.
SMOKE_RUNS = {
    "directory": ["bench/directory.py", "--smoke", "--drop"],
    "referrals": ["bench/referrals.py", "--smoke", "--drop"],
    "stats": ["bench/stats.py", "--smoke", "--drop"],
    "onboarding": ["bench/onboarding.py", "--smoke", "--drop"],
    "migrations": ["bench/migrations.py", "--smoke", "--stations", "5", "--drop"],
    "spares": ["bench/spares.py", "--smoke", "--drop"],
    "sweeps": ["bench/sweeps.py", "--smoke", "--drop"],
}


@pytest.mark.parametrize("name", SMOKE_RUNS)
def test_the_benchmark_runs_its_smoke_run(name, tmp_path):
    # The benchmark drops and makes its own database: one whose name says so, on the test database's server.
    url = urlsplit(database_url())
    bench_url = urlunsplit(url._replace(path=f"/stationnet_bench_smoke_{name}"))
    environment = {
        **os.environ,
        "DATABASE_URL": bench_url,
        "DJANGO_SECRET_KEY": "bench-smoke",
        "STATIONNET_CELERY_QUEUE": f"bench_smoke_{name}",
    }
    arguments = [*SMOKE_RUNS[name], "--json", str(tmp_path / "figures.json")]
    if name in ("referrals", "stats"):
        arguments += ["--worker-log", str(tmp_path / "worker.log")]
    result = subprocess.run(  # noqa: S603  (our own benchmark, fixed arguments)
        [sys.executable, *arguments],
        cwd=REPO_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=540,
        check=False,
    )
    assert result.returncode == 0, f"{name}: exit {result.returncode}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    assert (tmp_path / "figures.json").stat().st_size > 0, "the run wrote its figures"
