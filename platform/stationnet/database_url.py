"""DATABASE_URL to Django's DATABASES entry, libpq multi-host URLs included.

``postgres://user@db1:5432,db2:5432/stationnet?target_session_attrs=read-write`` names a primary and its standby:
libpq tries the hosts in turn and keeps the one that accepts writes, so a promoted standby takes over without a
configuration change (``conn_health_checks`` makes the next request reconnect). ``dj_database_url`` reads one host
only, hence this parser. HOST and PORT hold the comma-joined lists, which psycopg2 hands to libpq as they are; the
query options go to OPTIONS (libpq connection keywords). A malformed URL stops start-up with one line naming
DATABASE_URL (see ``stationnet.env``), never showing the password.
"""

from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from stationnet import env

SETTING = "DATABASE_URL"
EXAMPLE = "postgres://user@db1:5432,db2:5432/stationnet?target_session_attrs=read-write"
DEFAULT_PORT = 5432
# Seconds to wait for one host before trying the next: libpq's default is to wait forever, which would hold every
# request while a dead primary's address does not answer.
DEFAULT_CONNECT_TIMEOUT = 5
SESSION_ATTRS = ("any", "read-write", "read-only", "primary", "standby", "prefer-standby")
# libpq connection keywords a URL may set (https://www.postgresql.org/docs/15/libpq-connect.html), less those the
# URL itself carries (host, port, user, password, dbname).
LIBPQ_OPTIONS = frozenset({
    "application_name", "channel_binding", "client_encoding", "connect_timeout", "fallback_application_name",
    "gssencmode", "keepalives", "keepalives_count", "keepalives_idle", "keepalives_interval", "krbsrvname",
    "load_balance_hosts", "options", "passfile", "replication", "requirepeer", "requiressl", "service",
    "ssl_max_protocol_version", "ssl_min_protocol_version", "sslcert", "sslcompression", "sslcrl", "sslcrldir",
    "sslkey", "sslmode", "sslpassword", "sslrootcert", "sslsni", "target_session_attrs", "tcp_user_timeout",
})  # fmt: skip
WHOLE_NUMBER_OPTIONS = ("connect_timeout", "keepalives", "keepalives_count", "keepalives_idle", "keepalives_interval")


def _fail(problem: str, expected: str = f"a PostgreSQL URL like {EXAMPLE}") -> env.SettingError:
    return env.fail(SETTING, problem, expected)


def _host_and_port(item: str) -> tuple[str, str]:
    """One `host[:port]` of the host list; `[::1]:5432` for IPv6; a percent-encoded socket folder as the host."""
    if item.startswith("["):
        host, bracket, rest = item[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            raise _fail(f"has a malformed IPv6 host {item!r}")
        port = rest[1:]
    else:
        host, _colon, port = item.partition(":")
    if not host:
        raise _fail("has an empty host in its host list")
    if port and not (port.isdigit() and 0 < int(port) < 65536):
        raise _fail(f"has port {port!r}", "a port between 1 and 65535")
    return unquote(host), port


def database_settings(url: str, *, conn_max_age: int = 0, conn_health_checks: bool = False) -> dict[str, Any]:
    """The DATABASES entry for `url`: one host or several (`host1:port1,host2:port2`); `target_session_attrs`
    defaults to read-write when there are several, and `connect_timeout` to a few seconds."""
    try:
        parts = urlsplit(url)
    except ValueError as error:  # such as an unclosed "[" of an IPv6 host
        raise _fail(f"is malformed ({error})") from None
    if parts.scheme not in {"postgres", "postgresql"}:
        raise _fail(f"has scheme {parts.scheme or 'none'!r}", f"one of postgres, postgresql (like {EXAMPLE})")
    userinfo, at, hostlist = parts.netloc.rpartition("@")
    if not at:
        userinfo, hostlist = "", parts.netloc
    user, _colon, password = userinfo.partition(":")
    name = unquote(parts.path.removeprefix("/"))
    if not name or "/" in name:
        raise _fail("names no database", f"a database name after the hosts, like {EXAMPLE}")
    hosts, ports = [], []
    if hostlist:
        for item in hostlist.split(","):
            host, port = _host_and_port(item)
            hosts.append(host)
            ports.append(port)
    if any(ports) and not all(ports):
        ports = [port or str(DEFAULT_PORT) for port in ports]

    options: dict[str, Any] = {}
    try:
        query = parse_qsl(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query))
    except ValueError:
        raise _fail(
            f"has a malformed query {parts.query!r}", "options like ?connect_timeout=5&sslmode=require"
        ) from None
    for key, value in query:
        if key not in LIBPQ_OPTIONS:
            raise _fail(f"has unknown option {key!r}", "libpq connection options such as target_session_attrs, sslmode")
        if key in WHOLE_NUMBER_OPTIONS:
            if not value.isdigit():
                raise _fail(f"has {key}={value!r}", "a whole number of seconds")
            options[key] = int(value)
        else:
            options[key] = value
    if len(hosts) > 1:
        options.setdefault("target_session_attrs", "read-write")
    if options.get("target_session_attrs", "any") not in SESSION_ATTRS:
        raise _fail(
            f"has target_session_attrs={options['target_session_attrs']!r}", f"one of {', '.join(SESSION_ATTRS)}"
        )
    options.setdefault("connect_timeout", DEFAULT_CONNECT_TIMEOUT)

    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name,
        "USER": unquote(user),
        "PASSWORD": unquote(password),
        "HOST": ",".join(hosts),
        "PORT": ",".join(ports) if any(ports) else "",
        "OPTIONS": options,
        "CONN_MAX_AGE": conn_max_age,
        "CONN_HEALTH_CHECKS": conn_health_checks,
        "DISABLE_SERVER_SIDE_CURSORS": False,
    }


def database_url(settings_dict: dict[str, Any]) -> str:
    """The URL of a DATABASES entry (the inverse of `database_settings`), for a child process or a tool that
    takes a URL: every host with its port, and the options."""
    hosts = [host for host in (settings_dict.get("HOST") or "").split(",") if host]
    ports = [str(port) for port in str(settings_dict.get("PORT") or "").split(",") if port]
    if len(ports) == 1:
        ports *= max(len(hosts), 1)
    items = []
    for index, host in enumerate(hosts or [""]):
        quoted = f"[{host}]" if ":" in host and not host.startswith("/") else quote(host, safe="")
        port = ports[index] if index < len(ports) else ""
        items.append(f"{quoted}:{port}" if port else quoted)
    userinfo = quote(settings_dict.get("USER") or "", safe="")
    if settings_dict.get("PASSWORD"):
        userinfo += ":" + quote(settings_dict["PASSWORD"], safe="")
    query = urlencode(
        {key: value for key, value in (settings_dict.get("OPTIONS") or {}).items() if key in LIBPQ_OPTIONS}
    )
    at = "@" if userinfo else ""
    return f"postgres://{userinfo}{at}{','.join(items)}/{quote(settings_dict['NAME'], safe='')}" + (
        f"?{query}" if query else ""
    )
