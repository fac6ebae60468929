"""A contract-period's incentive bonus and penalty from its clause statuses (SPEC §3 "Payment adjustment").

Bonus and penalty are what is paid: each is rounded to the cent, half up; net = bonus - penalty.
"""
from __future__ import annotations

import decimal
import enum
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, NamedTuple

_EXACT = decimal.Context(prec=200, rounding=decimal.ROUND_HALF_EVEN, traps=[decimal.Inexact, decimal.InvalidOperation])
_HUNDRED = Decimal(100)
CENT = Decimal("0.01")
STATUSES = ("met", "partial", "failed", "no_data")


class PaymentAdjustment(NamedTuple):
    bonus: Decimal
    penalty: Decimal
    net: Decimal


def _money(value: Any, name: str) -> Decimal:
    """A non-negative Decimal; floats are refused so money never passes through binary floats."""
    if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
        raise TypeError(f"{name} must be a Decimal (or int), not {type(value).__name__}")
    number = Decimal(value)
    if not number.is_finite() or number < 0:
        raise ValueError(f"{name} must be a finite amount of at least 0, not {value}")
    return number


def to_cents(amount: Decimal) -> Decimal:
    """An exact amount rounded to a payable one: the cent, half up (1,817.335 -> 1,817.34)."""
    return amount.quantize(CENT, rounding=decimal.ROUND_HALF_UP, context=decimal.Context(prec=200))


def _status(value: Any) -> str:
    status = value.value if isinstance(value, enum.Enum) else value
    if status not in STATUSES:
        raise ValueError(f"a clause status must be one of {', '.join(STATUSES)}, not {value!r}")
    return status


def payment_adjustment(
    invoice: Decimal,
    clauses: Iterable[tuple],
    *,
    incentive_cap: Decimal,
    penalty_cap: Decimal,
) -> PaymentAdjustment:
    """Bonus, penalty and net from the invoice and (status, incentive_pct, penalty_pct) per clause.

    Percents are in percent (5 means 5 %): bonus = I · min(Σ incentive % of met clauses, cap) / 100,
    penalty = I · min(Σ penalty % of failed clauses, cap) / 100, each rounded to the cent half up;
    'partial' and 'no_data' earn neither.
    """
    amount = _money(invoice, "invoice")
    bonus_cap = _money(incentive_cap, "incentive_cap")
    penalty_cap_pct = _money(penalty_cap, "penalty_cap")
    with decimal.localcontext(_EXACT):
        incentive_pct = Decimal(0)
        penalty_pct = Decimal(0)
        for status, incentive, penalty in clauses:
            status = _status(status)
            if status == "met":
                incentive_pct += _money(incentive if incentive is not None else 0, "incentive_pct")
            elif status == "failed":
                penalty_pct += _money(penalty if penalty is not None else 0, "penalty_pct")
        bonus = to_cents(amount * min(incentive_pct, bonus_cap) / _HUNDRED)
        penalty_amount = to_cents(amount * min(penalty_pct, penalty_cap_pct) / _HUNDRED)
        return PaymentAdjustment(bonus=bonus, penalty=penalty_amount, net=bonus - penalty_amount)
