"""One clause's outcome in one period from its cells and terms: value, attainment, status (docs/scoring.md).

`terms` is the clause's mapping with the model's field names (`OutcomeClause.plain_terms()`).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from .aggregation import period_value, row_count
from .attainment import attainment, clause_status


class ClauseOutcome(NamedTuple):
    value: float | None
    attainment: float | None
    status: str
    observations: int


def score_clause(values, terms: Mapping[str, Any], denominators=None) -> ClauseOutcome:
    """The clause's period value, attainment and status, and how many rows had a value."""
    aggregation = terms.get("aggregation")
    value = period_value(
        values,
        aggregation=aggregation,
        scale=terms.get("scale"),
        row_standard=terms.get("row_standard"),
        row_direction=terms.get("row_direction"),
        denominators=denominators,
    )
    curve_terms = {
        "direction": terms.get("direction"),
        "curve": terms.get("curve"),
        "target": terms.get("target"),
        "minimum": terms.get("minimum"),
    }
    return ClauseOutcome(
        value=value,
        attainment=attainment(value, cap=terms.get("cap"), **curve_terms),
        status=clause_status(value, **curve_terms),
        observations=row_count(values, aggregation=aggregation, denominators=denominators),
    )
