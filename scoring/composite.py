"""A contract-period's composite score and coverage from its clause attainments (docs/scoring.md).

Coverage tells the page whether the composite rests on every clause in force, so an incomplete
period is never shown as perfect or as zero.
"""
from __future__ import annotations

import math
from collections.abc import Iterable

from .plain_values import as_float, required_float


def composite_and_coverage(results: Iterable[tuple]) -> tuple[float | None, float]:
    """(C, coverage) from (weight, attainment or None) of every clause in force.

    C = Σ w·a / Σ w over clauses with a value (None when none has, or their weights sum to 0);
    coverage = Σ w with a value / Σ w in force, from 0 to 1 (0 when nothing is in force).
    """
    weights_in_force: list[float] = []
    weights_scored: list[float] = []
    weighted: list[float] = []
    attainments: list[float] = []
    for weight, attainment in results:
        w = required_float(weight, "weight")
        if w < 0:
            raise ValueError(f"a clause weight cannot be negative, not {w:g}")
        weights_in_force.append(w)
        a = as_float(attainment, "attainment")
        if a is None:
            continue
        weights_scored.append(w)
        weighted.append(w * a)
        if w > 0:
            attainments.append(a)

    total_in_force = math.fsum(weights_in_force)
    total_scored = math.fsum(weights_scored)
    coverage = 0.0 if total_in_force == 0 else min(1.0, total_scored / total_in_force)
    if total_scored == 0:
        return None, coverage
    composite = math.fsum(weighted) / total_scored
    # A weighted mean lies between its smallest and largest term; clamping removes float noise only.
    composite = min(max(composite, min(attainments)), max(attainments))
    return composite, coverage
