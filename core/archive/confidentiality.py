"""Confidential cases (clause 7.3) with django-guardian object permissions.

A case the head marks confidential is seen only by the station's head(s) and by whoever holds the object
permission `desk.view_servicecase` on it: its assignee, granted when it is marked and moved along whenever the case
is assigned to someone else (`case_access_sync`, called by the desk's services). Everyone else in the station is
answered as if the case did not exist. guardian's tables are in every station's schema (guardian is in TENANT_APPS
too), so a permission on a station's case 12 is a row of that station, never confused with another station's case 12.
"""

from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import BigIntegerField, Exists, Model, OuterRef, Q, QuerySet
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy as _
from guardian.models import UserObjectPermission
from guardian.shortcuts import assign_perm

from core.desk.models import ServiceCase
from tenants.models import MemberRole, Membership, User
from tenants.selectors import actor_roles

CODENAME = "view_servicecase"
PERMISSION = f"desk.{CODENAME}"
# What a member who may not see a confidential case reads where another row names it (a complaint, an opinion, an
# assessment's figures): no number, no link.
CONFIDENTIAL_CASE = _("Confidential case")


def is_station_head(user: User | None) -> bool:
    """Whether `user` is an active head of the station whose schema is active."""
    return MemberRole.HEAD in actor_roles(user=user)


def _case_permissions(case_ids) -> QuerySet[UserObjectPermission]:
    return UserObjectPermission.objects.filter(
        content_type=ContentType.objects.get_for_model(ServiceCase),
        object_pk__in=[str(pk) for pk in case_ids],
        permission__codename=CODENAME,
    )


def case_access_sync(*, case: ServiceCase) -> None:
    """Give the object permission of a confidential case to its assignee, and take it from anyone else. A case
    that is not confidential needs no object permission: every member of the station sees it. Runs inside the
    caller's transaction (marking, assigning, planning)."""
    from core.archive.models import ConfidentialCase

    _case_permissions([case.pk]).delete()
    if case.assignee_id and ConfidentialCase.objects.filter(case_id=case.pk).exists():
        assign_perm(PERMISSION, case.assignee, case)


def case_permissions_remove(*, case_ids) -> None:
    """Remove the object permissions of removed cases (an approved disposal)."""
    _case_permissions(case_ids).delete()


def cases_visible_to(cases: QuerySet[ServiceCase], *, user: User) -> QuerySet[ServiceCase]:
    """`cases` without the confidential ones `user` may not see (heads see every case)."""
    if is_station_head(user):
        return cases
    return cases.exclude(Q(confidential__isnull=False) & ~Q(pk__in=_granted(user)))


def _granted(user: User):
    return (
        UserObjectPermission.objects.filter(
            user=user,
            content_type=ContentType.objects.get_for_model(ServiceCase),
            permission__codename=CODENAME,
        )
        .annotate(case_pk=Cast("object_pk", BigIntegerField()))
        .values("case_pk")
    )


def cases_hidden_from(user: User) -> QuerySet[ServiceCase]:
    """The confidential cases `user` may not see (none for a head), as a subquery to filter other rows by: it runs
    no query of its own, so a list filtered by it costs what it cost before."""
    head = Membership.objects.filter(
        user=user, station__schema_name=connection.schema_name, role=MemberRole.HEAD, is_active=True
    )
    granted = UserObjectPermission.objects.filter(
        user=user,
        content_type__app_label=ServiceCase._meta.app_label,
        content_type__model=ServiceCase._meta.model_name,
        permission__codename=CODENAME,
    ).annotate(case_pk=Cast("object_pk", BigIntegerField()))
    return (
        ServiceCase.objects.filter(confidential__isnull=False)
        .exclude(pk__in=granted.values("case_pk"))
        .filter(~Exists(head))
        .values("pk")
    )


def referrals_visible_to(referrals: QuerySet, *, user: User) -> QuerySet:
    """`referrals` (core.referrals) without those of a confidential case `user` may not see. A referral without a
    case (still waiting for our answer, or after a disposal) hides nothing."""
    return referrals.exclude(case__in=cases_hidden_from(user))


def demands_visible_to(demands: QuerySet, *, user: User) -> QuerySet:
    """`demands` without those having a confidential case `user` may not see. The demand form is where every one of
    its cases comes from (its boxes and tables describe the confidential request), so it is hidden whole, as in the
    archive, rather than shown with that case left out."""
    hidden = ServiceCase.objects.filter(pk__in=cases_hidden_from(user)).values("demand_id")
    return demands.exclude(pk__in=hidden)


def hidden_case_ids(*, user: User, case_ids) -> set[int]:
    """Of `case_ids`, the confidential cases `user` may not see."""
    if not case_ids or is_station_head(user):
        return set()
    confidential = ServiceCase.objects.filter(pk__in=case_ids, confidential__isnull=False)
    return set(confidential.exclude(pk__in=_granted(user)).values_list("pk", flat=True))


# --- A case named by another row -----------------------------------------------------------------------------------
#
# Complaints, opinions and assessments name cases. Where they do, a confidential case `user` may not see is shown as
# `CONFIDENTIAL_CASE`, without its number or a link: the row itself stays (it is not the case's), only the case is
# kept from them. `linked_case` decides it for a row's case, `case_numbers_shown` for case numbers written in text.


@dataclass(frozen=True)
class LinkedCase:
    """How a linked case is shown: `pk` to link to and `label` its number, or `pk` None and the placeholder."""

    pk: int | None
    label: str

    @property
    def hidden(self) -> bool:
        return self.pk is None


def hidden_case_flag(*, user: User, field: str = "case") -> Exists:
    """An expression for `annotate`: whether the case a row points at through `field` is a confidential one `user`
    may not see. A subquery: a list annotated with it costs no query more."""
    return Exists(cases_hidden_from(user).filter(pk=OuterRef(field)))


def with_case_visibility(rows: QuerySet, *, user: User | None, field: str = "case") -> QuerySet:
    """`rows` annotated with `<field>_hidden` (`hidden_case_flag`), which `linked_case` reads; unchanged without a
    user (tasks, services)."""
    if user is None:
        return rows
    return rows.annotate(**{f"{field}_hidden": hidden_case_flag(user=user, field=field)})


def linked_case(row: Model, *, user: User | None, field: str = "case") -> LinkedCase | None:
    """How the case `row` points at through `field` is shown to `user` (None: it points at none). A row of
    `with_case_visibility` costs no query (and needs no `user`: it was annotated for one); any other asks (a page
    of one row)."""
    case_id = getattr(row, f"{field}_id")
    if case_id is None:
        return None
    hidden = getattr(row, f"{field}_hidden", None)
    if hidden is None:
        if user is None:
            raise ValueError(f"{row!r}: whose view of its case? Give a user or annotate with with_case_visibility.")
        hidden = case_id in hidden_case_ids(user=user, case_ids=[case_id])
    if hidden:
        return LinkedCase(pk=None, label=str(CONFIDENTIAL_CASE))
    return LinkedCase(pk=case_id, label=getattr(row, field).number)


def case_numbers_shown(numbers, *, user: User) -> dict[str, str]:
    """For case numbers written in text (an assessment's figures, a complaint's timeline): each number as `user`
    reads it, the placeholder for a confidential case they may not see. One query (none without numbers)."""
    numbers = {n for n in numbers if n}
    if not numbers:
        return {}
    hidden = set(
        ServiceCase.objects.filter(number__in=numbers, pk__in=cases_hidden_from(user)).values_list("number", flat=True)
    )
    return {n: str(CONFIDENTIAL_CASE) if n in hidden else n for n in numbers}
