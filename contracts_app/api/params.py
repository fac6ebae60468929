"""Reading and checking the API's query parameters: pages and months. A bad value is a 400 naming it."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flask import request, url_for

from scoring.periods import is_period, period_range

from .errors import ApiError

PER_PAGE_DEFAULT, PER_PAGE_MAX = 50, 200
PERIODS_MAX = 36  # months one request may span where the answer is computed per month (payments)


def _shown(text: str) -> str:
    return text if len(text) <= 40 else text[:40] + "…"


def whole_number(args: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    text = args.get(name)
    if text is None or text == "":
        return default
    if not text.isdigit() or not low <= int(text) <= high:
        raise ApiError(400, f"Parameter '{name}' must be a whole number from {low} to {high}, not '{_shown(text)}'.",
                       "invalid_parameter")
    return int(text)


@dataclass(frozen=True)
class Page:
    number: int
    size: int

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size


def read_page(args: Mapping[str, str]) -> Page:
    return Page(whole_number(args, "page", 1, 1, 100000), whole_number(args, "per_page", PER_PAGE_DEFAULT, 1,
                                                                        PER_PAGE_MAX))


def month(args: Mapping[str, str], name: str) -> str | None:
    text = args.get(name)
    if text is None or text == "":
        return None
    if not is_period(text):
        raise ApiError(400, f"Parameter '{name}' must be a month written YYYY-MM (e.g. 2026-03), not '{_shown(text)}'.",
                       "invalid_parameter")
    return text


@dataclass(frozen=True)
class Months:
    """`?period=` (one month) or `?from=&to=` (inclusive, either end open); all None: every month."""

    first: str | None
    last: str | None

    def periods(self, default_last: str | None) -> list[str]:
        """The months asked for, for answers built month by month; bounded to PERIODS_MAX."""
        last = self.last or default_last
        if last is None:
            return []
        first = self.first or last
        if first > last:
            return []
        months = period_range(first, last)
        if len(months) > PERIODS_MAX:
            raise ApiError(400, f"Parameters 'from' and 'to' span {len(months)} months; at most {PERIODS_MAX}.",
                           "invalid_parameter")
        return months


def read_months(args: Mapping[str, str]) -> Months:
    period = month(args, "period")
    first, last = month(args, "from"), month(args, "to")
    if period and (first or last):
        raise ApiError(400, "Give either parameter 'period' or 'from'/'to', not both.", "invalid_parameter")
    if period:
        return Months(period, period)
    if first and last and first > last:
        raise ApiError(400, f"Parameter 'from' ({first}) is after parameter 'to' ({last}).", "invalid_parameter")
    return Months(first, last)


def listing(records: list, total: int, page: Page, **meta) -> dict:
    """The one shape of a list: `data`, `meta` (totals, page) and `links` (self, next, prev; null at the ends)."""
    pages = max(1, -(-total // page.size))

    def link(number: int) -> str:
        args = {**request.args.to_dict(), "page": str(number), "per_page": str(page.size)}
        return url_for(request.endpoint, **(request.view_args or {}), **args)

    return {"data": records,
            "meta": {"total": total, "page": page.number, "per_page": page.size, "pages": pages, **meta},
            "links": {"self": link(page.number), "next": link(page.number + 1) if page.number < pages else None,
                      "prev": link(page.number - 1) if 1 < page.number <= pages else None}}
