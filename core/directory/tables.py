"""Reading and writing the spreadsheets people exchange: CSV (UTF-8 or the GB18030 that Chinese Excel writes) and
XLSX."""

import csv
import io
from collections.abc import Iterator, Sequence

from openpyxl import Workbook, load_workbook

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"


class UnreadableFile(ValueError):
    pass


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10]
    return str(value).strip()


def read_rows(name: str, data: bytes) -> tuple[list[str], Iterator[list[str]], int]:
    """(headers, data rows, number of data rows) of an uploaded file."""
    if name.lower().endswith(".xlsx"):
        try:
            sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
        except Exception as error:  # openpyxl raises many kinds of errors for a broken file
            raise UnreadableFile(str(error)) from error
        rows = ([_cell(value) for value in row] for row in sheet.iter_rows(values_only=True))
        headers = next(rows, [])
        count = max((sheet.max_row or 1) - 1, 0)
        return headers, (row for row in rows if any(row)), count
    if name.lower().endswith(".csv"):
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise UnreadableFile("encoding")
        lines = [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]
        headers = [cell.strip() for cell in lines[0]] if lines else []
        return headers, iter(lines[1:]), max(len(lines) - 1, 0)
    raise UnreadableFile("type")


def write_csv(headers: Sequence[str], rows) -> bytes:
    """CSV with a byte-order mark, so that Excel opens the Chinese text correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    writer.writerows(rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def write_xlsx(headers: Sequence[str], rows) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
