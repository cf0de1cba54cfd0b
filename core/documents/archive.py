"""Documents as a source of the enterprise's quality archive (clause 7.1): every version of every file on its demands
and cases, each with its own archive number, printed as a sheet of facts (kind, title, version, file, SHA-256, who
uploaded and released it) and its file itself in the archive's ZIP (`files/<archive number>-<file name>`).

Removal (an approved disposal, in its transaction): the rows go while the disposal's setting lets the trigger allow it
(`core.archive.desk_sources`), and their stored files once the disposal is committed. Documents come before the
demands and cases they point at: the sources are removed in reverse `position` order.
"""

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Prefetch
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.archive.desk_sources import _allow_history_delete, _label, _when
from core.archive.sources import ArchiveDocument, ArchiveSource, source_register
from core.desk.models import ServiceCase
from core.documents.models import Document
from core.documents.selectors import SOURCE

POSITION = 60  # after the desk's documents and the complaints in an export; removed before them


def document_documents(enterprise_id: int):
    documents = Document.objects.filter(demand__enterprise_id=enterprise_id).select_related("demand", "case")
    documents = documents.prefetch_related(
        Prefetch("demand__cases", queryset=ServiceCase.objects.only("pk", "demand_id"))
    )
    for document in documents:
        # A document of the demand as a whole belongs to each of its cases (hidden with any confidential one).
        case_ids = (document.case_id,) if document.case_id else tuple(c.pk for c in document.demand.cases.all())
        yield ArchiveDocument(
            source=SOURCE,
            object_id=document.pk,
            recorded_at=document.uploaded_at,
            title=_("%(kind)s: %(title)s (version %(version)s)")
            % {"kind": document.get_kind_display(), "title": document.title, "version": document.version},
            reference=document.case.number if document.case_id else document.demand.number,
            case_ids=case_ids,
            url=reverse("documents:download", kwargs={"pk": document.pk}),
        )


def document_filing(document: Document):
    return document.demand.enterprise_id, document.uploaded_at


def document_rows(ids: list[int]) -> dict[int, list[tuple[str, str]]]:
    documents = Document.objects.filter(pk__in=ids).select_related("demand", "case", "superseded_by")
    result = {}
    for document in documents:
        version = str(document.version)
        if document.superseded_at:
            version = _("%(version)s (replaced by version %(newer)s on %(when)s)") % {
                "version": document.version,
                "newer": document.superseded_by.version if document.superseded_by else "—",
                "when": _when(document.superseded_at),
            }
        rows = [
            (_label(Document, "demand"), document.demand.number),
            (_label(Document, "case"), document.case.number if document.case_id else ""),
            (_label(Document, "kind"), document.get_kind_display()),
            (_label(Document, "title"), document.title),
            (_label(Document, "version"), version),
            (_label(Document, "original_name"), document.original_name),
            (_label(Document, "content_type"), document.content_type),
            (_label(Document, "size"), str(filesizeformat(document.size))),
            (_label(Document, "sha256"), document.sha256),
            (_label(Document, "uploaded_by"), document.uploaded_by_name),
            (_label(Document, "uploaded_at"), _when(document.uploaded_at)),
            (_label(Document, "released_by"), document.released_by_name),
            (_label(Document, "released_at"), _when(document.released_at)),
        ]
        if document.origin_station_name:
            rows.append((_label(Document, "origin_station_name"), document.origin_station_name))
        result[document.pk] = rows
    return result


def document_files(ids: list[int]) -> list[tuple[str, bytes]]:
    """The stored files of some documents, each named as it came (a file missing from the storage is left out)."""
    files = []
    for document in Document.objects.filter(pk__in=ids).order_by("pk"):
        try:
            with default_storage.open(document.file.name, "rb") as handle:
                files.append((document.original_name, handle.read()))
        except OSError:
            continue
    return files


def document_remove(ids: list[int]) -> int:
    names = list(Document.objects.filter(pk__in=ids).values_list("file", flat=True))
    _allow_history_delete(True)
    removed = Document.objects.filter(pk__in=ids).delete()[1].get("documents.Document", 0)
    _allow_history_delete(False)
    transaction.on_commit(lambda: [default_storage.delete(name) for name in names if name])
    return removed


def register_all() -> None:
    source_register(
        ArchiveSource(
            SOURCE,
            gettext_lazy("Documents"),
            POSITION,
            document_documents,
            document_rows,
            document_remove,
            files=document_files,
            model=Document,
            filing=document_filing,
        )
    )
