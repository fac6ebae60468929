"""The public scorecards (issue 16): what a published category shows anyone, built only from final months.

A month provisional or disputed (SPEC §8) is left out of every page and download here, and counted so the page
can say how many are still under review. Every read is a bounded number of queries, whatever the city's size.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from models import (
    ClauseResult,
    Contract,
    ContractPeriodScore,
    Observation,
    OutcomeClause,
    ServiceCategory,
    Upload,
    UploadStatus,
    Vendor,
    db,
)
from scoring.rankings import DEFAULT_WINDOW_MONTHS

from ..charts import sparkline
from ..disputes.review import MonthKey, month_reviews
from ..rankings.page import RankingPage, RankingRequest, page_of_ranking
from ..rankings.standings import CategoryRanking, category_ranking, not_excluded
from ..templating import number


def published_categories() -> list[ServiceCategory]:
    return list(db.session.scalars(select(ServiceCategory).where(ServiceCategory.published_at.is_not(None))
                                   .order_by(ServiceCategory.name)))


def published_category(slug: str) -> ServiceCategory | None:
    """The category by slug when it is published; None (a 404) when it is unknown or not published."""
    return db.session.scalar(select(ServiceCategory).where(ServiceCategory.slug == slug,
                                                           ServiceCategory.published_at.is_not(None)))


@dataclass
class FinalScope:
    """A published category's contracts, and which of their scored months are not final (and so not shown)."""

    category: ServiceCategory
    contracts: list[Contract]  # vendor loaded, by number
    excluded: frozenset[MonthKey]  # (contract id, period) of every month not final
    hidden_months: int  # scored contract-months not final: "N months are still under review and not shown"
    latest_period: str | None  # the latest final month with a composite

    @property
    def contract_ids(self) -> list[int]:
        return [c.id for c in self.contracts]


def final_scope(category: ServiceCategory) -> FinalScope:
    """Four queries: the contracts, their months' reviews (two), the hidden count and the latest final month."""
    contracts = list(db.session.scalars(select(Contract).options(joinedload(Contract.vendor))
                                        .where(Contract.category_id == category.id).order_by(Contract.number)))
    reviews = month_reviews([c.id for c in contracts])
    excluded = frozenset(key for key, review in reviews.items() if review.marked)
    hidden = 0
    if excluded:
        hidden = db.session.scalar(
            select(func.count()).select_from(ContractPeriodScore)
            .join(Contract, Contract.id == ContractPeriodScore.contract_id)
            .where(Contract.category_id == category.id,
                   ~not_excluded(ContractPeriodScore.contract_id, ContractPeriodScore.period, excluded))) or 0
    latest = db.session.scalar(
        select(func.max(ContractPeriodScore.period))
        .join(Contract, Contract.id == ContractPeriodScore.contract_id)
        .where(Contract.category_id == category.id, ContractPeriodScore.composite.is_not(None),
               not_excluded(ContractPeriodScore.contract_id, ContractPeriodScore.period, excluded)))
    return FinalScope(category, contracts, excluded, hidden, latest)


def final_ranking(scope: FinalScope, window: int = DEFAULT_WINDOW_MONTHS) -> CategoryRanking | None:
    """The category's rankings (SPEC §3, §3b) over the window ending at the latest final month, of final months."""
    if scope.latest_period is None:
        return None
    return category_ranking(scope.category, scope.latest_period, window, excluded=scope.excluded)


@dataclass
class ContractLatest:
    contract: Contract
    period: str | None = None
    composite: float | None = None
    coverage: float | None = None


@dataclass
class PublicCategoryPage:
    scope: FinalScope
    ranking: RankingPage | None
    contracts: list[ContractLatest]
    window: int = DEFAULT_WINDOW_MONTHS


def _latest_final_scores(scope: FinalScope) -> dict[int, ContractPeriodScore]:
    """Each contract's latest final month with a composite: one query."""
    if not scope.contracts:
        return {}
    final = (ContractPeriodScore.contract_id.in_(scope.contract_ids), ContractPeriodScore.composite.is_not(None),
             not_excluded(ContractPeriodScore.contract_id, ContractPeriodScore.period, scope.excluded))
    latest = (select(ContractPeriodScore.contract_id, func.max(ContractPeriodScore.period).label("period"))
              .where(*final).group_by(ContractPeriodScore.contract_id).subquery())
    rows = db.session.scalars(select(ContractPeriodScore).join(
        latest, (latest.c.contract_id == ContractPeriodScore.contract_id) & (latest.c.period == ContractPeriodScore.period)))
    return {row.contract_id: row for row in rows}


def category_page(category: ServiceCategory) -> PublicCategoryPage:
    scope = final_scope(category)
    ranking = final_ranking(scope)
    page = None
    if ranking is not None:
        request = RankingRequest(typed={}, categories=[], category=category, period=scope.latest_period,
                                 window=DEFAULT_WINDOW_MONTHS, latest_period=scope.latest_period)
        page = page_of_ranking(request, ranking)
    latest = _latest_final_scores(scope)
    contracts = []
    for contract in scope.contracts:
        score = latest.get(contract.id)
        contracts.append(ContractLatest(contract) if score is None else
                         ContractLatest(contract, score.period, score.composite, score.coverage))
    return PublicCategoryPage(scope=scope, ranking=page, contracts=contracts)


@dataclass
class ClauseLine:
    key: str
    label: str
    unit: str
    value: float | None
    attainment: float | None
    status: str
    observations: int


@dataclass
class PublicMonth:
    period: str
    composite: float | None
    coverage: float
    observations: int
    clauses: list[ClauseLine] = field(default_factory=list)


@dataclass
class PublicContract:
    contract: Contract
    months: list[PublicMonth]  # final months, latest first
    hidden_months: int
    trend: Markup | None


def contract_page(category: ServiceCategory, contract_id: int) -> PublicContract | None:
    """A contract of a published category: its final monthly composites and clause results (four queries)."""
    contract = db.session.scalar(select(Contract).options(joinedload(Contract.vendor))
                                 .where(Contract.id == contract_id, Contract.category_id == category.id))
    if contract is None:
        return None
    excluded = frozenset(key for key, review in month_reviews([contract.id]).items() if review.marked)
    scores = list(db.session.scalars(
        select(ContractPeriodScore).where(ContractPeriodScore.contract_id == contract.id)
        .order_by(ContractPeriodScore.period.desc())))
    months = {s.period: PublicMonth(s.period, s.composite, s.coverage, s.observations)
              for s in scores if (contract.id, s.period) not in excluded}
    results = db.session.execute(
        select(ClauseResult, OutcomeClause.label, OutcomeClause.unit)
        .join(OutcomeClause, OutcomeClause.id == ClauseResult.clause_id)
        .where(ClauseResult.contract_id == contract.id,
               not_excluded(ClauseResult.contract_id, ClauseResult.period, excluded))
        .order_by(ClauseResult.period, ClauseResult.clause_key))
    for result, label, unit in results:
        if (month := months.get(result.period)) is not None:
            month.clauses.append(ClauseLine(result.clause_key, label, unit, result.value, result.attainment,
                                            result.status.value, result.observations))
    ordered = sorted(months.values(), key=lambda m: m.period, reverse=True)
    trend = None
    if ordered:
        oldest_first = list(reversed(ordered))
        trend = sparkline([m.composite for m in oldest_first], title=(
            f"{contract.number}: monthly composite, final months: "
            + ", ".join(f"{m.period}: {number(m.composite, 1)}" for m in oldest_first if m.composite is not None)))
    hidden = sum(1 for s in scores if (contract.id, s.period) in excluded)
    return PublicContract(contract, ordered, hidden, trend)


# --- downloads --------------------------------------------------------------------------------------

RESULT_COLUMNS = ["contract", "vendor", "period", "clause_key", "value", "attainment", "status", "composite",
                  "coverage", "observations"]
RANKING_COLUMNS = ["category", "period", "window", "rank", "vendor", "score", "insufficient_data", "probation",
                   "scored_periods", "observations", "shrunk_score", "interval_low", "interval_high", "comparison",
                   "rank_best", "rank_worst", "category_mean"]
ROW_COLUMNS = ["contract", "vendor", "period", "row_key", "work_date"]


@dataclass
class Table:
    """A download: its columns and rows (plain values), the same for its CSV and its JSON."""

    name: str
    columns: list[str]
    rows: list[list]
    hidden_months: int


def results_table(category: ServiceCategory) -> Table:
    """Every clause result of the category's final months with its month's composite: one query after the scope."""
    scope = final_scope(category)
    query = (select(Contract.number, Vendor.name, ClauseResult.period, ClauseResult.clause_key, ClauseResult.value,
                    ClauseResult.attainment, ClauseResult.status, ContractPeriodScore.composite,
                    ContractPeriodScore.coverage, ClauseResult.observations)
             .join(Contract, Contract.id == ClauseResult.contract_id)
             .join(Vendor, Vendor.id == Contract.vendor_id)
             .outerjoin(ContractPeriodScore, (ContractPeriodScore.contract_id == ClauseResult.contract_id)
                        & (ContractPeriodScore.period == ClauseResult.period))
             .where(Contract.category_id == category.id,
                    not_excluded(ClauseResult.contract_id, ClauseResult.period, scope.excluded))
             .order_by(Contract.number, ClauseResult.period, ClauseResult.clause_key))
    rows = [[number_, vendor, period, key, value, attainment, status.value, composite, coverage, observations]
            for number_, vendor, period, key, value, attainment, status, composite, coverage, observations
            in db.session.execute(query)]
    return Table(f"{category.slug}_results", RESULT_COLUMNS, rows, scope.hidden_months)


def rankings_table(category: ServiceCategory) -> Table:
    scope = final_scope(category)
    ranking = final_ranking(scope)
    rows = []
    if ranking is not None:
        mean = ranking.uncertainty.category_mean
        for r in ranking.rankings:
            best, worst = r.rank_range or (None, None)
            low, high = r.interval or (None, None)
            rows.append([category.slug, scope.latest_period, DEFAULT_WINDOW_MONTHS, r.rank, r.vendor.name, r.score,
                         r.insufficient_data, r.probation, r.scored_periods, r.observations, r.shrunk_score, low,
                         high, r.comparison, best, worst, mean])
    return Table(f"{category.slug}_rankings", RANKING_COLUMNS, rows, scope.hidden_months)


def rows_table(category: ServiceCategory) -> Table:
    """The rows (units of work) of the final months: each clause column, and only the context columns the city
    chose to publish (`publish_context_columns`); any other context column never leaves the database."""
    scope = final_scope(category)
    published = [c for c in (category.publish_context_columns or []) if c in (category.context_columns or [])]
    query = (select(Contract.number, Vendor.name, Observation.period, Observation.row_key, Observation.work_date,
                    Observation.values, Observation.context)
             .join(Upload, Upload.id == Observation.upload_id)
             .join(Contract, Contract.id == Observation.contract_id)
             .join(Vendor, Vendor.id == Contract.vendor_id)
             .where(Contract.category_id == category.id, Upload.status == UploadStatus.COMMITTED,
                    not_excluded(Observation.contract_id, Observation.period, scope.excluded))
             .order_by(Contract.number, Observation.period, Observation.row_number))
    found = db.session.execute(query).all()
    measures = sorted({key for *_, values, _ in found for key in (values or {})})
    rows = []
    for number_, vendor, period, row_key, work_date, values, context in found:
        values, context = values or {}, context or {}
        rows.append([number_, vendor, period, row_key, work_date.isoformat() if work_date else None,
                     *(values.get(m) for m in measures), *(context.get(c) for c in published)])
    return Table(f"{category.slug}_rows", ROW_COLUMNS + measures + published, rows, scope.hidden_months)

