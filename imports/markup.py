"""The user's own sheet handed back with every problem cell filled and commented (SPEC §5).

Works on the user's workbook itself (their formatting, other sheets and formulas stay); a CSV becomes
an .xlsx holding its cells as text in the same positions. Formulas are never evaluated.
"""
from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, MergedCell
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

COMMENT_AUTHOR = "Outcome tracker"
FILL_COLOURS = {"error": "FFC7CE", "warning": "FFEB9C"}  # Excel's light red and light yellow
SEVERITY_LABELS = {"error": "Error", "warning": "Warning"}
PROBLEMS_TITLE = "Problems"
WHOLE_SHEET_COLUMN = -1  # a mark not tied to one column, e.g. a missing required column
# A user's own comment on a marked cell is kept inside ours, so a later mark-up can give it back.
EARLIER_COMMENT_RE = re.compile(r"\n\nEarlier comment \((.*?)\):\n(.*)\Z", re.DOTALL)
CSV_SNIFF_CHARS = 64 * 1024
COMMENT_WIDTH_PX = 300
COMMENT_CHARS_PER_LINE = 45


@dataclass(frozen=True)
class CellMark:
    """One problem to show on one cell of the data sheet."""

    row: int  # Excel row number (1-based)
    column: int  # 0-based column index in the sheet; -1: not one column, shown on the header row
    message: str
    severity: str = "error"  # or 'warning'


def mark_up_sheet(source: Path, kind: str, marks: Iterable[CellMark], *, header_row: int) -> bytes:
    """The source sheet as .xlsx bytes with marked cells filled and commented, plus a "Problems" sheet.

    `kind` is the upload's file type, "xlsx" or "csv"; the first worksheet is the data sheet.
    """
    marks = list(marks)
    _check_marks(marks, header_row)
    workbook = _open_as_workbook(Path(source), kind)
    data_sheet = workbook.worksheets[0]
    _clear_earlier_marks(data_sheet)
    placed = [(mark, _target_cell(data_sheet, mark, header_row)) for mark in marks]
    _mark_cells(data_sheet, placed)
    _write_problems_sheet(workbook, data_sheet, placed, header_row)
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def _check_marks(marks: list[CellMark], header_row: int) -> None:
    if header_row < 1:
        raise ValueError(f"header_row must be an Excel row number (1 or more), not {header_row}")
    for mark in marks:
        if mark.severity not in FILL_COLOURS:
            raise ValueError(f"severity '{mark.severity}' is not one of {', '.join(FILL_COLOURS)}")
        if mark.column < WHOLE_SHEET_COLUMN or (mark.column != WHOLE_SHEET_COLUMN and mark.row < 1):
            raise ValueError(f"mark at row {mark.row}, column {mark.column} is not a cell of the sheet")


def _open_as_workbook(source: Path, kind: str) -> Workbook:
    file_type = kind.lower().lstrip(".")
    if file_type == "xlsx":
        workbook = load_workbook(source)  # formulas stay formulas; openpyxl never evaluates them
        if not workbook.worksheets:
            raise ValueError(f"{source.name} has no worksheet to mark up")
        return workbook
    if file_type == "csv":
        return _workbook_from_csv(source)
    raise ValueError(f"cannot mark up a '{kind}' file; only xlsx and csv")


def _workbook_from_csv(source: Path) -> Workbook:
    """A one-sheet workbook with every CSV cell as text at the same row and column."""
    text = source.read_bytes().decode("utf-8-sig", errors="replace")
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Data"
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(text))
    for row_number, values in enumerate(reader, start=1):
        for column_number, value in enumerate(values, start=1):
            if value == "":
                continue
            cell = sheet.cell(row=row_number, column=column_number)
            cell.value = _clean_text(value)
            cell.data_type = "s"  # "=1+2" stays text, never a formula
            cell.number_format = "@"
    return workbook


def _sniff_delimiter(text: str) -> str:
    """Comma or semicolon, whichever the sample is consistently split by."""
    sample = text[:CSV_SNIFF_CHARS]
    if len(text) > CSV_SNIFF_CHARS and "\n" in sample:
        sample = sample[: sample.rindex("\n")]
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;").delimiter
    except csv.Error:
        first_line = sample.split("\n", 1)[0]
        return ";" if first_line.count(";") > first_line.count(",") else ","


def _clear_earlier_marks(sheet: Worksheet) -> None:
    """A re-uploaded marked sheet loses our old comments and fills, so only today's problems show."""
    for cell in list(sheet._cells.values()):  # only cells that exist; iter_rows would create every cell
        comment = cell.comment
        if comment is None or comment.author != COMMENT_AUTHOR:
            continue
        earlier = EARLIER_COMMENT_RE.search(comment.text or "")
        cell.comment = Comment(earlier.group(2), earlier.group(1)) if earlier else None
        if _has_mark_fill(cell):
            cell.fill = PatternFill()


def _has_mark_fill(cell) -> bool:
    colour = str(cell.fill.fgColor.rgb or "") if cell.fill.patternType == "solid" else ""
    return colour[-6:].upper() in FILL_COLOURS.values()


def _target_cell(sheet: Worksheet, mark: CellMark, header_row: int) -> tuple[int, int]:
    """(row, column) 1-based where the mark is shown; inside a merged range, its top-left cell."""
    if mark.column == WHOLE_SHEET_COLUMN:
        row, column = header_row, 1
    else:
        row, column = mark.row, mark.column + 1
    if isinstance(sheet.cell(row=row, column=column), MergedCell):
        for merged in sheet.merged_cells.ranges:
            if merged.min_row <= row <= merged.max_row and merged.min_col <= column <= merged.max_col:
                return merged.min_row, merged.min_col
    return row, column


def _mark_cells(sheet: Worksheet, placed: list[tuple[CellMark, tuple[int, int]]]) -> None:
    marks_by_cell: dict[tuple[int, int], list[CellMark]] = {}
    for mark, target in placed:
        marks_by_cell.setdefault(target, []).append(mark)
    for (row, column), cell_marks in marks_by_cell.items():
        cell = sheet.cell(row=row, column=column)
        severity = "error" if any(mark.severity == "error" for mark in cell_marks) else "warning"
        colour = FILL_COLOURS[severity]
        cell.fill = PatternFill(fill_type="solid", start_color=colour, end_color=colour)
        cell.comment = _comment_for(cell_marks, cell.comment)


def _comment_for(cell_marks: list[CellMark], existing: Comment | None) -> Comment:
    lines = [f"{SEVERITY_LABELS[mark.severity]}: {_clean_text(mark.message)}" for mark in cell_marks]
    text = "\n".join(lines)
    if existing is not None and existing.text:
        text += f"\n\nEarlier comment ({existing.author or ''}):\n{existing.text}"
    wrapped_lines = sum(max(1, math.ceil(len(line) / COMMENT_CHARS_PER_LINE)) for line in text.split("\n"))
    return Comment(text, COMMENT_AUTHOR, height=20 + 16 * wrapped_lines, width=COMMENT_WIDTH_PX)


def _write_problems_sheet(workbook: Workbook, data_sheet: Worksheet,
                          placed: list[tuple[CellMark, tuple[int, int]]], header_row: int) -> None:
    """Every mark listed on its own sheet, so nothing is lost when comments are hidden."""
    title = PROBLEMS_TITLE if data_sheet.title.lower() != PROBLEMS_TITLE.lower() else "Problems found"
    for sheet in list(workbook.worksheets):
        if sheet is not data_sheet and sheet.title.lower() == title.lower():
            workbook.remove(sheet)
    problems = workbook.create_sheet(title)
    problems.append(["Row", "Column", "Header", "Severity", "Message"])
    for cell in problems[1]:
        cell.font = Font(bold=True)
    for mark in sorted((mark for mark, _ in placed), key=lambda mark: (_listed_row(mark, header_row), mark.column)):
        whole_sheet = mark.column == WHOLE_SHEET_COLUMN
        problems.append([
            _listed_row(mark, header_row),
            "" if whole_sheet else get_column_letter(mark.column + 1),
            "" if whole_sheet else _header_text(data_sheet, header_row, mark.column + 1),
            mark.severity,
            _clean_text(mark.message),
        ])
    if not placed:
        problems.append(["", "", "", "", "No problems found."])
    problems.freeze_panes = "A2"
    for letter, width in zip("ABCDE", (8, 9, 24, 10, 80), strict=False):
        problems.column_dimensions[letter].width = width


def _listed_row(mark: CellMark, header_row: int) -> int:
    """The row as the check reported it; a whole-sheet mark is listed on the header row, where it is shown."""
    return header_row if mark.column == WHOLE_SHEET_COLUMN else mark.row


def _header_text(sheet: Worksheet, header_row: int, column: int) -> str:
    row, column = _target_cell(sheet, CellMark(row=header_row, column=column - 1, message=""), header_row)
    value = sheet.cell(row=row, column=column).value
    return "" if value is None else _clean_text(str(value))


def _clean_text(text: str) -> str:
    """Control characters would make the file unreadable; drop them."""
    return ILLEGAL_CHARACTERS_RE.sub("", text)
