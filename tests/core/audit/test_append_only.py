"""The audit trail cannot be altered, whatever code or person tries (GB/T 22239-2019 安全审计, records protected against
deletion, modification and overwriting, kept six months): the database itself refuses an UPDATE, a TRUNCATE and the
DELETE of an entry younger than 183 days; it lets an older entry go (the pruning)."""

import pytest
from django.db import IntegrityError, connection, transaction

from core.audit.models import AuditAction, AuditEntry, AuditOutcome
from core.audit.services import audit_record

pytestmark = pytest.mark.django_db


def insert_entry(*, days_ago: int, username: str = "old-user") -> int:
    """An entry recorded `days_ago` days ago (`at` is set on insert by the application, so it is written in SQL)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO audit_auditentry (at, user_id, username, role, host, station_code, address, action, target,"
            " outcome, detail) VALUES (now() - make_interval(days => %s), NULL, %s, '', '', '', NULL, %s, '', %s, '')"
            " RETURNING id",
            [days_ago, username, AuditAction.SIGN_IN, AuditOutcome.SUCCESS],
        )
        return cursor.fetchone()[0]


def refused(sql: str, params=()) -> str:
    with pytest.raises(IntegrityError) as caught, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
    return str(caught.value)


def test_an_entry_is_never_changed(city):
    entry = audit_record(action=AuditAction.SIGN_IN, username="someone", target="someone")
    message = refused("UPDATE audit_auditentry SET outcome = 'failure' WHERE id = %s", [entry.pk])
    assert "append-only" in message
    # Through the ORM as well: a save of an existing entry is an UPDATE.
    entry.outcome = AuditOutcome.FAILURE
    with pytest.raises(IntegrityError), transaction.atomic():
        entry.save()
    assert AuditEntry.objects.get(pk=entry.pk).outcome == AuditOutcome.SUCCESS


def test_an_entry_younger_than_183_days_is_never_deleted(city):
    recent = audit_record(action=AuditAction.SIGN_IN, username="someone")
    almost = insert_entry(days_ago=182)
    assert "append-only" in refused("DELETE FROM audit_auditentry WHERE id = %s", [recent.pk])
    assert "append-only" in refused("DELETE FROM audit_auditentry WHERE id = %s", [almost])
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEntry.objects.filter(pk=recent.pk).delete()
    assert AuditEntry.objects.filter(pk__in=[recent.pk, almost]).count() == 2


def test_the_trail_is_never_truncated(city):
    audit_record(action=AuditAction.SIGN_IN, username="someone")
    count = AuditEntry.objects.count()
    assert "never truncated" in refused("TRUNCATE audit_auditentry")
    assert AuditEntry.objects.count() == count


def test_an_entry_older_than_183_days_may_be_deleted(city):
    old = insert_entry(days_ago=184)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditentry WHERE id = %s", [old])
        assert cursor.rowcount == 1
    assert not AuditEntry.objects.filter(pk=old).exists()
