"""Cell parsers, column at a time: numbers (as written; explicit percents; separators per file), yes/no,
dates, identifiers.

Each parser returns the parsed column plus the indexes of the cells it could not read, so the
check can name every bad cell. Repeated text is parsed once (a month has few distinct dates).
"""
from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np

EXCEL_EPOCH = date(1899, 12, 30)
TRUE_WORDS = frozenset({"yes", "y", "true", "1", "x", "1.0"})
FALSE_WORDS = frozenset({"no", "n", "false", "0", "0.0"})
# Numbers as each kind of file writes them (SPEC §5). A space (also no-break or narrow no-break) may group
# thousands in both; the first group never starts with 0, so '0,125' is never a thousand.
POINT_NUMBER_RE = re.compile(r"^[+-]?(?:\d+|[1-9]\d{0,2}(?:,\d{3})+|[1-9]\d{0,2}(?: \d{3})+)?(?:\.\d+)?"
                             r"(?:[eE][+-]?\d+)?$")
COMMA_NUMBER_RE = re.compile(r"^[+-]?(?:\d+|[1-9]\d{0,2}(?:\.\d{3})+|[1-9]\d{0,2}(?: \d{3})+)?(?:,\d+)?$")
SPACES_RE = re.compile(r"[\s\u00a0\u202f\u2009]+")
POINT_HINT = ("does not fit this file's numbers: it uses the decimal point and ',' between thousands "
              "(1,234.5 or 0.125)")
COMMA_HINT = ("does not fit this file's numbers: a semicolon-separated file uses the decimal comma and '.' or a "
              "space between thousands (1.234,5 or 0,125)")
DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y", "%d %b %Y", "%d %B %Y", "%b %d, %Y", "%B %d, %Y",
                "%d-%b-%Y", "%Y/%m/%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S")


def is_empty(cell: Any) -> bool:
    if cell is None:
        return True
    if isinstance(cell, float):
        return math.isnan(cell)
    return isinstance(cell, str) and not cell.strip()


@dataclass(frozen=True)
class NumberStyle:
    """How a file writes numbers: the decimal point (xlsx, comma CSV) or the decimal comma (semicolon CSV)."""

    decimal_comma: bool = False

    def read(self, text: str) -> tuple[float | None, bool, str | None]:
        """(value, written as a percent, why it is not a number) for a cell's text; '95%' reads 95."""
        cleaned = SPACES_RE.sub(" ", text.strip().replace("$", "").replace("\u2212", "-")).strip()
        is_percent = cleaned.endswith("%")
        if is_percent:
            cleaned = cleaned[:-1].rstrip()
        if not cleaned or not any(char.isdigit() for char in cleaned):
            return None, False, "not a number"
        if self.decimal_comma:
            fits = COMMA_NUMBER_RE.match(cleaned) is not None
            plain = cleaned.replace(".", "").replace(" ", "").replace(",", ".")
        else:
            fits = POINT_NUMBER_RE.match(cleaned) is not None
            plain = cleaned.replace(",", "").replace(" ", "")
        if not fits:
            return None, False, (_looks_numeric(cleaned) and (COMMA_HINT if self.decimal_comma else POINT_HINT)
                                 or "not a number")
        value = float(plain)
        if not math.isfinite(value):
            return None, False, "not a number"
        return value, is_percent, None


def _looks_numeric(text: str) -> bool:
    return re.fullmatch(r"[+-]?[\d.,' ]+", text) is not None


@dataclass
class ParsedNumbers:
    """A column of numbers: floats (NaN when empty), which cells were explicit percents, unreadable cells."""

    values: np.ndarray
    explicit_percent: np.ndarray  # bool per cell: '95%' text or a percent-formatted number cell
    bad: list[tuple[int, str]]  # (index, why)


def parse_numbers(cells: Sequence[Any], *, style: NumberStyle = NumberStyle(),
                  percent_formatted: Sequence[int] | np.ndarray = ()) -> ParsedNumbers:
    """Each number as written; only explicit percents convert: text '95%' reads 95, and a number cell that
    Excel formats as a percentage (index in `percent_formatted`, e.g. 0.95 shown as 95 %) reads 95."""
    out = np.full(len(cells), np.nan)
    explicit = np.zeros(len(cells), dtype=bool)
    bad: list[tuple[int, str]] = []
    cache: dict[str, tuple[float | None, bool, str | None]] = {}
    for i, cell in enumerate(cells):
        kind = type(cell)
        if kind is float or kind is int:
            out[i] = cell
        elif cell is None:
            continue
        elif kind is str:
            if not cell.strip():
                continue
            parsed = cache.get(cell)
            if parsed is None:
                parsed = cache[cell] = style.read(cell)
            value, is_percent, why = parsed
            if why is not None:
                bad.append((i, why))
            else:
                out[i] = value
                explicit[i] = is_percent
        else:
            bad.append((i, "not a number"))
    if len(percent_formatted):
        formatted = np.asarray(percent_formatted, dtype=np.int64)
        numeric = np.fromiter((type(cells[i]) in (float, int) for i in formatted), dtype=bool, count=len(formatted))
        formatted = formatted[numeric]
        out[formatted] *= 100.0
        explicit[formatted] = True
    return ParsedNumbers(values=out, explicit_percent=explicit, bad=bad)


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
