"""The extension point of the archive: sources of dated documents of an enterprise.

An app that keeps documents about enterprises (the desk today; complaints and supervision when they come) registers
an `ArchiveSource` in its AppConfig.ready(). A document is filed under its archive number in the transaction that
creates it (clause 7.4): the creating service calls `core.archive.services.archive_entry_create(document=...)`, which
finds the document's source by its model and asks the source where it goes (`filing`: its enterprise and date). The
archive asks every source for an enterprise's documents to show them (in date order), prints them (one PDF per
source), and on an approved disposal asks the source to remove them. A source never decides who may see a document: it says which cases a document belongs to
(`case_ids`), and the archive hides the documents of confidential cases from whoever may not see them.
"""

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db.models import Model


@dataclass(frozen=True)
class ArchiveDocument:
    source: str  # the source's key
    object_id: int
    recorded_at: datetime.datetime
    title: str
    reference: str = ""  # the document's own number, if it has one (a demand's, a record's)
    case_ids: tuple[int, ...] = ()
    url: str = ""


@dataclass(frozen=True)
class ArchiveSource:
    key: str  # `<app>.<kind>`, stored in ArchiveEntry.source
    label: str
    position: int  # the order of the sources in an export
    # The documents of one enterprise (by directory id), any order.
    documents: Callable[[int], Iterable[ArchiveDocument]]
    # The printed content of some documents: {object id: [(label, value), …]} (values are plain text).
    rows: Callable[[list[int]], dict[int, list[tuple[str, str]]]]
    # Remove the documents (an approved disposal); returns how many were removed. Called in the disposal's
    # transaction, sources in reverse `position` order (dependents before what they point at).
    remove: Callable[[list[int]], int] | None = None
    extra: dict = field(default_factory=dict)
    # The stored files of some documents, as (file name, content) pairs (a source of files: the documents on demands
    # and cases); the export puts each one in the ZIP as `files/<archive number>-<file name>`.
    files: Callable[[list[int]], list[tuple[str, bytes]]] | None = None
    # Filing at creation (clause 7.4): the model of the source's documents, and where a new one is filed: its
    # enterprise (directory id) and its date, or None while it belongs to no enterprise (a complaint about no case).
    model: type[Model] | None = None
    filing: Callable[[Model], tuple[int, datetime.datetime] | None] | None = None


_SOURCES: dict[str, ArchiveSource] = {}


def source_register(source: ArchiveSource) -> None:
    """Register (or replace: a reloaded app) an archive source."""
    _SOURCES[source.key] = source


def sources() -> list[ArchiveSource]:
    return sorted(_SOURCES.values(), key=lambda source: (source.position, source.key))


def source_get(key: str) -> ArchiveSource | None:
    return _SOURCES.get(key)


def source_of(document: Model) -> ArchiveSource:
    """The source that files `document` (by its model); a LookupError for a model no source files."""
    for source in _SOURCES.values():
        if source.model is not None and isinstance(document, source.model):
            return source
    raise LookupError(f"no archive source files {type(document).__name__}")
