"""What the JSON API answers: the same rows the pages show, scoped the same way, in SPEC §6's field names.

Every function takes the vendor id the caller is confined to (`security.vendor_scope`, None for city staff)
and reads only through it; the rankings reuse the page's request checks and `category_ranking`, and show a
vendor user the others as the vendor portal does (no name, no id). Nothing here writes.
"""
from __future__ import annotations

from enum import Enum

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from models import (
    ClauseResult,
    Contract,
    ContractPeriodScore,
    OutcomeClause,
    Recommendation,
    RecommendationLine,
    RecommendationStatus,
    ServiceCategory,
    Vendor,
    db,
)

from ..disputes.review import month_reviews, review_of
from ..formatting import money_json
from ..payments.services import latest_committed_period, period_adjustments
from ..rankings.page import read_request
from ..rankings.standings import category_ranking
from ..vendor_portal.services import OTHER_LABEL, vendor_categories
from .errors import ApiError
from .params import Months, Page

NUMBER_TERMS = ("target", "minimum", "weight", "incentive_pct", "penalty_pct", "valid_min", "valid_max",
                "row_standard", "scale", "cap")


def _number(value) -> float | None:
    return None if value is None else float(value)


def _plain(value):
    return value.value if isinstance(value, Enum) else value


def _count(query) -> int:
    return db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0


# --- categories and vendors ------------------------------------------------------------------------

def category_record(category: ServiceCategory) -> dict:
    return {"id": category.id, "slug": category.slug, "name": category.name, "unit": category.unit,
            "row_key": category.row_key, "review_days": category.review_days}


def categories(scope: int | None, page: Page) -> tuple[list[dict], int]:
    if scope is not None:  # a vendor user: the categories it has contracts in
        rows = vendor_categories(scope)
        return [category_record(c) for c in rows[page.offset:page.offset + page.size]], len(rows)
    query = select(ServiceCategory).order_by(ServiceCategory.name, ServiceCategory.id)
    rows = db.session.scalars(query.offset(page.offset).limit(page.size)).all()
    return [category_record(c) for c in rows], _count(query)


def vendor_record(vendor: Vendor) -> dict:
    return {"id": vendor.id, "name": vendor.name}


def vendors(scope: int | None, page: Page) -> tuple[list[dict], int]:
    query = select(Vendor).order_by(Vendor.name, Vendor.id)
    if scope is not None:
        query = query.where(Vendor.id == scope)
    rows = db.session.scalars(query.offset(page.offset).limit(page.size)).all()
    return [vendor_record(v) for v in rows], _count(query)


def vendor(scope: int | None, vendor_id: int) -> dict:
    found = db.session.get(Vendor, vendor_id)
    if found is None or (scope is not None and found.id != scope):
        raise ApiError(404, f"There is no vendor {vendor_id}.")
    return vendor_record(found)


# --- contracts, clauses and their versions ---------------------------------------------------------

def _clause_version(clause: OutcomeClause) -> dict:
    record = {"effective_from": clause.effective_from, "retired": clause.retired, "label": clause.label,
              "unit": clause.unit, "direction": _plain(clause.direction), "aggregation": _plain(clause.aggregation),
              "curve": _plain(clause.curve), "aliases": list(clause.aliases or []), "language": clause.language,
              "amendment_reason": clause.amendment_reason}
    record.update({name: _number(getattr(clause, name)) for name in NUMBER_TERMS})
    return record


def contract_record(contract: Contract) -> dict:
    by_key: dict[str, list[OutcomeClause]] = {}
    for clause in contract.clauses:
        by_key.setdefault(clause.key, []).append(clause)
    return {
        "id": contract.id, "number": contract.number, "title": contract.title,
        "vendor": vendor_record(contract.vendor), "category": contract.category.slug,
        "start_date": contract.start_date.isoformat(), "end_date": contract.end_date.isoformat(),
        "value": money_json(contract.value), "status": _plain(contract.status), "capacity": _number(contract.capacity),
        "incentive_cap": _number(contract.incentive_cap), "penalty_cap": _number(contract.penalty_cap),
        "clauses": [{"key": key, "versions": [_clause_version(v) for v in
                                              sorted(versions, key=lambda v: v.effective_from)]}
                    for key, versions in sorted(by_key.items())],
    }


def _contracts_query(scope: int | None, category: str | None):
    query = (select(Contract).options(joinedload(Contract.vendor), joinedload(Contract.category),
                                      selectinload(Contract.clauses))
             .order_by(Contract.number))
    if scope is not None:
        query = query.where(Contract.vendor_id == scope)
    if category:
        query = query.join(ServiceCategory, ServiceCategory.id == Contract.category_id).where(
            ServiceCategory.slug == category)
    return query


def contracts(scope: int | None, page: Page, category: str | None) -> tuple[list[dict], int]:
    query = _contracts_query(scope, category)
    rows = db.session.scalars(query.offset(page.offset).limit(page.size)).unique().all()
    return [contract_record(c) for c in rows], _count(select(Contract.id).where(
        Contract.id.in_(select(query.with_only_columns(Contract.id).subquery()))))


def contract(scope: int | None, contract_id: int) -> dict:
    found = db.session.scalars(_contracts_query(scope, None).where(Contract.id == contract_id)).unique().first()
    if found is None:
        raise ApiError(404, f"There is no contract {contract_id}.")
    return contract_record(found)


# --- contract-month scores ---------------------------------------------------------------------------

def scores(scope: int | None, page: Page, months: Months, contract_number: str | None) -> tuple[list[dict], int]:
    """Stored month scores with their clause results and review state (SPEC §3, §8), by contract then month."""
    query = (select(ContractPeriodScore, Contract.number)
             .join(Contract, Contract.id == ContractPeriodScore.contract_id)
             .order_by(Contract.number, ContractPeriodScore.period))
    if scope is not None:
        query = query.where(Contract.vendor_id == scope)
    if contract_number:
        query = query.where(Contract.number == contract_number)
    if months.first:
        query = query.where(ContractPeriodScore.period >= months.first)
    if months.last:
        query = query.where(ContractPeriodScore.period <= months.last)
    total = _count(query.with_only_columns(ContractPeriodScore.id))
    rows = db.session.execute(query.offset(page.offset).limit(page.size)).all()
    ids = {s.contract_id for s, _ in rows}
    periods = {s.period for s, _ in rows}
    results: dict[tuple[int, str], list[ClauseResult]] = {}
    if rows:
        for r in db.session.scalars(select(ClauseResult).where(ClauseResult.contract_id.in_(sorted(ids)),
                                                                ClauseResult.period.in_(sorted(periods)))
                                    .order_by(ClauseResult.clause_key)):
            results.setdefault((r.contract_id, r.period), []).append(r)
    reviews = month_reviews(ids, periods) if rows else {}
    records = []
    for s, number in rows:
        review = review_of(reviews, s.contract_id, s.period)
        records.append({
            "contract": number, "contract_id": s.contract_id, "period": s.period, "composite": s.composite,
            "coverage": s.coverage, "observations": s.observations, "review": review.state.value,
            "review_closes_at": review.closes_at.isoformat() if review.closes_at else None,
            "open_disputes": review.open_disputes,
            "clauses": [{"key": r.clause_key, "value": r.value, "attainment": r.attainment, "status": r.status.value,
                         "observations": r.observations} for r in results.get((s.contract_id, s.period), [])],
        })
    return records, total


# --- rankings ----------------------------------------------------------------------------------------

def rankings(scope: int | None, args) -> dict:
    """The category's ranking (SPEC §3, §3b, §8). A vendor user sees its own row named and every other vendor
    as the portal shows them: "Another vendor", no id, no reasons or contract months."""
    own_categories = vendor_categories(scope) if scope is not None else []
    if scope is not None and not args.get("category") and own_categories:
        args = {**args.to_dict(), "category": own_categories[0].slug}  # a vendor's default: its own category
    asked = read_request(args)
    for name, message in asked.field_errors.items():
        raise ApiError(400 if name != "category" else 404, f"Parameter '{name}': {message}",
                       "invalid_parameter" if name != "category" else "not_found")
    category = asked.category
    if category is None or (scope is not None and category.id not in {c.id for c in own_categories}):
        raise ApiError(404, "There is no such service category" + (" among your contracts." if scope else "."))
    inputs = {"category": category.slug, "period": asked.period, "window": asked.window}
    if asked.period is None:
        return {"inputs": inputs, "category_mean": None, "within_variance": None, "between_variance": None,
                "no_intervals": "no month has been scored in this category", "records": []}
    ranking = category_ranking(category, asked.period, asked.window)
    u = ranking.uncertainty
    records = []
    for r in ranking.rankings:
        own = scope is None or r.vendor.id == scope
        records.append({
            "vendor": r.vendor.name if own else OTHER_LABEL, "vendor_id": r.vendor.id if own else None,
            "score": r.score, "rank": r.rank, "insufficient_data": r.insufficient_data, "probation": r.probation,
            "periods": r.scored_periods, "observations": r.observations, "met": r.clauses.get("met", 0),
            "partial": r.clauses.get("partial", 0), "failed": r.clauses.get("failed", 0),
            "reasons": list(r.reasons) if own else [], "shrunk_score": r.shrunk_score,
            "interval_low": r.interval[0] if r.interval else None,
            "interval_high": r.interval[1] if r.interval else None, "comparison": r.comparison,
            "rank_range": list(r.rank_range) if r.rank_range else None, "review": r.review.state.value,
            "months_not_final": [m.label for m in r.unsettled] if own else [],
        })
    return {"inputs": inputs, "category_mean": u.category_mean, "within_variance": u.within_variance,
            "between_variance": u.between_variance, "no_intervals": u.why_none, "records": records}


# --- recommendations ---------------------------------------------------------------------------------

def recommendations(page: Page, category: str | None, months: Months) -> tuple[list[dict], int]:
    """Approved reallocation runs with their lines per vendor (SPEC §4), latest target month first."""
    query = (select(Recommendation)
             .options(joinedload(Recommendation.category),
                      selectinload(Recommendation.lines).joinedload(RecommendationLine.vendor))
             .where(Recommendation.status == RecommendationStatus.APPROVED)
             .order_by(Recommendation.target_period.desc(), Recommendation.id.desc()))
    if category:
        query = query.join(ServiceCategory, ServiceCategory.id == Recommendation.category_id).where(
            ServiceCategory.slug == category)
    if months.first:
        query = query.where(Recommendation.target_period >= months.first)
    if months.last:
        query = query.where(Recommendation.target_period <= months.last)
    total = _count(query.with_only_columns(Recommendation.id))
    rows = db.session.scalars(query.offset(page.offset).limit(page.size)).unique().all()
    return [{
        "id": rec.id, "category": rec.category.slug, "period": rec.target_period, "volume": _number(rec.volume),
        "window": rec.window_months, "floor": rec.floor_share, "gamma": rec.gamma, "basis": rec.basis,
        "unallocated": _number(rec.unallocated), "approved_at": rec.approved_at.isoformat() if rec.approved_at else None,
        "lines": [{"vendor": line.vendor.name, "vendor_id": line.vendor_id, "score": line.score, "rank": line.rank,
                   "insufficient_data": line.insufficient_data, "probation": line.probation,
                   "share_before": line.share_before, "share": line.share, "volume": _number(line.volume),
                   "capacity": _number(line.capacity), "reason": line.reason}
                  for line in sorted(rec.lines, key=lambda x: (x.rank is None, x.rank or 0, x.vendor.name))],
    } for rec in rows], total


# --- payments ----------------------------------------------------------------------------------------

def payments(page: Page, months: Months, category_slug: str | None) -> tuple[list[dict], int]:
    """The payments page's lines (SPEC §3, §8) month by month: invoice, bonus, penalty, net and whether held."""
    category = None
    if category_slug:
        category = db.session.scalars(select(ServiceCategory).where(ServiceCategory.slug == category_slug)).first()
        if category is None:
            raise ApiError(404, f"There is no service category '{category_slug[:40]}'.")
    records = []
    for period in months.periods(latest_committed_period(category)):
        for line in period_adjustments(period, category).lines:
            records.append({
                "contract": line.contract.number, "contract_id": line.contract.id, "vendor": line.contract.vendor.name,
                "category": line.contract.category.slug, "period": period, "state": line.state,
                "invoice": money_json(line.invoice), "bonus": money_json(line.bonus),
                "penalty": money_json(line.penalty), "net": money_json(line.net), "held": line.on_hold,
                "review": line.review.state.value, "composite": line.composite, "coverage": line.coverage,
                "observations": line.observations,
            })
    return records[page.offset:page.offset + page.size], len(records)

