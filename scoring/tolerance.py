"""When two floats count as the same number, so float noise never decides a status or a rank.

Period values are computed in binary floats from decimal data, so a mean that is exactly 90 in
decimals can come out as 89.99999999999999. Two rules, each stated once here:

* Values against a target, a minimum or a row standard (`same_number`, `at_or_better`,
  `strictly_worse`): equal when they differ by at most 1e-12 relative to the larger magnitude
  (and at least 1e-12 absolute). Float noise of a correctly rounded sum is around 1e-16
  relative; real differences in sheet data (at most 6 decimals) are far larger.
* Scores (composites, vendor scores) for ties and thresholds (`score_key`): rounded to 9
  decimals. Rounding, unlike a tolerance, is transitive, so equal scores always share a rank.
"""
from __future__ import annotations

import math

VALUE_REL_TOL = 1e-12
SCORE_DECIMALS = 9


def same_number(a: float, b: float) -> bool:
    """True when `a` and `b` differ by no more than float noise (see the module docstring)."""
    return math.isclose(a, b, rel_tol=VALUE_REL_TOL, abs_tol=VALUE_REL_TOL)


def at_or_better(value: float, standard: float, direction: str) -> bool:
    """`value` meets `standard`: ≥ when higher is better, ≤ when lower is better."""
    if direction == "higher":
        return value >= standard or same_number(value, standard)
    if direction == "lower":
        return value <= standard or same_number(value, standard)
    raise ValueError(f"direction must be 'higher' or 'lower', not {direction!r}")


def at_or_worse(value: float, standard: float, direction: str) -> bool:
    """`value` is no better than `standard`: ≤ when higher is better, ≥ when lower is better."""
    if direction == "higher":
        return value <= standard or same_number(value, standard)
    if direction == "lower":
        return value >= standard or same_number(value, standard)
    raise ValueError(f"direction must be 'higher' or 'lower', not {direction!r}")


def strictly_worse(value: float, standard: float, direction: str) -> bool:
    """`value` is worse than `standard` by more than float noise (< for higher, > for lower)."""
    if direction == "higher":
        return value < standard and not same_number(value, standard)
    if direction == "lower":
        return value > standard and not same_number(value, standard)
    raise ValueError(f"direction must be 'higher' or 'lower', not {direction!r}")


def score_key(score: float) -> float:
    """The score as compared for ties and thresholds: rounded to 9 decimals."""
    return round(float(score), SCORE_DECIMALS)
