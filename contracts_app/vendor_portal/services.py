"""What a vendor user sees (SPEC §1): its own vendor's contracts, months, payments and standing, never another
vendor's name, id or rows. Every function takes the vendor id the user is confined to (security.vendor_scope)
and reads only through it; the other vendors of a category appear only as anonymous numbers."""
from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from decimal import Decimal

from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from models import Contract, ContractPeriodScore, ServiceCategory, Upload, UploadStatus, Vendor, db

from ..charts import IntervalItem, interval_chart
from ..rankings.page import latest_scored_period
from ..rankings.standings import COMPARISON_WORDS, category_ranking, rank_range_words

OWN_LABEL = "Your company"
OTHER_LABEL = "Another vendor"


@dataclass
class ContractSummary:
    contract: Contract
    latest: ContractPeriodScore | None  # the latest month with a committed sheet and a stored score


@dataclass
class MonthLine:
    """One month of a contract: its committed sheet (if any) and its stored score and payment adjustment."""

    period: str
    upload: Upload | None
    score: ContractPeriodScore | None

    @property
    def invoice(self) -> Decimal | None:
        return self.score.invoice_amount if self.score is not None else None

    @property
    def adjusted(self) -> bool:
        """Bonus, penalty and net apply only with a committed sheet and an invoice (as on the finance page)."""
        return self.upload is not None and self.invoice is not None

    @property
    def bonus(self) -> Decimal | None:
        return (self.score.bonus or Decimal("0")) if self.adjusted and self.score else None

    @property
    def penalty(self) -> Decimal | None:
        return (self.score.penalty or Decimal("0")) if self.adjusted and self.score else None

    @property
    def net(self) -> Decimal | None:
        return (self.score.net or Decimal("0")) if self.adjusted and self.score else None


@dataclass
class Standing:
    """The vendor's place in one category: its own figures, the others only as an anonymous spread."""

    category: ServiceCategory
    period: str | None
    window: int
    vendors: int = 0  # vendors with a contract in the category
    ranked: int = 0  # of them, ranked (not insufficient data)
    rank: int | None = None
    score: float | None = None
    shrunk_score: float | None = None
    interval: tuple[float, float] | None = None
    rank_range: str | None = None
    comparison: str | None = None
    reasons: list[str] = field(default_factory=list)
    others: list[float] = field(default_factory=list)  # the other ranked vendors' scores, best first, no names
    category_mean: float | None = None
    why_no_interval: str | None = None
    chart: Markup | None = None

    @property
    def spread(self) -> tuple[float, float, float] | None:
        """(min, median, max) of every ranked vendor's score, this vendor's included."""
        scores = self.others + ([self.score] if self.rank is not None and self.score is not None else [])
        if not scores:
            return None
        return min(scores), statistics.median(scores), max(scores)


def vendor(vendor_id: int) -> Vendor | None:
    return db.session.get(Vendor, vendor_id)


def vendor_contracts(vendor_id: int) -> list[ContractSummary]:
    """The vendor's contracts, each with its latest scored month."""
    contracts = list(db.session.scalars(
        select(Contract).options(selectinload(Contract.category))
        .where(Contract.vendor_id == vendor_id).order_by(Contract.number)))
    ids = [c.id for c in contracts]
    committed = set(db.session.execute(
        select(Upload.contract_id, Upload.period)
        .where(Upload.contract_id.in_(ids), Upload.status == UploadStatus.COMMITTED)).tuples())
    latest: dict[int, ContractPeriodScore] = {}
    for score in db.session.scalars(select(ContractPeriodScore).where(ContractPeriodScore.contract_id.in_(ids))
                                    .order_by(ContractPeriodScore.period)):
        if (score.contract_id, score.period) in committed:
            latest[score.contract_id] = score
    return [ContractSummary(c, latest.get(c.id)) for c in contracts]


def vendor_contract(vendor_id: int, contract_id: int) -> Contract | None:
    """The contract when it is this vendor's; None otherwise (the page then answers 404)."""
    return db.session.scalars(select(Contract).options(selectinload(Contract.category))
                              .where(Contract.id == contract_id, Contract.vendor_id == vendor_id)).first()


def contract_months(contract: Contract) -> list[MonthLine]:
    """Every month with a committed sheet or a stored score (an invoice), latest first."""
    uploads = {u.period: u for u in db.session.scalars(
        select(Upload).where(Upload.contract_id == contract.id, Upload.status == UploadStatus.COMMITTED))}
    scores = {s.period: s for s in db.session.scalars(
        select(ContractPeriodScore).where(ContractPeriodScore.contract_id == contract.id))}
    return [MonthLine(period, uploads.get(period), scores.get(period))
            for period in sorted(set(uploads) | set(scores), reverse=True)]


def vendor_categories(vendor_id: int) -> list[ServiceCategory]:
    return list(db.session.scalars(
        select(ServiceCategory).join(Contract, Contract.category_id == ServiceCategory.id)
        .where(Contract.vendor_id == vendor_id).distinct().order_by(ServiceCategory.name)))


def standing(vendor_id: int, category: ServiceCategory, window: int = 6) -> Standing:
    """The vendor's rank and score in the category at its latest scored month, beside the others' scores
    without their names (SPEC §1, §3, §3b)."""
    period = latest_scored_period(category)
    result = Standing(category=category, period=period, window=window)
    if period is None:
        return result
    ranking = category_ranking(category, period, window)
    result.vendors = len(ranking.rankings)
    result.ranked = sum(1 for r in ranking.rankings if r.rank is not None)
    result.category_mean = ranking.uncertainty.category_mean
    result.why_no_interval = ranking.uncertainty.why_none
    own = next((r for r in ranking.rankings if r.vendor.id == vendor_id), None)
    others = [r for r in ranking.rankings if r.vendor.id != vendor_id]
    result.others = sorted((r.score for r in others if r.rank is not None and r.score is not None), reverse=True)
    if own is not None:
        result.rank, result.score, result.shrunk_score = own.rank, own.score, own.shrunk_score
        result.interval = own.interval
        result.rank_range = rank_range_words(own.rank_range)
        result.comparison = COMPARISON_WORDS.get(own.comparison or "")
        result.reasons = list(own.reasons)
    result.chart = _anonymous_chart(ranking.rankings, vendor_id, result.category_mean)
    return result


def _anonymous_chart(rankings, vendor_id: int, mean: float | None) -> Markup | None:
    """The §3b interval chart with every other vendor labelled alike, in score order: no name, no id."""
    items = []
    for r in sorted(rankings, key=lambda r: -(r.shrunk_score or 0)):
        if r.interval is None or r.score is None or r.shrunk_score is None:
            continue
        label = OWN_LABEL if r.vendor.id == vendor_id else OTHER_LABEL
        items.append(IntervalItem(label=label, score=r.score, shrunk=r.shrunk_score, low=r.interval[0],
                                  high=r.interval[1], comparison=r.comparison or "within"))
    if mean is None or not items:
        return None
    return interval_chart(items, mean=mean, title="Your score beside the category's other vendors",
                          desc="Each bar is one vendor's shrunk score with its 90 % interval; only yours is named.")
