"""Start-up with missing or wrong settings stops with one line that names the setting and what is expected."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

REPO_ROOT = Path(__file__).resolve().parents[2]


def run_check(**changes: str | None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    ("changes", "setting", "expected"),
    [
        ({"DJANGO_SECRET_KEY": None, "STATIONNET_DEMO": None}, "DJANGO_SECRET_KEY", "a long random string"),
        ({"DATABASE_URL": None}, "DATABASE_URL", "postgres://"),
        ({"DATABASE_URL": "sqlite:///db.sqlite3"}, "DATABASE_URL", "one of postgres, postgresql"),
        ({"CELERY_BROKER_URL": "kafka://x"}, "CELERY_BROKER_URL", "redis://"),
        ({"DJANGO_DEBUG": "maybe"}, "DJANGO_DEBUG", "1/0"),
        ({"STATIONNET_URL_PORT": "eighty"}, "STATIONNET_URL_PORT", "a whole number"),
    ],
    ids=["no-secret", "no-database", "sqlite", "bad-broker", "bad-debug", "bad-port"],
)
def test_a_bad_setting_stops_start_up_with_one_line(changes, setting, expected):
    result = run_check(**changes)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"stationnet: setting {setting} ")
    assert expected in lines[0]
    assert "Traceback" not in result.stderr


def test_the_demo_needs_no_secret_key():
    result = run_check(DJANGO_SECRET_KEY=None, STATIONNET_DEMO="1")
    assert result.returncode == 0, result.stderr


def test_debug_is_off_unless_asked_for():
    assert settings.DEBUG is False
    assert run_check(DJANGO_DEBUG="1").returncode == 0


def test_chinese_and_shanghai_time_by_default():
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert settings.USE_TZ is True
    assert settings.DATABASES["default"]["ENGINE"] == "django_tenants.postgresql_backend"


@pytest.mark.django_db
def test_pages_are_chinese_whatever_the_browser_asks_for_unless_the_user_chose(client):
    english_browser = client.get("/accounts/login/", HTTP_HOST="localhost", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert "登录" in english_browser.content.decode()
    assert english_browser["Content-Language"] == "zh-hans"
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    chose_english = client.get("/accounts/login/", HTTP_HOST="localhost")
    assert "Sign in" in chose_english.content.decode()
