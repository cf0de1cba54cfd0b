"""Reads of referrals, in the active station's schema, and the stations one may refer to."""

import datetime

from django.db.models import Count, Min, Q, QuerySet, Value
from django.db.models.functions import Coalesce
from django.http import Http404
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


def referral_access(*, pk: int, user: User) -> Referral:
    """The one way a page or an endpoint reaches a referral for `user`. One of a confidential case `user` may not see
    (clause 7.3) raises the same `Http404` as a missing one. `user` is required, as for `case_access`."""
    if user is None:
        raise TypeError("referral_access needs the user the referral is reached for")
    referral = (
        referrals_visible_to(Referral.objects.all(), user=user)
        .select_related("partner", "institution", "category", "case", "previous", "created_by", "served_institution")
        .prefetch_related("events")
        .filter(pk=pk)
        .first()
    )
    if referral is None:
        raise Http404
    return referral


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


def referral_record_initial(*, case) -> dict:
    """What the completed referral of `case` brought back, as the fields of the case's service record (Appendix B)
    start from: the outcome as the resolution, the answer (its acceptance), on-site and end times, who served and the
    institution that served. Only the referral the current plan made, once completed (a case re-planned since starts
    from its new plan); a time that would come before the one above it on the form is left for staff to fill in."""
    plan = case.plans.filter(superseded_at__isnull=True).first()
    referral = (
        Referral.objects.select_related("partner", "institution", "served_institution")
        .filter(case=case, direction=Direction.OUTGOING)
        .order_by("-requested_at", "-id")
        .first()
    )
    if plan is None or referral is None or referral.state != ReferralState.COMPLETED:
        return {}
    partner_pk = plan.institution_id if referral.to_institution else plan.station_id
    if partner_pk != (referral.institution_id or referral.partner_id) or referral.requested_at < plan.created_at:
        return {}
    initial: dict = {"resolution": referral.outcome}
    if referral.to_institution:
        initial["institution"] = referral.institution
    elif referral.served_institution_id:
        initial["institution"] = referral.served_institution
    serving = referral.technician
    if not serving and referral.served_by:  # the staff member of the station that served it
        named = f"{referral.served_by}（{referral.partner.name}）" if referral.partner_id else referral.served_by
        serving = named if len(named) <= 50 else referral.served_by[:50]
    if serving:
        initial["technician"] = serving
    latest = max(moment for moment in (case.demand.created_at, case.received_at) if moment is not None)
    for name, moment in (
        ("answered_at", referral.accepted_at),
        ("on_site_at", referral.on_site_at),
        ("ended_at", referral.service_ended_at),
    ):
        if moment is not None and moment >= latest:
            initial[name] = latest = moment
    return initial


def referral_inbox_summary(*, viewer: User | None = None, limit: int = 5, now=None) -> dict:
    """The station home's view of `referral_inbox`: how many referrals wait for our answer (`waiting`), how many of
    them are past their acceptance deadline (`overdue`, counted as `referral_list(overdue=True)` does), and the first
    `limit` of them, oldest deadline first (`referrals`). Two queries."""
    now = now or timezone.now()
    waiting = referral_inbox(viewer=viewer)
    counts = waiting.aggregate(waiting=Count("pk"), overdue=Count("pk", filter=Q(accept_due_at__lt=now)))
    return {**counts, "referrals": list(waiting[:limit])}


def referral_overdue_next_due() -> datetime.datetime | None:
    """When `referral_overdue_flag` will next find a referral to flag in the active station (it may be past): the
    earliest acceptance deadline of those it sent still waiting unflagged. None when there is none."""
    waiting = Referral.objects.filter(
        direction=Direction.OUTGOING, state=ReferralState.REQUESTED, overdue_at__isnull=True
    )
    return waiting.aggregate(due=Min("accept_due_at"))["due"]
