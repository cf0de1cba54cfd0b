"""Reads of the shared directory: search as staff type, and who may edit what."""

import datetime
import re

from django.contrib.postgres.search import TrigramDistance, TrigramWordDistance
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Prefetch, Q, QuerySet
from django.db.models.functions import Least
from django.utils import timezone

from core.common.pagination import COUNT_CAP, with_row_count
from core.common.text import text_nfkc
from core.directory.models import Bigrams, Enterprise, Institution, Qualification
from core.directory.pinyin import FULL_PINYIN_MIN_LENGTH, pinyin_query
from core.directory.uscc import ALPHABET, compact, region_warning
from core.network.models import ReferralFlow
from tenants.models import BureauRole, MemberRole, Station, User
from tenants.selectors import actor_roles

# The start of a code holds a digit (characters 3 to 8 are digits): letters alone ("hxfm") are pinyin initials.
USCC_PREFIX = re.compile(rf"^(?=.*\d)[{ALPHABET}]{{2,18}}$")
EXPIRY_WARNING_DAYS = 90
# Days before a qualification's end at which it is told of, each once (0: on its last valid day, or once ended).
EXPIRY_NOTICE_DAYS = (90, 30, 0)
# An ended qualification is told of only this long after its end (older ones are on the registry's page already).
EXPIRED_NOTICE_DAYS = 30
# How far back a station's referrals to an institution make it one to tell of the institution's qualifications.
REFERRED_WITHIN_DAYS = 365
# `institution_search(expired=...)`: with an item, institutions whose qualification for it has expired are left out,
# unless this is given; they are then shown, marked (`item_expired`).
EXPIRED_SHOWN = "shown"
# Interactive lists rank (and count) at most this many matches; a longer fragment or a filter narrows them.
SEARCH_CAP = COUNT_CAP
# A fragment this long that no name contains is taken as mistyped, and names like it are looked for instead.
FUZZY_MIN_LENGTH = 4


def _containing(queryset: QuerySet, q: str, pinyin: str = "") -> QuerySet:
    """Names containing `q`, by the condition an index answers for its length; with `pinyin` (`q` as a pinyin
    query, see `core.directory.pinyin.pinyin_query`), names whose initials or full pinyin contain it instead.

    Three characters or more: LIKE '%q%', answered by pg_trgm's GIN index (case-sensitive on purpose: Chinese has no
    case, and Django's icontains wraps the column in UPPER(), which no index covers). Two: the bigram GIN index.
    One: a scan, which stops early when the character is common (and a rare one is a rare search). The same for the
    initials (two letters: their bigram index); the full pinyin from three letters on (two are in almost every name's).
    """
    if len(pinyin) == 2:
        # Letters only: the name's own Latin letters are in its initials and pinyin (lower case), so the name itself
        # is not searched again (one arm fewer for the plan to merge).
        queryset = queryset.alias(initials_bigrams=Bigrams("name_initials"))
        return queryset.filter(initials_bigrams__contains=[pinyin], name_initials__contains=pinyin)
    if len(pinyin) >= FULL_PINYIN_MIN_LENGTH:
        return queryset.filter(Q(name_initials__contains=pinyin) | Q(name_pinyin__contains=pinyin))
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
    pinyin = pinyin_query(q)
    matches = _containing(queryset, q, pinyin)
    distance = TrigramDistance("name", q)
    if pinyin:
        # The nearest of the name, its pinyin and its initials: "hxfm" ranks 恒信阀门有限公司 before 铁岭市恒信阀门….
        distance = Least(distance, TrigramDistance("name_pinyin", pinyin), TrigramDistance("name_initials", pinyin))
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
    of ranking for pages (see `_by_name`); exports leave it out and get every match. A name is searched in NFKC, as
    kept (full-width brackets and digits as half-width ones), and Latin letters also as pinyin or initials.
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
    q = text_nfkc(q).strip()
    if USCC_PREFIX.match(code := compact(q)):
        enterprises = enterprises.filter(uscc__startswith=code).order_by("uscc")
    elif q:
        enterprises = _by_name(enterprises, q, cap=cap)
    return enterprises.select_related("source_station")


def _item_expired(item: str, today: datetime.date) -> ExpressionWrapper:
    """Whether the institution's every qualification covering `item` has ended by `today` (False when none covers
    it: an institution with no qualification recorded for the item is taken at its word, as before)."""
    covering = Qualification.objects.filter(institution=OuterRef("pk"), items__clause=item)
    return ExpressionWrapper(
        Q(Exists(covering)) & ~Q(Exists(covering.filter(valid_until__gte=today))), output_field=BooleanField()
    )


def institution_search(
    *,
    q: str = "",
    kind: str = "",
    district: str = "",
    item: str = "",
    expired: str = "",
    include_inactive: bool = False,
    cap: int | None = None,
    today: datetime.date | None = None,
) -> QuerySet[Institution]:
    """Institutions by name, kind, district covered and catalog item provided ("who can calibrate in 开原市").

    With an item, an institution whose qualifications covering it have all expired cannot do it: it is left out, or,
    with `expired=EXPIRED_SHOWN`, kept and marked (`item_expired`, on every row when an item is given)."""
    institutions = Institution.objects.all()
    if not include_inactive:
        institutions = institutions.filter(is_active=True)
    if kind:
        institutions = institutions.filter(kind=kind)
    if district:
        institutions = institutions.filter(districts__contains=[district])
    if item:
        today = today or timezone.localdate()
        institutions = institutions.filter(items__clause=item)
        if expired != EXPIRED_SHOWN:
            institutions = institutions.alias(item_expired=_item_expired(item, today)).filter(item_expired=False)
    q = text_nfkc(q).strip()
    if q:
        institutions = _by_name(institutions, q, cap=cap)
    if item:
        institutions = institutions.annotate(item_expired=_item_expired(item, today))
    return institutions.select_related("source_station").prefetch_related(
        "items",
        Prefetch("qualifications", queryset=Qualification.objects.order_by("valid_until").prefetch_related("items")),
    )


def institution_expired_items(*, institution_ids, today: datetime.date | None = None) -> dict[int, dict[str, str]]:
    """Per institution (of `institution_ids`), the items whose covering qualifications have all expired by `today`,
    clause → name in clause order: what it cannot do any more. Institutions with none are left out. One query."""
    today = today or timezone.localdate()
    valid: dict[tuple[int, str], bool] = {}
    names: dict[str, str] = {}
    rows = (
        Qualification.items.through.objects.filter(qualification__institution_id__in=institution_ids)
        .values_list(
            "qualification__institution_id", "serviceitem__clause", "serviceitem__name", "qualification__valid_until"
        )
        .order_by("serviceitem__category__position", "serviceitem__position", "serviceitem__clause")
    )
    for institution_id, clause, name, valid_until in rows:
        names[clause] = name
        valid[(institution_id, clause)] = valid.get((institution_id, clause), False) or valid_until >= today
    expired: dict[int, dict[str, str]] = {}
    for (institution_id, clause), is_valid in valid.items():
        if not is_valid:
            expired.setdefault(institution_id, {})[clause] = names[clause]
    return expired


def directory_entry_warnings(*, entry: Enterprise | Institution) -> list[str]:
    """What to tell whoever saved `entry`, without refusing it: a USCC registered outside the city, or (for an
    enterprise) in another district than its own (`uscc.region_warning`)."""
    if not entry.uscc:
        return []
    warning = region_warning(entry.uscc, district=entry.district if isinstance(entry, Enterprise) else "")
    return [warning] if warning else []


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


def qualification_threshold(*, valid_until: datetime.date, today: datetime.date) -> int | None:
    """The nearest of `EXPIRY_NOTICE_DAYS` a qualification ending on `valid_until` has reached by `today`, or None."""
    days_left = (valid_until - today).days
    reached = [days for days in EXPIRY_NOTICE_DAYS if days_left <= days]
    return min(reached) if reached else None


def qualification_list_notice_due(*, today: datetime.date | None = None) -> list[tuple[Qualification, str]]:
    """The qualifications of active institutions due an expiry notice `today`, each with its notice's mark
    ("<valid until>:<days>", see `Qualification.expiry_notices`): the nearest threshold reached and not yet told of
    (a qualification first seen nearer its end is told of that threshold only), ended ones within
    `EXPIRED_NOTICE_DAYS`. Locked for the caller's transaction."""
    today = today or timezone.localdate()
    candidates = (
        Qualification.objects.filter(
            institution__is_active=True,
            valid_until__lte=today + datetime.timedelta(days=max(EXPIRY_NOTICE_DAYS)),
            valid_until__gte=today - datetime.timedelta(days=EXPIRED_NOTICE_DAYS),
        )
        .select_related("institution")
        .select_for_update(of=("self",))
        .order_by("valid_until", "pk")
    )
    due = []
    for qualification in candidates:
        threshold = qualification_threshold(valid_until=qualification.valid_until, today=today)
        mark = f"{qualification.valid_until.isoformat()}:{threshold}"
        if mark not in qualification.expiry_notices:
            due.append((qualification, mark))
    return due


def institution_referring_stations(*, institution_ids, today: datetime.date | None = None) -> dict[int, list[Station]]:
    """Per institution, the stations that referred work to it in the last `REFERRED_WITHIN_DAYS` days (the bureau's
    read model of referrals, `core.network`), by code. Two queries."""
    today = today or timezone.localdate()
    since = timezone.make_aware(
        datetime.datetime.combine(today - datetime.timedelta(days=REFERRED_WITHIN_DAYS), datetime.time.min)
    )
    pairs = list(
        ReferralFlow.objects.filter(institution_id__in=list(institution_ids), requested_at__gte=since)
        .values_list("institution_id", "from_station_id")
        .distinct()
    )
    stations = Station.objects.in_bulk({station_id for _institution, station_id in pairs})
    referring: dict[int, list[Station]] = {}
    for institution_id, station_id in pairs:
        referring.setdefault(institution_id, []).append(stations[station_id])
    for institution_stations in referring.values():
        institution_stations.sort(key=lambda station: station.code)
    return referring


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
