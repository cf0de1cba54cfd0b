from core.audit.models import AuditEntry


def last_entry(action: str) -> AuditEntry:
    """The newest entry of `action` (each test's entries are rolled back with it)."""
    entry = AuditEntry.objects.filter(action=action).order_by("-id").first()
    assert entry is not None, f"no {action} entry"
    return entry
