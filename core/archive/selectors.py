"""Reads of the quality archive, in the current station's schema."""

import datetime

from django.db.models import Q, QuerySet

from core.archive.confidentiality import hidden_case_ids
from core.archive.models import ArchiveAccess, ArchiveDisposal, ArchiveExport
from core.archive.services import ArchiveRow
from core.desk.models import Demand
from core.directory.models import Enterprise
from tenants.models import User


def rows_visible(*, rows: list[ArchiveRow], user: User) -> list[ArchiveRow]:
    """The archive rows `user` may see: without the documents of confidential cases hidden from them (clause 7.3).
    One or two queries, whatever the number of rows."""
    case_ids = {pk for row in rows for pk in row.document.case_ids}
    hidden = hidden_case_ids(user=user, case_ids=case_ids)
    if not hidden:
        return rows
    return [row for row in rows if not hidden.intersection(row.document.case_ids)]


def archive_enterprise_get(*, pk: int) -> Enterprise | None:
    """An enterprise this station has served (it has a demand here), or None: another enterprise of the shared
    directory has no archive here."""
    if not Demand.objects.filter(enterprise_id=pk).exists():
        return None
    return Enterprise.objects.filter(pk=pk).first()


def archive_enterprise_list(*, q: str = "") -> QuerySet[Enterprise]:
    """The enterprises with an archive in this station (a demand here), by name; `q` is part of the name or a
    USCC prefix."""
    enterprises = Enterprise.objects.filter(pk__in=Demand.objects.values("enterprise_id"))
    if q:
        enterprises = enterprises.filter(Q(name__contains=q) | Q(uscc__startswith=q.upper()))
    return enterprises.order_by("name", "id")


def access_log(
    *,
    user: int | None = None,
    action: str = "",
    enterprise: str = "",
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
) -> QuerySet[ArchiveAccess]:
    """The archive's access log, newest first; `enterprise` is part of its name or a USCC prefix."""
    entries = ArchiveAccess.objects.all()
    if user is not None:
        entries = entries.filter(user_id=user)
    if action:
        entries = entries.filter(action=action)
    if enterprise:
        entries = entries.filter(
            Q(enterprise_name__contains=enterprise) | Q(enterprise__uscc__startswith=enterprise.upper())
        )
    if date_from is not None:
        entries = entries.filter(created_at__date__gte=date_from)
    if date_to is not None:
        entries = entries.filter(created_at__date__lte=date_to)
    return entries.order_by("-created_at", "-id")


def disposal_list(*, enterprise: Enterprise | None = None) -> QuerySet[ArchiveDisposal]:
    disposals = ArchiveDisposal.objects.select_related("requested_by", "approved_by")
    return disposals.filter(enterprise=enterprise) if enterprise is not None else disposals


def export_get(*, job_id: int) -> ArchiveExport | None:
    return ArchiveExport.objects.select_related("enterprise").filter(job_id=job_id).first()
