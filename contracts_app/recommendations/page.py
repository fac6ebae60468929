"""What the recommendation pages show besides the allocation itself: choices, defaults, the share charts."""
from __future__ import annotations

from decimal import Decimal

from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from models import Contract, ContractPeriodScore, Recommendation, ServiceCategory, db
from scoring.allocation import Allocation
from scoring.periods import add_months

from ..charts import bar_chart

DEFAULT_INPUTS = {"window": 6, "floor": 0.10, "gamma": 2.0, "basis": "score"}


def categories_with_contracts() -> list[ServiceCategory]:
    return list(db.session.scalars(
        select(ServiceCategory).join(Contract, Contract.category_id == ServiceCategory.id).distinct()
        .order_by(ServiceCategory.name)))


def default_target_period() -> str | None:
    """The month after the latest scored month: the next one work is handed out for."""
    latest = db.session.scalar(select(func.max(ContractPeriodScore.period)))
    return add_months(latest, 1) if latest else None


def recommendations_by_category() -> dict[str, list[Recommendation]]:
    by_category: dict[str, list[Recommendation]] = {}
    for recommendation in db.session.scalars(
            select(Recommendation).options(joinedload(Recommendation.category), joinedload(Recommendation.approved_by))
            .order_by(Recommendation.target_period.desc(), Recommendation.id.desc())):
        by_category.setdefault(recommendation.category.name, []).append(recommendation)
    return by_category


def shares_chart(allocation: Allocation, title: str) -> Markup:
    """The recommended shares against an equal split and, when there is one, the last approval."""
    volume = allocation.volume or Decimal("1")
    items = [(line.name, line.share * 100) for line in allocation.lines]
    marks = [("Equal split", [float(line.equal_split_volume / volume * 100) for line in allocation.lines])]
    if any(line.last_volume is not None for line in allocation.lines):
        marks.append(("Last approved", [float(line.last_volume / volume * 100) if line.last_volume is not None else None
                                        for line in allocation.lines]))
    return bar_chart(items, title=title, maximum=100, marks=marks)


def saved_shares_chart(recommendation: Recommendation) -> Markup:
    """A saved recommendation's shares against the equal split it recorded."""
    details = recommendation.inputs.get("lines", {})
    volume = recommendation.volume
    items = [(line.vendor.name, line.share * 100) for line in recommendation.lines]
    marks = [("Equal split", [float(Decimal(details.get(str(line.vendor_id), {}).get("equal_split_volume", "0"))
                                    / volume * 100) for line in recommendation.lines])]
    return bar_chart(items, title="Recommended shares against an equal split (%)", maximum=100, marks=marks)
