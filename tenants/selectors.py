"""Reads of stations, users and memberships (public schema), and the one rule of who acts in which role."""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import translation
from django.utils.translation import gettext as _
from django_tenants.utils import get_public_schema_name

from core.catalog.models import ServiceItem
from tenants.models import BureauRole, MemberRole, Membership, Station, StationPublication, StationStatus, User


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


def _active_memberships(user: User) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user, is_active=True, user__is_active=True)


def membership_get(*, user: User, station: Station) -> Membership | None:
    """The user's active membership in the station, or None. The one question every station request asks."""
    if not user.is_authenticated or station.pk is None:
        return None
    return _active_memberships(user).filter(station=station).select_related("user", "station").first()


def station_members(*, station: Station | None = None, roles: Iterable[str] = ()) -> QuerySet[User]:
    """The station's members, by username: people whose account and membership are both active (the one rule of
    "member", as `membership_get` and `actor_roles` read it), only those holding one of `roles` when given.
    `station` defaults to the station whose schema is in use."""
    where = (
        Q(memberships__station=station)
        if station is not None
        else Q(memberships__station__schema_name=connection.schema_name)
    )
    where &= Q(is_active=True, memberships__is_active=True)
    if roles:
        where &= Q(memberships__role__in=list(roles))
    return User.objects.filter(where).distinct().order_by("username")


def station_heads(*, station: Station | None = None) -> list[User]:
    """The station's active heads (see `station_members`), oldest account first: who is told what the head decides."""
    return list(station_members(station=station, roles=(MemberRole.HEAD,)).order_by("pk"))


def station_head_emails(*, station: Station | None = None) -> list[str]:
    """The e-mail addresses of the station's heads that have one."""
    return [head.email for head in station_heads(station=station) if head.email]


def membership_list_for_station(*, station: Station) -> QuerySet[Membership]:
    return Membership.objects.filter(station=station, is_active=True).select_related("user").order_by("role", "id")


def membership_list_for_user(*, user: User) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user, is_active=True).select_related("station").order_by("station__code")


# Every bureau role: the console's (administrator, viewer) and the separated administrators' (security, audit).
BUREAU_ROLES = tuple(role for role in BureauRole.values if role)


def user_has_bureau_role(*, user: User, roles: tuple[str, ...] = (BureauRole.ADMIN, BureauRole.VIEWER)) -> bool:
    return bool(user.is_authenticated and user.is_active and user.bureau_role in roles)


def station_of_source(*, source: str) -> Station:
    """The station whose schema a message came from (the public schema's read models are fed by stations only); a
    message from anywhere else is refused."""
    station = Station.objects.filter(schema_name=source).exclude(schema_name=get_public_schema_name()).first()
    if station is None:
        raise PermissionDenied(f"only stations feed the bureau's read models, not {source!r}")
    return station


# --- Who acts, and in which role --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SystemActor:
    """Who acts when no person does, named by the caller. A service that checks its actor takes one of these where a
    person would stand, so that "no actor" is never read as "allowed": the actor holds one role, `role`, which the
    service lets in only if it lists it. It is never a user: what a service stores as "by whom" is `actor_person`."""

    role: str

    # What a service may ask of any actor: a system actor is nobody's account.
    is_authenticated: ClassVar[bool] = False
    is_active: ClassVar[bool] = False
    pk: ClassVar[None] = None
    bureau_role: ClassVar[str] = ""

    def __str__(self) -> str:
        return ""


# The platform itself: a command an operator runs, a scheduled task, a test setting the scene.
PLATFORM = SystemActor("system:platform")
# A message from another schema, applied by its handler (the handler has checked the message's source).
MESSAGES = SystemActor("system:messages")
# The demo city's loader.
DEMO = SystemActor("system:demo")
# Someone without an account at one of the open doors: the enterprise's own demand form on the portal.
PUBLIC = SystemActor("system:public")


def actor_person(actor: User | SystemActor | None) -> User | None:
    """The person to keep as "by whom": the user, or None for a system actor."""
    return None if actor is None or isinstance(actor, SystemActor) else actor


def actor_roles(
    *, user: User | SystemActor | None, station: Station | None = None, bureau: bool = False
) -> frozenset[str]:
    """The roles `user` acts in. At the bureau (`bureau`, or no station on the public schema): its bureau role. In
    `station` (by default the station whose schema is in use): the role of its active membership there. A system
    actor: its own role. Anyone else, or no one: none. The one rule behind every service's "who may"
    (`require_role`). A service of the bureau says `bureau`: whatever schema a caller left in use, it asks the bureau
    role, never a membership."""
    if isinstance(user, SystemActor):
        return frozenset({user.role})
    if user is None or not user.is_authenticated or not user.is_active:
        return frozenset()
    if bureau or (station is None and connection.schema_name == get_public_schema_name()):
        return frozenset({user.bureau_role}) if user_has_bureau_role(user=user, roles=BUREAU_ROLES) else frozenset()
    memberships = _active_memberships(user)
    if station is not None:
        memberships = memberships.filter(station=station)
    else:
        memberships = memberships.filter(station__schema_name=connection.schema_name)
    return frozenset(memberships.values_list("role", flat=True))


def require_role(
    *,
    user: User | SystemActor | None,
    roles: Iterable[str],
    message: str,
    station: Station | None = None,
    bureau: bool = False,
) -> None:
    """Refuse (PermissionDenied with `message`) an actor holding none of `roles` where it acts (`actor_roles`)."""
    if not actor_roles(user=user, station=station, bureau=bureau) & set(roles):
        raise PermissionDenied(message)


# A station's members, whatever their role.
MEMBER_ROLES = (MemberRole.HEAD, MemberRole.STAFF)


def is_member(user: User | SystemActor | None, station: Station | None = None) -> bool:
    """Whether `user` is a member of `station` (by default the station whose schema is in use): only members are
    booked, assigned or named as staff."""
    return bool(actor_roles(user=user, station=station) & set(MEMBER_ROLES))


def require_member(
    *,
    user: User | SystemActor | None,
    station: Station | None = None,
    system: Iterable[SystemActor] = (),
    message: str = "",
) -> None:
    """Refuse anyone but the members of `station` (by default the station whose schema is in use) and the system
    actors named in `system`."""
    roles = (*MEMBER_ROLES, *(actor.role for actor in system))
    message = message or _("Only the members of this station do this.")
    require_role(user=user, station=station, roles=roles, message=message)


def require_head(*, user: User | SystemActor | None, station: Station | None = None, message: str = "") -> None:
    """Refuse anyone but the head of `station` (by default the station whose schema is in use)."""
    message = message or _("Only the station head does this.")
    require_role(user=user, station=station, roles=(MemberRole.HEAD,), message=message)


def require_bureau_admin(
    *, user: User | SystemActor | None, system: Iterable[SystemActor] = (), message: str = ""
) -> None:
    """Refuse anyone but the bureau's administrators and the system actors named in `system`."""
    roles = (BureauRole.ADMIN, *(actor.role for actor in system))
    message = message or _("Only the bureau's administrators do this.")
    require_role(user=user, roles=roles, message=message, bureau=True)
