"""What the monthly meeting packet says, gathered once and laid out by `packet_pdf` and `packet_docx`.

The tables are pandas frames (one column per heading, cells as the pages show them); the charts are the
SVG the rankings page draws (`contracts_app/charts.py`), so the packet and the pages never disagree.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import pandas as pd
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from models import (
    ActionPlan,
    ActionPlanMilestone,
    ClauseResult,
    ClauseStatus,
    Contract,
    Direction,
    Dispute,
    DisputeStatus,
    MilestoneStatus,
    OutcomeClause,
    PlanStatus,
    ServiceCategory,
    db,
    utcnow,
)
from scoring.periods import add_months

from ..charts import sparkline
from ..formatting import score
from ..rankings.page import ranking_page as rankings_of
from ..rankings.page import read_request
from ..rankings.standings import category_ranking
from .services import meeting_items

TREND_MONTHS = 12
NOTHING = "–"


@dataclass
class VendorTrend:
    vendor: str
    chart: Markup  # the sparkline SVG
    latest: str  # "2026-05: 81.2" or "no scored month"


@dataclass
class Packet:
    category: ServiceCategory
    period: str
    generated_at: datetime
    window_text: str
    rankings: pd.DataFrame
    interval_chart: Markup | None
    no_intervals: str | None
    trend_months: list[str]
    trends: list[VendorTrend]
    composites: pd.DataFrame  # vendor × month
    failed_clauses: pd.DataFrame
    disputes: pd.DataFrame
    plans: pd.DataFrame
    previous_period: str | None
    previous_items: pd.DataFrame
    carried_items: pd.DataFrame
    recorded_items: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        return f"{self.category.name}: monthly meeting packet, {self.period}"


def _frame(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns, dtype=object)


def _rankings(category: ServiceCategory, period: str) -> tuple[pd.DataFrame, Markup | None, str | None, str]:
    page = rankings_of(read_request({"category": category.slug, "period": period}))
    request = page.request
    window_text = f"{request.window} months, {request.first_period} to {period}"
    rows = []
    for row in page.rows:
        r = row.ranking
        interval = r.interval
        rows.append({"Rank": str(r.rank) if r.rank else NOTHING, "Vendor": r.vendor.name, "Score": score(r.score),
                     "Shrunk score": score(r.shrunk_score),
                     "90 % interval": f"{score(interval[0])} to {score(interval[1])}" if interval else NOTHING,
                     "Against the category": row.comparison_words or NOTHING,
                     "Rank range": row.rank_range_words or NOTHING,
                     "Flags": "; ".join(word for word, _ in row.flags) or NOTHING})
    columns = ["Rank", "Vendor", "Score", "Shrunk score", "90 % interval", "Against the category", "Rank range", "Flags"]
    why = page.nothing_to_rank or page.no_intervals
    return _frame(rows, columns), page.interval_chart, why, window_text


def _trends(category: ServiceCategory, period: str) -> tuple[list[str], list[VendorTrend], pd.DataFrame]:
    ranking = category_ranking(category, period, TREND_MONTHS)
    months = [p for p, _ in ranking.rankings[0].trend] if ranking.rankings else []
    trends, rows = [], []
    for r in sorted(ranking.rankings, key=lambda r: r.vendor.name):
        scored = [(p, c) for p, c in r.trend if c is not None]
        latest = f"{scored[-1][0]}: {score(scored[-1][1])}" if scored else "no scored month"
        described = ", ".join(f"{p}: {score(c)}" for p, c in scored) or "no scored month"
        chart = sparkline([c for _, c in r.trend], title=f"{r.vendor.name}: monthly composite, {months[0]} to "
                                                         f"{period}: {described}")
        trends.append(VendorTrend(vendor=r.vendor.name, chart=chart, latest=latest))
        rows.append({"Vendor": r.vendor.name, **{p: score(c) if c is not None else NOTHING for p, c in r.trend}})
    return months, trends, _frame(rows, ["Vendor"] + months)


def _shortfall(value: float | None, mark, direction: Direction) -> str:
    """How far the value falls short of a target or minimum, in the clause's unit (— when it does not)."""
    if value is None or mark is None:
        return NOTHING
    gap = float(mark) - value if direction == Direction.HIGHER else value - float(mark)
    return score(gap, 2) if gap > 0 else "met"


def _failed_clauses(category: ServiceCategory, period: str) -> pd.DataFrame:
    results = db.session.scalars(
        select(ClauseResult).join(Contract, Contract.id == ClauseResult.contract_id)
        .where(Contract.category_id == category.id, ClauseResult.period == period,
               ClauseResult.status == ClauseStatus.FAILED)
        .options(joinedload(ClauseResult.contract).joinedload(Contract.vendor), joinedload(ClauseResult.clause))
        .order_by(Contract.number, ClauseResult.clause_key)).all()
    rows = []
    for result in results:
        clause: OutcomeClause = result.clause
        unit = f" {clause.unit}" if clause.unit else ""
        rows.append({"Vendor": result.contract.vendor.name, "Contract": result.contract.number,
                     "Clause": f"{clause.label} ({clause.key})",
                     "Value": (score(result.value, 2) + unit) if result.value is not None else NOTHING,
                     "Target": score(clause.target, 2) + unit,
                     "Minimum": (score(clause.minimum, 2) + unit) if clause.minimum is not None else NOTHING,
                     "Short of target": _shortfall(result.value, clause.target, clause.direction),
                     "Short of minimum": _shortfall(result.value, clause.minimum, clause.direction),
                     "Attainment": score(result.attainment) if result.attainment is not None else NOTHING})
    return _frame(rows, ["Vendor", "Contract", "Clause", "Value", "Target", "Minimum", "Short of target",
                         "Short of minimum", "Attainment"])


def _disputes(category: ServiceCategory) -> pd.DataFrame:
    disputes = db.session.scalars(
        select(Dispute).join(Contract, Contract.id == Dispute.contract_id)
        .where(Contract.category_id == category.id, Dispute.status == DisputeStatus.OPEN)
        .options(joinedload(Dispute.contract).joinedload(Contract.vendor))
        .order_by(Dispute.period, Dispute.id)).all()
    rows = [{"Dispute": f"#{d.id}", "Vendor": d.contract.vendor.name, "Contract": d.contract.number, "Month": d.period,
             "Disputed": ", ".join(list(d.clause_keys) + [f"{len(d.row_keys)} rows"] * bool(d.row_keys)) or NOTHING,
             "Opened": d.opened_at.date().isoformat(), "Reason": d.reason[:300]} for d in disputes]
    return _frame(rows, ["Dispute", "Vendor", "Contract", "Month", "Disputed", "Opened", "Reason"])


def _plans(category: ServiceCategory, period: str) -> pd.DataFrame:
    """Open plans, each with its pending milestones (due date first); a plan with none pending says so."""
    plans = db.session.scalars(
        select(ActionPlan).join(Contract, Contract.id == ActionPlan.contract_id)
        .where(Contract.category_id == category.id, ActionPlan.status == PlanStatus.OPEN)
        .options(joinedload(ActionPlan.contract).joinedload(Contract.vendor), selectinload(ActionPlan.milestones))
        .order_by(ActionPlan.opened_on, ActionPlan.id)).unique().all()
    month_end = date.fromisoformat(add_months(period, 1) + "-01")
    rows = []
    for plan in plans:
        pending: list[ActionPlanMilestone] = sorted(
            (m for m in plan.milestones if m.status == MilestoneStatus.PENDING), key=lambda m: m.due_on)
        base = {"Plan": f"#{plan.id}", "Vendor": plan.contract.vendor.name, "Contract": plan.contract.number,
                "Clauses": ", ".join(plan.clause_keys) or NOTHING, "Outcome required": plan.outcome_required[:300]}
        if not pending:
            rows.append({**base, "Milestone": "none pending", "Due": NOTHING})
        for milestone in pending:
            late = " (overdue)" if milestone.due_on < month_end else ""
            rows.append({**base, "Milestone": milestone.description, "Due": milestone.due_on.isoformat() + late})
    return _frame(rows, ["Plan", "Vendor", "Contract", "Clauses", "Outcome required", "Milestone", "Due"])


def _items(items) -> pd.DataFrame:
    rows = [{"Item": f"#{i.id}", "Meeting": i.period, "What": i.text, "Owner": i.owner_label,
             "Due": i.due_on.isoformat(), "Status": i.status.value} for i in items]
    return _frame(rows, ["Item", "Meeting", "What", "Owner", "Due", "Status"])


def gather_packet(category: ServiceCategory, period: str) -> Packet:
    """Everything the packet of `category`'s meeting of `period` shows; reads only."""
    rankings, chart, why, window_text = _rankings(category, period)
    months, trends, composites = _trends(category, period)
    items = meeting_items(category, period)
    previous_ids = {i.id for i in items.previous}
    return Packet(
        category=category, period=period, generated_at=utcnow(), window_text=window_text, rankings=rankings,
        interval_chart=chart, no_intervals=why, trend_months=months, trends=trends, composites=composites,
        failed_clauses=_failed_clauses(category, period), disputes=_disputes(category),
        plans=_plans(category, period), previous_period=items.previous_period, previous_items=_items(items.previous),
        carried_items=_items([i for i in items.carried if i.id not in previous_ids]),
        recorded_items=_items(items.recorded))
