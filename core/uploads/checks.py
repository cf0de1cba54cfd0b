"""Checks of an uploaded file before it is kept: its size, its type read from its content (its first bytes and, for
Office documents, the parts inside the ZIP), never from its name or the Content-Type the browser sent, and then that
the content is what that type claims: a PDF parses (pypdf), an image decodes within a pixel limit (Pillow), an Office
document is a ZIP whose entries, total uncompressed size and compression ratio are bounded before anything inflates.

`upload_check` is what services and forms call; a refusal is a field-level ValidationError in the user's language.
`zip_check` is the ZIP part alone, for callers that open an Office file themselves (an XLSX import).
"""

import struct
import warnings
import zipfile
import zlib
from collections.abc import Collection
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from PIL import Image
from pypdf import PdfReader


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
CONTENT_TYPES_PART = "[Content_Types].xml"
OFFICE_MAIN_PARTS = {"word/document.xml": DOCX, "xl/workbook.xml": XLSX}
MAGIC = ((b"\xff\xd8\xff", JPEG), (b"\x89PNG\r\n\x1a\n", PNG), (b"%PDF-", PDF))
PILLOW_FORMATS = {"jpeg": "JPEG", "png": "PNG"}


def _office_kind(file) -> FileKind | None:
    try:
        with zipfile.ZipFile(file) as archive:
            names = set(archive.namelist())  # the central directory only: nothing is inflated
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        return None
    if CONTENT_TYPES_PART not in names:
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


def _refusal(field: str, message: str, code: str) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})


def _name(file) -> str:
    return getattr(file, "name", None) or _("the file")


# --- ZIP (Office documents) -----------------------------------------------------------------------------------------


def zip_check(
    file,
    *,
    max_total_bytes: int | None = None,
    max_ratio: int | None = None,
    max_entries: int | None = None,
    field: str = "file",
) -> list[str]:
    """The names of the entries of an Office document (a ZIP) that is safe to open, or a ValidationError on `field`.

    Read from the central directory before anything inflates: at most `max_entries` entries, whose declared
    uncompressed sizes add up to at most `max_total_bytes`, at most `max_ratio` times what they take compressed
    (each defaults to its UPLOAD_ZIP_* setting); and the content types part every Office file has. Only then is
    every entry inflated once, streamed, to check it against its declared size and checksum: Python's zipfile (and
    so openpyxl) never reads past a declared size, so these bounds hold for whoever opens the file afterwards. The
    file is left at its start."""
    max_total_bytes = settings.UPLOAD_ZIP_MAX_TOTAL_BYTES if max_total_bytes is None else max_total_bytes
    max_ratio = settings.UPLOAD_ZIP_MAX_RATIO if max_ratio is None else max_ratio
    max_entries = settings.UPLOAD_ZIP_MAX_ENTRIES if max_entries is None else max_entries
    name = _name(file)
    not_office = _refusal(
        field, _("The file “%(name)s” is not a valid Office document.") % {"name": name}, "invalid_zip"
    )
    file.seek(0)
    try:
        with zipfile.ZipFile(file) as archive:
            entries = archive.infolist()
            if len(entries) > max_entries:
                raise _refusal(
                    field,
                    _("The document “%(name)s” holds %(count)s parts; documents of up to %(limit)s are accepted.")
                    % {"name": name, "count": len(entries), "limit": max_entries},
                    "zip_entries",
                )
            total = sum(entry.file_size for entry in entries)
            if total > max_total_bytes:
                raise _refusal(
                    field,
                    _(
                        "The document “%(name)s” unpacks to %(size)s; documents of up to %(limit)s unpacked are accepted."
                    )
                    % {"name": name, "size": filesizeformat(total), "limit": filesizeformat(max_total_bytes)},
                    "zip_size",
                )
            compressed = sum(entry.compress_size for entry in entries)
            if total > max_ratio * max(compressed, 1):
                raise _refusal(
                    field,
                    _(
                        "The document “%(name)s” unpacks to %(ratio)s times its size, more than any ordinary document "
                        "(up to %(limit)s times)."
                    )
                    % {"name": name, "ratio": total // max(compressed, 1), "limit": max_ratio},
                    "zip_ratio",
                )
            if CONTENT_TYPES_PART not in {entry.filename for entry in entries}:
                raise not_office
            if archive.testzip() is not None:  # bounded above; streamed in chunks, never held whole
                raise not_office
            return [entry.filename for entry in entries]
    except ValidationError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError) as error:
        raise not_office from error
    finally:
        file.seek(0)


# --- PDF ------------------------------------------------------------------------------------------------------------


def _opens_without_password(reader: PdfReader) -> bool:
    try:
        return bool(reader.decrypt(""))
    except Exception:  # noqa: BLE001  (an unknown or unsupported encryption: it needs more than the empty password)
        return False


def pdf_check(file, *, field: str = "file") -> int:
    """The number of pages of a PDF that parses (its cross-reference table, its trailer and its page tree), or a
    ValidationError on `field`: a file that only starts like a PDF is refused. An encrypted PDF is opened only as
    any viewer opens it, with the empty password; one that needs a password is refused. The file is left at its
    start."""
    name = _name(file)
    file.seek(0)
    try:
        reader = PdfReader(file)
        if reader.is_encrypted and not _opens_without_password(reader):
            raise _refusal(
                field,
                _("The PDF “%(name)s” is protected by a password; upload it without the password.") % {"name": name},
                "pdf_encrypted",
            )
        pages = len(reader.pages)
    except ValidationError:
        raise
    except Exception as error:  # noqa: BLE001  (a parser of untrusted input: whatever it raises, the file is refused)
        raise _refusal(
            field, _("The file “%(name)s” is not a valid PDF document.") % {"name": name}, "invalid_pdf"
        ) from error
    finally:
        file.seek(0)
    if pages < 1:
        raise _refusal(field, _("The PDF “%(name)s” has no pages.") % {"name": name}, "pdf_empty")
    return pages


# --- Images ---------------------------------------------------------------------------------------------------------

PNG_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # by colour type: grey, RGB, palette, grey + alpha, RGBA
# The passes of an interlaced PNG: first column and row, then every how many columns and rows.
ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2))
INFLATE_PIECE = 1 << 20


def _png_scanline_bytes(*, width: int, height: int, bit_depth: int, colour_type: int, interlaced: bool) -> int:
    """How many bytes a PNG's picture data inflates to: every scanline of every pass, with its filter byte."""
    bits = PNG_CHANNELS[colour_type] * bit_depth
    total = 0
    for first_column, first_row, column_step, row_step in ADAM7 if interlaced else ((0, 0, 1, 1),):
        columns = max(0, -(-(width - first_column) // column_step))
        rows = max(0, -(-(height - first_row) // row_step))
        if columns and rows:
            total += rows * (1 + -(-columns * bits // 8))
    return total


def _png_data_inflates(file) -> bool:
    """Whether the picture data of a PNG (whose chunks Pillow verified) inflates to exactly the scanlines its header
    declares: inflated piece by piece and counted, never held whole (the pixel limit bounds what is counted)."""
    file.seek(8)
    length, _kind = struct.unpack(">I4s", file.read(8))
    header = file.read(length)
    file.seek(4, 1)  # its checksum
    width, height, bit_depth, colour_type, _compression, _filter, interlace = struct.unpack(">IIBBBBB", header)
    expected = _png_scanline_bytes(
        width=width, height=height, bit_depth=bit_depth, colour_type=colour_type, interlaced=interlace == 1
    )
    inflater, produced = zlib.decompressobj(), 0
    while True:
        length, kind = struct.unpack(">I4s", file.read(8))
        if kind == b"IEND":
            break
        if kind != b"IDAT":
            file.seek(length + 4, 1)
            continue
        data = file.read(length)
        file.seek(4, 1)
        while data and not inflater.eof:
            produced += len(inflater.decompress(data, INFLATE_PIECE))
            data = inflater.unconsumed_tail
            if produced > expected:
                return False
    return inflater.eof and produced == expected


def image_check(file, *, kind: FileKind, max_pixels: int | None = None, field: str = "file") -> tuple[int, int]:
    """The width and height of a PNG or JPEG image that decodes, or a ValidationError on `field`.

    Pillow opens it as `kind` only and verifies it (a PNG's chunks and their checksums); reopened, its declared size
    must be at most `max_pixels` (the UPLOAD_IMAGE_MAX_PIXELS setting) before any pixel is decoded, so a small file
    that declares a huge picture is refused (Pillow's own decompression-bomb warning and error count as a refusal).
    Then its picture data is read through: a JPEG decoded at an eighth of its size (every scan is read all the same),
    a PNG's compressed data inflated in pieces and counted against its declared size, so neither is held whole. The
    file is left at its start."""
    max_pixels = settings.UPLOAD_IMAGE_MAX_PIXELS if max_pixels is None else max_pixels
    name = _name(file)
    formats = [PILLOW_FORMATS[kind.name]]
    too_large = _refusal(
        field,
        _("The image “%(name)s” has too many pixels; images of up to %(limit)s megapixels are accepted.")
        % {"name": name, "limit": f"{max_pixels / 1_000_000:g}"},
        "image_pixels",
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            file.seek(0)
            with Image.open(file, formats=formats) as image:
                image.verify()
            file.seek(0)
            with Image.open(file, formats=formats) as image:
                width, height = image.size
                if width * height > max_pixels:
                    raise too_large
                if kind is JPEG:
                    image.draft(image.mode, (max(1, width // 8), max(1, height // 8)))
                    image.load()
            if kind is PNG and not _png_data_inflates(file):
                raise ValueError("the picture data does not inflate to the declared size")
    except ValidationError:
        raise
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as error:
        raise too_large from error
    except Exception as error:  # noqa: BLE001  (a decoder of untrusted input: whatever it raises, the file is refused)
        raise _refusal(
            field,
            _("The file “%(name)s” is not a valid %(kind)s.") % {"name": name, "kind": kind.label},
            "invalid_image",
        ) from error
    finally:
        file.seek(0)
    return width, height


# --- Any upload -----------------------------------------------------------------------------------------------------


def upload_check(*, file, allowed: Collection[str], max_bytes: int, field: str = "file") -> FileKind:
    """The kind of an upload whose content is one of `allowed` (names of `KINDS`) and whose size is at most
    `max_bytes`, and that is what its kind claims (`pdf_check`, `image_check`, `zip_check`); otherwise a
    ValidationError on `field` saying what is wrong or what is accepted. The file is left at its start."""
    labels = "、".join(str(KINDS[name].label) for name in allowed)
    if file is None:
        raise _refusal(field, _("Choose a file."), "required")
    if file.size == 0:
        raise _refusal(field, _("The file “%(name)s” is empty.") % {"name": file.name}, "empty")
    if file.size > max_bytes:
        raise _refusal(
            field,
            _("The file “%(name)s” is %(size)s; files up to %(limit)s are accepted.")
            % {"name": file.name, "size": filesizeformat(file.size), "limit": filesizeformat(max_bytes)},
            "too_large",
        )
    kind = sniff(file)
    if kind is None or kind.name not in allowed:
        raise _refusal(
            field,
            _("The file “%(name)s” is not one of the accepted kinds (%(kinds)s), whatever its name says.")
            % {"name": file.name, "kinds": labels},
            "wrong_kind",
        )
    if kind is PDF:
        pdf_check(file, field=field)
    elif kind in (PNG, JPEG):
        image_check(file, kind=kind, field=field)
    else:
        zip_check(file, field=field)
    return kind
