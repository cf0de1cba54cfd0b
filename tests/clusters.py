"""Throwaway PostgreSQL clusters for fault tests: a primary with WAL archiving, streaming standbys, promotion,
hard stops and point-in-time restores, all cleaned up by context managers.

    with clusters.primary(root) as main:               # initdb + start; WAL archived to main.archive_dir
        name = clusters.load_test_database(main)       # pg_dump of the current test database, loaded into it
        with clusters.standby(main, root) as spare:    # pg_basebackup -R, streaming from `main`
            url = clusters.multi_host_url([main, spare], name)
            main.kill()                                # pg_ctl stop -m immediate: as if the machine died
            spare.promote()

`root` must be a folder the `postgres` OS user can reach (not pytest's tmp_path, which is private to root): use
`clusters.workspace()`. PostgreSQL refuses to run as root, so every server-side binary runs as `postgres`. The
binaries are those of the test server's major version (`bin_dir`); missing ones fail the test loudly: a fault test
that skips proves nothing.
"""

import contextlib
import functools
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.db import connection

OS_USER = "postgres"
SUPERUSER = "postgres"


@functools.cache
def bin_dir() -> Path:
    """The PostgreSQL server programs of the test server's major version (a physical copy needs one major version, and
    pg_dump refuses a newer server): `core.common.pg_tools`, which honours $STATIONNET_PG_BIN."""
    from core.common.pg_tools import pg_bin_dir

    try:
        return pg_bin_dir("postgres")
    except FileNotFoundError as error:
        pytest.fail(str(error))


def _binary(name: str) -> str:
    path = bin_dir() / name
    if not path.exists():
        pytest.fail(f"PostgreSQL binary {path} is missing: install it or set STATIONNET_PG_BIN")
    return str(path)


def _as_postgres(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    """Run a server-side binary as the `postgres` OS user (when we are root), failing the test with its output."""
    prefix = ["runuser", "-u", OS_USER, "--"] if os.geteuid() == 0 else []
    result = subprocess.run(
        [*prefix, *args], capture_output=True, text=True, check=False, timeout=kwargs.pop("timeout", 180), **kwargs
    )
    if result.returncode != 0:
        pytest.fail(f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


def _chown(path: Path) -> None:
    if os.geteuid() == 0:
        user = pwd.getpwnam(OS_USER)
        os.chown(path, user.pw_uid, user.pw_gid)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def workspace(prefix: str = "stationnet-pg-", parent: str | None = None) -> Iterator[Path]:
    """A fresh folder owned by `postgres` (under `parent`, else $STATIONNET_CLUSTERS_DIR, else the temporary
    folder), removed afterwards."""
    parent = parent or os.environ.get("STATIONNET_CLUSTERS_DIR") or None
    if parent:
        Path(parent).mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    root.chmod(0o755)
    _chown(root)
    try:
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


@dataclass
class Cluster:
    """One running (or stopped) PostgreSQL server: its data folder, port and WAL archive."""

    data_dir: Path
    port: int
    archive_dir: Path
    log: Path

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def url(self, database: str = "postgres") -> str:
        return f"postgres://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run `sql` and return its unaligned, tuples-only output (fails the test on an error)."""
        result = subprocess.run(
            [_binary("psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", SUPERUSER, "-d", database,
             "-v", "ON_ERROR_STOP=1", "-Atc", sql],
            capture_output=True, text=True, check=False, timeout=120,
        )  # fmt: skip
        if result.returncode != 0:
            pytest.fail(f"psql on port {self.port} failed: {sql}\n{result.stderr}")
        return result.stdout.strip()

    def configure(self, **settings: str) -> None:
        """ALTER SYSTEM each setting (values quoted as PostgreSQL wants them) and reload the configuration."""
        for key, value in settings.items():
            self.psql(f"ALTER SYSTEM SET {key} = {value}")
        self.psql("SELECT pg_reload_conf()")

    def is_running(self) -> bool:
        return (self.data_dir / "postmaster.pid").exists()

    def start(self) -> None:
        _as_postgres([_binary("pg_ctl"), "start", "-w", "-t", "60", "-D", str(self.data_dir), "-l", str(self.log)])

    def stop(self) -> None:
        """A clean, fast shutdown (no-op when already stopped)."""
        if self.is_running():
            _as_postgres([_binary("pg_ctl"), "stop", "-w", "-m", "fast", "-D", str(self.data_dir)])

    def kill(self) -> None:
        """Stop hard (`-m immediate`): no checkpoint, clients cut off; what a crashed machine looks like."""
        if self.is_running():
            _as_postgres([_binary("pg_ctl"), "stop", "-w", "-m", "immediate", "-D", str(self.data_dir)])

    def promote(self) -> None:
        """Make a standby the read-write primary; returns once it accepts writes."""
        _as_postgres([_binary("pg_ctl"), "promote", "-w", "-t", "60", "-D", str(self.data_dir)])
        deadline = time.monotonic() + 60
        while self.psql("SELECT pg_is_in_recovery()") != "f":
            if time.monotonic() > deadline:
                pytest.fail(f"the standby on port {self.port} did not leave recovery")
            time.sleep(0.2)

    def switch_wal(self) -> None:
        """Close the current WAL segment so that it is archived now, and wait until it is."""
        segment = self.psql("SELECT pg_walfile_name(pg_switch_wal())")
        deadline = time.monotonic() + 60
        while not (self.archive_dir / segment).exists():
            if time.monotonic() > deadline:
                pytest.fail(f"WAL segment {segment} was not archived:\n{self.log.read_text()[-3000:]}")
            time.sleep(0.2)


def _configure(data_dir: Path, port: int, archive_dir: Path, extra: dict[str, str]) -> None:
    settings = {
        "port": str(port),
        "listen_addresses": "'127.0.0.1'",
        "unix_socket_directories": f"'{data_dir}'",
        "wal_level": "replica",
        "max_wal_senders": "10",
        "max_replication_slots": "10",
        "hot_standby": "on",
        "archive_mode": "on",
        "archive_command": f"'test ! -f {archive_dir}/%f && cp %p {archive_dir}/%f'",
        "archive_timeout": "0",
        "fsync": "off",  # throwaway clusters: a hard stop of the *server* keeps the OS cache, so no data is lost
        "max_connections": "200",
        "max_locks_per_transaction": "256",
        "shared_buffers": "64MB",
        "logging_collector": "off",
        **extra,
    }
    with (data_dir / "postgresql.auto.conf").open("a", encoding="utf-8") as conf:
        conf.writelines(f"{key} = {value}\n" for key, value in settings.items())


def _hba(data_dir: Path) -> None:
    (data_dir / "pg_hba.conf").write_text(
        "local all all trust\n"
        "host all all 127.0.0.1/32 trust\n"
        "host replication all 127.0.0.1/32 trust\n"
        "local replication all trust\n",
        encoding="utf-8",
    )


@contextlib.contextmanager
def primary(root: Path, *, port: int | None = None, name: str = "primary", **settings: str) -> Iterator[Cluster]:
    """initdb and start a primary under `root/name` archiving its WAL to `root/name-archive`; stopped hard and
    deleted afterwards. `settings` are extra postgresql.conf lines (values as PostgreSQL wants them, quoted)."""
    data_dir, archive_dir = root / name, root / f"{name}-archive"
    for folder in (data_dir, archive_dir):
        folder.mkdir(mode=0o700)
        _chown(folder)
    port = port or free_port()
    env = {**os.environ, "LC_ALL": "C.UTF-8"}  # UTF-8 character classes, as the embedded cluster (pg_trgm, Chinese)
    _as_postgres([_binary("initdb"), "-D", str(data_dir), "-U", SUPERUSER, "-E", "UTF8", "--no-sync"], env=env)
    _configure(data_dir, port, archive_dir, settings)
    _hba(data_dir)
    cluster = Cluster(data_dir=data_dir, port=port, archive_dir=archive_dir, log=root / f"{name}.log")
    _chown_file(cluster.log)
    try:
        cluster.start()
        yield cluster
    finally:
        _cleanup(cluster)


def _chown_file(path: Path) -> None:
    path.touch()
    _chown(path)


def _cleanup(cluster: Cluster) -> None:
    with contextlib.suppress(BaseException):
        cluster.kill()
    if cluster.is_running():  # pg_ctl failed: kill the postmaster by the pid it wrote
        with contextlib.suppress(Exception):
            pid = int((cluster.data_dir / "postmaster.pid").read_text().split()[0])
            os.kill(pid, 9)
    shutil.rmtree(cluster.data_dir, ignore_errors=True)


@contextlib.contextmanager
def standby(source: Cluster, root: Path, *, port: int | None = None, name: str = "standby") -> Iterator[Cluster]:
    """A streaming standby of `source` (pg_basebackup -R), started and caught up; stopped hard and deleted
    afterwards. It archives to its own `root/name-archive` once promoted."""
    data_dir, archive_dir = root / name, root / f"{name}-archive"
    archive_dir.mkdir(mode=0o700)
    _chown(archive_dir)
    _as_postgres([
        _binary("pg_basebackup"), "-h", "127.0.0.1", "-p", str(source.port), "-U", SUPERUSER,
        "-D", str(data_dir), "-R", "-X", "stream", "-c", "fast", "--no-sync",
    ])  # fmt: skip
    port = port or free_port()
    # The copied configuration names the source's port and archive; the later lines of the auto.conf win.
    _configure(data_dir, port, archive_dir, {})
    cluster = Cluster(data_dir=data_dir, port=port, archive_dir=archive_dir, log=root / f"{name}.log")
    _chown_file(cluster.log)
    try:
        cluster.start()
        wait_caught_up(source, cluster)
        yield cluster
    finally:
        _cleanup(cluster)


def wait_caught_up(source: Cluster, replica: Cluster, timeout: float = 60) -> None:
    """Wait until `replica` has replayed everything `source` had written when called."""
    target = source.psql("SELECT pg_current_wal_lsn()")
    deadline = time.monotonic() + timeout
    while replica.psql(f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn") != "t":
        if time.monotonic() > deadline:
            pytest.fail(f"the standby on port {replica.port} did not catch up:\n{replica.log.read_text()[-3000:]}")
        time.sleep(0.2)


def base_backup(source: Cluster, target: Path) -> Path:
    """A physical base backup of `source` into the new folder `target` (WAL fetched with it)."""
    _as_postgres([
        _binary("pg_basebackup"), "-h", "127.0.0.1", "-p", str(source.port), "-U", SUPERUSER,
        "-D", str(target), "-X", "fetch", "-c", "fast", "--no-sync",
    ])  # fmt: skip
    return target


@contextlib.contextmanager
def restored(
    backup: Path, archive_dir: Path, root: Path, *, target_name: str, port: int | None = None, name: str = "restored"
) -> Iterator[Cluster]:
    """A copy of the base backup `backup` recovered from `archive_dir` up to the restore point `target_name` by
    bin/pitr-restore (the operators' script), started and promoted; stopped hard and deleted afterwards."""
    data_dir = root / name
    script = Path(__file__).resolve().parents[1] / "bin" / "pitr-restore"
    result = subprocess.run(
        [str(script), str(backup), str(archive_dir), str(data_dir), "--name", target_name],
        capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    if result.returncode != 0:
        pytest.fail(f"bin/pitr-restore failed:\n{result.stdout}\n{result.stderr}")
    port = port or free_port()
    with (data_dir / "postgresql.auto.conf").open("a", encoding="utf-8") as conf:
        conf.write(f"port = {port}\nunix_socket_directories = '{data_dir}'\n")
    cluster = Cluster(data_dir=data_dir, port=port, archive_dir=archive_dir, log=root / f"{name}.log")
    _chown_file(cluster.log)
    try:
        cluster.start()
        deadline = time.monotonic() + 120
        while cluster.psql("SELECT pg_is_in_recovery()") != "f":
            if time.monotonic() > deadline:
                pytest.fail(f"the restore did not finish:\n{cluster.log.read_text()[-3000:]}")
            time.sleep(0.2)
        yield cluster
    finally:
        _cleanup(cluster)


def load_test_database(cluster: Cluster, name: str | None = None) -> str:
    """Copy the current (test) database into `cluster` with pg_dump | psql (much faster than migrating); returns
    the new database's name (the same as the source's unless `name`). The roles it needs are made first."""
    source = connection.settings_dict
    name = name or source["NAME"]
    cluster.psql(f'CREATE DATABASE "{name}"')
    env = {**os.environ}
    if source["PASSWORD"]:
        env["PGPASSWORD"] = source["PASSWORD"]
    dump_args = [_binary("pg_dump"), "--no-owner", "--no-privileges", "-d", source["NAME"], "-U", source["USER"]]
    if source["HOST"]:
        dump_args += ["-h", source["HOST"]]
    if source["PORT"]:
        dump_args += ["-p", str(source["PORT"])]
    restore_args = [_binary("psql"), "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", str(cluster.port),
                    "-U", SUPERUSER, "-d", name]  # fmt: skip
    with subprocess.Popen(dump_args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env) as dump:
        restore = subprocess.run(restore_args, stdin=dump.stdout, capture_output=True, check=False, timeout=300)
        dump.stdout.close()
        dump_errors = dump.stderr.read().decode()
        dump.wait(timeout=300)
    if dump.returncode != 0 or restore.returncode != 0:
        pytest.fail(f"copying the test database failed:\n{dump_errors}\n{restore.stderr.decode()[-3000:]}")
    return name


def multi_host_url(clusters: list[Cluster], database: str, **options: str) -> str:
    """A libpq multi-host DATABASE_URL over `clusters` (read-write session wanted unless `options` say otherwise)."""
    hosts = ",".join(cluster.host for cluster in clusters)
    query = {"target_session_attrs": "read-write", "connect_timeout": "2", **options}
    return f"postgres://{SUPERUSER}@{hosts}/{database}?" + "&".join(f"{k}={v}" for k, v in query.items())


def run_django(code: str, database_url: str, **env: str) -> str:
    """Run `code` (which calls django.setup() itself) in a child process on `database_url`, such as a cluster's copy
    of the test database, with `env` over the environment; its last line of output (fails the test on an error)."""
    environment = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "stationnet.settings", **env}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parents[1],
        env=environment,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(f"the child process on {database_url} failed:\n{result.stderr[-3000:]}")
    return result.stdout.strip().splitlines()[-1]
