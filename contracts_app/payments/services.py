"""Payment adjustments of a month (SPEC §3 "Payment adjustment"), read from stored scores, and invoice entry.

Pages only read what recompute stored: the bonus, penalty and net of a contract-period, and its clause
results. The clauses listed as the cause are the same results the stored amounts were computed from.
Stored amounts are exact cents (bonus and penalty rounded when computed); contracts_app.formatting writes them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import or_, select, union
from sqlalchemy.orm import joinedload

from models import (
    ClauseResult,
    ClauseStatus,
    Contract,
    ContractPeriodScore,
    ContractStatus,
    ServiceCategory,
    Upload,
    UploadStatus,
    User,
    db,
)

from .. import formatting
from ..categories.services import category_by_slug
from ..disputes.review import FINAL, MonthReview, month_reviews, review_of
from ..payments.invoices import InvoiceRefused, parse_amount, set_invoice
from ..transactions import lock_contract_period

ZERO = Decimal("0")

# What a line of the adjustments table is.
ADJUSTED = "adjusted"  # committed sheet and invoice: the stored bonus, penalty and net apply
AWAITING_INVOICE = "awaiting_invoice"  # committed sheet, no invoice yet: nothing to adjust yet
NO_SHEET = "no_sheet"  # no committed sheet for the month: no adjustment (not a zero score)


# The one way money and percents are written (pages, messages, export): see contracts_app.formatting.
dollars = formatting.money
signed_dollars = formatting.signed_money
percent = formatting.percent


@dataclass(frozen=True)
class ClauseCause:
    key: str
    label: str
    pct: Decimal  # incentive % for a met clause, penalty % for a failed one (0 for the others)

    @property
    def percent(self) -> str:
        return percent(self.pct)


@dataclass
class AdjustmentLine:
    contract: Contract
    has_sheet: bool
    invoice: Decimal | None
    composite: float | None
    coverage: float | None
    observations: int
    stored_bonus: Decimal
    stored_penalty: Decimal
    stored_net: Decimal
    met: list[ClauseCause] = field(default_factory=list)
    failed: list[ClauseCause] = field(default_factory=list)
    partial: list[ClauseCause] = field(default_factory=list)
    no_value: list[ClauseCause] = field(default_factory=list)
    review: MonthReview = FINAL  # SPEC §8: provisional, disputed or final

    @property
    def on_hold(self) -> bool:
        """A disputed month's bonus and penalty are not payable until the dispute is resolved."""
        return self.adjusted and self.review.on_hold

    @property
    def payment_text(self) -> str:
        return formatting.ON_HOLD if self.on_hold else ("payable" if self.adjusted else "")

    @property
    def state(self) -> str:
        if not self.has_sheet:
            return NO_SHEET
        return AWAITING_INVOICE if self.invoice is None else ADJUSTED

    @property
    def adjusted(self) -> bool:
        return self.state == ADJUSTED

    # Amounts that apply: None when there is no adjustment (no sheet, or no invoice yet), never a made-up 0.
    @property
    def bonus(self) -> Decimal | None:
        return self.stored_bonus if self.adjusted else None

    @property
    def penalty(self) -> Decimal | None:
        return self.stored_penalty if self.adjusted else None

    @property
    def net(self) -> Decimal | None:
        return self.stored_net if self.adjusted else None

    @property
    def incentive_cap(self) -> Decimal:
        return self.contract.incentive_cap

    @property
    def penalty_cap(self) -> Decimal:
        return self.contract.penalty_cap

    @property
    def incentive_pct(self) -> Decimal:
        """Σ incentive % of the met clauses, before the cap."""
        return sum((c.pct for c in self.met), ZERO)

    @property
    def penalty_pct(self) -> Decimal:
        """Σ penalty % of the failed clauses, before the cap."""
        return sum((c.pct for c in self.failed), ZERO)

    @property
    def incentive_applied_pct(self) -> Decimal:
        return min(self.incentive_pct, self.incentive_cap)

    @property
    def penalty_applied_pct(self) -> Decimal:
        return min(self.penalty_pct, self.penalty_cap)

    @property
    def incentive_capped(self) -> bool:
        return self.incentive_pct > self.incentive_cap

    @property
    def penalty_capped(self) -> bool:
        return self.penalty_pct > self.penalty_cap

    @property
    def incomplete(self) -> bool:
        return self.has_sheet and formatting.is_incomplete(self.coverage)

    def cap_notes(self) -> list[str]:
        notes = []
        if self.incentive_capped:
            notes.append(f"incentives {percent(self.incentive_pct)} capped at {percent(self.incentive_cap)}")
        if self.penalty_capped:
            notes.append(f"penalties {percent(self.penalty_pct)} capped at {percent(self.penalty_cap)}")
        return notes


@dataclass
class PeriodAdjustments:
    period: str
    category: ServiceCategory | None
    lines: list[AdjustmentLine]

    def _lines(self, state: str) -> list[AdjustmentLine]:
        return [line for line in self.lines if line.state == state]

    @property
    def adjusted_lines(self) -> list[AdjustmentLine]:
        return self._lines(ADJUSTED)

    @property
    def awaiting_invoice(self) -> list[AdjustmentLine]:
        return self._lines(AWAITING_INVOICE)

    @property
    def without_sheet(self) -> list[AdjustmentLine]:
        return self._lines(NO_SHEET)

    @property
    def invoiced_lines(self) -> list[AdjustmentLine]:
        return [line for line in self.lines if line.invoice is not None]

    @property
    def total_invoices(self) -> Decimal:
        """Every invoice entered for the month, adjusted or not."""
        return sum((line.invoice for line in self.lines if line.invoice is not None), ZERO)

    @property
    def total_adjusted_invoices(self) -> Decimal:
        """The invoices the bonus, penalty and net totals are computed on."""
        return sum((line.invoice for line in self.adjusted_lines), ZERO)

    @property
    def total_bonus(self) -> Decimal:
        return sum((line.bonus for line in self.adjusted_lines), ZERO)

    @property
    def total_penalty(self) -> Decimal:
        return sum((line.penalty for line in self.adjusted_lines), ZERO)

    @property
    def total_net(self) -> Decimal:
        return sum((line.net for line in self.adjusted_lines), ZERO)

    @property
    def payable_lines(self) -> list[AdjustmentLine]:
        return [line for line in self.adjusted_lines if not line.on_hold]

    @property
    def held_lines(self) -> list[AdjustmentLine]:
        """Adjusted lines of a disputed month: their bonus and penalty are on hold, not payable."""
        return [line for line in self.adjusted_lines if line.on_hold]

    @property
    def payable_bonus(self) -> Decimal:
        return sum((line.bonus for line in self.payable_lines), ZERO)

    @property
    def payable_penalty(self) -> Decimal:
        return sum((line.penalty for line in self.payable_lines), ZERO)

    @property
    def payable_net(self) -> Decimal:
        return sum((line.net for line in self.payable_lines), ZERO)

    @property
    def held_bonus(self) -> Decimal:
        return sum((line.bonus for line in self.held_lines), ZERO)

    @property
    def held_penalty(self) -> Decimal:
        return sum((line.penalty for line in self.held_lines), ZERO)

    @property
    def held_net(self) -> Decimal:
        return sum((line.net for line in self.held_lines), ZERO)

    @property
    def invoices_without_sheet(self) -> list[AdjustmentLine]:
        return [line for line in self.without_sheet if line.invoice is not None]


def _committed_periods(category: ServiceCategory | None):
    query = select(Upload.period).where(Upload.status == UploadStatus.COMMITTED)
    if category is not None:
        query = query.join(Contract, Contract.id == Upload.contract_id).where(Contract.category_id == category.id)
    return query


def latest_committed_period(category: ServiceCategory | None = None) -> str | None:
    """The latest month with committed data (in the category, when one is given)."""
    periods = list(db.session.scalars(_committed_periods(category).order_by(Upload.period.desc()).limit(1)))
    return periods[0] if periods else None


def period_choices(category: ServiceCategory | None = None) -> list[str]:
    """Months with committed data or an invoice entered, latest first."""
    invoiced = select(ContractPeriodScore.period).where(ContractPeriodScore.invoice_amount.is_not(None))
    if category is not None:
        invoiced = invoiced.join(Contract, Contract.id == ContractPeriodScore.contract_id).where(
            Contract.category_id == category.id)
    return sorted(set(db.session.scalars(union(_committed_periods(category), invoiced))), reverse=True)


def categories() -> list[ServiceCategory]:
    return list(db.session.scalars(select(ServiceCategory).order_by(ServiceCategory.name)))




def _contracts_for(period: str, category: ServiceCategory | None) -> list[Contract]:
    """Contracts in force in the month (not drafts), and any other contract with data or an invoice for it."""
    with_data = select(Upload.contract_id).where(Upload.period == period, Upload.status == UploadStatus.COMMITTED)
    with_score = select(ContractPeriodScore.contract_id).where(ContractPeriodScore.period == period)
    query = (select(Contract)
             .options(joinedload(Contract.vendor), joinedload(Contract.category))
             .where(or_(Contract.status != ContractStatus.DRAFT, Contract.id.in_(with_data),
                        Contract.id.in_(with_score))))
    if category is not None:
        query = query.where(Contract.category_id == category.id)
    candidates = db.session.scalars(query).all()
    data_ids = set(db.session.scalars(union(with_data, with_score)))
    chosen = [c for c in candidates if c.id in data_ids or (c.status != ContractStatus.DRAFT and c.covers(period))]
    return sorted(chosen, key=lambda c: (c.category.name, c.number))


def period_adjustments(period: str, category: ServiceCategory | None = None) -> PeriodAdjustments:
    """Every contract of the month (in the category) with its invoice, stored adjustment and causing clauses."""
    contracts = _contracts_for(period, category)
    ids = [c.id for c in contracts]
    scores = {s.contract_id: s for s in db.session.scalars(select(ContractPeriodScore).where(
        ContractPeriodScore.period == period, ContractPeriodScore.contract_id.in_(ids)))}
    with_sheet = set(db.session.scalars(select(Upload.contract_id).where(
        Upload.period == period, Upload.status == UploadStatus.COMMITTED, Upload.contract_id.in_(ids))))
    results: dict[int, list[ClauseResult]] = {}
    for result in db.session.scalars(
            select(ClauseResult).options(joinedload(ClauseResult.clause))
            .where(ClauseResult.period == period, ClauseResult.contract_id.in_(ids))):
        results.setdefault(result.contract_id, []).append(result)
    reviews = month_reviews(ids, [period])

    lines = []
    for contract in contracts:
        score = scores.get(contract.id)
        has_sheet = contract.id in with_sheet
        line = AdjustmentLine(
            contract=contract,
            has_sheet=has_sheet,
            invoice=score.invoice_amount if score is not None else None,
            composite=score.composite if score is not None and has_sheet else None,
            coverage=score.coverage if score is not None and has_sheet else None,
            observations=score.observations if score is not None and has_sheet else 0,
            stored_bonus=score.bonus if score is not None and score.bonus is not None else ZERO,
            stored_penalty=score.penalty if score is not None and score.penalty is not None else ZERO,
            stored_net=score.net if score is not None and score.net is not None else ZERO,
            review=review_of(reviews, contract.id, period) if has_sheet else FINAL,
        )
        if has_sheet:
            ordered = sorted(results.get(contract.id, []), key=lambda r: r.clause.position_key)
            for result in ordered:
                clause = result.clause
                if result.status == ClauseStatus.MET:
                    if clause.incentive_pct:
                        line.met.append(ClauseCause(clause.key, clause.label, clause.incentive_pct))
                elif result.status == ClauseStatus.FAILED:
                    if clause.penalty_pct:
                        line.failed.append(ClauseCause(clause.key, clause.label, clause.penalty_pct))
                elif result.status == ClauseStatus.PARTIAL:
                    line.partial.append(ClauseCause(clause.key, clause.label, ZERO))
                else:
                    line.no_value.append(ClauseCause(clause.key, clause.label, ZERO))
        lines.append(line)
    return PeriodAdjustments(period=period, category=category, lines=lines)


@dataclass(frozen=True)
class InvoiceOutcome:
    contract: Contract
    period: str
    before: Decimal | None
    score: ContractPeriodScore
    has_sheet: bool
    changed: bool

    def message(self) -> str:
        """What changed, as the finance officer reads it after pressing Record."""
        head = f"{self.contract.number} {self.period}: "
        amount = dollars(self.score.invoice_amount)
        if not self.changed:
            return head + f"the invoice is already {amount}; nothing changed."
        if self.before is None:
            done = f"invoice {amount} recorded"
        else:
            done = f"invoice changed from {dollars(self.before)} to {amount}"
        if not self.has_sheet:
            return head + done + (f"; no committed sheet for {self.period} yet, so no bonus or penalty until "
                                  "one is committed.")
        bonus, penalty = self.score.bonus, self.score.penalty
        parts = []
        if bonus:
            parts.append(f"bonus {dollars(bonus)}")
        if penalty:
            parts.append(f"penalty {dollars(penalty)}")
        if not parts:
            parts.append("no bonus or penalty")
        parts.append(f"net {signed_dollars(self.score.net)}")
        return head + done + "; " + ", ".join(parts)


def _has_committed_sheet(contract: Contract, period: str) -> bool:
    return db.session.scalars(select(Upload.id).where(
        Upload.contract_id == contract.id, Upload.period == period,
        Upload.status == UploadStatus.COMMITTED)).first() is not None


def record_invoice(contract: Contract, period: str, amount_text: str, actor: User | None) -> InvoiceOutcome:
    """Parses and records a period's invoice (recomputing that period's adjustment); flushes, never commits.

    Raises InvoiceRefused with a message for the person who typed it; nothing is stored then.
    """
    amount = parse_amount(amount_text)
    lock_contract_period(contract.id, period)  # another invoice for this month finishes first; we read its result
    score = db.session.scalars(select(ContractPeriodScore).where(
        ContractPeriodScore.contract_id == contract.id, ContractPeriodScore.period == period)
        .execution_options(populate_existing=True)).first()
    before = score.invoice_amount if score is not None else None
    has_sheet = _has_committed_sheet(contract, period)
    if score is not None and before is not None and before == amount:
        return InvoiceOutcome(contract, period, before, score, has_sheet, changed=False)
    score = set_invoice(contract, period, amount, actor)
    return InvoiceOutcome(contract, period, before, score, has_sheet, changed=True)


__all__ = [
    "ADJUSTED", "AWAITING_INVOICE", "AdjustmentLine", "ClauseCause", "InvoiceOutcome", "InvoiceRefused",
    "NO_SHEET", "PeriodAdjustments", "categories", "category_by_slug", "dollars", "latest_committed_period",
    "period_adjustments", "period_choices", "record_invoice", "signed_dollars",
]
