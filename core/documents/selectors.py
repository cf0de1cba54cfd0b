"""Reads of documents, in the current station's schema. Each list is one query, whatever its length: the uploader,
the releaser and the archive number come with it."""

from django.db.models import OuterRef, QuerySet, Subquery
from django.http import Http404

from core.archive.models import ArchiveEntry
from core.desk.models import Demand, ServiceCase
from core.desk.selectors import case_access, demand_access
from core.documents.models import Document
from tenants.models import User

SOURCE = "documents.document"  # the archive source's key (core.documents.archive)


def _documents() -> QuerySet[Document]:
    number = ArchiveEntry.objects.filter(source=SOURCE, object_id=OuterRef("pk")).values("number")[:1]
    return Document.objects.select_related("uploaded_by", "released_by", "case").annotate(
        archive_number=Subquery(number)
    )


def _listed(documents: QuerySet[Document]) -> QuerySet[Document]:
    """Newest series first; within a series the newest version first."""
    return documents.order_by("-series_started", "series", "-version")


def _with_series_start(documents: QuerySet[Document]) -> QuerySet[Document]:
    first = Document.objects.filter(series=OuterRef("series"), version=1).values("uploaded_at")[:1]
    return documents.annotate(series_started=Subquery(first))


def documents_of_case(*, case: ServiceCase) -> QuerySet[Document]:
    """The documents of `case`, every version (a replaced one marked superseded), newest series first and the newest
    version first within a series, with the uploader, the releaser and the archive number (`archive_number`)."""
    return _listed(_with_series_start(_documents().filter(case=case)))


def documents_of_demand(*, demand: Demand) -> QuerySet[Document]:
    """The documents of `demand`: of the demand as a whole and of each of its cases (`case` tells which), every
    version, ordered as `documents_of_case`."""
    return _listed(_with_series_start(_documents().filter(demand=demand)))


def documents_released(*, demand: Demand) -> list[Document]:
    """What the enterprise is given of `demand` (its tracking page): the current versions released to it, of the
    demand as a whole and of its cases, oldest release first."""
    documents = _documents().filter(demand=demand, superseded_at__isnull=True, released_at__isnull=False)
    return list(documents.order_by("released_at", "pk"))


def document_archive_number(*, document: Document) -> str:
    """The archive number a document was filed under ("—" before it is filed)."""
    entry = ArchiveEntry.objects.filter(source=SOURCE, object_id=document.pk).first()
    return entry.number if entry else "—"


def document_access(*, pk: int, user: User) -> Document:
    """The one way a page or an endpoint reaches a document for `user`: through its case (`case_access`) or, for a
    document of a demand as a whole, its demand (`demand_access`). A document of a case `user` may not see (a
    confidential one, clause 7.3) raises the same `Http404` as a missing one."""
    if user is None:
        raise TypeError("document_access needs the user the document is reached for")
    document = _documents().select_related("demand").filter(pk=pk).first()
    if document is None:
        raise Http404
    if document.case_id:
        document.case = case_access(pk=document.case_id, user=user)
    else:
        document.demand = demand_access(pk=document.demand_id, user=user)
    return document
