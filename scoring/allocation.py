"""Next period's work split among a category's vendors by score (docs/reallocation.md).

Shares and volumes are worked out in exact fractions, so the shares sum to exactly 1, float noise
never decides who is raised to the floor or capped, and the result does not depend on the order
of the vendors. Only the vendors' weights r = (S/100)^γ pass through floats. Capacities count in
whole hundredths (a capacity of 13.333 takes at most 13.33) because volumes have 2 decimals.
The output lines keep the input's order; the caller chooses it (by name, by rank).
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from .plain_values import as_float

CENT = Decimal("0.01")
NO_CONTRACT = "Not eligible: no active contract covering the period"
ON_PROBATION = "On probation: no work this period"


@dataclass(frozen=True)
class AllocationVendor:
    """One vendor of the category as the allocation sees it; the caller decides eligibility and capacity."""

    name: str
    score: float | None
    insufficient_data: bool
    probation: bool
    eligible: bool  # an active contract in the category covering the target period
    capacity: Decimal | None  # summed over those contracts; None = unlimited
    last_volume: Decimal | None = None  # in the last approved allocation
    rank: int | None = None


@dataclass(frozen=True)
class AllocationLine:
    """One vendor's result with every intermediate share, so the page can show how it was reached."""

    name: str
    score: float | None
    rank: int | None
    insufficient_data: bool
    probation: bool
    eligible: bool  # as given: has an active contract covering the period (probation is separate)
    weight: float | None  # r = (S/100)^γ; None for trial, probation and ineligible vendors
    share_before_floor: float
    share_after_floor: float
    share_after_capacity: float  # exact volume ÷ V before rounding to cents
    volume: Decimal
    share: float  # final volume ÷ V
    capacity: Decimal | None
    equal_split_volume: Decimal  # V ÷ eligible vendors, to the cent; 0 when not eligible
    change_vs_equal: Decimal
    last_volume: Decimal | None
    change_vs_last: Decimal | None
    reason: str


@dataclass(frozen=True)
class Allocation:
    """The whole recommendation: lines in input order, the total, and what could not be placed."""

    lines: list[AllocationLine]
    volume: Decimal
    allocated: Decimal
    unallocated: Decimal
    floor_dropped: bool
    notes: list[str] = field(default_factory=list)


# --- input checks ---------------------------------------------------------------------------------

def _quantity(value: Any, name: str) -> Decimal | None:
    """A finite Decimal of at least 0, or None; floats are refused so volumes never pass through them."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
        raise TypeError(f"{name} must be a Decimal (or int), not {type(value).__name__}")
    number = Decimal(value)
    if not number.is_finite() or number < 0:
        raise ValueError(f"{name} must be a finite amount of at least 0, not {value}")
    return number


def _total_volume(volume: Any) -> Decimal:
    """V: more than 0, in hundredths at most (volumes are rounded to 2 decimals and must sum to it)."""
    number = _quantity(volume, "volume")
    if number is None or number == 0:
        raise ValueError("the volume to allocate must be more than 0")
    if number != number.quantize(CENT):
        raise ValueError(f"the volume to allocate has at most 2 decimals, not {volume}")
    return number


def _as_typed(value: Any, name: str) -> tuple[float, Fraction]:
    """A float parameter and the exact decimal the user typed (0.1 is exactly 1/10)."""
    number = as_float(value, name)
    if number is None:
        raise ValueError(f"{name} is required")
    return number, Fraction(value) if isinstance(value, Decimal) else Fraction(repr(number))


def _floor_share(floor: Any) -> Fraction:
    """f as an exact fraction from 0 to 1."""
    number, exact = _as_typed(floor, "floor")
    if not 0 <= number <= 1:
        raise ValueError(f"the floor share is a fraction from 0 to 1 (0.1 means 10 %), not {floor}")
    return exact


def _exponent(gamma: Any) -> float:
    """γ, more than 0: γ ≤ 0 would stop giving more work to better scores."""
    number, _ = _as_typed(gamma, "gamma")
    if not number > 0:
        raise ValueError(f"gamma must be more than 0, not {gamma}")
    return number


def _checked(vendors: Iterable[AllocationVendor]) -> list[AllocationVendor]:
    """The vendors with unique names and valid scores and amounts; scores must not be negative."""
    checked = list(vendors)
    names = [v.name for v in checked]
    if any(not isinstance(n, str) or not n for n in names):
        raise ValueError("every vendor needs a name")
    if len(set(names)) != len(names):
        raise ValueError("vendor names must be unique: they break rounding ties")
    for v in checked:
        score = as_float(v.score, f"{v.name}: score")
        if score is not None and score < 0:
            raise ValueError(f"{v.name}: a score cannot be negative, not {score:g}")
        _quantity(v.capacity, f"{v.name}: capacity")
        _quantity(v.last_volume, f"{v.name}: last volume")
    return checked


def _weighted_score(vendor: AllocationVendor) -> float | None:
    """The score behind the vendor's weight; None for a trial vendor (insufficient data or no score)."""
    return None if vendor.insufficient_data else as_float(vendor.score, "score")


def _name_order(name: str) -> tuple[str, str]:
    return name.casefold(), name


# --- steps 3 to 5 ---------------------------------------------------------------------------------

def _split(amount: Fraction, weights: Mapping[str, Fraction]) -> dict[str, Fraction]:
    """`amount` split in proportion to `weights`; equally when every weight is 0."""
    total = sum(weights.values(), Fraction(0))
    if total == 0:
        return {name: amount / len(weights) for name in weights}
    return {name: amount * weight / total for name, weight in weights.items()}


def _shares(trial: list[str], weights: dict[str, Fraction], floor: Fraction, floor_dropped: bool):
    """Step 3: (shares before the floor, shares after it, vendors raised to it); shares sum to 1."""
    n = len(trial) + len(weights)
    if not weights:
        equal = {name: Fraction(1, n) for name in trial}
        return equal, dict(equal), set()
    trial_share = Fraction(1, n) if floor_dropped else floor
    rest = 1 - trial_share * len(trial)
    before = {name: trial_share for name in trial} | _split(rest, weights)
    if floor_dropped:
        return before, dict(before), set()
    raised: set[str] = set()
    while True:  # at least one vendor stays unraised: the rest always covers f for each of them
        unraised = {name: r for name, r in weights.items() if name not in raised}
        split = _split(rest - floor * len(raised), unraised)
        below = {name for name, share in split.items() if share < floor}
        if not below:
            break
        raised |= below
    after = {name: trial_share for name in trial} | {name: floor for name in raised} | split
    return before, after, raised


def _fill_capacity(shares: dict[str, Fraction], capacities: dict[str, Fraction | None], volume: Fraction):
    """Step 4: (exact volumes, vendors capped, vendors given capped work equally as they had no share)."""
    capped: set[str] = set()
    while True:
        uncapped = {name: share for name, share in shares.items() if name not in capped}
        if not uncapped:
            return {name: capacities[name] for name in shares}, capped, set()
        free = volume - sum((capacities[name] or Fraction(0) for name in capped), Fraction(0))  # capped: not None
        split = _split(free, uncapped)
        over = {name for name, v in split.items() if (cap := capacities[name]) is not None and v > cap}
        if not over:
            evenly = set(uncapped) if free > 0 and sum(uncapped.values()) == 0 else set()
            return {name: capacities[name] for name in capped} | split, capped, evenly
        capped |= over


def _cents_floor(capacity: Decimal | None) -> Fraction | None:
    """The capacity in whole hundredths, rounded down: the most a 2-decimal volume can be without exceeding it."""
    if capacity is None:
        return None
    return Fraction(math.floor(Fraction(capacity) * 100), 100)


def _round_to_cents(volumes: dict[str, Fraction]) -> dict[str, int]:
    """Step 5: whole cents summing to the rounded total; largest remainder, then higher share, then name."""
    exact = {name: v * 100 for name, v in volumes.items()}
    cents = {name: math.floor(x) for name, x in exact.items()}
    extra = round(sum(exact.values(), Fraction(0))) - sum(cents.values())
    order = sorted(exact, key=lambda name: (-(exact[name] - cents[name]), -exact[name], _name_order(name)))
    for name in order[:extra]:
        cents[name] += 1
    return cents


# --- plain words ----------------------------------------------------------------------------------

def _percent(share: Fraction | float) -> str:
    text = f"{float(share) * 100:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _amount(value: Decimal, unit: str) -> str:
    number = value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()
    return f"{number:f} {unit}".rstrip()


@dataclass(frozen=True)
class _Context:
    """What every reason needs to know about the run as a whole."""

    volume: Decimal
    unit: str
    floor: Fraction
    floor_dropped: bool
    eligible_count: int
    any_weighted: bool


def _share_words(weighted: bool, before: Fraction, after: Fraction, raised: bool, run: _Context) -> str:
    """How step 3 gave this vendor its share."""
    if not run.any_weighted:
        return f"equal share of {_percent(after)} % (no eligible vendor has a score yet)"
    if not weighted:
        if run.floor_dropped:
            return f"fixed share of 1/{run.eligible_count} ({_percent(after)} %) as the floor is dropped"
        return f"fixed share of {_percent(after)} %"
    if run.floor_dropped:
        return f"share {_percent(after)} % in proportion to its weight (floor dropped)"
    if raised:
        return f"share {_percent(before)} % raised to the {_percent(run.floor)} % floor"
    return f"share {_percent(after)} % after the {_percent(run.floor)} % floor"


def _capacity_words(vendor: AllocationVendor, steps: _Steps, run: _Context) -> str | None:
    """How step 4 changed this vendor's volume, if it did."""
    name, total, capacity = vendor.name, Fraction(run.volume), vendor.capacity
    if name in steps.capped and capacity is not None:  # only a vendor with a capacity is capped
        words = f"capped at its capacity of {_amount(capacity, run.unit)}"
        if capacity != capacity.quantize(CENT, rounding=ROUND_FLOOR):
            words += " (whole hundredths only)"
        return words
    if name in steps.evenly:
        return "takes an equal part of the work that capped vendors had no capacity for"
    if steps.exact[name] > steps.after[name] * total:
        share = _percent(steps.exact[name] / total)
        return f"share {share} % after taking on work that capped vendors had no capacity for"
    return None


def _reason(vendor: AllocationVendor, weight: float | None, steps: _Steps, volume: Decimal, run: _Context) -> str:
    """The line's explanation: score and weight, step 3, step 4, and the volume (or why none)."""
    if not vendor.eligible:
        return NO_CONTRACT
    if vendor.probation:
        return ON_PROBATION
    if weight is None:
        head = "Trial vendor (insufficient data)" if vendor.insufficient_data else "Trial vendor (no score)"
    else:
        rank = f" (rank {vendor.rank})" if vendor.rank is not None else ""
        head = f"Score {as_float(vendor.score, 'score'):.1f}{rank}"
    parts = [] if weight is None else [f"weight {weight:.3g}"]
    name = vendor.name
    parts.append(_share_words(weight is not None, steps.before[name], steps.after[name], name in steps.raised, run))
    capacity = _capacity_words(vendor, steps, run)
    if capacity:
        parts.append(capacity)
    parts.append(f"volume {_amount(volume, run.unit)}" if volume > 0 else "no work this period")
    return f"{head}: {'; '.join(parts)}"


def _notes(run: _Context, allocated: Decimal, unallocated: Decimal, evenly: set[str]) -> list[str]:
    """Run-wide remarks the page shows above the lines."""
    notes = []
    if run.eligible_count == 0:
        notes.append("No eligible vendor: none has an active contract covering the period while off probation; "
                     f"all {_amount(run.volume, run.unit)} are unallocated.")
        return notes
    if not run.any_weighted:
        notes.append(f"No eligible vendor has a score yet: the {run.eligible_count} eligible vendors share equally.")
    if run.floor_dropped:
        how = (f"trial vendors get 1/{run.eligible_count} each and the others share the rest by weight"
               if run.any_weighted else "the eligible vendors share equally")
        notes.append(f"Floor dropped: {_percent(run.floor)} % for each of {run.eligible_count} eligible vendors "
                     f"would exceed 100 %; {how}.")
    if evenly:
        notes.append("The vendors with spare capacity had no share of their own, so the work the capped vendors "
                     f"could not take was split equally among them: {', '.join(sorted(evenly, key=_name_order))}.")
    if unallocated > 0:
        notes.append(f"Total capacity of the eligible vendors ({_amount(allocated, run.unit)}) is below the volume "
                     f"({_amount(run.volume, run.unit)}): {_amount(unallocated, run.unit)} unallocated.")
    return notes


# --- the whole run --------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Steps:
    """Exact intermediate results of steps 3–5 for the eligible vendors, by name."""

    before: dict[str, Fraction] = field(default_factory=dict)
    after: dict[str, Fraction] = field(default_factory=dict)
    raised: set[str] = field(default_factory=set)
    exact: dict[str, Fraction] = field(default_factory=dict)
    capped: set[str] = field(default_factory=set)
    evenly: set[str] = field(default_factory=set)
    cents: dict[str, int] = field(default_factory=dict)


def _run_steps(eligible: list[AllocationVendor], weights: dict[str, float], run: _Context) -> _Steps:
    """Steps 3–5 for the eligible vendors (none: nothing to share)."""
    if not eligible:
        return _Steps()
    trial = [v.name for v in eligible if v.name not in weights]
    exact_weights = {name: Fraction(r) for name, r in weights.items()}
    before, after, raised = _shares(trial, exact_weights, run.floor, run.floor_dropped)
    capacities = {v.name: _cents_floor(v.capacity) for v in eligible}
    exact, capped, evenly = _fill_capacity(after, capacities, Fraction(run.volume))
    return _Steps(before, after, raised, exact, capped, evenly, _round_to_cents(exact))


def _line(vendor: AllocationVendor, weight: float | None, steps: _Steps, equal_split: Decimal, run: _Context):
    """The vendor's AllocationLine; vendors outside `steps` (ineligible, probation) get 0 throughout."""
    name, zero, total = vendor.name, Fraction(0), Fraction(run.volume)
    taking = name in steps.cents
    volume = Decimal(steps.cents.get(name, 0)).scaleb(-2)
    fair = equal_split if taking else Decimal("0.00")
    last = _quantity(vendor.last_volume, "last volume")
    reason = _reason(vendor, weight, steps, volume, run)
    return AllocationLine(
        name=name, score=vendor.score, rank=vendor.rank, insufficient_data=vendor.insufficient_data,
        probation=vendor.probation, eligible=vendor.eligible, weight=weight,
        share_before_floor=float(steps.before.get(name, zero)), share_after_floor=float(steps.after.get(name, zero)),
        share_after_capacity=float(steps.exact.get(name, zero) / total),
        volume=volume, share=float(Fraction(volume) / total), capacity=vendor.capacity,
        equal_split_volume=fair, change_vs_equal=volume - fair, last_volume=vendor.last_volume,
        change_vs_last=None if last is None else volume - last, reason=reason,
    )


def allocate(
    vendors: Iterable[AllocationVendor],
    *,
    volume: Decimal,
    floor: float = 0.10,
    gamma: float = 2.0,
    unit: str = "",
) -> Allocation:
    """docs/reallocation.md steps 1–5 for volume V, floor share f and exponent γ; `unit` only words the reasons.

    Lines keep the input's order; volumes do not depend on it. ValueError for V ≤ 0, V with more
    than 2 decimals, f outside 0–1, γ ≤ 0, negative scores or capacities, or repeated names.
    """
    total = _total_volume(volume)
    floor_share = _floor_share(floor)
    exponent = _exponent(gamma)
    checked = _checked(vendors)

    eligible = [v for v in checked if v.eligible and not v.probation]
    weights = {v.name: (score / 100) ** exponent for v in eligible if (score := _weighted_score(v)) is not None}
    floor_dropped = floor_share * len(eligible) > 1
    run = _Context(total, unit, floor_share, floor_dropped, len(eligible), bool(weights))
    steps = _run_steps(eligible, weights, run)

    equal_split = (total / len(eligible)).quantize(CENT, rounding=ROUND_HALF_UP) if eligible else Decimal("0.00")
    lines = [_line(vendor, weights.get(vendor.name), steps, equal_split, run) for vendor in checked]
    allocated = Decimal(sum(steps.cents.values())).scaleb(-2)
    unallocated = (total - allocated).quantize(CENT)
    return Allocation(lines=lines, volume=total, allocated=allocated, unallocated=unallocated,
                      floor_dropped=floor_dropped, notes=_notes(run, allocated, unallocated, steps.evenly))
