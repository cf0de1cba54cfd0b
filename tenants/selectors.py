"""Reads of stations, users and memberships (public schema)."""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import translation
from django_tenants.utils import get_public_schema_name

from core.catalog.models import ServiceItem
from tenants.models import BureauRole, Membership, Station, StationPublication, StationStatus, User


def station_list() -> QuerySet[Station]:
    return (
        Station.objects.prefetch_related("domains")
        .annotate(member_count=Count("memberships", filter=Q(memberships__is_active=True)))
        .order_by("code")
    )


def station_list_published() -> QuerySet[Station]:
    return Station.objects.filter(status=StationStatus.PUBLISHED).order_by("district", "name")


def station_items_prefetch() -> Prefetch:
    """The station's service items with their categories, for `station_public_facts`."""
    return Prefetch("items", queryset=ServiceItem.objects.select_related("category"))


def station_public_facts(*, station: Station) -> dict:
    """What publishing the station puts on the portal (clause 4.2.2: contents, hours, phones; clause 6.1: the
    supervision channels), as the snapshot a `StationPublication` keeps. Labels are in the site's language, as the
    bureau publishes them. Uses ``station.items.all()``, so a prefetch of the items saves its query."""
    with translation.override(settings.LANGUAGE_CODE):
        district_label = str(station.get_district_display())
    return {
        "name": station.name,
        "code": station.code,
        "district": {"code": station.district, "label": district_label},
        "address": station.address,
        "hours": station.hours,
        "service_phone": station.service_phone,
        "complaint_phone": station.complaint_phone,
        "supervision_channels": {
            "complaint_phone": station.complaint_phone,
            "bureau_supervision_phone": settings.BUREAU_SUPERVISION_PHONE,
        },
        "items": [
            {"clause": item.clause, "name": item.name}
            for item in sorted(station.items.all(), key=lambda i: (i.category.position, i.position, i.pk))
        ],
        "founding_body": station.founding_body,
    }


def station_list_published_with_publication() -> QuerySet[Station]:
    """The published stations (as `station_list_published`), each with ``latest_publications``: its newest
    `StationPublication` in a list of at most one (empty for a station published before publications were kept).
    Two queries however many stations."""
    latest = StationPublication.objects.order_by("station_id", "-published_at", "-id").distinct("station_id")
    return station_list_published().prefetch_related(
        Prefetch("publications", queryset=latest, to_attr="latest_publications"), station_items_prefetch()
    )


def station_get_published(*, code: str) -> Station | None:
    """A published station by its code, with ``publication_history`` (newest first), or None."""
    return (
        station_list_published()
        .filter(code=code)
        .prefetch_related(
            Prefetch(
                "publications",
                queryset=StationPublication.objects.select_related("published_by"),
                to_attr="publication_history",
            ),
            station_items_prefetch(),
        )
        .first()
    )


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


def station_of_source(*, source: str) -> Station:
    """The station whose schema a message came from (the public schema's read models are fed by stations only); a
    message from anywhere else is refused."""
    station = Station.objects.filter(schema_name=source).exclude(schema_name=get_public_schema_name()).first()
    if station is None:
        raise PermissionDenied(f"only stations feed the bureau's read models, not {source!r}")
    return station
