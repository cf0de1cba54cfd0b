"""Reads of public supervision (clause 6.1), in the active station's schema."""

from django.db.models import Count, Prefetch, Q, QuerySet

from core.archive.confidentiality import cases_visible_to, with_case_visibility
from core.supervision.models import ImprovementPlan, Opinion
from tenants.models import MemberRole, User
from tenants.selectors import station_members


def opinion_list(
    *,
    state: str = "",
    kind: str = "",
    channel: str = "",
    topic: str = "",
    published: bool | None = None,
    q: str = "",
    viewer: User | None = None,
) -> QuerySet[Opinion]:
    """Opinions, newest first, with how many improvement plans each has and how many are still open; with `viewer`,
    `case_hidden`: whether its case is a confidential one they may not see (clause 7.3,
    `core.archive.confidentiality.linked_case`)."""
    opinions = with_case_visibility(Opinion.objects.select_related("case"), user=viewer).annotate(
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


def opinion_get(*, pk: int, viewer: User | None = None) -> Opinion | None:
    """The opinion with its plans; with `viewer`, `case_hidden` as in `opinion_list`."""
    plans = ImprovementPlan.objects.select_related("owner", "created_by")
    return (
        with_case_visibility(Opinion.objects.all(), user=viewer)
        .select_related("case", "logged_by", "answered_by")
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


def case_by_number(*, number: str, viewer: User | None = None):
    """The desk case of this station with that number, or None; with `viewer`, also None for a confidential case
    they may not see (clause 7.3: answered as if it did not exist)."""
    from core.desk.models import ServiceCase

    if not number:
        return None
    cases = ServiceCase.objects.filter(number=number.strip().upper())
    if viewer is not None:
        cases = cases_visible_to(cases, user=viewer)
    return cases.first()


def station_members_active(*, heads: bool = False, user_ids: list[int] | None = None) -> list[User]:
    """The active members of the station whose schema is active (only its heads with `heads`, only those of
    `user_ids` when given): who may receive its reminders."""
    members = station_members(roles=(MemberRole.HEAD,) if heads else ())
    if user_ids is not None:
        members = members.filter(pk__in=user_ids)
    return list(members.order_by("pk"))
