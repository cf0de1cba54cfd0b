"""Writes of the city-wide network data (public schema): the bureau's referral policy, and the read models stations
feed through their outbox. A read-model update carries the sender's version or measuring time, so a late or repeated
message never overwrites a newer one."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from core.network.models import ReferralFlow, ReferralPolicy, StationLoad
from tenants.models import User
from tenants.selectors import require_bureau_admin, station_of_source

FLOW_TIMES = ("requested_at", "accept_due_at", "answered_at", "accepted_at", "closed_at", "overdue_at")


@transaction.atomic
def referral_policy_set(*, user: User, accept_working_days: int) -> ReferralPolicy:
    """The bureau sets how many working days a station has to accept or decline a referral (new referrals only).
    Bureau administrators only."""
    require_bureau_admin(user=user, message=_("Only a bureau administrator changes the referral deadline."))
    policy = ReferralPolicy.objects.select_for_update().first() or ReferralPolicy()
    policy.accept_working_days = accept_working_days
    policy.updated_by = user
    policy.full_clean()
    policy.save()
    return policy


def referral_flow_apply(*, payload: dict, source: str) -> ReferralFlow | None:
    """The sending station's latest view of one referral (message handler)."""
    sender = station_of_source(source=source)
    if payload["from_station"] != sender.pk:
        raise PermissionDenied(f"{source} reports only its own referrals")
    flow = ReferralFlow.objects.select_for_update().filter(uid=payload["uid"]).first()
    if flow is not None and flow.version >= payload["version"]:
        return None
    values = {
        "number": payload["number"],
        "from_station_id": sender.pk,
        "to_station_id": payload["to_station"],
        "institution_id": payload["institution"],
        "category_id": payload["category"],
        "previous_uid": payload["previous_uid"],
        "state": payload["state"],
        "version": payload["version"],
        **{name: parse_datetime(payload[name]) if payload[name] else None for name in FLOW_TIMES},
    }
    flow, _created = ReferralFlow.objects.update_or_create(uid=payload["uid"], defaults=values)
    return flow


def station_load_apply(*, payload: dict, source: str) -> StationLoad | None:
    """A station's load as it measured it (message handler)."""
    station = station_of_source(source=source)
    measured_at = parse_datetime(payload["measured_at"])
    load = StationLoad.objects.select_for_update().filter(station=station).first()
    if load is not None and load.measured_at >= measured_at:
        return None
    load, _created = StationLoad.objects.update_or_create(
        station=station,
        defaults={
            "open_cases": payload["open_cases"],
            "referrals_waiting": payload["referrals_waiting"],
            "measured_at": measured_at,
        },
    )
    return load
