"""How sure a vendor score is (SPEC §3b): empirical-Bayes shrinkage toward the category, 90 % intervals,
the comparison with the category and rank ranges. Pure functions, exactly as SPEC §3b states them.
"""
from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from .tolerance import score_key

Z90 = 1.6448536  # the 95th percentile of the standard normal: a two-sided 90 % interval
ABOVE, WITHIN, BELOW = "above", "within", "below"

Key = TypeVar("Key", bound=Hashable)

NO_TWO_PERIODS = ("no vendor has two scored months in the window, so the month-to-month spread of a vendor's "
                  "composite (and with it how sure a score is) cannot be measured")
FEWER_THAN_TWO_RANKED = ("fewer than 2 vendors are ranked in the window, so there is no category to compare "
                         "with or to shrink toward")


@dataclass(frozen=True)
class VendorUncertainty:
    """One vendor's §3b figures; everything but `score` and `se2` is None when §3b gives none."""

    score: float  # S_i, the observation-weighted mean of its period composites
    periods: int  # k_i, its scored periods in the window
    observations: int  # Σ_t n_it
    concentration: float  # Σ_t n_it² / (Σ_t n_it)²
    se2: float | None = None  # se_i² (None when σ² is undefined)
    shrinkage: float | None = None  # B_i
    shrunk_score: float | None = None  # θ_i
    sd: float | None = None  # s_i
    interval_low: float | None = None
    interval_high: float | None = None
    comparison: str | None = None  # above / within / below
    rank_range: tuple[int, int] | None = None  # (best, worst), ranked vendors only


@dataclass(frozen=True)
class CategoryUncertainty(Generic[Key]):
    vendors: dict[Key, VendorUncertainty] = field(default_factory=dict)
    within_variance: float | None = None  # σ²
    between_variance: float | None = None  # τ²
    category_mean: float | None = None  # μ
    plain_mean: bool = False  # μ is S̄ because some se_i² + τ² is 0
    sum_weights: float | None = None  # Σ_R w_i (None when μ is the plain mean)
    why_none: str | None = None  # why there are no shrunk scores, when there are none

    @property
    def available(self) -> bool:
        return self.why_none is None


def scored_periods(periods: Iterable[tuple]) -> list[tuple[float, int]]:
    """The (c_it, n_it) that count: a composite and at least one observation."""
    return [(float(c), int(n)) for c, n in periods if c is not None and n and int(n) > 0]


def weighted_score(periods: Sequence[tuple[float, int]]) -> float:
    """S_i = Σ n·c / Σ n."""
    return math.fsum(n * c for c, n in periods) / sum(n for _, n in periods)


def concentration(periods: Sequence[tuple[float, int]]) -> float:
    """Σ n² / (Σ n)²: 1/k for k equal months, 1 for a single month."""
    total = sum(n for _, n in periods)
    return sum(n * n for _, n in periods) / (total * total)


def within_variance(by_vendor: Iterable[Sequence[tuple[float, int]]]) -> float | None:
    """σ² = Σ_i Σ_t (c_it − S_i)² / Σ_i (k_i − 1) over vendors with k_i ≥ 2; None when there is none."""
    squares: list[float] = []
    dof = 0
    for periods in by_vendor:
        if len(periods) < 2:
            continue
        score = weighted_score(periods)
        squares.extend((c - score) ** 2 for c, _ in periods)
        dof += len(periods) - 1
    return math.fsum(squares) / dof if dof else None


def between_variance(scores: Sequence[float], se2s: Sequence[float]) -> float:
    """τ² = max(0, Σ (S_i − S̄)²/(m − 1) − Σ se_i²/m) over the m ≥ 2 ranked vendors."""
    m = len(scores)
    if m < 2:
        raise ValueError("the between-vendor variance needs at least 2 ranked vendors")
    mean = math.fsum(scores) / m
    spread = math.fsum((s - mean) ** 2 for s in scores) / (m - 1)
    return max(0.0, spread - math.fsum(se2s) / m)


def shrinkage_factor(se2: float, tau2: float) -> float:
    """B = se²/(se² + τ²), 0 when both are 0."""
    total = se2 + tau2
    return 0.0 if total == 0 else se2 / total


def shrink(score: float, se2: float, tau2: float, mean: float, sum_weights: float | None) -> tuple[float, float, float]:
    """(B, θ, s) for one vendor: θ = S − B·(S − μ), s = √(se²·(1 − B) + B²/Σw); no B²/Σw when Σw is None."""
    b = shrinkage_factor(se2, tau2)
    theta = score - b * (score - mean)
    variance = se2 * (1 - b) + (b * b / sum_weights if sum_weights else 0.0)
    return b, theta, math.sqrt(max(variance, 0.0))


def compare(low: float, high: float, mean: float) -> str:
    """above when the low end is above μ, below when the high end is below μ, otherwise within.

    Compared rounded to 9 decimals (`score_key`), so float noise never moves a vendor off "within".
    """
    if score_key(low) > score_key(mean):
        return ABOVE
    if score_key(high) < score_key(mean):
        return BELOW
    return WITHIN


def rank_ranges(intervals: Mapping[Key, tuple[float, float]]) -> dict[Key, tuple[int, int]]:
    """best = 1 + #ranked with low above my high; worst = m − #ranked with high below my low."""
    m = len(intervals)
    lows = sorted(score_key(low) for low, _ in intervals.values())
    highs = sorted(score_key(high) for _, high in intervals.values())
    out: dict[Key, tuple[int, int]] = {}
    for key, (low, high) in intervals.items():
        above = m - bisect_right(lows, score_key(high))  # lows strictly above my high
        below = bisect_left(highs, score_key(low))  # highs strictly below my low
        out[key] = (1 + above, m - below)
    return out


def category_uncertainty(periods_by_vendor: Mapping[Key, Iterable[tuple]], ranked: Iterable[Key]) -> CategoryUncertainty[Key]:
    """SPEC §3b for one category, period and window.

    `periods_by_vendor`: each vendor's (period composite c_it, observations n_it) in the window; vendors
    without a scored period are left out. `ranked`: the vendors that are not insufficient data (R).
    """
    scored = {key: p for key, p in ((key, scored_periods(v)) for key, v in periods_by_vendor.items()) if p}
    base: dict[Any, dict[str, Any]] = {key: dict(score=weighted_score(p), periods=len(p), observations=sum(n for _, n in p),
                      concentration=concentration(p)) for key, p in scored.items()}
    ranked_keys = [key for key in dict.fromkeys(ranked) if key in scored]
    sigma2 = within_variance(scored.values())
    if sigma2 is None:
        return CategoryUncertainty(vendors={k: VendorUncertainty(**v) for k, v in base.items()}, why_none=NO_TWO_PERIODS)
    se2 = {key: sigma2 * v["concentration"] for key, v in base.items()}
    if len(ranked_keys) < 2:
        return CategoryUncertainty(vendors={k: VendorUncertainty(**v, se2=se2[k]) for k, v in base.items()},
                                   within_variance=sigma2, why_none=FEWER_THAN_TWO_RANKED)

    scores = [base[key]["score"] for key in ranked_keys]
    tau2 = between_variance(scores, [se2[key] for key in ranked_keys])
    totals = [se2[key] + tau2 for key in ranked_keys]
    if any(total == 0 or math.isinf(1 / total) for total in totals):  # (a subnormal total counts as 0)
        mean, sum_weights, plain = math.fsum(scores) / len(scores), None, True
    else:
        weights = [1 / total for total in totals]
        sum_weights = math.fsum(weights)
        mean, plain = math.fsum(w * s for w, s in zip(weights, scores, strict=False)) / sum_weights, False

    figures: dict[Key, dict] = {}
    for key, v in base.items():
        b, theta, sd = shrink(v["score"], se2[key], tau2, mean, sum_weights)
        low, high = theta - Z90 * sd, theta + Z90 * sd
        figures[key] = dict(v, se2=se2[key], shrinkage=b, shrunk_score=theta, sd=sd, interval_low=low,
                            interval_high=high, comparison=compare(low, high, mean))
    for key, span in rank_ranges({key: (figures[key]["interval_low"], figures[key]["interval_high"])
                                  for key in ranked_keys}).items():
        figures[key]["rank_range"] = span
    return CategoryUncertainty(vendors={k: VendorUncertainty(**v) for k, v in figures.items()},
                               within_variance=sigma2, between_variance=tau2, category_mean=mean,
                               plain_mean=plain, sum_weights=sum_weights)


def funnel_limits(mean: float, sigma2: float, typical_per_period: float, observations: float) -> tuple[float, float]:
    """The 90 % funnel at `observations`: μ ± 1.6448536·se(n), se(n)² = σ²·ρ/n.

    ρ = Σn²/Σn (= Σn²/(Σn)² × Σn), a typical vendor's; a vendor's own se² is exactly σ²·ρ_i/Σn.
    """
    half = Z90 * math.sqrt(sigma2 * typical_per_period / observations)
    return mean - half, mean + half
