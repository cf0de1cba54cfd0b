"""Reads of accounts: one's sessions, a station's members (former ones too), the bureau's users, the lockouts."""

import datetime

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from core.accounts.models import UserSession
from tenants.models import BureauRole, Membership, Station, User


def user_session_list(*, user: User) -> QuerySet[UserSession]:
    """`user`'s open sessions, most recently used first."""
    return UserSession.objects.filter(user=user, ended_at__isnull=True).order_by("-last_seen_at", "-id")


def member_list(*, station: Station) -> QuerySet[Membership]:
    """The station's members, active first (head, then staff), then the former ones."""
    return (
        Membership.objects.filter(station=station)
        .select_related("user")
        .order_by("-is_active", "role", "user__full_name", "user__username")
    )


def bureau_user_list() -> QuerySet[User]:
    """Everyone holding a bureau role, and everyone whose account is closed, for the security administrator."""
    return User.objects.filter(~Q(bureau_role=BureauRole.NONE) | Q(is_active=False)).order_by(
        "-is_active", "bureau_role", "username"
    )


def lockout_list() -> list:
    """The accounts and addresses locked out now (django-axes' attempt records at the failure limit, within the
    cool-off)."""
    from axes.models import AccessAttempt

    attempts = AccessAttempt.objects.filter(failures_since_start__gte=settings.AXES_FAILURE_LIMIT)
    if settings.AXES_COOLOFF_TIME:
        since = timezone.now() - settings.AXES_COOLOFF_TIME
        attempts = attempts.filter(attempt_time__gte=since)
    return list(attempts.order_by("-attempt_time")[:200])


def lockout_until(attempt) -> datetime.datetime | None:
    cooloff = settings.AXES_COOLOFF_TIME
    return attempt.attempt_time + cooloff if cooloff else None
