"""The check of SPEC §5: every problem in a sheet, by Excel row and column, before anything is stored."""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import date
from itertools import repeat, zip_longest
from typing import Callable, Iterator, Mapping

import numpy as np

from .reader import ColumnMatch, RawSheet, normalise_header
from .values import identifier, parse_dates, parse_numbers, parse_yes_no, shown, text

REPORT_LIST_LIMIT = 500  # problems listed in a stored report; the counts are always complete
HISTORY_SIGMAS = 4.0
HISTORY_MIN_ROWS = 30


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

    def column(self, key: str) -> list:
        return self.values.get(key) or [None] * len(self)

    def records(self) -> Iterator[tuple[int, str, date | None, dict, dict]]:
        """(row number, key, work date, values, context) per row, as they are stored."""
        value_names, context_names = list(self.values), list(self.context)
        value_rows = zip(*self.values.values()) if self.values else repeat(())
        context_rows = zip(*self.context.values()) if self.context else repeat(())
        for number, key, work_date, values, context in zip(self.row_numbers, self.row_keys, self.work_dates,
                                                            value_rows, context_rows):
            yield number, key, work_date, dict(zip(value_names, values)), dict(zip(context_names, context))


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

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict:
        """JSON-ready summary kept with the upload; long problem lists are cut, counts stay whole."""
        return {
            "sheet_name": self.sheet_name,
            "header_row": self.header_row,
            "row_count": len(self.rows),
            "error_count": len(self.errors),
            "warning_count": len(self.warnings),
            "errors": [asdict(p) for p in self.errors[:REPORT_LIST_LIMIT]],
            "warnings": [asdict(p) for p in self.warnings[:REPORT_LIST_LIMIT]],
            "columns": [{"index": c.index, "header": c.header, "key": c.key} for c in self.columns],
        }


def column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def _fmt(value: float) -> str:
    return f"{value:g}"


class _Checker:
    def __init__(self, raw: RawSheet, spec: SheetSpec, period: str):
        self.raw = raw
        self.spec = spec
        self.period = period
        self.report = CheckReport(sheet_name=raw.sheet_name, header_row=raw.header_row, columns=list(raw.columns))
        self.row_numbers = [number for number, _ in raw.rows]
        self._columns: list[tuple] | None = None
        self.index: dict[str, int] = {}
        self.headers: dict[str, str] = {}

    def error(self, i: int | None, key: str | None, value, message: str) -> None:
        self._add(self.report.errors, i, key, value, message)

    def warn(self, i: int | None, key: str | None, value, message: str) -> None:
        self._add(self.report.warnings, i, key, value, message)

    def _add(self, target: list, i: int | None, key: str | None, value, message: str) -> None:
        column = self.index.get(key, -1) if key else -1
        header = self.headers.get(key, key or "")
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

    def cells(self, key: str) -> list | tuple:
        index = self.index.get(key)
        if self._columns is None:  # one transpose for the whole sheet, done in C
            self._columns = list(zip_longest(*(cells for _, cells in self.raw.rows)))
        if index is None or index >= len(self._columns):
            return [None] * len(self.raw.rows)
        return self._columns[index]

    def row_keys(self) -> list[str]:
        keys = [identifier(cell) for cell in self.cells(self.spec.row_key)]
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
        bad_set = set(bad)
        for i, day in enumerate(dates):
            if day is None and i not in bad_set:
                self.error(i, key, "", f"{key} is empty: every row needs the date the work was done")
            elif day is not None and f"{day.year:04d}-{day.month:02d}" != self.period:
                self.error(i, key, cells[i], f"dated {day.isoformat()}, outside the period {self.period}")
        return dates

    def numbers(self, key: str, clause: ClauseColumn | None) -> np.ndarray:
        cells = self.cells(key)
        values, bad = parse_numbers(cells, percent_column=bool(clause and clause.percent))
        for i in bad:
            self.error(i, key, cells[i], "not a number")
        if clause is not None and (clause.valid_min is not None or clause.valid_max is not None):
            low = -math.inf if clause.valid_min is None else clause.valid_min
            high = math.inf if clause.valid_max is None else clause.valid_max
            with np.errstate(invalid="ignore"):
                outside = np.flatnonzero((values < low) | (values > high))
            for i in outside:
                self.error(int(i), key, cells[i], f"{_fmt(values[i])} is outside the valid range "
                                                  f"{_fmt(low)} to {_fmt(high)}")
        return values

    def yes_no(self, key: str) -> list[bool | None]:
        cells = self.cells(key)
        values, bad = parse_yes_no(cells)
        for i in bad:
            self.error(i, key, cells[i], "expected yes or no (yes, y, true, 1, x / no, n, false, 0)")
        return values

    def formulas(self) -> None:
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
    history: Mapping[str, tuple[float, float, int]] | None = None,
) -> CheckReport:
    """Checks every cell and returns the report with the rows ready to store (commit only when ok).

    `committed_elsewhere(keys)` names, per row key, the earlier upload in another period that already
    holds it; `history[key]` is (mean, standard deviation, rows) of the contract's earlier values.
    """
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
    _flag_far_from_history(checker, spec, columns, history or {})
    for key, label in committed_elsewhere({k for k in keys if k}).items():
        for i in (i for i, k in enumerate(keys) if k == key):
            checker.error(i, spec.row_key, key, f"{spec.row_key} {key} was already committed for this contract "
                                                f"in {label}: the same work cannot be counted twice")
    checker.report.errors.sort(key=lambda p: (p.row or 0, p.column))
    checker.report.rows = _rows(checker, keys, dates, columns)
    return checker.report


def _flag_far_from_history(checker: _Checker, spec: SheetSpec, columns: Mapping, history: Mapping) -> None:
    for clause in spec.clauses:
        stats = history.get(clause.key)
        values = columns.get(clause.key)
        if stats is None or clause.yes_no or values is None:
            continue
        mean, std, count = stats
        if count < HISTORY_MIN_ROWS or not std or std <= 0:
            continue
        with np.errstate(invalid="ignore"):
            far = np.flatnonzero(np.abs(values - mean) > HISTORY_SIGMAS * std)
        low, high = mean - 2 * std, mean + 2 * std
        for i in far:
            checker.warn(int(i), clause.key, values[i],
                         f"{_fmt(values[i])} is far from this contract's history (usually {_fmt(round(low, 2))} "
                         f"to {_fmt(round(high, 2))}); check it is right")


def _rows(checker: _Checker, keys: list[str], dates: list, columns: Mapping) -> CheckedRows:
    values: dict[str, list] = {}
    for key, column in columns.items():
        if isinstance(column, np.ndarray):
            # NaN (empty cell) becomes None: missing, never zero.
            values[key] = np.where(np.isnan(column), None, column).tolist()
        else:
            values[key] = column
    context = {key: [c.strip() or None if type(c) is str else text(c) for c in checker.cells(key)]
               for key in checker.spec.context_columns if key in checker.index}
    return CheckedRows(row_numbers=checker.row_numbers, row_keys=keys, work_dates=dates, values=values,
                       context=context)
