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
    periods = window_periods(add_months(recommendation.target_period, -1), recommendation.window_months)
    contracts = db.session.execute(select(Contract.id, Contract.number, Contract.vendor_id)
                                   .where(Contract.category_id == recommendation.category_id)).all()
    vendor_of = {cid: vendor_id for cid, _, vendor_id in contracts}
    vendors = {line.vendor_id for line in recommendation.lines}
    out: dict[int, list[UnsettledMonth]] = defaultdict(list)
    for month in unsettled_months([(cid, number) for cid, number, vendor in contracts if vendor in vendors], periods):
        out[vendor_of[month.contract_id]].append(month)
    return dict(out)


def disputed_months(unsettled: dict[int, list[UnsettledMonth]]) -> list[UnsettledMonth]:
    return sorted((m for months in unsettled.values() for m in months if m.review.state == ReviewState.DISPUTED),
                  key=lambda m: (m.contract_number, m.period))


def month_list(months: list[UnsettledMonth]) -> str:
    return ", ".join(m.label for m in months)
