"""Which clause terms the scoring method can apply (docs/scoring.md); shared by the editor and the importer."""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation

WEIGHT_TOTAL = Decimal("100")
AGGREGATIONS = ("mean", "median", "sum", "percent_true", "percent_meeting", "ratio")
CURVES = ("linear", "ratio", "pass_fail")
DIRECTIONS = ("higher", "lower")

# The numeric terms of a clause, and what an empty one means (None: nothing; the rules below say if it is needed).
NUMBER_TERMS = ("target", "minimum", "weight", "incentive_pct", "penalty_pct", "valid_min", "valid_max",
                "row_standard", "scale", "cap")
EMPTY_MEANS = {"incentive_pct": Decimal("0"), "penalty_pct": Decimal("0"), "scale": Decimal("1"), "cap": Decimal("1")}
TERM_LARGEST = Decimal(10) ** 12  # terms are NUMERIC(18, 6): twelve digits before the point, six after
TERM_PLACES = 6
THOUSANDS = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?$")


class TermNumberError(ValueError):
    """A typed clause number that cannot be a term; the message says why, quoting what was typed."""


def parse_term_number(typed: str | int | float | Decimal | None) -> Decimal | None:
    """A clause term as typed in a form or written in a contracts file: None when empty; a trailing % and
    thousands separators (1,250.5) are allowed. Refuses (TermNumberError) what is not a finite number, or what
    the database cannot hold exactly (more than twelve digits before the point or six after it)."""
    if typed is None:
        return None
    if isinstance(typed, bool):
        raise TermNumberError(f"'{typed}' is not a number; write it like 92.5")
    text = str(typed).strip()
    if text.endswith("%"):
        text = text[:-1].strip()
    if THOUSANDS.match(text):
        text = text.replace(",", "")
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise TermNumberError(f"'{typed}' is not a number; write it like 92.5") from None
    if not value.is_finite():
        raise TermNumberError(f"'{typed}' is not a number; write it like 92.5")
    if abs(value) >= TERM_LARGEST:
        raise TermNumberError("is too large; use at most 12 digits before the decimal point")
    if value.normalize().as_tuple().exponent < -TERM_PLACES:  # type: ignore[operator]
        raise TermNumberError(f"use at most {TERM_PLACES} digits after the decimal point")
    return value


def _fmt(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


def clause_problems(terms: Mapping) -> list[tuple[str, str]]:
    """(field, message) for every rule the clause breaks; empty when it can be scored.

    `terms` holds Decimal numbers (or None) and the enum values as plain strings.
    """
    problems: list[tuple[str, str]] = []
    direction = terms.get("direction")
    aggregation = terms.get("aggregation")
    curve = terms.get("curve") or "linear"
    target: Decimal | None = terms.get("target")
    minimum: Decimal | None = terms.get("minimum")
    valid_min: Decimal | None = terms.get("valid_min")
    valid_max: Decimal | None = terms.get("valid_max")

    if direction not in DIRECTIONS:
        problems.append(("direction", f"must be one of {', '.join(DIRECTIONS)}"))
    if aggregation not in AGGREGATIONS:
        problems.append(("aggregation", f"must be one of {', '.join(AGGREGATIONS)}"))
    if curve not in CURVES:
        problems.append(("curve", f"must be one of {', '.join(CURVES)}"))
    if target is None:
        problems.append(("target", "is required"))
    weight = terms.get("weight")
    if weight is None:
        problems.append(("weight", "is required"))
    elif not (Decimal("0") < weight <= WEIGHT_TOTAL):
        problems.append(("weight", f"must be more than 0 and at most 100, not {_fmt(weight)}"))
    for name in ("incentive_pct", "penalty_pct"):
        value = terms.get(name)
        if value is not None and not (Decimal("0") <= value <= WEIGHT_TOTAL):
            problems.append((name, f"must be a percent from 0 to 100, not {_fmt(value)}"))
    cap = terms.get("cap")
    if cap is not None and cap <= 0:
        problems.append(("cap", f"must be more than 0, not {_fmt(cap)}"))
    scale = terms.get("scale")
    if scale is not None and scale == 0:
        problems.append(("scale", "must not be 0"))

    if curve == "linear" and minimum is None:
        problems.append(("minimum", "is required for the linear curve"))
    if target is not None and minimum is not None and direction in DIRECTIONS:
        if direction == "higher" and not minimum < target:
            problems.append(("minimum", f"must be below the target {_fmt(target)} when higher is better, "
                                        f"not {_fmt(minimum)}"))
        if direction == "lower" and not minimum > target:
            problems.append(("minimum", f"must be above the target {_fmt(target)} when lower is better, "
                                        f"not {_fmt(minimum)}"))
    if curve == "ratio" and target is not None and target <= 0:
        problems.append(("target", f"must be more than 0 for the ratio curve, not {_fmt(target)}"))

    if valid_min is not None and valid_max is not None and valid_min > valid_max:
        problems.append(("valid_max", f"must not be below valid_min {_fmt(valid_min)}"))
    # The valid range bounds the sheet's cells; targets are compared with period values, which
    # for percent aggregations are percents, so only mean/median clauses are held to it.
    if aggregation in ("mean", "median"):
        for name, value in (("target", target), ("minimum", minimum)):
            if value is None:
                continue
            if valid_min is not None and value < valid_min:
                problems.append((name, f"{_fmt(value)} is below the valid range minimum {_fmt(valid_min)}"))
            if valid_max is not None and value > valid_max:
                problems.append((name, f"{_fmt(value)} is above the valid range maximum {_fmt(valid_max)}"))

    if aggregation == "ratio" and not terms.get("denominator"):
        problems.append(("denominator", "is required for the ratio aggregation (the column to divide by)"))
    if aggregation == "percent_meeting":
        if terms.get("row_standard") is None:
            problems.append(("row_standard", "is required for percent_meeting (the standard each row must meet)"))
        if terms.get("row_direction") not in DIRECTIONS:
            problems.append(("row_direction", "is required for percent_meeting: higher or lower"))
    return problems


def weight_problem(weights: Iterable[Decimal]) -> str | None:
    """The message when the weights of the clauses in force do not sum to 100."""
    total = sum(weights, Decimal("0"))
    if total != WEIGHT_TOTAL:
        return f"weights of the clauses in force sum to {_fmt(total)}, not 100"
    return None
