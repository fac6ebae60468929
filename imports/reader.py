"""Reads an upload's data sheet (the first worksheet of an .xlsx, or a .csv) into raw rows.

The header is found by imports.headers, the worksheet XML scanned by imports.worksheet_xml, a CSV read by
imports.csv_sheet; this module puts them together.

Finds the header under titles, repeats merged values, drops blank and note rows, keeps cell values as
stored (the check converts them column at a time), reports formulas saved without a result, which number
cells Excel formats as percentages, and whether a CSV writes the decimal comma (semicolon-separated).
"""
from __future__ import annotations

import gc
import threading
from collections.abc import Iterable, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from python_calamine import CalamineError, CalamineWorkbook, PasswordError, SheetTypeEnum

from .csv_sheet import read_csv_grid
from .headers import ColumnMatch, find_header, normalise_header
from .limits import SheetLimits, SheetRefused, column_letters
from .worksheet_xml import DAMAGED, CellFindings, scan_worksheet

__all__ = ["ColumnMatch", "RawSheet", "collector_paused", "normalise_header", "read_sheet"]


@dataclass
class RawSheet:
    """The data sheet's rows, by Excel row number, with cell values as stored (None for empty)."""

    sheet_name: str
    header_row: int  # Excel row number (1-based) of the header
    columns: list[ColumnMatch]  # one per non-empty header cell
    rows: list[tuple[int, list]]  # (Excel row number, cells by column index) below the header, blank rows dropped
    formula_without_value: set[tuple[int, int]] = field(default_factory=set)  # (Excel row, column index)
    notes: list[tuple[int, str]] = field(default_factory=list)  # note rows dropped below the data
    percent_cells: dict[int, np.ndarray] = field(default_factory=dict)  # labelled column -> Excel rows of cells
    #                                                                    formatted as percentages (.xlsx)
    decimal_comma: bool = False  # a semicolon-separated CSV: 0,125 is one eighth


def read_sheet(path: Path, kind: str, known_columns: Mapping[str, str], required: Iterable[str],
               limits: SheetLimits) -> RawSheet:
    """The data sheet as raw rows; SheetRefused (message for the user) when it cannot be read.

    `known_columns` maps header spellings (aliases included) to column keys; the header row is the row
    among the first 20 matching the most of them, and it must hold every `required` key.
    """
    path = Path(path)
    known: dict[str, str] = {}
    for spelling, key in known_columns.items():
        known.setdefault(normalise_header(spelling), key)
    required = list(dict.fromkeys(required))
    file_type = kind.lower().lstrip(".")
    if file_type not in ("xlsx", "csv"):
        raise SheetRefused(f"'{kind}' files cannot be read; accepted file types: .xlsx and .csv.")
    with collector_paused():
        if file_type == "xlsx":
            name, grid, merges, findings = _read_workbook(path, limits)
        else:
            grid, delimiter = read_csv_grid(path, known, required, limits)
            name, merges, findings = path.stem, [], CellFindings(decimal_comma=delimiter == ";")
        return _raw_sheet(name, grid, merges, findings, known, required)


_pauses = 0  # sheets being read, checked or stored in this process now, in any thread
_pauses_lock = threading.Lock()
_collector_was_enabled = False


@contextmanager
def collector_paused():
    """Pauses Python's cycle collector while a sheet's million cells are created: none of them form
    cycles, yet each full collection would walk them all (it took a third of the reader's time).

    The collector is one switch for the whole process, and a web worker or the jobs worker handles sheets in
    several threads: the first pause turns it off and the last one ends turns it back on (if it was on)."""
    global _pauses, _collector_was_enabled
    with _pauses_lock:
        if _pauses == 0:
            _collector_was_enabled = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _pauses_lock:
            _pauses -= 1
            if _pauses == 0 and _collector_was_enabled:
                gc.enable()


# --- from grid to rows --------------------------------------------------------------------------

def _raw_sheet(name: str, grid: list[list], merges: list, findings: CellFindings, known: Mapping[str, str],
               required: list[str]) -> RawSheet:
    for (row, column), text in findings.error_values.items():
        if row <= len(grid) and column < len(grid[row - 1]):
            grid[row - 1][column] = text
    header_index, columns = find_header(name, grid, known, required)
    data_end, notes = _trailing_notes(grid, header_index, columns)
    _spread_merges(name, grid, merges, header_index + 1, data_end)
    rows = _numbered_rows(grid, header_index + 1, data_end)
    return RawSheet(sheet_name=name, header_row=header_index + 1, columns=columns, rows=rows,
                    formula_without_value=findings.formula_without_value, notes=notes,
                    percent_cells=findings.percent_cells(match.index for match in columns if match.key),
                    decimal_comma=findings.decimal_comma)


def _numbered_rows(grid: list[list], first: int, end: int) -> list[tuple[int, list]]:
    """(Excel row number, cells with None for empty) for grid[first:end], blank rows left out.

    Only rows holding an empty cell are rebuilt; the test for one runs in C, so full rows cost little.
    """
    body: list = list(grid[first:end])  # rows, each None once it turns out blank
    for position in [position for position, cells in enumerate(body) if "" in cells or not cells]:
        cells = body[position]
        body[position] = [None if value == "" else value for value in cells] if cells.count("") < len(cells) else None
    return [(number, cells) for number, cells in zip(range(first + 1, end + 1), body, strict=False) if cells is not None]


def _trailing_notes(grid: list[list], header_index: int, columns: list[ColumnMatch]):
    """(end of data, notes): rows below the data holding only text in their first cell ("Prepared by ...").

    Text alone in a known column (the row key, usually) counts as a note only when it has a space,
    since identifiers do not; a row with just a key stays and the check reports what it lacks.
    """
    first_column = min(match.index for match in columns)
    known_indexes = {match.index for match in columns if match.key}
    end = len(grid)
    notes = []
    while end > header_index + 1:
        cells = grid[end - 1]
        filled = [(index, value) for index, value in enumerate(cells) if value != "" and value is not None]
        if not filled:
            end -= 1
            continue
        if len(filled) != 1:
            break
        index, value = filled[0]
        if not isinstance(value, str) or index > first_column:
            break
        if index in known_indexes and not any(char.isspace() for char in value.strip()):
            break
        notes.append((end, value))
        end -= 1
    notes.reverse()
    return end, notes


def _spread_merges(name: str, grid: list[list], merges: list, first_row: int, end_row: int) -> None:
    """Repeats each merged value into every cell of its range; merges in the title and header rows stay put."""
    ranges = []
    area = 0
    for (top, left), (bottom, right) in merges:
        if top < first_row or top >= end_row or top >= len(grid) or left >= len(grid[top]):
            continue
        bottom = min(bottom, end_row - 1)
        right = min(right, len(grid[top]) - 1)
        ranges.append((top, left, bottom, right))
        area += (bottom - top + 1) * (right - left + 1)
    if ranges and area > sum(len(grid[row]) for row in range(first_row, end_row)):
        raise SheetRefused(f"Sheet '{name}' has merged cells that overlap, which Excel does not allow: the file is "
                           "damaged. Unmerge the cells, save again and upload the new file.")
    for top, left, bottom, right in ranges:
        value = grid[top][left]
        if value == "":
            continue
        for row in range(top, bottom + 1):
            cells = grid[row]
            stop = min(right, len(cells) - 1)
            cells[left:stop + 1] = [value] * (stop + 1 - left)


# --- .xlsx --------------------------------------------------------------------------------------

def _read_workbook(path: Path, limits: SheetLimits):
    """(sheet name, grid of cells with '' for empty, merged ranges, findings) of the first worksheet."""
    try:
        workbook = CalamineWorkbook.from_path(path)
    except PasswordError:
        raise SheetRefused("The workbook is password-protected (encrypted): remove the password and save again, "
                           "then upload it.") from None
    except (CalamineError, OSError, ValueError):
        raise SheetRefused(DAMAGED) from None
    with workbook:
        index = next((i for i, sheet in enumerate(workbook.sheets_metadata) if sheet.typ == SheetTypeEnum.WorkSheet),
                     None)
        if index is None:
            raise SheetRefused("The workbook has no worksheet (only charts or macros); put the data on a worksheet.")
        name = workbook.sheet_names[index]
        findings = scan_worksheet(path, index, name, limits)
        try:
            sheet = workbook.get_sheet_by_index(index)
        except CalamineError:
            raise SheetRefused(DAMAGED) from None
        if sheet.end is not None:
            _check_size(name, sheet.end[0] + 1, sheet.end[1] + 1, limits)
        grid = sheet.to_python(skip_empty_area=False)
        merges = sheet.merged_cell_ranges or []
    return name, grid, merges, findings


def _check_size(name: str, rows: int, columns: int, limits: SheetLimits) -> None:
    if rows > limits.max_rows:
        raise SheetRefused(f"Sheet '{name}' uses {rows:,} rows; the limit is {limits.max_rows:,} rows.")
    if columns > limits.max_columns:
        raise SheetRefused(f"Sheet '{name}' uses {columns:,} columns (up to column {column_letters(columns)}); the "
                           f"limit is {limits.max_columns:,} columns.")

