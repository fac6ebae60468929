"""Exports as .xlsx and .csv, safe from formula injection (a cell is never run as a formula by Excel).

xlsx: text is written as a string cell with Excel's quote prefix, so it reads back as exactly the same
text and Excel shows it as typed. csv: text starting with = + - @ tab or CR gets a leading apostrophe
(OWASP's advice); `csv_text` removes it again for anyone reading the file back.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

DANGEROUS_FIRST = ("=", "+", "-", "@", "\t", "\r")
CSV_GUARD = "'"


def is_dangerous(text: str) -> bool:
    return text.startswith(DANGEROUS_FIRST)


def csv_cell(value: Any) -> Any:
    if isinstance(value, str) and is_dangerous(value):
        return CSV_GUARD + value
    return value


def csv_text(cell: str) -> str:
    """The text as it was before `csv_cell` guarded it."""
    if cell.startswith(CSV_GUARD) and is_dangerous(cell[1:]):
        return cell[1:]
    return cell


def write_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([csv_cell(h) for h in header])
    for row in rows:
        writer.writerow([csv_cell(_plain(v)) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")  # BOM: Excel then reads UTF-8 correctly


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, float):
        return repr(value)
    return value


def add_sheet(workbook: Workbook, title: str, header: Sequence[str], rows: Iterable[Sequence[Any]],
              number_formats: dict[int, str] | None = None) -> None:
    """A sheet with a bold header and every text cell stored as text, never as a formula."""
    sheet = workbook.create_sheet(title[:31])
    sheet.append(list(header))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    widths = [len(str(h)) for h in header]
    for r, row in enumerate(rows, start=2):
        for c, value in enumerate(row, start=1):
            cell = sheet.cell(row=r, column=c)
            if isinstance(value, str):
                cell.value = value
                cell.data_type = "s"  # openpyxl would otherwise store '=...' as a formula
                if is_dangerous(value):
                    cell.quotePrefix = True
            elif isinstance(value, (date, datetime)):
                cell.value = value
                cell.number_format = "yyyy-mm-dd"
            else:
                cell.value = value
            if number_formats and c - 1 in number_formats and isinstance(value, (int, float, Decimal)):
                cell.number_format = number_formats[c - 1]
            widths[c - 1] = min(max(widths[c - 1], len(str(value if value is not None else ""))), 60)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width + 2
    sheet.freeze_panes = "A2"


def new_workbook() -> Workbook:
    workbook = Workbook()
    workbook.remove(workbook.active)
    return workbook


def workbook_bytes(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
