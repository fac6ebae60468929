"""Vendor scores, ranks, flags (SPEC §3) and how sure each score is (SPEC §3b) in a category at a period,
read from stored period scores."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field

from sqlalchemy import Float, Integer, and_, case, func, select, true, tuple_

from models import ClauseResult, ClauseStatus, Contract, ContractPeriodScore, ServiceCategory, Vendor, db
from scoring.periods import add_months
from scoring.rankings import (
    DEFAULT_PROBATION_THRESHOLD,
    DEFAULT_WINDOW_MONTHS,
    MIN_OBSERVATIONS,
    MIN_SCORED_PERIODS,
    insufficient_data,
    on_probation,
    rank,
    vendor_score,
    window_periods,
)
from scoring.uncertainty import CategoryUncertainty, VendorUncertainty, category_uncertainty

from ..disputes.review import FINAL, MonthReview, UnsettledMonth, unsettled_months, worst_review

COMPARISON_WORDS = {"above": "above the category", "within": "no different from the category",
                    "below": "below the category"}


def rank_range_words(span: tuple[int, int] | None) -> str | None:
    """'rank 1–3', or 'rank 2' when the interval allows one place only."""
    if span is None:
        return None
    best, worst = span
    return f"rank {best}" if best == worst else f"rank {best}–{worst}"


@dataclass
class VendorRanking:
    vendor: Vendor
    score: float | None
    rank: int | None
    insufficient_data: bool
    probation: bool
    scored_periods: int
    observations: int
    trend: list[tuple[str, float | None]]  # the vendor's period composite in each month of the window
    clauses: dict[str, int] = field(default_factory=dict)  # met / partial / failed counts in the window
    reasons: list[str] = field(default_factory=list)
    window_periods: list[tuple[float, int]] = field(default_factory=list)  # (c_it, n_it) of its scored months
    uncertainty: VendorUncertainty | None = None  # SPEC §3b; None without a scored month in the window
    unsettled: list[UnsettledMonth] = field(default_factory=list)  # SPEC §8: provisional or disputed months
    review: MonthReview = FINAL  # the window's mark: disputed if any month is, else provisional if any is

    @property
    def shrunk_score(self) -> float | None:
        return self.uncertainty.shrunk_score if self.uncertainty else None

    @property
    def interval(self) -> tuple[float, float] | None:
        u = self.uncertainty
        return None if u is None or u.interval_low is None else (u.interval_low, u.interval_high)

    @property
    def comparison(self) -> str | None:
        return self.uncertainty.comparison if self.uncertainty else None

    @property
    def rank_range(self) -> tuple[int, int] | None:
        return self.uncertainty.rank_range if self.uncertainty else None


@dataclass
class CategoryRanking:
    """Every vendor's ranking and the category's §3b figures (σ², τ², μ, or why there are none)."""

    rankings: list[VendorRanking]
    uncertainty: CategoryUncertainty


Excluded = Collection[tuple[int, str]]  # (contract id, period) months left out, e.g. those not final yet


def not_excluded(contract_id, period, excluded: Excluded):
    """A condition leaving out the excluded (contract id, period) months; always true when there are none."""
    if not excluded:
        return true()
    return tuple_(contract_id, period).not_in(sorted(excluded))


def period_composites(category: ServiceCategory, first: str | None, last: str,
                       vendor_ids: set[int] | None = None, excluded: Excluded = ()) -> dict[int, dict[str, tuple]]:
    """vendor id -> period -> (its period composite, observations), summed in the database.

    The observation-weighted mean of a vendor's contract composites in a month (SPEC §3) is
    Σ composite·observations / Σ observations over its scored contracts; the database sums, Python divides.
    """
    scored = and_(ContractPeriodScore.composite.is_not(None), ContractPeriodScore.observations > 0)
    weighted = func.sum(case((scored, ContractPeriodScore.composite * ContractPeriodScore.observations)), type_=Float)
    observations = func.sum(case((scored, ContractPeriodScore.observations)), type_=Integer)
    query = (select(Contract.vendor_id, ContractPeriodScore.period, weighted, observations)
             .join(Contract, Contract.id == ContractPeriodScore.contract_id)
             .where(Contract.category_id == category.id, ContractPeriodScore.period <= last,
                    not_excluded(ContractPeriodScore.contract_id, ContractPeriodScore.period, excluded))
             .group_by(Contract.vendor_id, ContractPeriodScore.period))
    if first is not None:
        query = query.where(ContractPeriodScore.period >= first)
    if vendor_ids is not None:
        query = query.where(Contract.vendor_id.in_(sorted(vendor_ids)))
    rows = db.session.execute(query).all()
    out: dict[int, dict[str, tuple]] = defaultdict(dict)
    for vendor_id, period, total, count in rows:
        out[vendor_id][period] = (total / count if count else None), int(count or 0)
    return out


def _clause_counts(category: ServiceCategory, periods: list[str], excluded: Excluded = ()) -> dict[int, dict[str, int]]:
    rows = db.session.execute(
        select(Contract.vendor_id, ClauseResult.status, func.count())
        .join(Contract, Contract.id == ClauseResult.contract_id)
        .where(Contract.category_id == category.id, ClauseResult.period.in_(periods),
               not_excluded(ClauseResult.contract_id, ClauseResult.period, excluded))
        .group_by(Contract.vendor_id, ClauseResult.status)
    ).all()
    out: dict[int, dict[str, int]] = defaultdict(lambda: {"met": 0, "partial": 0, "failed": 0})
    for vendor_id, status, count in rows:
        if status != ClauseStatus.NO_DATA:
            out[vendor_id][status.value] = count
    return out


def _two_latest_scored(by_period: dict[str, tuple], period: str) -> dict[str, float]:
    """The vendor's two most recent scored months up to `period`: all that probation looks at."""
    found: dict[str, float] = {}
    for month in sorted((p for p in by_period if p <= period), reverse=True):
        composite = by_period[month][0]
        if composite is not None:
            found[month] = composite
            if len(found) == 2:
                break
    return found


def category_vendors(category: ServiceCategory) -> list[Vendor]:
    return list(db.session.scalars(
        select(Vendor).join(Contract, Contract.vendor_id == Vendor.id)
        .where(Contract.category_id == category.id).distinct().order_by(Vendor.name)))


def _history(category: ServiceCategory, periods: list[str], period: str,
             vendors: list[Vendor], excluded: Excluded = ()) -> dict[int, dict[str, tuple]]:
    """The window's period composites, and further back (however far) for vendors with fewer than two
    scored months in it: probation looks at the two most recent scored months, however long ago (SPEC §3)."""
    history = period_composites(category, periods[0], period, excluded=excluded)
    short = {vendor.id for vendor in vendors
             if sum(1 for composite, count in history.get(vendor.id, {}).values() if composite is not None and count) < 2}
    if short:
        for vendor_id, older in period_composites(category, None, add_months(periods[0], -1), short,
                                                         excluded).items():
            history.setdefault(vendor_id, {}).update(older)
    return history


def _mark_unsettled(category: ServiceCategory, periods: list[str], rankings: list[VendorRanking]) -> None:
    """Each vendor's provisional and disputed months in the window (SPEC §8): three queries for all vendors."""
    contracts = db.session.execute(select(Contract.id, Contract.number, Contract.vendor_id)
                                   .where(Contract.category_id == category.id)).all()
    vendor_of = {cid: vendor_id for cid, _, vendor_id in contracts}
    by_vendor: dict[int, list[UnsettledMonth]] = defaultdict(list)
    for month in unsettled_months([(cid, number) for cid, number, _ in contracts], periods):
        by_vendor[vendor_of[month.contract_id]].append(month)
    for ranking in rankings:
        ranking.unsettled = by_vendor.get(ranking.vendor.id, [])
        ranking.review = worst_review(ranking.unsettled)


def vendor_rankings(category: ServiceCategory, period: str, window: int = DEFAULT_WINDOW_MONTHS,
                    probation_threshold: float = DEFAULT_PROBATION_THRESHOLD) -> list[VendorRanking]:
    """Every vendor with a contract in the category: score over the window, rank, flags and why."""
    return category_ranking(category, period, window, probation_threshold).rankings


def category_ranking(category: ServiceCategory, period: str, window: int = DEFAULT_WINDOW_MONTHS,
                     probation_threshold: float = DEFAULT_PROBATION_THRESHOLD,
                     excluded: Excluded | None = None) -> CategoryRanking:
    """The rankings of `vendor_rankings` with each score's shrunk score, interval and rank range (SPEC §3b).

    With `excluded` (the public scorecards: every month not final) those months count for nothing, and no month
    is marked as not final: none that is left is."""
    periods = window_periods(period, window)
    vendors = category_vendors(category)
    history = _history(category, periods, period, vendors, excluded or ())
    counts = _clause_counts(category, periods, excluded or ())
    rankings: list[VendorRanking] = []
    for vendor in vendors:
        by_period = history.get(vendor.id, {})
        scored = [by_period[p] for p in periods if p in by_period and by_period[p][0] is not None and by_period[p][1]]
        scored_periods = len(scored)
        observations = sum(n for _, n in scored)
        composites_by_period = {p: by_period[p][0] for p in periods if p in by_period}
        flagged = insufficient_data(scored_periods, observations)
        probation = on_probation(_two_latest_scored(by_period, period), period, probation_threshold)
        reasons = []
        if flagged:
            reasons.append(f"insufficient data: {scored_periods} scored months and {observations} observations in "
                           f"the window (needs {MIN_SCORED_PERIODS} and {MIN_OBSERVATIONS})")
        if probation:
            reasons.append(f"probation: composite below {probation_threshold:g} in its two most recent scored months")
        rankings.append(VendorRanking(
            vendor=vendor, score=vendor_score(scored), rank=None, insufficient_data=flagged, probation=probation,
            scored_periods=scored_periods, observations=observations,
            trend=[(p, composites_by_period.get(p)) for p in periods], clauses=dict(counts[vendor.id]),
            reasons=reasons, window_periods=scored,
        ))
    if excluded is None:
        _mark_unsettled(category, periods, rankings)
    ranks = rank({r.vendor.id: (None if r.insufficient_data else r.score) for r in rankings})
    for ranking in rankings:
        ranking.rank = ranks[ranking.vendor.id]
    rankings.sort(key=lambda r: (r.rank is None, r.rank or 0, -(r.score or 0), r.vendor.name))
    uncertainty = category_uncertainty({r.vendor.id: r.window_periods for r in rankings},
                                       [r.vendor.id for r in rankings if r.rank is not None])
    for ranking in rankings:
        ranking.uncertainty = uncertainty.vendors.get(ranking.vendor.id)
    return CategoryRanking(rankings=rankings, uncertainty=uncertainty)
