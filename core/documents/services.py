"""Writes of documents on demands and cases (issue 19): upload, a new version, the release to the enterprise (the
standard's 发放检验检测报告, clauses 5.1.7.4 and 5.1.8.2), and the documents of a referral's case travelling back to
the station that referred it.

Every upload is checked by its content (`core.uploads.checks.upload_check`), kept under the station's code with a
random name and the extension of the kind found, hashed (SHA-256), put on the case's timeline, and filed into the
enterprise's quality archive in the same transaction, so it has its archive number at once. Nothing is deleted or
changed afterwards: a trigger holds the rows to it (migration 0002); a new version supersedes the previous one.
"""

import hashlib
import logging
import re
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from core.archive.services import archive_entry_create
from core.desk.models import Demand, EventKind, ServiceCase
from core.desk.services._base import _event
from core.documents.models import Document, DocumentKind
from core.uploads.checks import FileKind, upload_check
from tenants.models import Station, User
from tenants.selectors import MESSAGES, PLATFORM, SystemActor, require_member

logger = logging.getLogger(__name__)

ALLOWED = ("pdf", "jpeg", "png", "docx", "xlsx")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _station() -> Station:
    return Station.objects.get(schema_name=connection.schema_name)


def _stored_name(kind: FileKind, when) -> str:
    """`documents/<station code>/<yyyy>/<uuid><ext>`: the station's folder, never the name the file came with."""
    return f"documents/{_station().code}/{timezone.localtime(when).year}/{uuid.uuid4().hex}{kind.extension}"


def _original_name(name: str | None, kind: FileKind) -> str:
    """The name the file came with, as shown and downloaded: its last path part, without control characters."""
    name = CONTROL.sub("", re.split(r"[\\/]", name or "")[-1]).strip()
    return name[-255:] or f"{kind.name}{kind.extension}"


def _sha256(file) -> str:
    digest = hashlib.sha256()
    file.seek(0)
    for chunk in file.chunks():
        digest.update(chunk)
    file.seek(0)
    return digest.hexdigest()


def _check(file) -> FileKind:
    return upload_check(file=file, allowed=ALLOWED, max_bytes=settings.DOCUMENTS_MAX_BYTES)


def _keep(document: Document, *, file, kind: FileKind) -> Document:
    """Store `file` under the station's folder and save `document` with what the file is. A refusal after the file was
    stored removes it again."""
    document.original_name = _original_name(getattr(file, "name", ""), kind)
    document.content_type = kind.content_type
    document.size = file.size
    document.sha256 = document.sha256 or _sha256(file)
    document.file.save(_stored_name(kind, document.uploaded_at), file, save=False)
    try:
        document.full_clean()
        document.save()
    except Exception:
        default_storage.delete(document.file.name)
        raise
    return document


def _cases_of(document: Document) -> list[ServiceCase]:
    """The timelines a document goes on: its case's, or every case of its demand for a document of the demand."""
    if document.case_id:
        return [document.case]
    return list(ServiceCase.objects.filter(demand_id=document.demand_id).order_by("pk"))


def _timeline(document: Document, *, user: User | None, text: str) -> None:
    for case in _cases_of(document):
        _event(case, kind=EventKind.NOTE, actor=user, text=text)


def _filed(document: Document) -> None:
    """File a new document in its enterprise's quality archive (clause 7.4): numbered at once."""
    archive_entry_create(document=document)


def _field_errors(**checks) -> dict[str, list[str]]:
    return {name: [message] for name, message in checks.items() if message}


@transaction.atomic
def document_upload(
    *, user: User, demand: Demand, case: ServiceCase | None = None, kind: str, title: str, file
) -> Document:
    """Attach a file to `demand` (as a whole) or to one of its cases: a report, a certificate, a calibration
    certificate, a photo, a scan (PDF, JPEG, PNG, DOCX or XLSX by content, at most `DOCUMENTS_MAX_BYTES`). Refusals are
    field-level (`kind`, `title`, `file`, `case`), all at once. The station's members upload."""
    require_member(user=user)
    title = (title or "").strip()
    errors = _field_errors(
        kind=_("Choose the kind of document.") if kind not in DocumentKind.values else "",
        title=_("Give the document a title.") if not title else "",
        case=_("This case is not one of the demand's.") if case is not None and case.demand_id != demand.pk else "",
    )
    try:
        checked = _check(file)
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    document = _keep(
        Document(
            demand=demand,
            case=case,
            kind=kind,
            title=title,
            version=1,
            uploaded_by=user,
            uploaded_by_name=user.display_name[:150],
            uploaded_at=timezone.now(),
        ),
        file=file,
        kind=checked,
    )
    try:
        _timeline(document, user=user, text=_("Uploaded a file: %(title)s") % {"title": document.title})
        _filed(document)
    except Exception:
        default_storage.delete(document.file.name)
        raise
    return document


@transaction.atomic
def document_replace(*, user: User, document: Document, file, title: str | None = None) -> Document:
    """A new version of `document` (the current version of its series): the earlier one is kept, marked superseded by
    the new one, and stays listed and downloadable. The title stays unless a new one is given. The station's members
    upload."""
    require_member(user=user)
    current = (
        Document.objects.select_for_update(of=("self",))
        .select_related("demand__enterprise", "case")
        .get(pk=document.pk)
    )
    if current.superseded_at is not None:
        raise ValidationError(
            {"file": [_("This version has been replaced already: add the new version to the current one.")]},
            code="superseded",
        )
    checked = _check(file)
    now = timezone.now()
    # The earlier version stops being current first (one current version per series), then points at the new one.
    current.superseded_at = now
    current.save(update_fields=["superseded_at"])
    new = _keep(
        Document(
            demand=current.demand,
            case=current.case,
            kind=current.kind,
            title=(title or "").strip() or current.title,
            series=current.series,
            version=current.version + 1,
            uploaded_by=user,
            uploaded_by_name=user.display_name[:150],
            uploaded_at=now,
        ),
        file=file,
        kind=checked,
    )
    try:
        current.superseded_by = new
        current.save(update_fields=["superseded_by"])
        _timeline(
            new,
            user=user,
            text=_("Uploaded a file: %(title)s (version %(version)s)") % {"title": new.title, "version": new.version},
        )
        _filed(new)
    except Exception:
        default_storage.delete(new.file.name)
        raise
    return new


@transaction.atomic
def document_release(*, user: User, document: Document) -> Document:
    """Release `document` to the enterprise (the standard's 发放检验检测报告, clause 5.1.7.4; 5.1.8.2 for special
    equipment): when and by whom, on the timeline; the enterprise's tracking page shows it. A replaced version, or a
    document released already, is refused (field `document`). The station's members release."""
    require_member(user=user)
    locked = Document.objects.select_for_update(of=("self",)).select_related("case").get(pk=document.pk)
    if locked.superseded_at is not None:
        raise ValidationError(
            {"document": [_("This version has been replaced: release the current version.")]}, code="superseded"
        )
    if locked.released_at is not None:
        raise ValidationError(
            {
                "document": [
                    _("This document was released on %(when)s by %(who)s.")
                    % {
                        "when": timezone.localtime(locked.released_at).strftime("%Y-%m-%d %H:%M"),
                        "who": locked.released_by_name or "—",
                    }
                ]
            },
            code="released",
        )
    locked.released_at = timezone.now()
    locked.released_by = user
    locked.released_by_name = user.display_name[:150]
    locked.save(update_fields=["released_at", "released_by", "released_by_name"])
    _timeline(locked, user=user, text=_("Report released: %(title)s") % {"title": locked.title})
    return locked


# --- Travel back with a completed referral --------------------------------------------------------------------------


def _time(value) -> str | None:
    return value.isoformat() if value else None


def documents_travel_payload(*, case: ServiceCase) -> list[dict]:
    """What of the case's documents travels back to the station that referred it, when the receiving station completes
    the referral (`core.referrals.services`): each current version of the case's documents (and of its demand as a
    whole when the demand has no other case, as a referred demand has), named by its storage name, which the other
    station reads through the same storage and checks against the SHA-256."""
    documents = Document.objects.filter(case=case, superseded_at__isnull=True)
    if not ServiceCase.objects.filter(demand_id=case.demand_id).exclude(pk=case.pk).exists():
        documents = Document.objects.filter(
            Q(case=case) | Q(case__isnull=True, demand_id=case.demand_id), superseded_at__isnull=True
        )
    return [
        {
            "uid": str(document.uid),
            "kind": document.kind,
            "title": document.title,
            "original_name": document.original_name,
            "content_type": document.content_type,
            "size": document.size,
            "sha256": document.sha256,
            "file": document.file.name,
            "uploaded_at": _time(document.uploaded_at),
            "uploaded_by_name": document.uploaded_by_name,
            "released_at": _time(document.released_at),
            "released_by_name": document.released_by_name,
        }
        for document in documents.order_by("uploaded_at", "pk")
    ]


class _NotCopied(Exception):
    """A travelling document that cannot be copied (its file missing, changed, or not what it says)."""


def _travelled_content(item: dict) -> ContentFile:
    """The travelling document's file, read by its storage name and checked against its SHA-256 and by content."""
    name = str(item.get("file") or "")
    if not name.startswith("documents/") or ".." in name.split("/"):
        raise _NotCopied(f"not a document's storage name: {name!r}")
    size = int(item.get("size") or 0)
    if not 0 < size <= settings.DOCUMENTS_MAX_BYTES:
        raise _NotCopied(f"size {size}")
    try:
        with default_storage.open(name, "rb") as handle:
            data = handle.read(settings.DOCUMENTS_MAX_BYTES + 1)
    except OSError as error:
        raise _NotCopied(f"{name}: {error}") from error
    if len(data) != size or hashlib.sha256(data).hexdigest() != item.get("sha256"):
        raise _NotCopied(f"{name}: the content is not the one sent")
    return ContentFile(data, name=str(item.get("original_name") or ""))


def _copy(*, case: ServiceCase, item: dict, station_name: str) -> Document:
    content = _travelled_content(item)
    try:
        kind = _check(content)
    except ValidationError as error:
        raise _NotCopied("; ".join(error.messages)) from error
    uploaded_at = parse_datetime(item.get("uploaded_at") or "") or timezone.now()
    released_at = parse_datetime(item.get("released_at") or "") if item.get("released_at") else None
    document = Document(
        demand=case.demand,
        case=case,
        kind=item.get("kind") if item.get("kind") in DocumentKind.values else DocumentKind.OTHER,
        title=(str(item.get("title") or "").strip() or content.name)[:200],
        version=1,
        sha256=item["sha256"],
        uploaded_by=None,
        uploaded_by_name=str(item.get("uploaded_by_name") or "")[:150],
        uploaded_at=uploaded_at,
        released_at=released_at,
        released_by_name=str(item.get("released_by_name") or "")[:150] if released_at else "",
        origin_station_name=station_name[:100],
        origin_uid=item["uid"],
    )
    return _keep(document, file=content, kind=kind)


@transaction.atomic
def documents_receive(
    *, case: ServiceCase, items: list[dict], station_name: str, actor: User | SystemActor = MESSAGES
) -> int:
    """Copy the documents another station sent back with a completed referral (`documents_travel_payload`) into
    `case` (the referring station's case): each file read through the shared storage, checked against its SHA-256 and
    by its content, stored in this station's folder as a new document that names the station it came from, put on the
    timeline and filed in the archive like an upload. A document copied before (its `origin_uid`) is not copied again;
    one that cannot be copied is left out and said on the timeline, never holding up the referral's message. How many
    were copied. Called by the messages (`core.referrals.services`)."""
    require_member(user=actor, system=(MESSAGES, PLATFORM))
    copied = 0
    for item in items:
        if not item.get("uid") or Document.objects.filter(origin_uid=item["uid"]).exists():
            continue
        title = str(item.get("title") or item.get("original_name") or "")[:200]
        try:
            with transaction.atomic():
                document = _copy(case=case, item=item, station_name=station_name)
        except (_NotCopied, ValidationError) as error:
            logger.warning("document %s from %s not copied: %s", item.get("uid"), station_name, error)
            _event(
                case,
                kind=EventKind.NOTE,
                actor=None,
                text=_("A file from %(station)s could not be copied: %(title)s")
                % {"station": station_name, "title": title},
            )
            continue
        _event(
            case,
            kind=EventKind.NOTE,
            actor=None,
            text=_("File from %(station)s: %(title)s") % {"station": station_name, "title": document.title},
        )
        _filed(document)
        copied += 1
    return copied
