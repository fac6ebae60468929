"""A clause's period value `v` from its rows (docs/scoring.md "Period value"), vectorised with numpy.

Missing cells (None or NaN) are skipped, never counted as zero. Sums are correctly rounded
(math.fsum) so the float result is as close as floats allow to the decimal arithmetic.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .plain_values import as_float, plain_choice, required_float
from .tolerance import VALUE_REL_TOL

AGGREGATIONS = ("mean", "median", "sum", "percent_true", "percent_meeting", "ratio")
DIRECTIONS = ("higher", "lower")


def _is_missing(item: Any) -> bool:
    if item is None:
        return True
    try:
        return bool(item != item)  # NaN, and pandas' NA / NaT
    except TypeError:
        return True


def as_float_array(values: Sequence[Any] | np.ndarray, name: str = "values") -> np.ndarray:
    """The cells as a float array with NaN for missing ones (None, NaN); bools become 1.0 / 0.0."""
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        try:
            array = np.array([np.nan if _is_missing(item) else float(item) for item in values], dtype=float)
        except (TypeError, ValueError) as error:
            raise ValueError(f"{name} must be numbers (or booleans), parsed by the importer: {error}") from None
    array = np.atleast_1d(array).ravel()
    if np.isinf(array).any():
        raise ValueError(f"{name} must be finite numbers")
    return array


def _used_rows(values: np.ndarray, denominators: np.ndarray | None) -> np.ndarray:
    """The mask of rows that count: a value, and for ratio also a denominator."""
    present = ~np.isnan(values)
    if denominators is not None:
        present &= ~np.isnan(denominators)
    return present


def _prepared(values, aggregation, denominators) -> tuple[str, np.ndarray, np.ndarray | None]:
    aggregation = plain_choice(aggregation, AGGREGATIONS, "aggregation")
    array = as_float_array(values)
    denominator_array = None
    if aggregation == "ratio":
        if denominators is None:
            raise ValueError("the ratio aggregation needs the denominator column's values")
        denominator_array = as_float_array(denominators, "denominators")
        if denominator_array.shape != array.shape:
            raise ValueError(
                f"denominators must be aligned with values: {denominator_array.size} against {array.size}"
            )
    mask = _used_rows(array, denominator_array)
    return aggregation, array[mask], None if denominator_array is None else denominator_array[mask]


def row_count(values, *, aggregation: str | None, denominators=None) -> int:
    """How many rows the period value is computed from (for ratio, rows with both cells)."""
    _, used, _ = _prepared(values, aggregation, denominators)
    return int(used.size)


def _share_meeting(used: np.ndarray, standard: float, direction: str) -> float:
    noise = VALUE_REL_TOL * np.maximum(1.0, np.maximum(np.abs(used), abs(standard)))
    if direction == "higher":
        meets = used >= standard - noise
    else:
        meets = used <= standard + noise
    return 100.0 * int(np.count_nonzero(meets)) / used.size


def _percent_true(used: np.ndarray) -> float:
    if not np.isin(used, (0.0, 1.0)).all():
        raise ValueError("percent_true takes booleans (true/false); parsing yes/no text is the importer's job")
    return 100.0 * int(np.count_nonzero(used)) / used.size


def period_value(
    values,
    *,
    aggregation: str | None,
    scale=1.0,
    row_standard=None,
    row_direction=None,
    denominators=None,
) -> float | None:
    """The clause's period value `v` (already times `scale`); None when no row has a value.

    `values` are the clause's cells in the period (floats, or bools for percent_true); for ratio,
    `denominators` is the denominator column aligned with them and a zero denominator sum gives None.
    """
    aggregation, used, used_denominators = _prepared(values, aggregation, denominators)
    if used.size == 0:
        return None
    if aggregation == "mean":
        # The clamp only removes rounding noise: the mean of n equal values is that value.
        value = min(max(math.fsum(used) / used.size, float(used.min())), float(used.max()))
    elif aggregation == "median":
        value = float(np.median(used))
    elif aggregation == "sum":
        value = math.fsum(used)
    elif aggregation == "percent_true":
        value = _percent_true(used)
    elif aggregation == "percent_meeting":
        standard = required_float(row_standard, "row_standard")
        direction = plain_choice(row_direction, DIRECTIONS, "row_direction")
        value = _share_meeting(used, standard, direction)
    else:  # ratio
        assert used_denominators is not None  # _prepared requires them for ratio
        denominator_sum = math.fsum(used_denominators)
        if denominator_sum == 0:
            return None
        value = math.fsum(used) / denominator_sum
    factor = as_float(scale, "scale")
    if factor is not None and factor != 1.0:
        value *= factor
    return value
