"""Turning the model's terms (Decimal numbers, str enums) into the floats and strings scoring uses.

Enums of str compare equal to their value but do not hash like it, so they are reduced to the
plain value before any lookup.
"""
from __future__ import annotations

import enum
import math
import numbers
from decimal import Decimal
from typing import Any


def plain_choice(value: Any, choices: tuple[str, ...], name: str, default: str | None = None) -> str:
    """The enum's plain string when it is one of `choices`; `default` when missing; else ValueError."""
    if isinstance(value, enum.Enum):
        value = value.value
    if value is None or value == "":
        if default is None:
            raise ValueError(f"{name} is required: one of {', '.join(choices)}")
        return default
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}, not {value!r}")
    return value


def as_float(value: Any, name: str) -> float | None:
    """A finite float from a Decimal, int or float; None when missing (None or NaN)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, Decimal)):
        raise TypeError(f"{name} must be a number, not {type(value).__name__}")
    number = float(value)
    if math.isnan(number):
        return None
    if math.isinf(number):
        raise ValueError(f"{name} must be finite, not {value}")
    return number


def required_float(value: Any, name: str, default: float | None = None) -> float:
    """Like `as_float`, but a missing value is `default`, or a ValueError when there is none."""
    number = as_float(value, name)
    if number is None:
        if default is None:
            raise ValueError(f"{name} is required")
        return default
    return number
