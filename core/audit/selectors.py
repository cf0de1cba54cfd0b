"""Reads of the audit trail."""

import datetime

from django.db.models import QuerySet

from core.audit.models import AuditEntry


def audit_entry_list() -> QuerySet[AuditEntry]:
    return AuditEntry.objects.order_by("-at", "-id")


def audit_entry_search(
    *,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    username: str = "",
    station_code: str = "",
    action: str = "",
    outcome: str = "",
) -> QuerySet[AuditEntry]:
    """The entries matching every filter given, newest first: recorded on or after `date_from` and on or before
    `date_to` (days of the local time zone), by a user whose name contains `username` (any case), at the station
    `station_code`, of `action`, with `outcome`. A blank filter is no filter."""
    entries = audit_entry_list()
    if date_from:
        entries = entries.filter(at__date__gte=date_from)
    if date_to:
        entries = entries.filter(at__date__lte=date_to)
    if username:
        entries = entries.filter(username__icontains=username.strip())
    if station_code:
        entries = entries.filter(station_code=station_code.strip().lower())
    if action:
        entries = entries.filter(action=action)
    if outcome:
        entries = entries.filter(outcome=outcome)
    return entries
