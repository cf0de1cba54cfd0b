"""Reads of the shared directory: search as staff type, and who may edit what."""

import datetime
import re

from django.contrib.postgres.search import TrigramSimilarity
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from core.directory.models import Enterprise, Institution, Qualification
from core.directory.uscc import ALPHABET
from tenants.models import BureauRole, Station, User

USCC_PREFIX = re.compile(rf"^[{ALPHABET}]{{2,18}}$")
EXPIRY_WARNING_DAYS = 90


def _name_search(queryset: QuerySet, q: str) -> QuerySet:
    """Names containing `q`, and names like it (a typo, a missing character), best first.

    Both conditions are ones the name's trigram index answers: LIKE '%q%' (case-sensitive: Chinese has no case,
    and Django's icontains would wrap the column in UPPER(), which no index covers) and pg_trgm's % operator.
    Fragments shorter than three characters have no trigram, so they are matched by containment only.
    """
    q = q.strip()
    if not q:
        return queryset
    contains = Q(name__contains=q)
    if len(q) < 3:
        return queryset.filter(contains)
    return (
        queryset.filter(contains | Q(name__trigram_similar=q))
        .annotate(similarity=TrigramSimilarity("name", q))
        .order_by("-similarity", "name", "id")
    )


def enterprise_search(
    *,
    q: str = "",
    uscc: str = "",
    district: str = "",
    industry: str = "",
    scale: str = "",
    source_station: Station | None = None,
) -> QuerySet[Enterprise]:
    """Enterprises matching every given filter. `q` is a name fragment, or the start of a USCC."""
    enterprises = Enterprise.objects.select_related("source_station")
    q = q.strip()
    if q and USCC_PREFIX.match(q.upper()):
        enterprises = enterprises.filter(uscc__startswith=q.upper())
    elif q:
        enterprises = _name_search(enterprises, q)
    if uscc:
        enterprises = enterprises.filter(uscc__startswith=uscc.strip().upper())
    if district:
        enterprises = enterprises.filter(district=district)
    if industry:
        enterprises = enterprises.filter(industry=industry)
    if scale:
        enterprises = enterprises.filter(scale=scale)
    if source_station is not None:
        enterprises = enterprises.filter(source_station=source_station)
    return enterprises


def institution_search(
    *, q: str = "", kind: str = "", district: str = "", item: str = "", include_inactive: bool = False
) -> QuerySet[Institution]:
    """Institutions by name, kind, district covered and catalog item provided ("who can calibrate in 开原市")."""
    institutions = Institution.objects.select_related("source_station").prefetch_related(
        "items", Prefetch("qualifications", queryset=Qualification.objects.order_by("valid_until"))
    )
    if not include_inactive:
        institutions = institutions.filter(is_active=True)
    institutions = _name_search(institutions, q)
    if kind:
        institutions = institutions.filter(kind=kind)
    if district:
        institutions = institutions.filter(districts__contains=[district])
    if item:
        institutions = institutions.filter(items__clause=item)
    return institutions


def enterprise_get(*, pk: int) -> Enterprise | None:
    return Enterprise.objects.select_related("source_station").filter(pk=pk).first()


def institution_get(*, pk: int) -> Institution | None:
    return institution_search(include_inactive=True).filter(pk=pk).first()


def directory_may_edit(*, user: User, station: Station | None, entry) -> bool:
    """Bureau admins edit every entry (on the public host); a station's members edit what their station added."""
    if station is None:
        return user.is_authenticated and user.bureau_role == BureauRole.ADMIN
    return entry.pk is None or entry.source_station_id == station.pk


def qualification_list_expiring(*, today: datetime.date | None = None) -> QuerySet[Qualification]:
    """Qualifications of active institutions that expire within the warning period or have expired."""
    today = today or timezone.localdate()
    return (
        Qualification.objects.filter(
            institution__is_active=True, valid_until__lte=today + datetime.timedelta(days=EXPIRY_WARNING_DAYS)
        )
        .select_related("institution")
        .order_by("valid_until")
    )
