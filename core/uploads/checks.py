"""Checks of an uploaded file before it is kept: its size, and its type read from its content (its first bytes and,
for Office documents, the parts inside the ZIP), never from its name or the Content-Type the browser sent.

`upload_check` is what services and forms call; a refusal is a field-level ValidationError in the user's language.
"""

import zipfile
from collections.abc import Collection
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


@dataclass(frozen=True)
class FileKind:
    name: str  # "pdf", "png", ...
    extension: str  # what the kept file is named with, whatever the upload was called
    content_type: str
    label: str


JPEG = FileKind("jpeg", ".jpg", "image/jpeg", gettext_lazy("JPEG photo"))
PNG = FileKind("png", ".png", "image/png", gettext_lazy("PNG image"))
PDF = FileKind("pdf", ".pdf", "application/pdf", gettext_lazy("PDF document"))
DOCX = FileKind(
    "docx",
    ".docx",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    gettext_lazy("Word document (DOCX)"),
)
XLSX = FileKind(
    "xlsx",
    ".xlsx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    gettext_lazy("Excel workbook (XLSX)"),
)
KINDS = {kind.name: kind for kind in (JPEG, PNG, PDF, DOCX, XLSX)}

# Office Open XML files are ZIP archives; the main part inside tells a Word document from a workbook.
ZIP_MAGIC = b"PK\x03\x04"
OFFICE_MAIN_PARTS = {"word/document.xml": DOCX, "xl/workbook.xml": XLSX}
MAGIC = ((b"\xff\xd8\xff", JPEG), (b"\x89PNG\r\n\x1a\n", PNG), (b"%PDF-", PDF))


def _office_kind(file) -> FileKind | None:
    try:
        with zipfile.ZipFile(file) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, EOFError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    return next((kind for part, kind in OFFICE_MAIN_PARTS.items() if part in names), None)


def sniff(file) -> FileKind | None:
    """The kind of `file` read from its content, or None when it is none of the known kinds. The file is read from its
    start and left at its start."""
    file.seek(0)
    head = file.read(16)
    try:
        for magic, kind in MAGIC:
            if head.startswith(magic):
                return kind
        if head.startswith(ZIP_MAGIC):
            return _office_kind(file)
        return None
    finally:
        file.seek(0)


def upload_check(*, file, allowed: Collection[str], max_bytes: int, field: str = "file") -> FileKind:
    """The kind of an upload whose content is one of `allowed` (names of `KINDS`) and whose size is at most
    `max_bytes`; otherwise a ValidationError on `field` saying what is accepted."""
    labels = "、".join(str(KINDS[name].label) for name in allowed)
    if file is None:
        raise ValidationError({field: [_("Choose a file.")]}, code="required")
    if file.size == 0:
        raise ValidationError({field: [_("The file “%(name)s” is empty.") % {"name": file.name}]}, code="empty")
    if file.size > max_bytes:
        raise ValidationError(
            {
                field: [
                    _("The file “%(name)s” is %(size)s; files up to %(limit)s are accepted.")
                    % {"name": file.name, "size": filesizeformat(file.size), "limit": filesizeformat(max_bytes)}
                ]
            },
            code="too_large",
        )
    kind = sniff(file)
    if kind is None or kind.name not in allowed:
        raise ValidationError(
            {
                field: [
                    _("The file “%(name)s” is not one of the accepted kinds (%(kinds)s), whatever its name says.")
                    % {"name": file.name, "kinds": labels}
                ]
            },
            code="wrong_kind",
        )
    return kind
