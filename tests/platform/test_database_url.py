"""DATABASE_URL with one host or several (libpq's multi-host form, for failover to a promoted standby)."""

import pytest

from stationnet.database_url import database_settings, database_url
from stationnet.env import SettingError


def test_one_host_reads_as_before():
    settings = database_settings(
        "postgres://station:p%40ss@db.internal:5433/stationnet?sslmode=require",
        conn_max_age=60,
        conn_health_checks=True,
    )
    assert settings["NAME"] == "stationnet"
    assert (settings["USER"], settings["PASSWORD"]) == ("station", "p@ss")
    assert (settings["HOST"], settings["PORT"]) == ("db.internal", "5433")
    # One host: no session attribute imposed; a short connect timeout always.
    assert settings["OPTIONS"] == {"sslmode": "require", "connect_timeout": 5}
    assert (settings["CONN_MAX_AGE"], settings["CONN_HEALTH_CHECKS"]) == (60, True)


def test_several_hosts_are_joined_for_libpq_and_want_the_read_write_one():
    settings = database_settings("postgres://postgres@127.0.0.1:5511,127.0.0.1:5512/stationnet")
    assert (settings["HOST"], settings["PORT"]) == ("127.0.0.1,127.0.0.1", "5511,5512")
    assert settings["OPTIONS"] == {"target_session_attrs": "read-write", "connect_timeout": 5}


def test_options_of_the_url_win_over_the_defaults():
    settings = database_settings(
        "postgresql://postgres@db1,db2:6543/x?target_session_attrs=primary&connect_timeout=2&application_name=web"
    )
    # A host without a port gets the default one beside a host with one (libpq wants one port per host or one).
    assert (settings["HOST"], settings["PORT"]) == ("db1,db2", "5432,6543")
    assert settings["OPTIONS"] == {"target_session_attrs": "primary", "connect_timeout": 2, "application_name": "web"}


def test_socket_folders_and_ipv6_hosts():
    assert database_settings("postgres://postgres@%2Frun%2Fpg/x")["HOST"] == "/run/pg"
    settings = database_settings("postgres://postgres@[::1]:5511,[fd00::2]:5512/x")
    assert (settings["HOST"], settings["PORT"]) == ("::1,fd00::2", "5511,5512")


@pytest.mark.parametrize(
    "url",
    [
        "postgres://postgres@127.0.0.1:5432/stationnet",
        "postgres://u:p%40ss@db1:5511,db2:5512/stationnet?connect_timeout=2&target_session_attrs=read-write",
        "postgres://postgres@%2Frun%2Fpg/x",
        "postgres://postgres@[::1]:5511,[fd00::2]:5512/x",
    ],
)
def test_a_url_made_from_the_settings_reads_back_the_same(url):
    """What tests/processes.py and tools that take a URL rebuild from the settings (child processes, pg_dump)."""
    settings = database_settings(url)
    assert database_settings(database_url(settings)) == settings


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("postgres://postgres@db1:5432,:5433/x", "empty host"),
        ("postgres://postgres@db1:54x2/x", "port '54x2'"),
        ("postgres://postgres@db1:70000/x", "port '70000'"),
        ("postgres://postgres@db1:5432/", "names no database"),
        ("postgres://postgres@db1/x?target_session_attrs=writable", "target_session_attrs='writable'"),
        ("postgres://postgres@db1/x?connect_timeout=soon", "connect_timeout='soon'"),
        ("postgres://postgres@db1/x?search_path=public", "unknown option 'search_path'"),
        ("postgres://postgres@[::1/x", "is malformed"),
        ("mysql://root@db1/x", "scheme 'mysql'"),
    ],
)
def test_a_malformed_url_stops_start_up_with_one_line_naming_the_setting(url, says):
    with pytest.raises(SettingError) as error:
        database_settings(url)
    message = str(error.value)
    assert message.startswith("stationnet: setting DATABASE_URL ") and says in message and "\n" not in message


def test_the_password_never_shows_in_the_message():
    with pytest.raises(SettingError) as error:
        database_settings("postgres://u:very-secret@db1:99999/x")
    assert "very-secret" not in str(error.value)
