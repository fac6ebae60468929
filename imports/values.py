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


NO_NUMBER: tuple[float, bool, str | None] = (math.nan, False, None)  # an empty cell: no value, no problem
NUMBER_KINDS = frozenset({float, int, type(None)})  # a column of these converts to floats in one step
TEXT_KINDS = frozenset({str, type(None)})


def number_cell(cell: Any, style: NumberStyle = NumberStyle()) -> tuple[float, bool, str | None]:
    """One cell as (value, written as a percent, why it is not a number); NaN when empty. The column-wise
    parse_numbers must agree with this cell by cell (a property test holds them together)."""
    kind = type(cell)
    if kind is float or kind is int:
        return float(cell), False, None
    if cell is None or (kind is str and not cell.strip()):
        return NO_NUMBER
    if kind is str:
        value, is_percent, why = style.read(cell)
        return (math.nan, False, why) if value is None else (value, is_percent, None)
    return math.nan, False, "not a number"


def parse_numbers(cells: Sequence[Any], *, style: NumberStyle = NumberStyle(),
                  percent_formatted: Sequence[int] | np.ndarray = ()) -> ParsedNumbers:
    """Each number as written; only explicit percents convert: text '95%' reads 95, and a number cell that
    Excel formats as a percentage (index in `percent_formatted`, e.g. 0.95 shown as 95 %) reads 95.

    Column at a time: a column of plain numbers (what calamine gives) converts in one numpy step; a column
    of text (a CSV) parses each distinct text once and spreads the results by index; anything else goes
    cell by cell."""
    kinds = set(map(type, cells))
    parsed = None
    if kinds <= NUMBER_KINDS:
        try:
            parsed = ParsedNumbers(values=np.array(cells, dtype=float), explicit_percent=np.zeros(len(cells), dtype=bool),
                                   bad=[])
        except OverflowError:  # an integer beyond floats: the cell-wise path says what it is
            parsed = None
    elif kinds <= TEXT_KINDS:
        parsed = _parse_distinct(cells, style)
    if parsed is None:
        parsed = _parse_each(cells, style)
    if len(percent_formatted):
        formatted = np.asarray(percent_formatted, dtype=np.int64)
        numeric = np.fromiter((type(cells[i]) in (float, int) for i in formatted), dtype=bool, count=len(formatted))
        formatted = formatted[numeric]
        parsed.values[formatted] *= 100.0
        parsed.explicit_percent[formatted] = True
    return parsed


def _parse_distinct(cells: Sequence[str | None], style: NumberStyle) -> ParsedNumbers:
    """A text column: each distinct text parsed once, the results spread to every cell by index in numpy."""
    distinct = list(set(cells))
    position = {cell: k for k, cell in enumerate(distinct)}
    readings = [number_cell(cell, style) for cell in distinct]
    codes = np.fromiter(map(position.__getitem__, cells), dtype=np.intp, count=len(cells))
    values = np.array([value for value, _, _ in readings], dtype=float)[codes]
    explicit = np.array([is_percent for _, is_percent, _ in readings], dtype=bool)[codes]
    unreadable = np.array([why is not None for _, _, why in readings], dtype=bool)
    bad: list[tuple[int, str]] = []
    if unreadable.any():
        bad = [(int(i), str(readings[codes[i]][2])) for i in np.flatnonzero(unreadable[codes])]
    return ParsedNumbers(values=values, explicit_percent=explicit, bad=bad)


def _parse_each(cells: Sequence[Any], style: NumberStyle) -> ParsedNumbers:
    """Cell by cell, for columns of mixed kinds (text here, numbers there, a stray date)."""
    out = np.full(len(cells), np.nan)
    explicit = np.zeros(len(cells), dtype=bool)
    bad: list[tuple[int, str]] = []
    cache: dict[str, tuple[float, bool, str | None]] = {}
    for i, cell in enumerate(cells):
        if type(cell) is str:
            reading = cache.get(cell)
            if reading is None:
                reading = cache[cell] = number_cell(cell, style)
        else:
            reading = number_cell(cell, style)
        value, is_percent, why = reading
        if why is not None:
            bad.append((i, why))
        else:
            out[i] = value
            explicit[i] = is_percent
    return ParsedNumbers(values=out, explicit_percent=explicit, bad=bad)


NOT_YES_NO = object()  # a cell that is neither yes nor no
YES_NO_FAST_KINDS = (frozenset({str, type(None)}), frozenset({bool, type(None)}))


def yes_no_cell(cell: Any) -> bool | None | object:
    """True, False, None (empty) or NOT_YES_NO for one cell."""
    if cell is None:
        return None
    if isinstance(cell, bool):
        return cell
    text = str(cell).strip().lower()
    if not text or text == "nan":
        return None
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    return NOT_YES_NO


def parse_yes_no(cells: Sequence[Any]) -> tuple[list[bool | None], list[int]]:
    """True/False per cell (None for empty) and the indexes of cells that are neither yes nor no.

    A column of text (or of booleans) is read by its few distinct values, spread to the cells by a lookup
    in C; other columns cell by cell (equal numbers of different spellings, 0.0 and -0.0, read apart)."""
    kinds = set(map(type, cells))
    if any(kinds <= fast for fast in YES_NO_FAST_KINDS):
        out = _by_distinct_value(cells, yes_no_cell)
    else:
        out = list(map(yes_no_cell, cells))
    return _unreadable_emptied(out, NOT_YES_NO)


def _by_distinct_value(cells: Sequence[Any], read_cell) -> list:
    """Each distinct cell read once, the readings spread to the cells by a lookup in C."""
    meaning = {cell: read_cell(cell) for cell in set(cells)}
    return list(map(meaning.__getitem__, cells))


def _unreadable_emptied(out: list, unreadable: object) -> tuple[list, list[int]]:
    """(`out` with the cells read as `unreadable` made None, their indexes): the usual column has none."""
    bad = [i for i, value in enumerate(out) if value is unreadable] if unreadable in out else []
    for i in bad:
        out[i] = None
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


NOT_A_DATE = object()  # a cell that holds something other than a date
DATE_KINDS = frozenset({date, type(None)})


def date_cell(cell: Any) -> date | None | object:
    """The date of one cell, None when empty, NOT_A_DATE when unreadable."""
    if cell is None:
        return None
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    if isinstance(cell, str):
        if not cell.strip():
            return None
        value = _date_from_text(cell)
    elif isinstance(cell, float) and math.isnan(cell):
        return None
    elif isinstance(cell, (int, float)) and not isinstance(cell, bool):
        value = _date_from_serial(float(cell))
    else:
        value = None
    return NOT_A_DATE if value is None else value


def parse_dates(cells: Sequence[Any]) -> tuple[list[date | None], list[int]]:
    """Dates from date cells, Excel serial numbers or common text forms; the indexes of unreadable cells.

    A column of dates passes as it is, of datetimes by a method call in C, of text by its few distinct
    values; other columns cell by cell (so 1.0 and True are never taken for one another)."""
    kinds = set(map(type, cells))
    if kinds <= DATE_KINDS:
        return list(cells), []
    if kinds == {datetime}:
        out: list = list(map(datetime.date, cells))
    elif kinds <= TEXT_KINDS:
        out = _by_distinct_value(cells, date_cell)
    else:
        out = list(map(date_cell, cells))
    return _unreadable_emptied(out, NOT_A_DATE)


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
