"""The spreadsheets people download (CSV and XLSX): one cell writer for every export.

Every cell goes through `cell_value`, so that whatever text someone typed is written as inert text:
- formula injection (OWASP, "CSV Injection"): a text starting with `=`, `+`, `-`, `@`, a tab or a carriage return
  would be run by a spreadsheet as a formula; it is written with a leading apostrophe, in CSV and in XLSX alike;
- characters an XLSX file cannot hold (the control characters openpyxl refuses, `ILLEGAL_CHARACTERS_RE`) are removed,
  so an export never fails on a name that holds one.

`cell_text_read` undoes the apostrophe when such a file is read back (the directory's import of its own export).
"""

import csv
import io
from collections.abc import Iterable, Sequence

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ESCAPE = "'"


def cell_value(value):
    """`value` as a spreadsheet cell: text made inert and free of the characters XLSX refuses; numbers, dates and
    empty cells as they are."""
    if not isinstance(value, str):
        return value
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return ESCAPE + value if value.startswith(FORMULA_STARTS) else value


def cell_text_read(text: str) -> str:
    """A cell's text as it was before `cell_value` escaped it."""
    if text.startswith(ESCAPE) and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text


def _row(values: Iterable) -> list:
    return [cell_value(value) for value in values]


def write_csv(headers: Sequence, rows: Iterable[Sequence]) -> bytes:
    """CSV with a byte-order mark, so that Excel opens the Chinese text correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(_row(headers))
    writer.writerows(_row(row) for row in rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def write_xlsx(headers: Sequence, rows: Iterable[Sequence]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(_row(headers))
    for row in rows:
        sheet.append(_row(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
