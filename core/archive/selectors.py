"""Reads of the quality archive, in the current station's schema."""

import datetime

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from core.archive.confidentiality import hidden_case_ids
from core.archive.models import ArchiveAccess, ArchiveDisposal, ArchiveEntry, ArchiveExport
from core.archive.services import ArchiveRow
from core.archive.sources import sources
from core.desk.models import Demand
from core.directory.models import Enterprise
from tenants.models import User
from tenants.selectors import require_head


def archive_rows(*, enterprise: Enterprise) -> list[ArchiveRow]:
    """The archive of `enterprise` in this station: every document of every source with its archive entry, in date
    order. Reads only: a document is numbered in the transaction that creates it (`services.archive_entry_create`,
    clause 7.4). One its source did not file (none should be) is shown with an unsaved entry, without a number."""
    documents = [document for source in sources() for document in source.documents(enterprise.pk)]
    documents.sort(key=lambda d: (d.recorded_at, d.source, d.object_id))
    entries = {(e.source, e.object_id): e for e in ArchiveEntry.objects.filter(enterprise=enterprise)}
    return [
        ArchiveRow(
            entry=entries.get((d.source, d.object_id))
            or ArchiveEntry(
                number="", enterprise=enterprise, source=d.source, object_id=d.object_id, recorded_at=d.recorded_at
            ),
            document=d,
        )
        for d in documents
    ]


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
    viewer: User,
    user: int | None = None,
    enterprise: int | None = None,
    action: str = "",
    channel: str = "",
    q: str = "",
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
) -> QuerySet[ArchiveAccess]:
    """The log of every look at the enterprises' information and of what was done with their archives (clause 7.3),
    newest first, for the station head (`viewer`; anyone else is refused). Per member (`user`, a user id) and per
    enterprise (`enterprise`, its id); `q` is part of the enterprise's name or a USCC prefix."""
    require_head(user=viewer, message=_("Only the station head reads the access log."))
    entries = ArchiveAccess.objects.all()
    if user is not None:
        entries = entries.filter(user_id=user)
    if enterprise is not None:
        entries = entries.filter(enterprise_id=enterprise)
    if action:
        entries = entries.filter(action=action)
    if channel:
        entries = entries.filter(channel=channel)
    if q:
        entries = entries.filter(Q(enterprise_name__contains=q) | Q(enterprise__uscc__startswith=q.upper()))
    if date_from is not None:
        entries = entries.filter(created_at__date__gte=date_from)
    if date_to is not None:
        entries = entries.filter(created_at__date__lte=date_to)
    return entries.order_by("-created_at", "-id")


def access_log_enterprise(*, pk: int | None) -> Enterprise | None:
    """The enterprise the access log is filtered by, to name it."""
    return Enterprise.objects.filter(pk=pk).first() if pk is not None else None


def disposal_list(*, enterprise: Enterprise | None = None) -> QuerySet[ArchiveDisposal]:
    disposals = ArchiveDisposal.objects.select_related("requested_by", "approved_by")
    return disposals.filter(enterprise=enterprise) if enterprise is not None else disposals


def export_get(*, job_id: int) -> ArchiveExport | None:
    return ArchiveExport.objects.select_related("enterprise").filter(job_id=job_id).first()
