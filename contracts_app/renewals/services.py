"""A contract's renewal summary (issue 15): what procurement needs to decide on a contract ending soon.

Performance over the whole term, the vendor's standing in its category at the latest scored month (the rankings
services, SPEC §3 and §3b), disputes (SPEC §8), action plans (SPEC §9) and the money: all read from what is
stored, never recomputed from rows.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from models import (
    ActionPlan,
    Contract,
    ContractPeriodScore,
    Dispute,
    DisputeStatus,
    MilestoneStatus,
    PlanStatus,
    Upload,
    UploadStatus,
    db,
    today,
)
from scoring.periods import add_months, period_of, period_range

from .. import formatting
from ..disputes.review import FINAL, MonthReview, month_reviews, review_of
from ..rankings.page import latest_scored_period
from ..rankings.standings import COMPARISON_WORDS, VendorRanking, category_ranking, rank_range_words

ZERO = Decimal("0")


@dataclass
class MonthLine:
    period: str
    composite: float | None
    coverage: float | None
    observations: int
    has_sheet: bool
    review: MonthReview = FINAL


@dataclass
class MoneyTotals:
    invoiced: Decimal = ZERO
    bonus: Decimal = ZERO
    penalty: Decimal = ZERO
    held: Decimal = ZERO  # the net of disputed months: on hold until their disputes are resolved
    months_invoiced: int = 0
    months_scored_without_invoice: int = 0


@dataclass
class RenewalSummary:
    contract: Contract
    days_left: int
    months: list[MonthLine]
    latest_period: str | None  # the category's latest scored month, where the standing is read
    standing: VendorRanking | None
    ranked_count: int
    category_mean: float | None
    why_no_interval: str | None
    disputes: dict[str, int]
    open_disputes: list[Dispute]
    plans: list[ActionPlan]
    money: MoneyTotals
    points: list[str] = field(default_factory=list)  # what the decision needs, in plain words

    @property
    def scored(self) -> list[MonthLine]:
        return [m for m in self.months if m.composite is not None]

    @property
    def missing(self) -> list[MonthLine]:
        return [m for m in self.months if not m.has_sheet]

    @property
    def term_average(self) -> float | None:
        """The observation-weighted mean composite over the term (as the vendor score weighs months)."""
        weighted = [(m.composite, m.observations) for m in self.scored if m.observations]
        total = sum(n for _, n in weighted)
        return sum(c * n for c, n in weighted) / total if total else None


def renewal_summary(contract_id: int) -> RenewalSummary | None:
    contract = db.session.get(Contract, contract_id, options=[joinedload(Contract.vendor),
                                                              joinedload(Contract.category)])
    if contract is None:
        return None
    now = today()
    last = min(period_of(contract.end_date), add_months(period_of(now), -1))
    first = period_of(contract.start_date)
    term = period_range(first, last) if first <= last else []
    scores = {s.period: s for s in db.session.scalars(
        select(ContractPeriodScore).where(ContractPeriodScore.contract_id == contract.id))}
    committed = set(db.session.scalars(select(Upload.period).where(
        Upload.contract_id == contract.id, Upload.status == UploadStatus.COMMITTED)))
    reviews = month_reviews([contract.id])
    periods = sorted(set(term) | set(scores) | committed)
    months = [MonthLine(p, scores[p].composite if p in scores else None, scores[p].coverage if p in scores else None,
                        scores[p].observations if p in scores else 0, p in committed,
                        review_of(reviews, contract.id, p)) for p in periods]

    money = MoneyTotals()
    for period, score in scores.items():
        if score.invoice_amount is not None:
            money.invoiced += score.invoice_amount
            money.months_invoiced += 1
            if review_of(reviews, contract.id, period).on_hold:
                money.held += score.net
            else:
                money.bonus += score.bonus
                money.penalty += score.penalty
        elif score.composite is not None:
            money.months_scored_without_invoice += 1

    disputes = list(db.session.scalars(select(Dispute).options(joinedload(Dispute.opened_by))
                                       .where(Dispute.contract_id == contract.id).order_by(Dispute.opened_at)))
    counts = {status.value: sum(d.status == status for d in disputes) for status in DisputeStatus}
    counts["opened"] = len(disputes)
    plans = list(db.session.scalars(select(ActionPlan).options(selectinload(ActionPlan.milestones))
                                    .where(ActionPlan.contract_id == contract.id).order_by(ActionPlan.opened_on)))

    latest = latest_scored_period(contract.category)
    standing, ranked, mean, why = None, 0, None, None
    if latest is not None:
        ranking = category_ranking(contract.category, latest)
        standing = next((r for r in ranking.rankings if r.vendor.id == contract.vendor_id), None)
        ranked = sum(r.rank is not None for r in ranking.rankings)
        mean = ranking.uncertainty.category_mean
        why = ranking.uncertainty.why_none
    summary = RenewalSummary(contract=contract, days_left=(contract.end_date - now).days, months=months,
                             latest_period=latest, standing=standing, ranked_count=ranked, category_mean=mean,
                             why_no_interval=why, disputes=counts,
                             open_disputes=[d for d in disputes if d.is_open], plans=plans, money=money)
    summary.points = decision_points(summary)
    return summary


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _has(count: int) -> str:
    return "has" if count == 1 else "have"


def _is(count: int) -> str:
    return "is" if count == 1 else "are"


def decision_points(s: RenewalSummary) -> list[str]:
    """What a renewal decision needs, in plain words, from the figures of the summary."""
    c = s.contract
    points = []
    if s.days_left >= 0:
        points.append(f"{c.number} ends on {c.end_date:%Y-%m-%d}, in {_plural(s.days_left, 'day')}.")
    else:
        points.append(f"{c.number} ended on {c.end_date:%Y-%m-%d}.")
    average = s.term_average
    if average is None:
        points.append("No month of the term has been scored: there is no performance record to renew on.")
    else:
        points.append(f"Over the term the vendor averaged a composite of {formatting.score(average)} in "
                      f"{_plural(len(s.scored), 'scored month')} of {len(s.months)}.")
    if s.missing:
        names = ", ".join(m.period for m in s.missing)
        points.append(f"{_plural(len(s.missing), 'month')} {_has(len(s.missing))} no committed sheet ({names}): "
                      "their performance is unknown, not zero. Ask the contract manager for them before deciding.")
    incomplete = [m for m in s.scored if formatting.is_incomplete(m.coverage)]
    if incomplete:
        points.append(f"{_plural(len(incomplete), 'scored month')} measured only part of the clauses "
                      "(coverage below 100 %).")
    r = s.standing
    if r is None or r.score is None:
        points.append("The vendor has no score in the category's rankings at the latest month.")
    else:
        text = f"At {s.latest_period} its vendor score in {c.category.name} is {formatting.score(r.score)}"
        if r.interval is not None:
            text += (f" (90 % interval {formatting.score(r.interval[0])} to {formatting.score(r.interval[1])}, "
                     f"{COMPARISON_WORDS.get(r.comparison or '', 'compared with the category')})")
        if r.rank is not None:
            text += f", rank {r.rank} of {s.ranked_count}"
            if r.rank_range is not None and r.rank_range[0] != r.rank_range[1]:
                text += f" ({rank_range_words(r.rank_range)} allowing for uncertainty)"
        points.append(text + ".")
        if r.insufficient_data:
            points.append("It has too little data in the window to be ranked (insufficient data).")
        if r.probation:
            points.append("The vendor is on probation: its composite was below the threshold in its two most recent "
                          "scored months.")
    if s.open_disputes:
        count = len(s.open_disputes)
        points.append(f"{_plural(count, 'dispute')} {_is(count)} still open; the months concerned are not final "
                      f"and {formatting.signed_money(s.money.held)} is on hold. Resolve them first.")
    upheld = s.disputes.get(DisputeStatus.UPHELD.value, 0)
    if upheld:
        points.append(f"{upheld} of {_plural(s.disputes['opened'], 'dispute')} upheld: the data was corrected.")
    open_plans = [p for p in s.plans if p.status == PlanStatus.OPEN]
    failed_plans = [p for p in s.plans if p.status == PlanStatus.FAILED]
    if open_plans:
        points.append(f"{_plural(len(open_plans), 'corrective action plan')} {_is(len(open_plans))} still open.")
    if failed_plans:
        points.append(f"{_plural(len(failed_plans), 'corrective action plan')} ended failed.")
    if s.money.months_scored_without_invoice:
        points.append(f"{_plural(s.money.months_scored_without_invoice, 'scored month')} "
                      f"{_has(s.money.months_scored_without_invoice)} no invoice: the payment "
                      "totals are incomplete.")
    return points


def milestone_counts(plan: ActionPlan) -> dict[str, int]:
    return {status.value: sum(m.status == status for m in plan.milestones) for status in MilestoneStatus}
