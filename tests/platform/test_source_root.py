"""`platform/` is a source root, never a package: the standard library's `platform` must win everywhere."""

import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import platform, sysconfig, uuid
assert platform.__file__.startswith(sysconfig.get_paths()["stdlib"]), platform.__file__
assert platform.system() == "Linux"
import django, celery
django.setup()
from stationnet.celery import app
assert app.main == "stationnet"
print("ok", uuid.uuid4().version)
"""


def test_platform_folder_is_not_a_package():
    assert (REPO_ROOT / "platform").is_dir()
    assert not (REPO_ROOT / "platform" / "__init__.py").exists()


def python_from_root(*args: str) -> subprocess.CompletedProcess:
    """Run Python with the repository root as working directory, the first entry of sys.path."""
    return subprocess.run(
        [sys.executable, *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, check=False
    )


def test_django_and_celery_start_from_the_repository_root():
    result = python_from_root("-c", PROBE)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok 4"


def test_the_celery_command_line_starts_from_the_repository_root():
    result = python_from_root("-m", "celery", "-A", "stationnet", "inspect", "--help")
    assert result.returncode == 0, result.stderr
    assert "AttributeError" not in result.stderr
