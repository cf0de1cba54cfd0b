"""Writes of the audit trail. Every audited action calls `audit_record`; nothing else writes an entry."""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_ipv46_address
from django.db import connection, transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tenants.utils import get_public_schema_name, schema_context

from core.audit.models import AuditAction, AuditEntry, AuditOutcome
from core.audit.selectors import audit_entry_search
from tenants.models import BureauRole, User

PUBLIC_SCHEMA = get_public_schema_name()


def _request_facts(request: HttpRequest | None) -> dict:
    if request is None:
        return {}
    from tenants.hosts import client_address

    tenant = getattr(request, "tenant", None)
    code = getattr(tenant, "code", "") or ""
    # The host as the request named it (a request made in code, such as the test client's sign-in, may name none).
    host = request.META.get("HTTP_HOST") or request.META.get("SERVER_NAME") or ""
    address = client_address(request) or None
    try:
        validate_ipv46_address(address or "")
    except ValidationError:
        address = None
    return {"host": host[:255], "station_code": code, "address": address}


def _is_system_actor(user) -> bool:
    from tenants.selectors import SystemActor

    return isinstance(user, SystemActor)


def _role_of(*, user, request: HttpRequest | None, station_code: str) -> str:
    if user is None or not getattr(user, "pk", None):
        return ""
    membership = getattr(request, "membership", None) if request is not None else None
    if membership is not None:
        return membership.role
    if station_code:
        from tenants.models import Membership

        role = (
            Membership.objects.filter(user_id=user.pk, station__code=station_code, is_active=True)
            .values_list("role", flat=True)
            .first()
        )
        if role:
            return role
    return getattr(user, "bureau_role", "") or ""


def audit_record(
    *,
    action: str,
    request: HttpRequest | None = None,
    user=None,
    username: str = "",
    station_code: str = "",
    target: str = "",
    outcome: str = AuditOutcome.SUCCESS,
    detail: str = "",
) -> AuditEntry:
    """Record one event in the audit trail (public schema), whatever schema is in use.

    `request` gives the host, the station and the address; `user` defaults to the request's signed-in user, and
    `username` names someone without an account (a failed sign-in's typed name). Written in the caller's transaction
    when there is one: an action rolled back leaves no entry claiming it happened. A failure (a refused sign-in) is
    recorded by callers outside any transaction that would roll back.
    """
    facts = _request_facts(request)
    if station_code:
        facts["station_code"] = station_code
    if user is None and request is not None and getattr(request, "user", None) is not None:
        user = request.user if request.user.is_authenticated else None
    system_role = ""
    if user is not None and _is_system_actor(user):
        # The platform itself (a beat task, a command): named by its role, never taken for an account.
        system_role, username, user = user.role, user.role, None
    entry = AuditEntry(
        user_id=getattr(user, "pk", None),
        username=(getattr(user, "username", "") or username)[:150],
        role=system_role or _role_of(user=user, request=request, station_code=facts.get("station_code", "")),
        action=action,
        target=str(target)[:300],
        outcome=outcome,
        detail=str(detail)[:500],
        **facts,
    )
    entry.full_clean()
    if connection.schema_name == PUBLIC_SCHEMA:
        with transaction.atomic():
            entry.save()
    else:
        with schema_context(PUBLIC_SCHEMA), transaction.atomic():
            entry.save()
    return entry


@transaction.atomic
def audit_prune(*, actor=None, now: datetime.datetime | None = None) -> int:
    """Delete the entries older than `AUDIT_RETENTION_DAYS` (never below the legal 183 days: the settings refuse less
    and the database refuses any earlier delete), and record the pruning: how many, and up to which time. Only the
    platform prunes (beat's `audit_prune_task`); no person and no page does. The number deleted."""
    from tenants.selectors import PLATFORM, require_role

    actor = PLATFORM if actor is None else actor
    require_role(user=actor, roles=(PLATFORM.role,), message=_("Only the platform prunes the audit trail."))
    now = timezone.now() if now is None else now
    before = now - datetime.timedelta(days=settings.AUDIT_RETENTION_DAYS)
    with schema_context(PUBLIC_SCHEMA):
        removed, _by_model = AuditEntry.objects.filter(at__lt=before).delete()
    with translation.override(settings.LANGUAGE_CODE):
        detail = _("%(count)s entries recorded before %(before)s removed (kept %(days)s days).") % {
            "count": removed,
            "before": timezone.localtime(before).strftime("%Y-%m-%d %H:%M:%S"),
            "days": settings.AUDIT_RETENTION_DAYS,
        }
    audit_record(action=AuditAction.AUDIT_PRUNED, user=actor, target=before.isoformat(), detail=detail)
    return removed


@transaction.atomic
def audit_export(*, user: User, filters: dict, request: HttpRequest | None = None) -> QuerySet[AuditEntry]:
    """The entries the audit administrator exports (the search's `filters`), the export itself recorded first. Only
    the audit administrator exports the trail."""
    from tenants.selectors import require_role

    require_role(
        user=user,
        roles=(BureauRole.AUDITOR,),
        bureau=True,
        message=_("Only the audit administrator reads and exports the audit trail."),
    )
    entries = audit_entry_search(**filters)
    described = "; ".join(f"{name}={value}" for name, value in sorted(filters.items()) if value not in (None, ""))
    audit_record(action=AuditAction.AUDIT_EXPORTED, request=request, user=user, target="audit trail", detail=described)
    return entries
