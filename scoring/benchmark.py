"""The cross-city benchmark's pure rules: monthly statistics, which clause definitions are comparable, and
vendor anonymisation (docs/benchmark-format.md). Plain values in, plain values out: no Flask, no database."""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from string import ascii_uppercase
from typing import Any

# The clause terms that decide whether two cities' period values measure the same thing.
COMPARABILITY_FIELDS = ("unit", "direction", "aggregation", "curve", "cap", "row_standard", "row_direction",
                        "scale", "denominator")
# Shown beside the figures, but a different target or minimum does not change what a period value means.
INFORMATIONAL_FIELDS = ("target", "minimum")
DEFINITION_FIELDS = ("key", "label", *COMPARABILITY_FIELDS, *INFORMATIONAL_FIELDS)


@dataclass(frozen=True)
class Spread:
    """The median and spread of a month's values across a city's contracts."""

    median: float
    p25: float
    p75: float
    min: float
    max: float

    def as_dict(self) -> dict[str, float]:
        return {"median": self.median, "p25": self.p25, "p75": self.p75, "min": self.min, "max": self.max}


def quantile(ordered: Sequence[float], q: float) -> float:
    """The q-quantile of sorted values by linear interpolation between closest ranks (numpy's default)."""
    if not ordered:
        raise ValueError("no values")
    position = (len(ordered) - 1) * q
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def spread(values: Iterable[float]) -> Spread | None:
    """Median, quartiles and range of the values; None when there are none."""
    ordered = sorted(float(v) for v in values)
    if not ordered:
        return None
    return Spread(quantile(ordered, 0.5), quantile(ordered, 0.25), quantile(ordered, 0.75), ordered[0], ordered[-1])


def exact_spread(values: Iterable[Decimal]) -> dict[str, Decimal] | None:
    """The same statistics in exact decimal arithmetic, for money (unit prices): no binary float on the way."""
    ordered = sorted(values)
    if not ordered:
        return None

    def at(q: Decimal) -> Decimal:
        position = (len(ordered) - 1) * q
        low = int(position)
        high = min(low + 1, len(ordered) - 1)
        return ordered[low] + (ordered[high] - ordered[low]) * (position - low)

    return {"median": at(Decimal("0.5")), "p25": at(Decimal("0.25")), "p75": at(Decimal("0.75")),
            "min": ordered[0], "max": ordered[-1]}


def _same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, (int, float, Decimal)) and isinstance(b, (int, float, Decimal)) \
            and not isinstance(a, bool) and not isinstance(b, bool):
        return Decimal(str(a)) == Decimal(str(b))
    return str(a) == str(b)


def differing_fields(ours: Mapping[str, Any], theirs: Mapping[str, Any],
                     fields: Sequence[str] = COMPARABILITY_FIELDS) -> list[str]:
    """The fields (in the order of `fields`) whose values differ between two clause definitions."""
    return [name for name in fields if not _same(ours.get(name), theirs.get(name))]


def _shown(value: Any) -> str:
    return "none" if value in (None, "") else str(value)


def difference_sentence(city: str, key: str, ours: Mapping[str, Any], theirs: Mapping[str, Any]) -> str | None:
    """Why two definitions of a clause are not comparable, in words; None when they are."""
    fields = differing_fields(ours, theirs)
    if not fields:
        return None
    if fields == ["curve"]:
        return (f"{city}'s {key} is scored with a {_shown(theirs.get('curve'))} curve, ours "
                f"{_shown(ours.get('curve'))}: not comparable.")
    parts = [f"{name} {_shown(theirs.get(name))} (ours {_shown(ours.get(name))})" for name in fields]
    return f"{city}'s {key} differs in {', '.join(parts)}: not comparable."


@dataclass(frozen=True)
class KeyMatch:
    """Our clause keys against a peer's: in both, ours only, theirs only."""

    both: list[str]
    ours_only: list[str]
    theirs_only: list[str]


def match_keys(ours: Iterable[str], theirs: Iterable[str]) -> KeyMatch:
    mine, peer = set(ours), set(theirs)
    return KeyMatch(sorted(mine & peer), sorted(mine - peer), sorted(peer - mine))


def vendor_labels(vendors: Iterable[str], *, anonymise: bool) -> dict[str, str]:
    """Each vendor's name in the file: itself, or "Vendor A", "Vendor B"… in the order given (stable in a file).

    The caller orders the vendors by something that is not their name (by observations, say), so that the
    letters say nothing about who is who."""
    ordered = list(dict.fromkeys(vendors))
    if not anonymise:
        return {name: name for name in ordered}
    return {name: f"Vendor {_letters(index)}" for index, name in enumerate(ordered)}


def _letters(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA, like spreadsheet columns."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = ascii_uppercase[rest] + letters
    return letters
