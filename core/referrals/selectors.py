"""Reads of referrals, in the active station's schema, and the stations one may refer to."""

from django.db.models import Count, Q, QuerySet, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.archive.confidentiality import referrals_visible_to
from core.referrals.models import Direction, Referral, ReferralState
from tenants.models import Station, StationStatus, User

OPEN = (ReferralState.REQUESTED, ReferralState.ACCEPTED, ReferralState.IN_SERVICE, ReferralState.ON_HOLD)


def referral_list(
    *,
    direction: str | None = None,
    state: str = "",
    open_only: bool = False,
    overdue: bool = False,
    q: str = "",
    viewer: User | None = None,
) -> QuerySet[Referral]:
    """Referrals, newest first. With `viewer`, those of a confidential case they may not see are left out (clause
    7.3, `core.archive.confidentiality`)."""
    referrals = Referral.objects.select_related("partner", "institution", "category", "case")
    if viewer is not None:
        referrals = referrals_visible_to(referrals, user=viewer)
    if direction:
        referrals = referrals.filter(direction=direction)
    if state:
        referrals = referrals.filter(state=state)
    if open_only:
        referrals = referrals.filter(state__in=OPEN)
    if overdue:
        referrals = referrals.filter(state=ReferralState.REQUESTED, accept_due_at__lt=timezone.now())
    if q.strip():
        words = q.strip()
        referrals = referrals.filter(Q(number__icontains=words) | Q(enterprise_name__icontains=words))
    return referrals.order_by("-requested_at", "-id")


def referral_inbox(*, viewer: User | None = None) -> QuerySet[Referral]:
    """Referred to us and waiting for our answer, oldest deadline first."""
    referrals = referral_list(direction=Direction.INCOMING, state=ReferralState.REQUESTED, viewer=viewer)
    return referrals.order_by("accept_due_at", "id")


def referral_get(*, pk: int, viewer: User | None = None) -> Referral | None:
    """One referral; None also when it is of a confidential case `viewer` may not see (it answers like a missing
    one)."""
    referrals = Referral.objects.all() if viewer is None else referrals_visible_to(Referral.objects.all(), user=viewer)
    return (
        referrals.select_related("partner", "institution", "category", "case", "previous", "created_by")
        .prefetch_related("events")
        .filter(pk=pk)
        .first()
    )


def case_referrals(*, case) -> QuerySet[Referral]:
    return referral_list().filter(case=case)


def referral_station_candidates(*, here: Station, district: str = "", item=None, q: str = "") -> QuerySet[Station]:
    """The published stations a case may be referred to (never the station itself), with what they serve and their
    load as they last published it: those serving `item` first, then the least loaded."""
    stations = (
        Station.objects.filter(status=StationStatus.PUBLISHED)
        .exclude(pk=here.pk)
        .select_related("load")
        .prefetch_related("items")
    )
    if district:
        stations = stations.filter(district=district)
    if q.strip():
        stations = stations.filter(name__icontains=q.strip())
    serves = Count("items", filter=Q(items=item), distinct=True) if item is not None else Value(0)
    return stations.annotate(serves=serves, open_cases=Coalesce("load__open_cases", 0)).order_by(
        "-serves", "open_cases", "code"
    )
