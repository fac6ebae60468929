"""Periods are calendar months written `YYYY-MM`."""
from __future__ import annotations

import re
from datetime import date

PERIOD_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
# The years a stored period may have (the database's CHECK says the same); forms use this pattern.
FIRST_YEAR, LAST_YEAR = 1900, 2999
STORED_PERIOD_PATTERN = r"^(19\d\d|2\d\d\d)-(0[1-9]|1[0-2])$"


def is_period(text: object) -> bool:
    """A month written YYYY-MM with a year from 1900 to 2999, so it can be stored and compared."""
    if not isinstance(text, str):
        return False
    match = PERIOD_RE.match(text)
    return match is not None and FIRST_YEAR <= int(match.group(1)) <= LAST_YEAR


def parse_period(text: str) -> tuple[int, int]:
    match = PERIOD_RE.match(text or "")
    if not match:
        raise ValueError(f"'{text}' is not a period; write it as YYYY-MM, e.g. 2026-03")
    return int(match.group(1)), int(match.group(2))


def add_months(period: str, months: int) -> str:
    year, month = parse_period(period)
    index = year * 12 + (month - 1) + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def period_range(first: str, last: str) -> list[str]:
    """Every period from `first` to `last`, inclusive; empty when last is before first."""
    out, current = [], first
    parse_period(last)
    while current <= last:
        out.append(current)
        current = add_months(current, 1)
    return out


def period_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def sheet_due_on(period: str, due_days: int) -> date:
    """The day a month's sheet is due: `due_days` after the month's last day (a category setting)."""
    return date.fromordinal(period_bounds(period)[1].toordinal() + due_days)


def period_bounds(period: str) -> tuple[date, date]:
    year, month = parse_period(period)
    first = date(year, month, 1)
    next_year, next_month = parse_period(add_months(period, 1))
    last = date.fromordinal(date(next_year, next_month, 1).toordinal() - 1)
    return first, last
