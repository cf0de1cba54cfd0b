"""Reads of the shared directory: search as staff type, and who may edit what."""

import datetime
import re

from django.contrib.postgres.search import TrigramDistance, TrigramWordDistance
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from core.common.pagination import COUNT_CAP, with_row_count
from core.directory.models import Bigrams, Enterprise, Institution, Qualification
from core.directory.uscc import ALPHABET, compact
from tenants.models import BureauRole, MemberRole, Station, User
from tenants.selectors import actor_roles

USCC_PREFIX = re.compile(rf"^[{ALPHABET}]{{2,18}}$")
EXPIRY_WARNING_DAYS = 90
# Interactive lists rank (and count) at most this many matches; a longer fragment or a filter narrows them.
SEARCH_CAP = COUNT_CAP
# A fragment this long that no name contains is taken as mistyped, and names like it are looked for instead.
FUZZY_MIN_LENGTH = 4


def _containing(queryset: QuerySet, q: str) -> QuerySet:
    """Names containing `q`, by the condition an index answers for its length.

    Three characters or more: LIKE '%q%', answered by pg_trgm's GIN index (case-sensitive on purpose: Chinese has no
    case, and Django's icontains wraps the column in UPPER(), which no index covers). Two: the bigram GIN index.
    One: a scan, which stops early when the character is common (and a rare one is a rare search).
    """
    if len(q) == 2:
        # The LIKE is the same condition, cheaper per row: a scan that stops early tests it first.
        return queryset.alias(bigrams=Bigrams("name")).filter(bigrams__contains=[q], name__contains=q)
    return queryset.filter(name__contains=q)


def _by_name(queryset: QuerySet, q: str, *, cap: int | None) -> QuerySet:
    """`queryset` narrowed to names containing `q`, the most similar first; if none does, names like it.

    "Like it" is pg_trgm's word similarity: a part of the name shares most of the fragment's trigrams (a wrong or
    missing character). With a cap, only the first `cap` + 1 matches found are ranked, so that a common fragment
    costs a bounded amount; the count then says "more than `cap`", and the person types more.
    """
    matches = _containing(queryset, q)
    distance = TrigramDistance("name", q)
    if len(q) >= FUZZY_MIN_LENGTH and not matches.exists():
        matches = queryset.filter(name__trigram_word_similar=q)
        distance = TrigramWordDistance(q, "name")
    if cap is None:
        return matches.annotate(distance=distance).order_by("distance", "name", "id")
    # The first cap + 1 matches found, ranked; each row also carries how many there are, so a page and its count
    # come in one query (core.common.pagination.with_row_count).
    matches = queryset.model.objects.filter(pk__in=matches.order_by()[: cap + 1].values("pk"))
    return with_row_count(matches.annotate(distance=distance)).order_by("distance", "name", "id")


def enterprise_search(
    *,
    q: str = "",
    uscc: str = "",
    district: str = "",
    industry: str = "",
    scale: str = "",
    source_station: Station | None = None,
    cap: int | None = None,
) -> QuerySet[Enterprise]:
    """Enterprises matching every given filter. `q` is a name fragment, or the start of a USCC (typed as people do:
    full width, spaced, lower case; compared in its compact form, as the directory keeps it).

    Name searches come best match first, USCC searches in code order, the rest in name order. `cap` bounds the work
    of ranking for pages (see `_by_name`); exports leave it out and get every match.
    """
    enterprises = Enterprise.objects.all()
    if district:
        enterprises = enterprises.filter(district=district)
    if industry:
        enterprises = enterprises.filter(industry=industry)
    if scale:
        enterprises = enterprises.filter(scale=scale)
    if source_station is not None:
        enterprises = enterprises.filter(source_station=source_station)
    if uscc := compact(uscc):
        enterprises = enterprises.filter(uscc__startswith=uscc).order_by("uscc")
    q = q.strip()
    if USCC_PREFIX.match(code := compact(q)):
        enterprises = enterprises.filter(uscc__startswith=code).order_by("uscc")
    elif q:
        enterprises = _by_name(enterprises, q, cap=cap)
    return enterprises.select_related("source_station")


def institution_search(
    *,
    q: str = "",
    kind: str = "",
    district: str = "",
    item: str = "",
    include_inactive: bool = False,
    cap: int | None = None,
) -> QuerySet[Institution]:
    """Institutions by name, kind, district covered and catalog item provided ("who can calibrate in 开原市")."""
    institutions = Institution.objects.all()
    if not include_inactive:
        institutions = institutions.filter(is_active=True)
    if kind:
        institutions = institutions.filter(kind=kind)
    if district:
        institutions = institutions.filter(districts__contains=[district])
    if item:
        institutions = institutions.filter(items__clause=item)
    q = q.strip()
    if q:
        institutions = _by_name(institutions, q, cap=cap)
    return institutions.select_related("source_station").prefetch_related(
        "items", Prefetch("qualifications", queryset=Qualification.objects.order_by("valid_until"))
    )


def enterprise_get(*, pk: int) -> Enterprise | None:
    return Enterprise.objects.select_related("source_station").filter(pk=pk).first()


def institution_get(*, pk: int) -> Institution | None:
    return institution_search(include_inactive=True).filter(pk=pk).first()


# Who adds to the directory: bureau administrators on the public host (no station), any member of a station on its
# host (staff add enterprises at intake). Bureau viewers read it only.
BUREAU_EDITORS = (BureauRole.ADMIN,)
STATION_EDITORS = (MemberRole.HEAD, MemberRole.STAFF)


def directory_editor_roles(*, station: Station | None) -> tuple[str, ...]:
    """The roles that add to the directory where the call acts: in `station`, or, with none, the bureau."""
    return BUREAU_EDITORS if station is None else STATION_EDITORS


def directory_may_add(*, user: User, station: Station | None) -> bool:
    """Whether `user` adds entries (or imports them) here: `station`'s members, or, with no station, bureau admins."""
    roles = actor_roles(user=user, station=station, bureau=station is None)
    return bool(roles & set(directory_editor_roles(station=station)))


def directory_may_edit(*, user: User, station: Station | None, entry) -> bool:
    """Bureau admins edit every entry (on the public host); a station's members edit what their station added."""
    if not directory_may_add(user=user, station=station):
        return False
    return station is None or entry.pk is None or entry.source_station_id == station.pk


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
