"""Invoice amounts, entered by finance; a change recomputes that period's payment adjustment only."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from sqlalchemy import select

from models import Contract, ContractPeriodScore, User, db
from scoring.periods import is_period

from ..audit import record_event, snapshot
from ..stored_scores.recompute import recompute_period
from ..transactions import lock_contract_period

MAX_INVOICE = Decimal("999999999999.99")


class InvoiceRefused(ValueError):
    pass


def parse_amount(text: str | Decimal) -> Decimal:
    try:
        amount = Decimal(str(text).strip().replace(",", "").replace("$", ""))
    except InvalidOperation:
        raise InvoiceRefused(f"'{text}' is not an amount of money; write it like 182500.00") from None
    if not amount.is_finite() or amount < 0:
        raise InvoiceRefused("The invoice amount must be zero or more.")
    if amount > MAX_INVOICE:
        raise InvoiceRefused(f"The invoice amount is larger than {MAX_INVOICE:,}.")
    if amount != amount.quantize(Decimal("0.01")):
        raise InvoiceRefused("Invoice amounts are in dollars and cents: at most 2 decimals.")
    return amount.quantize(Decimal("0.01"))


def set_invoice(contract: Contract, period: str, amount: Decimal, actor: User | None) -> ContractPeriodScore:
    if not is_period(period):
        raise InvoiceRefused(f"'{period}' is not a month: write it as YYYY-MM.")
    if not contract.covers(period):
        raise InvoiceRefused(f"{period} is outside {contract.number}'s term.")
    lock_contract_period(contract.id, period)  # a second invoice for a new month waits, then finds the first's row
    score = db.session.scalars(select(ContractPeriodScore).where(
        ContractPeriodScore.contract_id == contract.id, ContractPeriodScore.period == period)
        .execution_options(populate_existing=True)).first()
    before = snapshot(score) if score is not None else None
    if score is None:
        score = ContractPeriodScore(contract_id=contract.id, period=period, coverage=0.0, observations=0)
        db.session.add(score)
    score.invoice_amount = amount
    db.session.flush()
    score = recompute_period(contract, period)
    record_event("invoice_set", score, before=before, after=snapshot(score), actor=actor,
                 summary=f"{contract.number} {period}: invoice {amount:,.2f}")
    return score
