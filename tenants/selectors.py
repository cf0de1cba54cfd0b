"""Reads of stations, users and memberships (public schema)."""

from django.db.models import Count, Q, QuerySet

from tenants.models import BureauRole, Membership, Station, StationStatus, User


def station_list() -> QuerySet[Station]:
    return (
        Station.objects.prefetch_related("domains")
        .annotate(member_count=Count("memberships", filter=Q(memberships__is_active=True)))
        .order_by("code")
    )


def station_list_published() -> QuerySet[Station]:
    return Station.objects.filter(status=StationStatus.PUBLISHED).order_by("district", "name")


def membership_get(*, user: User, station: Station) -> Membership | None:
    """The user's active membership in the station, or None. The one question every station request asks."""
    if not user.is_authenticated or station.pk is None:
        return None
    return (
        Membership.objects.filter(user=user, station=station, is_active=True, user__is_active=True)
        .select_related("user", "station")
        .first()
    )


def membership_list_for_station(*, station: Station) -> QuerySet[Membership]:
    return Membership.objects.filter(station=station, is_active=True).select_related("user").order_by("role", "id")


def membership_list_for_user(*, user: User) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user, is_active=True).select_related("station").order_by("station__code")


def user_has_bureau_role(*, user: User, roles: tuple[str, ...] = (BureauRole.ADMIN, BureauRole.VIEWER)) -> bool:
    return bool(user.is_authenticated and user.is_active and user.bureau_role in roles)
