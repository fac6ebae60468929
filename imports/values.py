"""Cell parsers, column at a time: numbers (with %, thousands separators), yes/no, dates, identifiers.

Each parser returns the parsed column plus the indexes of the cells it could not read, so the
check can name every bad cell. Repeated text is parsed once (a month has few distinct dates).
"""
from __future__ import annotations

import math
import re
from datetime import date, datetime, timedelta
from typing import Any, Sequence

import numpy as np

EXCEL_EPOCH = date(1899, 12, 30)
TRUE_WORDS = frozenset({"yes", "y", "true", "1", "x", "1.0"})
FALSE_WORDS = frozenset({"no", "n", "false", "0", "0.0"})
THOUSANDS_RE = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
DECIMAL_COMMA_RE = re.compile(r"^[+-]?\d+,\d+$")
DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y", "%d %b %Y", "%d %B %Y", "%b %d, %Y", "%B %d, %Y",
                "%d-%b-%Y", "%Y/%m/%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S")


def is_empty(cell: Any) -> bool:
    if cell is None:
        return True
    if isinstance(cell, float):
        return math.isnan(cell)
    return isinstance(cell, str) and not cell.strip()


def _number_from_text(text: str, percent_column: bool) -> float | None:
    cleaned = text.strip().replace("\u00a0", "").replace(" ", "").replace("$", "")
    is_percent = cleaned.endswith("%")
    if is_percent:
        cleaned = cleaned[:-1]
    if THOUSANDS_RE.match(cleaned):
        cleaned = cleaned.replace(",", "")
    elif DECIMAL_COMMA_RE.match(cleaned):
        cleaned = cleaned.replace(",", ".")
    try:
        value = float(cleaned)
    except ValueError:
        return None
    if not math.isfinite(value):
        return None
    if is_percent and not percent_column:
        return value / 100.0
    return value


def parse_numbers(cells: Sequence[Any], *, percent_column: bool = False) -> tuple[np.ndarray, list[int]]:
    """Floats (NaN for empty cells) and the indexes of unreadable cells.

    In a percent column, numbers written as fractions (0.95) become percents (95) when no number in
    the column is above 1; text written '95%' is already a percent.
    """
    out = np.full(len(cells), np.nan)
    bad: list[int] = []
    from_text = np.zeros(len(cells), dtype=bool)
    cache: dict[str, float | None] = {}
    for i, cell in enumerate(cells):
        kind = type(cell)
        if kind is float or kind is int:
            out[i] = cell
        elif cell is None:
            continue
        elif kind is str:
            if not cell.strip():
                continue
            value = cache.get(cell, ...)
            if value is ...:
                value = cache[cell] = _number_from_text(cell, percent_column)
            if value is None:
                bad.append(i)
            else:
                out[i] = value
                from_text[i] = cell.strip().endswith("%")
        elif kind is bool:
            bad.append(i)
        else:
            bad.append(i)
    if percent_column:
        plain = ~from_text & ~np.isnan(out)
        if plain.any() and np.nanmax(np.abs(out[plain])) <= 1.0:
            out[plain] = out[plain] * 100.0
    return out, bad


def parse_yes_no(cells: Sequence[Any]) -> tuple[list[bool | None], list[int]]:
    """True/False per cell (None for empty) and the indexes of cells that are neither yes nor no."""
    out: list[bool | None] = [None] * len(cells)
    bad: list[int] = []
    for i, cell in enumerate(cells):
        if cell is None:
            continue
        if isinstance(cell, bool):
            out[i] = cell
            continue
        text = str(cell).strip().lower()
        if not text or text == "nan":
            continue
        if text in TRUE_WORDS:
            out[i] = True
        elif text in FALSE_WORDS:
            out[i] = False
        else:
            bad.append(i)
    return out, bad


def _date_from_text(text: str) -> date | None:
    text = text.strip()
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    try:
        serial = float(text)
    except ValueError:
        return None
    return _date_from_serial(serial)


def _date_from_serial(serial: float) -> date | None:
    if not (1 <= serial < 2958466):  # Excel's calendar runs to 9999-12-31
        return None
    return EXCEL_EPOCH + timedelta(days=int(serial))


def parse_dates(cells: Sequence[Any]) -> tuple[list[date | None], list[int]]:
    """Dates from date cells, Excel serial numbers or common text forms; the indexes of unreadable cells."""
    out: list[date | None] = [None] * len(cells)
    bad: list[int] = []
    cache: dict[Any, date | None] = {}
    for i, cell in enumerate(cells):
        if cell is None:
            continue
        if isinstance(cell, datetime):
            out[i] = cell.date()
            continue
        if isinstance(cell, date):
            out[i] = cell
            continue
        if isinstance(cell, str) and not cell.strip():
            continue
        if isinstance(cell, float) and math.isnan(cell):
            continue
        if cell in cache:
            value = cache[cell]
        elif isinstance(cell, (int, float)) and not isinstance(cell, bool):
            value = cache[cell] = _date_from_serial(float(cell))
        elif isinstance(cell, str):
            value = cache[cell] = _date_from_text(cell)
        else:
            value = None
        if value is None:
            bad.append(i)
        else:
            out[i] = value
    return out, bad


def identifier(cell: Any) -> str:
    """A row key as text: '00123' stays '00123'; a number cell 123.0 reads as '123'."""
    if cell is None:
        return ""
    if isinstance(cell, float):
        if math.isnan(cell):
            return ""
        return str(int(cell)) if cell.is_integer() else repr(cell)
    if isinstance(cell, (datetime, date)):
        return cell.isoformat()
    return str(cell).strip()


def text(cell: Any) -> str | None:
    if is_empty(cell):
        return None
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, (datetime, date)):
        return cell.isoformat()
    return str(cell).strip()


def shown(cell: Any) -> str:
    """The cell as a user would recognise it in a report."""
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, datetime):
        return cell.date().isoformat() if cell.time() == datetime.min.time() else cell.isoformat(sep=" ")
    if isinstance(cell, date):
        return cell.isoformat()
    return str(cell)
