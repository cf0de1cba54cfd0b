"""Reading the spreadsheets people import: CSV (UTF-8 or the GB18030 that Chinese Excel writes) and XLSX, with limits.

A row that cannot be read (a cell longer than `CELL_MAX_CHARS`, broken CSV quoting) comes out as a `RowError`, so
that the import reports it and goes on with the next row. XLSX is read in openpyxl's read-only (streaming) mode; a
sheet without a dimension record (as streaming writers, ours included, leave it) is counted in a first pass, so the
progress bar moves. Writing goes through `core.common.spreadsheets` (the names below are kept for its callers).
"""

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from django.utils.translation import gettext as _
from openpyxl import load_workbook

from core.common.spreadsheets import CSV_TYPE, XLSX_TYPE, cell_text_read, write_csv, write_xlsx

__all__ = ["CSV_TYPE", "XLSX_TYPE", "RowError", "UnreadableFile", "read_rows", "write_csv", "write_xlsx"]

# No column of the directory holds anything near this; a longer cell is a mistake (or an attack), never data.
CELL_MAX_CHARS = 10_000


class UnreadableFile(ValueError):
    pass


@dataclass(frozen=True)
class RowError:
    """A row that could not be read, with the reason (in the user's language)."""

    message: str


def _too_long() -> RowError:
    return RowError(_("A cell of this row is longer than %(limit)s characters.") % {"limit": CELL_MAX_CHARS})


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10]
    return cell_text_read(str(value).strip())


def _blank(cells: list[str]) -> bool:
    return not any(cell.strip() for cell in cells)


def _xlsx_rows(sheet) -> Iterator[list[str] | RowError]:
    for values in sheet.iter_rows(values_only=True):
        cells = [_cell(value) for value in values]
        if any(len(cell) > CELL_MAX_CHARS for cell in cells):
            yield _too_long()
        else:
            yield cells


def _read_xlsx(file: BinaryIO) -> tuple[list[str], Iterator[list[str] | RowError], int]:
    try:
        workbook = load_workbook(file, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds of errors for a broken file
        raise UnreadableFile(str(error)) from error
    try:
        sheet = workbook.worksheets[0]
        counted = sheet.max_row
        if not counted or counted <= 1:
            # No dimension record (or a placeholder): count the rows, streaming, before the work starts.
            counted = sum(1 for row in _xlsx_rows(sheet) if isinstance(row, RowError) or not _blank(row))
        body = _xlsx_rows(sheet)
        first = next(body, [])
    except Exception as error:
        workbook.close()
        raise UnreadableFile(str(error)) from error

    def rows() -> Iterator[list[str] | RowError]:
        try:
            for row in body:
                if isinstance(row, RowError) or not _blank(row):
                    yield row
        except Exception as error:  # a part broken further down the sheet
            raise UnreadableFile(str(error)) from error
        finally:
            workbook.close()

    headers = first if isinstance(first, list) else []
    return headers, rows(), max(counted - 1, 0)


def _csv_records(text: str) -> Iterator[list[str] | RowError]:
    """The non-blank records of a CSV text; a record the csv module refuses is a RowError (the reader then goes on
    at the next line)."""
    reader = csv.reader(io.StringIO(text))
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            if "field limit" in str(error):
                yield _too_long()
            else:
                yield RowError(_("This row could not be read as CSV (check its quotes)."))
            continue
        if not _blank(cells):
            yield [cell_text_read(cell) for cell in cells]


def _read_csv(data: bytes) -> tuple[list[str], Iterator[list[str] | RowError], int]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise UnreadableFile("encoding")
    # The module's bound on a cell (process-wide; every CSV read here is the directory's import).
    csv.field_size_limit(CELL_MAX_CHARS)
    count = sum(1 for _record in _csv_records(text))
    records = _csv_records(text)
    first = next(records, [])
    if isinstance(first, RowError):
        raise UnreadableFile(first.message)
    return [cell.strip() for cell in first], records, max(count - 1, 0)


def read_rows(name: str, file: BinaryIO | bytes) -> tuple[list[str], Iterator[list[str] | RowError], int]:
    """(headers, data rows, number of data rows) of an uploaded file, given as bytes or a binary file. A data row is
    its cells as text, or a RowError."""
    if isinstance(file, bytes | bytearray | memoryview):
        file = io.BytesIO(bytes(file))
    if name.lower().endswith(".xlsx"):
        return _read_xlsx(file)
    if name.lower().endswith(".csv"):
        return _read_csv(file.read())
    raise UnreadableFile("type")
