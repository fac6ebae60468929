"""Attainment `a` and status of a clause's period value (docs/scoring.md "Attainment", "Status").

Comparisons with the target and the minimum go through `tolerance`, so a value equal to the
target in decimals but off by float noise still meets it.
"""
from __future__ import annotations

from .plain_values import as_float, plain_choice, required_float
from .tolerance import at_or_better, at_or_worse, strictly_worse

CURVES = ("linear", "ratio", "pass_fail")
DIRECTIONS = ("higher", "lower")
STATUSES = ("met", "partial", "failed", "no_data")


def _checked_minimum(minimum: float | None, target: float, direction: str) -> float:
    if minimum is None:
        raise ValueError("the linear curve needs a minimum")
    if (direction == "higher" and not minimum < target) or (direction == "lower" and not minimum > target):
        side = "below" if direction == "higher" else "above"
        raise ValueError(f"the minimum {minimum:g} must be {side} the target {target:g} when {direction} is better")
    return minimum


def _linear(value: float, target: float, minimum: float, direction: str) -> float:
    if at_or_better(value, target, direction):
        return 100.0
    if at_or_worse(value, minimum, direction):
        return 0.0
    if direction == "higher":
        share = (value - minimum) / (target - minimum)
    else:
        share = (minimum - value) / (minimum - target)
    return min(100.0, max(0.0, 100.0 * share))


def _ratio(value: float, target: float, cap: float, direction: str) -> float:
    if target <= 0:
        raise ValueError(f"the ratio curve needs a target above 0, not {target:g}")
    if direction == "higher":
        share = value / target
    elif value <= 0:
        # Lower is better and nothing (or less) was recorded: the best possible, 100·k (docs/scoring.md).
        return 100.0 * cap
    else:
        share = target / value
    return 100.0 * max(0.0, min(share, cap))


def attainment(value, *, direction, curve, target, minimum=None, cap=1.0) -> float | None:
    """Attainment from 0 to 100 (to 100·cap on the ratio curve); None when there is no value."""
    number = as_float(value, "value")
    if number is None:
        return None
    direction = plain_choice(direction, DIRECTIONS, "direction")
    curve = plain_choice(curve, CURVES, "curve", default="linear")
    target_number = required_float(target, "target")
    if curve == "linear":
        minimum_number = _checked_minimum(as_float(minimum, "minimum"), target_number, direction)
        return _linear(number, target_number, minimum_number, direction)
    if curve == "ratio":
        cap_number = required_float(cap, "cap", default=1.0)
        if cap_number <= 0:
            raise ValueError(f"cap must be above 0, not {cap_number:g}")
        return _ratio(number, target_number, cap_number, direction)
    return 100.0 if at_or_better(number, target_number, direction) else 0.0


def clause_status(value, *, direction, curve, target, minimum=None) -> str:
    """'met', 'partial' or 'failed' as docs/scoring.md "Status" says; 'no_data' when there is no value."""
    number = as_float(value, "value")
    if number is None:
        return "no_data"
    direction = plain_choice(direction, DIRECTIONS, "direction")
    curve = plain_choice(curve, CURVES, "curve", default="linear")
    target_number = required_float(target, "target")
    if at_or_better(number, target_number, direction):
        return "met"
    if curve == "pass_fail":
        return "failed"
    minimum_number = as_float(minimum, "minimum")
    if minimum_number is not None and strictly_worse(number, minimum_number, direction):
        return "failed"
    return "partial"
