"""The check of SPEC §5: every problem in a sheet, by Excel row and column, before anything is stored."""
from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from itertools import repeat
from operator import itemgetter

import numpy as np

from .headers import ColumnMatch, normalise_header
from .limits import column_letters
from .reader import RawSheet, collector_paused
from .values import NumberStyle, identifier, parse_dates, parse_numbers, parse_yes_no, shown, text

REPORT_LIST_LIMIT = 500  # problems listed in a stored report; the counts are always complete
HISTORY_SIGMAS = 4.0  # robust standard deviations (1.4826 x MAD) from the median that count as far
HISTORY_MIN_ROWS = 30
HISTORY_USUAL = (2.5, 97.5)  # the percentiles of history shown as "usually ... to ..."
ROWS_NAMED = 20  # rows listed in one far-from-history warning


@dataclass(frozen=True)
class ClauseColumn:
    """What the check needs to know about one clause's sheet column."""

    key: str
    label: str
    aggregation: str
    unit: str = ""
    valid_min: float | None = None
    valid_max: float | None = None
    aliases: tuple[str, ...] = ()
    denominator: str | None = None

    @property
    def yes_no(self) -> bool:
        return self.aggregation == "percent_true"

    @property
    def percent(self) -> bool:
        """Cells are themselves percents (so 0.95 means 95) only when the clause averages them."""
        return self.aggregation in ("mean", "median") and self.unit.strip() == "%"


@dataclass(frozen=True)
class SheetSpec:
    """The columns a contract's sheet must have in a period: row key, work date, context, clauses."""

    row_key: str
    date_column: str
    context_columns: tuple[str, ...]
    clauses: tuple[ClauseColumn, ...]

    @property
    def denominators(self) -> tuple[str, ...]:
        clause_keys = {c.key for c in self.clauses}
        seen: list[str] = []
        for clause in self.clauses:
            if clause.denominator and clause.denominator not in clause_keys and clause.denominator not in seen:
                seen.append(clause.denominator)
        return tuple(seen)

    def required(self) -> list[str]:
        return [self.row_key, self.date_column, *(c.key for c in self.clauses), *self.denominators]

    def known_columns(self) -> dict[str, str]:
        """Normalised header spelling -> column key, aliases included."""
        known: dict[str, str] = {}
        for key in (self.row_key, self.date_column, *self.context_columns, *self.denominators):
            known.setdefault(normalise_header(key), key)
        for clause in self.clauses:
            for spelling in (clause.key, *clause.aliases):
                known.setdefault(normalise_header(spelling), clause.key)
        return known


@dataclass
class CheckedRows:
    """The checked data rows, column by column (cheap to check and score; rows are built only to store)."""

    row_numbers: list[int] = field(default_factory=list)  # Excel row numbers
    row_keys: list[str] = field(default_factory=list)
    work_dates: list[date | None] = field(default_factory=list)
    values: dict[str, list] = field(default_factory=dict)  # clause or denominator key -> float/bool/None
    context: dict[str, list] = field(default_factory=dict)  # context column -> text/None

    def __len__(self) -> int:
        return len(self.row_numbers)

    left_out: set[int] = field(default_factory=set)  # indexes of rows with an error: never previewed
    # The same values as floats (NaN when missing, yes/no as 1/0), kept by the check so scoring does not
    # convert 100,000 Python objects again; a column without one is scored from its list.
    arrays: dict[str, np.ndarray] = field(default_factory=dict, repr=False, compare=False)

    def column(self, key: str) -> list:
        return self.values.get(key) or [None] * len(self)

    def passed(self, key: str) -> list:
        """The column's values on the rows that passed the check (what would be stored)."""
        column = self.column(key)
        if not self.left_out:
            return column
        return [value for i, value in enumerate(column) if i not in self.left_out]

    def floats(self, key: str) -> np.ndarray | list:
        """column(key) for scoring: the kept float array when there is one (scoring reads both alike)."""
        array = self.arrays.get(key)
        return self.column(key) if array is None else array

    def passed_floats(self, key: str) -> np.ndarray | list:
        """passed(key) for scoring, from the kept float array when there is one."""
        array = self.arrays.get(key)
        if array is None:
            return self.passed(key)
        return np.delete(array, sorted(self.left_out)) if self.left_out else array

    def records(self) -> Iterator[tuple[int, str, date | None, dict, dict]]:
        """(row number, key, work date, values, context) per row, as they are stored."""
        value_names, context_names = list(self.values), list(self.context)
        value_rows = zip(*self.values.values(), strict=False) if self.values else repeat(())
        context_rows = zip(*self.context.values(), strict=False) if self.context else repeat(())
        for number, key, work_date, values, context in zip(self.row_numbers, self.row_keys, self.work_dates,
                                                            value_rows, context_rows, strict=False):
            yield (number, key, work_date, dict(zip(value_names, values, strict=True)),
                   dict(zip(context_names, context, strict=True)))


@dataclass(frozen=True)
class Problem:
    row: int | None  # Excel row number; None for a problem with the whole sheet
    column: int  # 0-based column index; -1 when the column is missing
    header: str
    value: str
    message: str


@dataclass
class CheckReport:
    sheet_name: str
    header_row: int
    columns: list[ColumnMatch]
    rows: CheckedRows = field(default_factory=CheckedRows)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    maybe_fractions: list[str] = field(default_factory=list)  # % columns whose numbers all lie within ±1

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict:
        """JSON-ready summary kept with the upload; long problem lists are cut, counts stay whole."""
        return {
            "sheet_name": self.sheet_name,
            "header_row": self.header_row,
            "row_count": len(self.rows),
            "rows_left_out": len(self.rows.left_out),
            "error_count": len(self.errors),
            "warning_count": len(self.warnings),
            "errors": [asdict(p) for p in self.errors[:REPORT_LIST_LIMIT]],
            "warnings": [asdict(p) for p in self.warnings[:REPORT_LIST_LIMIT]],
            "columns": [{"index": c.index, "header": c.header, "key": c.key} for c in self.columns],
        }


def column_letter(index: int) -> str:
    """A 0-based column index as Excel letters: 0 -> A (imports.limits.column_letters is the one home)."""
    return column_letters(index + 1)

def _fmt(value: float) -> str:
    return f"{value:g}"


@dataclass(frozen=True)
class HistoryStats:
    """A clause's earlier values, robustly: median, spread (1.4826 x MAD) and the usual range."""

    median: float
    spread: float
    count: int
    usual_low: float
    usual_high: float
    whole_numbers: bool


def history_stats(values: Sequence[float]) -> HistoryStats | None:
    """Robust statistics of earlier values; None when there are none. When more than half the values are
    equal (MAD 0, e.g. counts that are mostly 0) the mean absolute deviation stands in for it."""
    data = np.asarray([v for v in values if v is not None], dtype=float)
    data = data[np.isfinite(data)]
    if not data.size:
        return None
    median = float(np.median(data))
    deviations = np.abs(data - median)
    spread = 1.4826 * float(np.median(deviations))
    if spread <= 0:
        spread = 1.2533 * float(np.mean(deviations))
    low, high = np.percentile(data, HISTORY_USUAL)
    return HistoryStats(median=median, spread=spread, count=int(data.size), usual_low=float(low),
                        usual_high=float(high), whole_numbers=bool(np.all(data == np.round(data))))


class _Checker:
    def __init__(self, raw: RawSheet, spec: SheetSpec, period: str):
        self.raw = raw
        self.spec = spec
        self.period = period
        self.report = CheckReport(sheet_name=raw.sheet_name, header_row=raw.header_row, columns=list(raw.columns))
        self.row_numbers = [number for number, _ in raw.rows]
        self._grid = [cells for _, cells in raw.rows]
        self._narrowest = min(map(len, self._grid), default=0)
        self._columns: dict[int, list] = {}
        self.index: dict[str, int] = {}
        self.headers: dict[str, str] = {}
        self.style = NumberStyle(decimal_comma=raw.decimal_comma)

    def error(self, i: int | None, key: str | None, value, message: str) -> None:
        self._add(self.report.errors, i, key, value, message)

    def warn(self, i: int | None, key: str | None, value, message: str) -> None:
        self._add(self.report.warnings, i, key, value, message)

    def _add(self, target: list, i: int | None, key: str | None, value, message: str) -> None:
        column = self.index.get(key, -1) if key else -1
        header = self.headers.get(key, key) if key else ""
        row = self.row_numbers[i] if i is not None else None
        target.append(Problem(row=row, column=column, header=header, value=shown(value), message=message))

    def map_columns(self) -> bool:
        for match in self.raw.columns:
            if match.key is None:
                self.report.warnings.append(Problem(
                    row=self.raw.header_row, column=match.index, header=match.header, value=match.header,
                    message="unknown column: not part of this contract's sheet; it will be ignored"))
            elif match.key in self.index:
                first = self.index[match.key]
                self.report.errors.append(Problem(
                    row=self.raw.header_row, column=match.index, header=match.header, value=match.header,
                    message=f"column {match.key} appears twice (columns {column_letter(first)} and "
                            f"{column_letter(match.index)}); keep one"))
            else:
                self.index[match.key] = match.index
                self.headers[match.key] = match.header
        clauses = {c.key: c for c in self.spec.clauses}
        for key in self.spec.required():
            if key not in self.index:
                clause = clauses.get(key)
                also = f" or one of: {', '.join(clause.aliases)}" if clause and clause.aliases else ""
                what = f" ({clause.label})" if clause else ""
                self.report.errors.append(Problem(
                    row=self.raw.header_row, column=-1, header=key, value="",
                    message=f"missing required column {key}{what}; expected a header {key}{also}"))
        return self.spec.row_key in self.index and self.spec.date_column in self.index

    def cells(self, key: str) -> list:
        """One column's cells (None past a short row), taken out once and only for the columns checked."""
        index = self.index.get(key)
        if index is None:
            return [None] * len(self._grid)
        column = self._columns.get(index)
        if column is None:
            if index < self._narrowest:
                column = list(map(itemgetter(index), self._grid))  # in C: no Python code per cell
            else:
                column = [cells[index] if index < len(cells) else None for cells in self._grid]
            self._columns[index] = column
        return column

    def row_keys(self) -> list[str]:
        cells = self.cells(self.spec.row_key)
        keys = list(map(str.strip, cells)) if set(map(type, cells)) == {str} else list(map(identifier, cells))
        distinct = set(keys)
        if len(distinct) == len(keys) and "" not in distinct:  # the usual case: every key there, once
            return keys
        first_seen: dict[str, int] = {}
        for i, key in enumerate(keys):
            if not key:
                self.error(i, self.spec.row_key, "", f"{self.spec.row_key} is empty: every row needs its key")
            elif key in first_seen:
                self.error(i, self.spec.row_key, key,
                           f"duplicate {self.spec.row_key} {key}: also on row {self.row_numbers[first_seen[key]]}")
            else:
                first_seen[key] = i
        return keys

    def work_dates(self) -> list[date | None]:
        key = self.spec.date_column
        cells = self.cells(key)
        dates, bad = parse_dates(cells)
        for i in bad:
            self.error(i, key, cells[i], "not a date: write it as YYYY-MM-DD")
        distinct = set(dates)
        if all(day is not None and f"{day.year:04d}-{day.month:02d}" == self.period for day in distinct):
            return dates  # the usual case: every row dated inside the period
        bad_set = set(bad)
        for i, day in enumerate(dates):
            if day is None and i not in bad_set:
                self.error(i, key, "", f"{key} is empty: every row needs the date the work was done")
            elif day is not None and f"{day.year:04d}-{day.month:02d}" != self.period:
                self.error(i, key, cells[i], f"dated {day.isoformat()}, outside the period {self.period}")
        return dates

    def percent_formatted(self, key: str) -> np.ndarray:
        """Indexes of this column's cells that Excel formats as percentages."""
        rows = self.raw.percent_cells.get(self.index[key])
        if rows is None or not len(rows):
            return np.zeros(0, dtype=np.int64)
        numbers = np.asarray(self.row_numbers, dtype=np.int64)
        at = np.searchsorted(numbers, rows)
        at = at[at < len(numbers)]
        return at[np.isin(numbers[at], rows)]

    def numbers(self, key: str, clause: ClauseColumn | None) -> np.ndarray:
        cells = self.cells(key)
        parsed = parse_numbers(cells, style=self.style, percent_formatted=self.percent_formatted(key))
        values = parsed.values
        for i, why in parsed.bad:
            self.error(i, key, cells[i], why)
        if clause is not None and clause.percent and not parsed.explicit_percent.any():
            written = values[~np.isnan(values)]
            if written.size and np.all(np.abs(written) <= 1.0) and np.any(written != 0):
                self.report.maybe_fractions.append(key)
        if clause is not None and (clause.valid_min is not None or clause.valid_max is not None):
            low = -math.inf if clause.valid_min is None else clause.valid_min
            high = math.inf if clause.valid_max is None else clause.valid_max
            with np.errstate(invalid="ignore"):
                outside = np.flatnonzero((values < low) | (values > high))
            for position in outside:
                self.error(int(position), key, cells[position], f"{_fmt(values[position])} is outside the valid range "
                                                                f"{_fmt(low)} to {_fmt(high)}")
        return values

    def yes_no(self, key: str) -> list[bool | None]:
        cells = self.cells(key)
        values, bad = parse_yes_no(cells)
        for i in bad:
            self.error(i, key, cells[i], "expected yes or no (yes, y, true, 1, x / no, n, false, 0)")
        return values

    def formulas(self) -> None:
        if not self.raw.formula_without_value:
            return
        by_index = {index: key for key, index in self.index.items()}
        position = {number: i for i, number in enumerate(self.row_numbers)}
        for row, column in sorted(self.raw.formula_without_value):
            key = by_index.get(column)
            if key is not None and row in position:
                self.error(position[row], key, "=formula",
                           "formula with no saved result: open the file in Excel, let it calculate, and save again")


def check_sheet(
    raw: RawSheet,
    spec: SheetSpec,
    period: str,
    *,
    committed_elsewhere: Callable[[set[str]], Mapping[str, str]] = lambda keys: {},
    history: Mapping[str, HistoryStats | None] | None = None,
) -> CheckReport:
    """Checks every cell and returns the report with the rows ready to store (commit only when ok).

    `committed_elsewhere(keys)` names, per row key, the earlier upload in another period that already
    holds it; `history[key]` sums up the contract's earlier values of a clause (`history_stats`).
    Rows with an error are marked left out, so a preview scores only what would be stored.
    """
    with collector_paused():  # a million cells and no cycles among them: nothing for the collector to find
        return _check(raw, spec, period, committed_elsewhere, history or {})


def _check(raw: RawSheet, spec: SheetSpec, period: str, committed_elsewhere: Callable[[set[str]], Mapping[str, str]],
           history: Mapping[str, HistoryStats | None]) -> CheckReport:
    checker = _Checker(raw, spec, period)
    if not checker.map_columns():
        return checker.report
    checker.formulas()
    keys = checker.row_keys()
    dates = checker.work_dates()
    columns: dict[str, list | np.ndarray] = {}
    for clause in spec.clauses:
        if clause.key in checker.index:
            columns[clause.key] = checker.yes_no(clause.key) if clause.yes_no else checker.numbers(clause.key, clause)
    for key in spec.denominators:
        if key in checker.index:
            columns[key] = checker.numbers(key, None)
    _flag_far_from_history(checker, spec, columns, history)
    for key, label in committed_elsewhere({k for k in keys if k}).items():
        for i in (i for i, k in enumerate(keys) if k == key):
            checker.error(i, spec.row_key, key, f"{spec.row_key} {key} was already committed for this contract "
                                                f"in {label}: the same work cannot be counted twice")
    checker.report.errors.sort(key=lambda p: (p.row or 0, p.column))
    checker.report.rows = _rows(checker, keys, dates, columns)
    if checker.report.errors:
        position = {number: i for i, number in enumerate(checker.row_numbers)}
        checker.report.rows.left_out = {position[p.row] for p in checker.report.errors if p.row in position}
    return checker.report


def _flag_far_from_history(checker: _Checker, spec: SheetSpec, columns: Mapping, history: Mapping) -> None:
    """One warning per column naming its rows far from the median of history, by robust spread."""
    for clause in spec.clauses:
        stats = history.get(clause.key)
        values = columns.get(clause.key)
        if stats is None or clause.yes_no or values is None or stats.count < HISTORY_MIN_ROWS or stats.spread <= 0:
            continue
        low = -math.inf if clause.valid_min is None else clause.valid_min
        high = math.inf if clause.valid_max is None else clause.valid_max
        with np.errstate(invalid="ignore"):  # values outside the valid range are errors already
            far = np.flatnonzero((np.abs(values - stats.median) > HISTORY_SIGMAS * stats.spread)
                                 & (values >= low) & (values <= high))
        if not len(far):
            continue
        usual_low, usual_high = max(stats.usual_low, low), min(stats.usual_high, high)
        if stats.whole_numbers:
            usual_low, usual_high = math.floor(usual_low), math.ceil(usual_high)
        else:
            usual_low, usual_high = round(usual_low, 2), round(usual_high, 2)
        rows = [checker.row_numbers[i] for i in far]
        named = ", ".join(str(row) for row in rows[:ROWS_NAMED]) + (", …" if len(rows) > ROWS_NAMED else "")
        header = checker.headers.get(clause.key, clause.key)
        count = f"{len(rows)} rows of {header} are" if len(rows) > 1 else f"1 row of {header} is"
        checker.warn(None, clause.key, "",
                     f"{count} far from this contract's history (usually {_fmt(usual_low)} to {_fmt(usual_high)}): "
                     f"row{'s' if len(rows) > 1 else ''} {named}; check {'them' if len(rows) > 1 else 'it'}")


def _rows(checker: _Checker, keys: list[str], dates: list, columns: Mapping) -> CheckedRows:
    values: dict[str, list] = {}
    arrays: dict[str, np.ndarray] = {}
    for key, column in columns.items():
        if isinstance(column, np.ndarray):
            values[key] = column.tolist()
            for i in np.flatnonzero(np.isnan(column)).tolist():  # NaN (empty cell) becomes None: missing, never zero
                values[key][i] = None
            arrays[key] = column
        else:
            values[key] = column
            arrays[key] = np.array(column, dtype=float)  # yes/no: 1.0, 0.0, NaN as scoring reads them
    context = {key: _context_texts(checker.cells(key)) for key in checker.spec.context_columns if key in checker.index}
    return CheckedRows(row_numbers=checker.row_numbers, row_keys=keys, work_dates=dates, values=values,
                       context=context, arrays=arrays)


def _context_text(cell) -> str | None:
    return (cell.strip() or None) if type(cell) is str else text(cell)


def _context_texts(cells: list) -> list[str | None]:
    """A context column as stored text: a column of text by its distinct values (a street repeats), else cell by cell."""
    if set(map(type, cells)) <= {str, type(None)}:
        texts = {cell: _context_text(cell) for cell in set(cells)}
        return list(map(texts.__getitem__, cells))
    return list(map(_context_text, cells))
