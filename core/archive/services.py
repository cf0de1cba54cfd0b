"""Writes of the quality archive (clause 7): filing under archive numbers, the access log, confidential cases,
disposal after the retention period, and exports."""

import datetime
import io
import logging
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Model, ProtectedError
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.archive import confidentiality
from core.archive.looks import Look
from core.archive.models import (
    AccessAction,
    AccessChannel,
    ArchiveAccess,
    ArchiveDisposal,
    ArchiveEntry,
    ArchiveExport,
    ConfidentialCase,
    DisposalState,
    LookKind,
)
from core.archive.sources import ArchiveDocument, source_of, sources
from core.audit.models import AuditAction
from core.audit.services import audit_record
from core.desk.models import ServiceCase
from core.directory.models import Enterprise
from core.jobs.models import Job, job_kind_register
from core.jobs.services import job_create, job_fail, job_finish, job_progress, job_start
from core.numbering.services import document_number
from tenants.models import Station, User
from tenants.selectors import require_head, require_member

logger = logging.getLogger(__name__)

RETENTION_YEARS = 5  # clause 7.4: 保管期限不少于5年
NUMBER_KIND = "da"  # 档案: ALPHA-DA-2026-000012
EXPORT_KIND = job_kind_register("archive.export", gettext_lazy("Export of an enterprise's archive"))


@dataclass(frozen=True)
class ArchiveRow:
    """A filed document: its archive entry and what its source says of it."""

    entry: ArchiveEntry
    document: ArchiveDocument


def _station() -> Station:
    return Station.objects.get(schema_name=connection.schema_name)


@transaction.atomic
def archive_entry_create(*, document: Model) -> ArchiveEntry | None:
    """File one document in its enterprise's archive, in the transaction that creates it (clause 7.4): a demand, a
    case, a service record, a survey, an opinion, a complaint or a document (whatever model an archive source names).
    Its number is the station's next of kind `da` in the year of its filing, from the desk's gap-free sequences: the
    sequence's row lock queues two filings at once, and a rolled-back creation gives its number back. So numbers
    follow the order of creation, across enterprises, and are given once and never again (even after a disposal
    removes the entry).

    A document already filed keeps its number; one linked to another enterprise's case since (a complaint, an
    opinion) moves to that enterprise's archive with it. One that belongs to no enterprise yet (a complaint about no
    case) is not filed: it is when it is linked to a case."""
    source = source_of(document)
    place = source.filing(document)
    if place is None:
        return None
    enterprise_id, recorded_at = place
    entry = ArchiveEntry.objects.select_for_update().filter(source=source.key, object_id=document.pk).first()
    if entry is not None:
        if entry.enterprise_id != enterprise_id:
            entry.enterprise_id = enterprise_id
            entry.save(update_fields=["enterprise"])
        return entry
    entry = ArchiveEntry(
        number=document_number(station=_station(), kind=NUMBER_KIND, year=timezone.localdate().year),
        enterprise_id=enterprise_id,
        source=source.key,
        object_id=document.pk,
        recorded_at=recorded_at,
    )
    entry.full_clean(exclude=["enterprise"])
    entry.save()
    return entry


# What of the archive's access log goes to the platform's audit trail too (安全审计): reads, exports, downloads.
AUDITED_ACCESS = {
    AccessAction.VIEW: AuditAction.ARCHIVE_VIEWED,
    AccessAction.EXPORT: AuditAction.EXPORTED,
    AccessAction.DOWNLOAD: AuditAction.DOWNLOADED,
}


def _channel(request: HttpRequest | None) -> str:
    if request is None:
        return ""
    return AccessChannel.API if request.path.startswith("/api/") else AccessChannel.PAGE


@transaction.atomic
def archive_access_log(
    *,
    user: User,
    enterprise: Enterprise,
    action: str,
    detail: str = "",
    request: HttpRequest | None = None,
) -> ArchiveAccess:
    """Write who did what with an enterprise's archive (clause 7.3), in the station's schema; a read, an export or a
    download also in the audit trail. The request, when there is one, says whether it came by a page or the API."""
    access = ArchiveAccess(
        user_id=user.pk,
        user_name=str(user)[:150],
        action=action,
        channel=_channel(request),
        enterprise=enterprise,
        enterprise_name=enterprise.name,
        object_kind=LookKind.ARCHIVE,
        detail=detail[:500],
    )
    access.full_clean(exclude=["enterprise"])
    access.save()
    if action in AUDITED_ACCESS:
        audit_record(
            action=AUDITED_ACCESS[action],
            request=request,
            user=user,
            station_code="" if request is not None else _station().code,  # a request names its station
            target=f"archive of enterprise #{enterprise.pk} {enterprise.name}",
            detail=detail,
        )
    return access


@transaction.atomic
def enterprise_access_log(
    *, user: User | None, looks: Sequence[Look], action: str, channel: str, detail: str = ""
) -> list[ArchiveAccess]:
    """Log a person's look at enterprises' information (clause 7.3): one row per enterprise looked at, naming what
    of it (a demand, a case, a record, a printed form; for a list, the documents of that enterprise it showed), in
    one insert whatever the number of rows. Only a person's look is logged: a task or a service reading for nobody in
    particular (a system actor, no user) logs nothing. No role check: whoever reached the information (the pages'
    and the API's bases decided that) is logged, and the log only ever adds what they were shown."""
    if not isinstance(user, User) or not user.is_authenticated or not looks:
        return []
    by_enterprise: dict[int, list[Look]] = {}
    for look in looks:
        by_enterprise.setdefault(look.enterprise_id, []).append(look)
    rows = []
    for enterprise_id, seen in by_enterprise.items():
        one = seen[0] if len(seen) == 1 else None
        access = ArchiveAccess(
            user_id=user.pk,
            user_name=str(user)[:150],
            action=action,
            channel=channel,
            enterprise_id=enterprise_id,
            enterprise_name=seen[0].enterprise_name[:200],
            object_kind=seen[0].kind,
            object_id=one.object_id if one is not None else None,
            object_label=", ".join(look.label for look in seen)[:300],
            detail=detail[:500],
        )
        access.full_clean(exclude=["enterprise"])
        rows.append(access)
    return ArchiveAccess.objects.bulk_create(rows)


# --- Confidential cases ---------------------------------------------------------------------------------------------


@transaction.atomic
def case_confidential_mark(*, case: ServiceCase, user: User, reason: str = "") -> ConfidentialCase:
    """The head marks a case confidential (clause 7.3): from now on only its assignee and the head see it."""
    require_head(user=user, message=_("Only the station head marks a case confidential."))
    case = ServiceCase.objects.select_for_update().get(pk=case.pk)
    marked = ConfidentialCase.objects.filter(case=case).first()
    if marked is None:
        marked = ConfidentialCase(case=case, marked_by=user, reason=reason.strip())
        marked.full_clean(exclude=["case", "marked_by"])
        marked.save()
    confidentiality.case_access_sync(case=case)
    return marked


@transaction.atomic
def case_confidential_unmark(*, case: ServiceCase, user: User) -> None:
    require_head(user=user, message=_("Only the station head marks a case confidential."))
    case = ServiceCase.objects.select_for_update().get(pk=case.pk)
    ConfidentialCase.objects.filter(case=case).delete()
    confidentiality.case_access_sync(case=case)


# --- Retention and disposal (clause 7.4) ----------------------------------------------------------------------------


def retention_end(last_recorded_at: datetime.datetime) -> datetime.date:
    """The first local day on which an archive whose last record is `last_recorded_at` may be disposed of."""
    day = timezone.localtime(last_recorded_at).date()
    try:
        return day.replace(year=day.year + RETENTION_YEARS) + datetime.timedelta(days=1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + RETENTION_YEARS, day=28) + datetime.timedelta(days=1)


def _disposable(enterprise: Enterprise) -> list[ArchiveRow]:
    """The filed archive of `enterprise`, or a field-level refusal while it is kept (code `retention`)."""
    from core.archive.selectors import archive_rows

    rows = archive_rows(enterprise=enterprise)
    if not rows:
        raise ValidationError({"enterprise": [_("This station keeps no archive of this enterprise.")]}, code="empty")
    last = max(row.entry.recorded_at for row in rows)
    until = retention_end(last)
    if timezone.localdate() < until:
        message = _(
            "The archive is kept for %(years)s years after its last record (%(last)s): it cannot be disposed of "
            "before %(until)s."
        ) % {"years": RETENTION_YEARS, "last": timezone.localtime(last).date(), "until": until}
        raise ValidationError({"enterprise": [ValidationError(message, code="retention")]})
    return rows


def _logged_refusal(*, user: User, enterprise: Enterprise, action: str, work):
    """Run `work` in its own transaction; a retention refusal is logged (outside the refused work) and raised."""
    try:
        with transaction.atomic():
            return work()
    except ValidationError as error:
        if "retention" in _codes(error):
            messages = "; ".join(m for ms in error.message_dict.values() for m in ms)
            archive_access_log(
                user=user, enterprise=enterprise, action=AccessAction.DISPOSAL_REFUSED, detail=f"{action}: {messages}"
            )
        raise


def _codes(error: ValidationError) -> set[str]:
    if hasattr(error, "error_dict"):
        return {e.code for errors in error.error_dict.values() for e in errors if e.code}
    return {e.code for e in error.error_list if e.code}


def archive_dispose(*, enterprise: Enterprise, user: User, reason: str) -> ArchiveDisposal:
    """Ask for the disposal of an enterprise's archive in this station (clause 7.4). Refused (field `enterprise`)
    while five years have not passed since its last record, and the refused attempt is logged: the log survives the
    refusal, so the check runs in its own transaction (the one exception to the services' single transaction).
    The head then approves it (`archive_disposal_approve`), which removes the documents. The station's members ask."""
    require_member(user=user)

    def work():
        if not reason.strip():
            raise ValidationError({"reason": [_("Say why.")]}, code="required")
        rows = _disposable(enterprise)
        disposal = ArchiveDisposal(
            enterprise=enterprise,
            enterprise_name=enterprise.name,
            reason=reason.strip(),
            last_recorded_at=max(row.entry.recorded_at for row in rows),
            requested_by=user,
        )
        disposal.full_clean(exclude=["enterprise", "requested_by"], validate_constraints=False)
        try:
            with transaction.atomic():
                disposal.save()
        except IntegrityError:
            raise ValidationError(
                {"enterprise": [_("A disposal of this archive is already waiting for approval.")]}, code="open"
            ) from None
        archive_access_log(
            user=user, enterprise=enterprise, action=AccessAction.DISPOSAL_REQUESTED, detail=disposal.reason
        )
        return disposal

    return _logged_refusal(user=user, enterprise=enterprise, action="request", work=work)


def archive_disposal_approve(*, disposal: ArchiveDisposal, user: User) -> ArchiveDisposal:
    """The head approves a disposal: the retention is checked again (a record added meanwhile restarts it), every
    document of the enterprise's archive in this station is removed through its source, the archive entries go,
    and the disposal keeps who asked, who approved, when, and what was removed (counts by kind, archive numbers).
    The numbers are never given again (the sequence does not go back)."""
    require_head(user=user, message=_("Only the station head approves a disposal."))
    enterprise = Enterprise.objects.get(pk=disposal.enterprise_id)

    def work():
        locked = ArchiveDisposal.objects.select_for_update().get(pk=disposal.pk)
        if locked.state != DisposalState.REQUESTED:
            raise ValidationError({"state": [_("This disposal has been carried out already.")]}, code="done")
        rows = _disposable(enterprise)
        counts, numbers = {}, []
        by_source: dict[str, list[ArchiveRow]] = {}
        for row in rows:
            by_source.setdefault(row.entry.source, []).append(row)
        for source in reversed(sources()):
            filed = by_source.pop(source.key, [])
            if not filed:
                continue
            if source.remove is None:
                raise ValidationError({"enterprise": [_("Some documents cannot be removed.")]}, code="kept")
            source.remove([row.entry.object_id for row in filed])
            counts[source.key] = len(filed)
        if by_source:  # documents of a source no longer registered
            raise ValidationError({"enterprise": [_("Some documents cannot be removed.")]}, code="kept")
        numbers = [row.entry.number for row in rows if row.entry.pk]  # one not filed (yet) has no number
        # The foreign keys are checked at commit (deferred): check them now, so that a row of another app still
        # pointing at a removed document refuses the disposal here rather than failing the commit.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        ArchiveEntry.objects.filter(enterprise=enterprise).delete()
        locked.state = DisposalState.APPROVED
        locked.approved_by = user
        locked.approved_at = timezone.now()
        locked.removed_counts = counts
        locked.removed_numbers = numbers
        locked.save()
        archive_access_log(
            user=user,
            enterprise=enterprise,
            action=AccessAction.DISPOSAL_APPROVED,
            detail=_("%(count)s documents removed") % {"count": len(numbers)},
        )
        return locked

    try:
        return _logged_refusal(user=user, enterprise=enterprise, action="approve", work=work)
    except (ProtectedError, IntegrityError):
        raise ValidationError(
            {"enterprise": [_("Other records still point at these documents: they cannot be removed.")]},
            code="protected",
        ) from None


# --- Export: a ZIP of PDFs ------------------------------------------------------------------------------------------


@transaction.atomic
def archive_export_start(*, enterprise: Enterprise, user: User, request: HttpRequest | None = None) -> Job:
    """Queue the export of an enterprise's archive as a ZIP of PDFs (logged, clause 7.3). The ZIP is kept with the
    export, not as the job's result, so that only its requester downloads it. The station's members export."""
    from core.archive.selectors import archive_rows
    from core.archive.tasks import archive_export_task

    require_member(user=user)

    rows = archive_rows(enterprise=enterprise)
    if not rows:
        raise ValidationError({"enterprise": [_("This station keeps no archive of this enterprise.")]})
    job = job_create(kind=EXPORT_KIND, user=user, input_name=f"archive-{enterprise.uscc}.zip")
    export = ArchiveExport(job_id=job.pk, enterprise=enterprise, requested_by=user)
    export.full_clean(exclude=["enterprise", "requested_by", "data"])
    export.save()
    archive_access_log(
        user=user, enterprise=enterprise, action=AccessAction.EXPORT, detail=f"job {job.pk}", request=request
    )
    transaction.on_commit(lambda: archive_export_task.delay(job_id=job.pk))
    return job


def _printing_failure(error: Exception) -> str:
    """Why the export failed, as its page says it (the technical error goes to the log)."""
    from core.common.printing import PrintingUnavailable

    if isinstance(error, PrintingUnavailable):
        return _(
            "The archive cannot be printed: this server has no Chromium browser to make the PDFs. Ask your system "
            "administrator to install the Debian packages chromium and fonts-noto-cjk."
        )
    return _("The archive's PDFs could not be made on this server right now. Try the export again later.")


def archive_export_run(*, job_id: int) -> Job:
    """Print the archive (the Celery task): one PDF of the enterprise's registration facts and the archive's index,
    then one PDF per kind of document, each document on its own pages under its archive number. One Chromium run
    per PDF, not per document: an archive of hundreds of documents prints in a handful of runs. What the requester
    may not see (confidential cases) is left out, as on the page."""
    from core.archive.selectors import archive_rows, rows_visible
    from core.common.printing import PrintingError, pdf_from_html

    job = Job.objects.get(pk=job_id)
    if job.finished_at is not None:
        return job
    export = ArchiveExport.objects.select_related("enterprise", "requested_by").get(job_id=job_id)
    with translation.override("zh-hans"):
        rows = rows_visible(rows=archive_rows(enterprise=export.enterprise), user=export.requested_by)
        groups = [(source, [r for r in rows if r.entry.source == source.key]) for source in sources()]
        groups = [(source, filed) for source, filed in groups if filed]
        job_start(job_id=job_id, total=1 + len(groups))
        station = _station()
        files = []
        try:
            html = render_to_string(
                "archive/print/index.html", {"station": station, "enterprise": export.enterprise, "rows": rows}
            )
            files.append(("00-index.pdf", pdf_from_html(html=html)))
            job_progress(job_id=job_id, done=1)
            for position, (source, filed) in enumerate(groups, start=1):
                contents = source.rows([row.entry.object_id for row in filed])
                documents = [(row, contents.get(row.entry.object_id, [])) for row in filed]
                context = {
                    "station": station,
                    "enterprise": export.enterprise,
                    "source": source,
                    "documents": documents,
                }
                html = render_to_string("archive/print/documents.html", context)
                files.append((f"{position:02d}-{source.key.replace('.', '-')}.pdf", pdf_from_html(html=html)))
                job_progress(job_id=job_id, done=1 + position)
            attached = _export_files(groups)
        except PrintingError as error:
            logger.exception("archive export %s: printing failed", job_id)
            return job_fail(job_id=job_id, error=_printing_failure(error))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files + attached:
            archive.writestr(name, data)
    with transaction.atomic():
        export.name = job.input_name
        export.data = buffer.getvalue()
        export.save(update_fields=["name", "data"])
        return job_finish(job_id=job_id, summary={"pdfs": len(files), "documents": len(rows), "files": len(attached)})


def _export_files(groups) -> list[tuple[str, bytes]]:
    """The stored files of the sources that keep some (`ArchiveSource.files`), each under `files/<archive number>-<file
    name>`, one document at a time."""
    attached = []
    for source, filed in groups:
        if source.files is None:
            continue
        for row in filed:
            for name, data in source.files([row.entry.object_id]):
                attached.append((f"files/{row.entry.number}-{name}", data))
    return attached


@transaction.atomic
def archive_export_download(*, export: ArchiveExport, user: User, request: HttpRequest | None = None) -> ArchiveExport:
    """Hand the ZIP to its requester, and log it."""
    if export.requested_by_id != user.pk:
        raise ArchiveExport.DoesNotExist
    archive_access_log(
        user=user, enterprise=export.enterprise, action=AccessAction.DOWNLOAD, detail=export.name, request=request
    )
    return export
