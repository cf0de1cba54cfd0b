"""Reads of public supervision (clause 6.1), in the active station's schema."""

from django.db import connection
from django.db.models import Count, Prefetch, Q, QuerySet

from core.supervision.models import ImprovementPlan, Opinion
from tenants.models import MemberRole, User


def opinion_list(
    *, state: str = "", kind: str = "", channel: str = "", topic: str = "", published: bool | None = None, q: str = ""
) -> QuerySet[Opinion]:
    """Opinions, newest first, with how many improvement plans each has and how many are still open."""
    opinions = Opinion.objects.select_related("case").annotate(
        plan_count=Count("plans"), plans_open=Count("plans", filter=Q(plans__done_at__isnull=True))
    )
    for name, value in (("state", state), ("kind", kind), ("channel", channel), ("topic", topic)):
        if value:
            opinions = opinions.filter(**{name: value})
    if published is not None:
        opinions = opinions.filter(published=published)
    if q:
        opinions = opinions.filter(Q(text__icontains=q) | Q(name__icontains=q) | Q(answer__icontains=q))
    return opinions.order_by("-received_at", "-id")


def opinion_get(*, pk: int) -> Opinion | None:
    plans = ImprovementPlan.objects.select_related("owner", "created_by")
    return (
        Opinion.objects.select_related("case", "logged_by", "answered_by")
        .prefetch_related(Prefetch("plans", queryset=plans))
        .filter(pk=pk)
        .first()
    )


def opinion_published_list() -> QuerySet[Opinion]:
    """What the station's public page shows: published results, newest first (never who gave the opinion)."""
    return (
        Opinion.objects.filter(published=True)
        .only("id", "kind", "topic", "received_at", "published_at", "public_result")
        .order_by("-published_at", "-id")
    )


def plan_get(*, pk: int) -> ImprovementPlan | None:
    return ImprovementPlan.objects.select_related("opinion").filter(pk=pk).first()


def case_by_number(*, number: str):
    """The desk case of this station with that number, or None."""
    from core.desk.models import ServiceCase

    return ServiceCase.objects.filter(number=(number or "").strip().upper()).first() if number else None


def station_members_active(*, heads: bool = False, user_ids: list[int] | None = None) -> list[User]:
    """The active members of the station whose schema is active (only its heads with `heads`, only those of
    `user_ids` when given): who may receive its reminders."""
    members = User.objects.filter(
        is_active=True,
        memberships__station__schema_name=connection.schema_name,
        memberships__is_active=True,
    )
    if heads:
        members = members.filter(memberships__role=MemberRole.HEAD)
    if user_ids is not None:
        members = members.filter(pk__in=user_ids)
    return list(members.distinct().order_by("pk"))
