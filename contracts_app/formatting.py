"""How money, percents, scores and coverage are written, in one place for pages, CLI and exports.

Values are stored exactly (money in cents) or at full precision (scores); they are rounded only here.
One rule says when a month is incomplete, and the coverage shown for it never reads 100 %.
"""
from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from contracts_app.contracts.clause_language import format_percent

CENT = Decimal("0.01")
MINUS = "\u2212"  # a real minus sign: "−$5.01", never "$-5.01"
NOTHING = "—"
FULL_COVERAGE = 1 - 1e-9  # coverage is a float ratio of weights; anything below is an incomplete month


def cents(value: Any) -> Decimal:
    """An amount rounded to the cent, half up (0.125 -> 0.13)."""
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    rounded = number.quantize(CENT, rounding=ROUND_HALF_UP)
    return rounded.copy_abs() if rounded.is_zero() else rounded  # never "-0.00"


def money(value: Any) -> str:
    """$182,500.00; −$5.01; — when there is no amount."""
    if value is None:
        return NOTHING
    amount = cents(value)
    return f"{MINUS}${-amount:,}" if amount < 0 else f"${amount:,}"


def signed_money(value: Any) -> str:
    """+$7,300.00 / −$5,000.00 / $0.00: a net that can go either way."""
    if value is None:
        return NOTHING
    amount = cents(value)
    return f"+${amount:,}" if amount > 0 else money(amount)


def money_json(value: Any) -> str | None:
    """Money in JSON (SPEC §6): a string with two decimals, no separators ("182500.00", "-5.01")."""
    return None if value is None else f"{cents(value):f}"


def percent(value: Any) -> str:
    """A contract's percent as written (5 means 5 %): "5 %", "0.9958 %"."""
    return format_percent(value, "0 %")


def score(value: Any, places: int = 1) -> str:
    """A score or other stored number for display, half up to `places` decimals: 72.5, 1,234.6."""
    if value is None:
        return NOTHING
    quantum = Decimal(1).scaleb(-places)
    rounded = Decimal(str(value)).quantize(quantum, rounding=ROUND_HALF_UP)
    return f"{rounded:,}"


def is_incomplete(coverage: float | None) -> bool:
    """The one rule: a month is incomplete when its clauses with a value carry less than all the weight."""
    return coverage is None or coverage < FULL_COVERAGE


def coverage_percent(value: float | None) -> Decimal | None:
    """Coverage in percent to a tenth, rounded *down*, so an incomplete month never reads 100 (0.9996 -> 99.9)."""
    if value is None:
        return None
    tenths = Decimal(math.floor(value * 1000 + 1e-9)).scaleb(-1)
    if is_incomplete(value) and tenths >= 100:
        tenths = Decimal("99.9")
    return tenths


def coverage(value: float | None) -> str:
    """Coverage as shown everywhere: "99.6 %", "100 %", "0 %"."""
    tenths = coverage_percent(value)
    if tenths is None:
        return NOTHING
    return f"{tenths.normalize():f} %" if tenths else "0 %"


def coverage_note(value: float | None) -> str:
    """"incomplete · 99.6 % coverage" for an incomplete month, "" for a complete one."""
    return f"incomplete · {coverage(value)} coverage" if is_incomplete(value) else ""


# --- the review window (SPEC §8): one wording for pages, CLI and exports --------------------------

REVIEW_MARKS = {"provisional": "provisional", "disputed": "disputed"}
REVIEW_TITLES = {
    "provisional": "The vendor's review window is open: the month may still be disputed.",
    "disputed": "A dispute on this month is open: its bonus and penalty are on hold until it is resolved.",
}
ON_HOLD = "on hold (disputed)"


def _state(review: Any) -> str:
    state = getattr(review, "state", review)
    return str(getattr(state, "value", state) or "")


def review_mark(review: Any) -> str:
    """"provisional" or "disputed" for a month that is not final yet; "" for a final month (or None)."""
    return REVIEW_MARKS.get(_state(review), "")


def review_title(review: Any) -> str:
    return REVIEW_TITLES.get(_state(review), "")


def held_money(value: Any, on_hold: bool, signed: bool = False) -> str:
    """An amount, or "on hold (disputed)" with the amount when its month is disputed: not payable yet."""
    text = signed_money(value) if signed else money(value)
    return f"{ON_HOLD}: {text}" if on_hold and value is not None else text
