"""Stored scores (SPEC §3) recomputed exactly where something changed; pages only read what is stored."""
from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import delete, select

from contracts_app.loading import load_related
from models import (
    Aggregation,
    ClauseResult,
    ClauseStatus,
    Contract,
    ContractPeriodScore,
    Observation,
    Upload,
    UploadStatus,
    db,
    utcnow,
)
from scoring.composite import composite_and_coverage
from scoring.payments import payment_adjustment

if TYPE_CHECKING:  # numpy (under the clause scoring and the sheet check) loads when a month is scored
    from imports.check import CheckedRows

ZERO = Decimal("0")


def _committed_upload(contract: Contract, period: str) -> Upload | None:
    return db.session.scalars(select(Upload).where(
        Upload.contract_id == contract.id, Upload.period == period, Upload.status == UploadStatus.COMMITTED)).first()


def _columns(upload: Upload | None, keys: Iterable[str]) -> tuple[dict, int]:
    """The committed rows' values, column by column, and how many rows there are."""
    keys = list(keys)
    if upload is None:
        return {k: [] for k in keys}, 0
    rows = db.session.scalars(select(Observation.values).where(Observation.upload_id == upload.id)).all()
    return {k: [r.get(k) for r in rows] for k in keys}, len(rows)


def _score_row(contract: Contract, period: str) -> ContractPeriodScore | None:
    return db.session.scalars(select(ContractPeriodScore).where(
        ContractPeriodScore.contract_id == contract.id, ContractPeriodScore.period == period)).first()


def recompute_period(contract: Contract, period: str, committed: CheckedRows | None = None) -> ContractPeriodScore | None:
    """Clause results, composite, coverage and payment of one contract-period, from its committed rows.

    `committed` are those rows when the caller has just stored them, so they are not read back.
    """
    load_related([contract], Contract.clauses)
    clauses = contract.clauses_in_force(period)
    upload = _committed_upload(contract, period)
    needed = {c.key for c in clauses} | {c.denominator for c in clauses if c.denominator}
    if committed is not None and upload is not None:
        columns, row_count = {k: committed.floats(k) for k in needed}, len(committed)
    else:
        columns, row_count = _columns(upload, needed)
    score = _score_row(contract, period)
    db.session.execute(delete(ClauseResult).where(ClauseResult.contract_id == contract.id,
                                                  ClauseResult.period == period))
    if upload is None and (score is None or score.invoice_amount is None):
        if score is not None:
            db.session.delete(score)
        return None
    now = utcnow()
    from scoring.clause_score import score_clause

    outcomes = []
    for clause in clauses:
        denominators = columns.get(clause.denominator) if clause.aggregation == Aggregation.RATIO else None
        outcome = score_clause(columns[clause.key], clause.plain_terms(), denominators)
        outcomes.append((clause, outcome))
        db.session.add(ClauseResult(contract_id=contract.id, clause_id=clause.id, clause_key=clause.key,
                                    period=period, value=outcome.value, attainment=outcome.attainment,
                                    status=ClauseStatus(outcome.status), observations=outcome.observations,
                                    computed_at=now))
    composite, coverage = composite_and_coverage((clause.weight, outcome.attainment) for clause, outcome in outcomes)
    if score is None:
        score = ContractPeriodScore(contract_id=contract.id, period=period)
        db.session.add(score)
    score.composite, score.coverage, score.observations, score.computed_at = composite, coverage, row_count, now
    _apply_payment(contract, score, [(o.status, c.incentive_pct, c.penalty_pct) for c, o in outcomes])
    db.session.flush()
    return score


def _apply_payment(contract: Contract, score: ContractPeriodScore, clause_statuses: list[tuple]) -> None:
    if score.invoice_amount is None:
        score.bonus = score.penalty = score.net = ZERO
        return
    adjustment = payment_adjustment(score.invoice_amount, clause_statuses, incentive_cap=contract.incentive_cap,
                                    penalty_cap=contract.penalty_cap)
    score.bonus, score.penalty, score.net = adjustment.bonus, adjustment.penalty, adjustment.net


def periods_with_data(contract: Contract, since: str | None = None) -> list[str]:
    """Periods that have committed rows or an invoice, from `since` on."""
    uploads = select(Upload.period).where(Upload.contract_id == contract.id, Upload.status == UploadStatus.COMMITTED)
    invoices = select(ContractPeriodScore.period).where(ContractPeriodScore.contract_id == contract.id)
    periods = set(db.session.scalars(uploads)) | set(db.session.scalars(invoices))
    return sorted(p for p in periods if since is None or p >= since)


def recompute_from(contract: Contract, since: str) -> list[str]:
    """After an amendment effective from `since`: every period from then on, none before."""
    periods = periods_with_data(contract, since)
    for period in periods:
        recompute_period(contract, period)
    return periods


def recompute_contract(contract: Contract) -> list[str]:
    periods = periods_with_data(contract)
    for period in periods:
        recompute_period(contract, period)
    return periods
