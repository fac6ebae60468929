"""The months not final yet (SPEC §8) that a recommendation's vendor scores rest on: marked on its lines, and
the disputed ones named on its approval, which asks to confirm."""
from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select

from models import Contract, Recommendation, db
from scoring.periods import add_months
from scoring.rankings import window_periods

from ..disputes.review import ReviewState, UnsettledMonth, unsettled_months


def unsettled_by_vendor(recommendation: Recommendation) -> dict[int, list[UnsettledMonth]]:
    """Vendor id -> its provisional and disputed months in the recommendation's score window."""
    return _unsettled(recommendation.category_id, recommendation.target_period, recommendation.window_months,
                      {line.vendor_id for line in recommendation.lines})


def unsettled_by_name(result) -> dict[str, list[UnsettledMonth]]:
    """The same for a recommendation not saved yet (a RecommendationResult): vendor name -> its months."""
    inputs = result.inputs
    ids = {vendor.id: name for name, vendor in result.vendors.items()}
    found = _unsettled(inputs.category.id, inputs.period, inputs.window, set(ids))
    return {ids[vendor_id]: months for vendor_id, months in found.items()}


def _unsettled(category_id: int, target_period: str, window: int, vendors: set[int]) -> dict[int, list[UnsettledMonth]]:
    periods = window_periods(add_months(target_period, -1), window)
    contracts = db.session.execute(select(Contract.id, Contract.number, Contract.vendor_id)
                                   .where(Contract.category_id == category_id)).all()
    vendor_of = {cid: vendor_id for cid, _, vendor_id in contracts}
    out: dict[int, list[UnsettledMonth]] = defaultdict(list)
    for month in unsettled_months([(cid, number) for cid, number, vendor in contracts if vendor in vendors], periods):
        out[vendor_of[month.contract_id]].append(month)
    return dict(out)


def disputed_months(unsettled: dict[int, list[UnsettledMonth]]) -> list[UnsettledMonth]:
    return sorted((m for months in unsettled.values() for m in months if m.review.state == ReviewState.DISPUTED),
                  key=lambda m: (m.contract_number, m.period))


def month_list(months: list[UnsettledMonth]) -> str:
    return ", ".join(m.label for m in months)
