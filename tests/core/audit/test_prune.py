"""Retention: entries are kept `AUDIT_RETENTION_DAYS` (never below 183: start-up refuses less), then beat's daily task
deletes them and records the pruning: how many, and up to which time. Only the platform prunes."""

import datetime
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.audit.models import AuditAction, AuditEntry
from core.audit.services import audit_prune, audit_record
from core.audit.tasks import audit_prune_task
from tenants.selectors import PLATFORM
from tests.core.audit.conftest import last_entry
from tests.core.audit.test_append_only import insert_entry

pytestmark = pytest.mark.django_db

REPO_ROOT = Path(__file__).resolve().parents[3]


def test_pruning_deletes_only_what_is_past_the_retention_and_records_it(city, settings):
    settings.AUDIT_RETENTION_DAYS = 365
    very_old = insert_entry(days_ago=400)
    kept_old = insert_entry(days_ago=200)
    recent = audit_record(action=AuditAction.SIGN_IN, username="someone").pk
    now = timezone.now()

    assert audit_prune(now=now) == 1

    assert not AuditEntry.objects.filter(pk=very_old).exists()
    assert AuditEntry.objects.filter(pk__in=[kept_old, recent]).count() == 2
    entry = last_entry(AuditAction.AUDIT_PRUNED)
    before = now - datetime.timedelta(days=365)
    assert (entry.user_id, entry.username, entry.role) == (None, PLATFORM.role, PLATFORM.role)
    assert entry.target == before.isoformat()
    assert "审计记录 1 条（保存期 365 天）" in entry.detail  # in the platform's language
    assert timezone.localtime(before).strftime("%Y-%m-%d %H:%M:%S") in entry.detail
    assert (entry.address, entry.host, entry.outcome) == (None, "", "success")


def test_the_default_retention_is_six_months(city):
    assert settings.AUDIT_RETENTION_DAYS == 183
    old = insert_entry(days_ago=190)
    younger = insert_entry(days_ago=175)
    assert audit_prune() == 1
    assert AuditEntry.objects.filter(pk=younger).exists() and not AuditEntry.objects.filter(pk=old).exists()


def test_the_database_refuses_a_retention_below_six_months_even_if_misconfigured(city, settings):
    settings.AUDIT_RETENTION_DAYS = 30  # what start-up refuses; the database is the last word
    entry = insert_entry(days_ago=100)
    with pytest.raises(IntegrityError), transaction.atomic():
        audit_prune()
    assert AuditEntry.objects.filter(pk=entry).exists()


def test_nobody_prunes_but_the_platform(city):
    insert_entry(days_ago=400)
    for person in (city.bureau_admin, city.alpha_head):
        with pytest.raises(PermissionDenied):
            audit_prune(actor=person)


def test_beat_prunes_daily(city):
    old = insert_entry(days_ago=500)
    assert settings.CELERY_BEAT_SCHEDULE["audit-prune"]["task"] == "core.audit.tasks.audit_prune_task"
    assert audit_prune_task() == 1  # what the worker runs, in the public schema
    assert not AuditEntry.objects.filter(pk=old).exists()
    assert last_entry(AuditAction.AUDIT_PRUNED).username == PLATFORM.role


@pytest.mark.parametrize("days", ["100", "182"])
def test_start_up_refuses_a_retention_below_six_months(days):
    env = dict(os.environ, STATIONNET_AUDIT_RETENTION_DAYS=days)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert lines == [
        f"stationnet: setting STATIONNET_AUDIT_RETENTION_DAYS is {days}, below the legal minimum: expected at least"
        " 183 days (six months)"
    ]
