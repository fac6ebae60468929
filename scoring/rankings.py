"""Vendor scores over a window, ranks, the insufficient-data flag and probation (SPEC §3).

Ties and thresholds compare scores rounded to 9 decimals (`tolerance.score_key`), so float
noise never splits a tie or puts a vendor on probation.
"""
from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping
from typing import TypeVar

from .periods import add_months, parse_period, period_range
from .plain_values import as_float, required_float
from .tolerance import score_key

DEFAULT_WINDOW_MONTHS = 6
WINDOW_MIN, WINDOW_MAX = 1, 60  # the one limit of the window, for the page, the CLI and recommendations (SPEC §3)
MIN_SCORED_PERIODS = 3
MIN_OBSERVATIONS = 30
DEFAULT_PROBATION_THRESHOLD = 50.0

Key = TypeVar("Key", bound=Hashable)


def window_periods(period: str, months: int = DEFAULT_WINDOW_MONTHS) -> list[str]:
    """The `months` periods of the window ending at `period`, oldest first."""
    if not WINDOW_MIN <= months <= WINDOW_MAX:
        raise ValueError(f"the window must be {WINDOW_MIN} to {WINDOW_MAX} months, not {months}")
    return period_range(add_months(period, -(months - 1)), period)


def observation_weighted_mean(composites: Iterable[tuple]) -> float | None:
    """Σ observations·composite / Σ observations over the (composite, observations) with a composite."""
    scored: list[tuple[float, int]] = []
    for composite, observations in composites:
        value = as_float(composite, "composite")
        count = int(observations or 0)
        if count < 0:
            raise ValueError(f"observations cannot be negative, not {observations}")
        if value is not None and count > 0:
            scored.append((value, count))
    if not scored:
        return None
    total = sum(count for _, count in scored)
    mean = math.fsum(value * count for value, count in scored) / total
    values = [value for value, _ in scored]
    return min(max(mean, min(values)), max(values))  # clamps float noise only


def vendor_score(period_composites: Iterable[tuple]) -> float | None:
    """The vendor's score in a category over the window from its contract-periods' (composite, observations)."""
    return observation_weighted_mean(period_composites)


def vendor_period_composite(contract_periods: Iterable[tuple]) -> float | None:
    """The vendor's composite in a category in one period from its contracts' (composite, observations)."""
    return observation_weighted_mean(contract_periods)


def insufficient_data(scored_periods: int, observations: int) -> bool:
    """True when the window holds fewer than 3 scored periods or fewer than 30 observations."""
    return scored_periods < MIN_SCORED_PERIODS or observations < MIN_OBSERVATIONS


def rank(scores: Mapping[Key, float | None]) -> dict[Key, int | None]:
    """Rank 1 for the highest score; equal scores share a rank (1, 2, 2, 4); None gets no rank.

    rank = 1 + the number of scores strictly higher (compared rounded to 9 decimals); the dict
    keeps the input's order.
    """
    keys = {key: (None if (value := as_float(score, "score")) is None else score_key(value)) for key, score in scores.items()}
    ranked = sorted((k for k in keys.values() if k is not None), reverse=True)
    position: dict[float, int] = {}
    for index, key in enumerate(ranked):
        position.setdefault(key, index + 1)
    return {key: (None if k is None else position[k]) for key, k in keys.items()}


def on_probation(
    period_composites_by_period: Mapping[str, float | None],
    period: str,
    threshold=DEFAULT_PROBATION_THRESHOLD,
) -> bool:
    """True when the vendor's two most recent scored periods up to `period` are both below `threshold`.

    Periods with no composite are skipped; fewer than two scored periods is never probation.
    """
    for name in (period, *period_composites_by_period):
        parse_period(name)  # YYYY-MM, so periods order as text
    limit = score_key(required_float(threshold, "threshold"))
    scored = sorted(
        (name, composite)
        for name, composite in (
            (name, as_float(value, "composite")) for name, value in period_composites_by_period.items()
        )
        if name <= period and composite is not None
    )
    latest_two = scored[-2:]
    return len(latest_two) == 2 and all(score_key(composite) < limit for _, composite in latest_two)
