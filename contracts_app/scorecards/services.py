"""A contract's scorecard and one clause-month's drill-down, read from the stored results (SPEC §3).

Nothing here rescores: values, attainments, statuses, composites and coverage come from
`ClauseResult` and `ContractPeriodScore` as `stored_scores.recompute` wrote them. The drill-down lists the
committed rows behind a stored number and says in words how that number was formed.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal

from flask_sqlalchemy.pagination import Pagination
from markupsafe import Markup
from sqlalchemy import func, select, union_all
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from models import (
    Aggregation,
    ClauseResult,
    Contract,
    ContractPeriodScore,
    Curve,
    Direction,
    Dispute,
    DisputeStatus,
    MonthComment,
    Observation,
    OutcomeClause,
    Upload,
    UploadStatus,
    db,
)
from scoring.periods import is_period, period_range
from scoring.tolerance import at_or_better

from .. import formatting
from ..charts import Frame, line_chart
from ..disputes.review import FINAL, MonthReview, month_reviews, review_of

ROWS_PER_PAGE = 50


# --- display helpers (rounding happens in contracts_app.formatting only) --------------------------

def is_incomplete(score: ContractPeriodScore | None) -> bool:
    """A month whose composite does not rest on every clause in force (or that has no score at all)."""
    return score is None or formatting.is_incomplete(score.coverage)


coverage_percent = formatting.coverage  # "99.6 %": rounded down, so an incomplete month never reads 100 %


def value_places(clause: OutcomeClause) -> int:
    """Decimals to show a clause's values with: two when its target is small (0.5 defects per mile)."""
    return 2 if abs(float(clause.target)) < 10 else 1


def plain_number(value) -> str:
    """A number as written, without float noise or needless zeros (91.25, 1,200, 0.333333)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float, Decimal)):
        text = f"{float(value):,.6f}".rstrip("0").rstrip(".")
        return "0" if text in ("-0", "") else text
    return str(value)


def cell_text(value) -> str:
    """One cell of a committed row as the city entered it (booleans as yes / no)."""
    return plain_number(value)


def bound_text(clause: OutcomeClause, value) -> str:
    places = value_places(clause)
    text = f"{Decimal(str(value)):,.{places}f}" if value is not None else "—"
    return f"{text} {clause.unit}".strip()


def value_axis(values, target, minimum, unit: str) -> tuple[float, float]:
    """A y range with round ticks (4 steps) holding the values, the target and the minimum.

    Never below 0 when nothing is negative, and never above 100 for a percent.
    """
    points = [float(v) for v in [*values, target, minimum] if v is not None]
    low, high = min(points), max(points)
    if low == high:
        low, high = low - 1, high + 1
    span = (high - low) * 1.1
    magnitude = 10 ** math.floor(math.log10(span / 4))
    for multiple in (1, 2, 2.5, 3, 4, 5, 6, 8, 10, 20):
        step = multiple * magnitude
        bottom = math.floor(low / step) * step
        if bottom + 4 * step >= high:
            break
    if low >= 0 and bottom < 0:
        bottom = 0.0
    top = bottom + 4 * step
    if unit.strip() == "%" and top > 100 >= high:
        top, bottom = 100.0, max(0.0, 100.0 - 4 * step)
    return bottom, top


# --- the scorecard ------------------------------------------------------------------------------

@dataclass
class ClauseColumn:
    key: str
    clause: OutcomeClause  # the latest version in force over the months shown: header and chart lines
    versions: list[OutcomeClause]  # every version in force over the months shown, oldest first
    chart: Markup | None = None

    @property
    def places(self) -> int:
        return value_places(self.clause)

    @property
    def terms_changed(self) -> bool:
        return len({(v.target, v.minimum) for v in self.versions}) > 1

    def amendment_note(self) -> str:
        """Says which terms the chart draws when an amendment changed the target or minimum."""
        if not self.terms_changed:
            return ""
        latest = self.clause
        earlier = "; ".join(
            f"from {v.effective_from}: target {bound_text(v, v.target)}"
            + (f", minimum {bound_text(v, v.minimum)}" if v.minimum is not None else "")
            for v in self.versions[:-1]
        )
        return (f"Amended: the lines show the terms in force from {latest.effective_from} "
                f"(target {bound_text(latest, latest.target)}"
                + (f", minimum {bound_text(latest, latest.minimum)}" if latest.minimum is not None else "")
                + f"). Earlier terms — {earlier}. Each month is scored under the terms in force that month.")


@dataclass
class PeriodRow:
    period: str
    score: ContractPeriodScore | None
    results: dict[str, ClauseResult]
    in_force: dict[str, OutcomeClause]
    review: MonthReview = FINAL  # SPEC §8: provisional, disputed or final
    disputes: list[Dispute] = field(default_factory=list)
    comments: list[MonthComment] = field(default_factory=list)

    @property
    def has_data(self) -> bool:
        return self.score is not None

    @property
    def incomplete(self) -> bool:
        return is_incomplete(self.score)


@dataclass
class Scorecard:
    contract: Contract
    columns: list[ClauseColumn]
    rows: list[PeriodRow]
    composite_chart: Markup | None = None
    incomplete_periods: list[str] = field(default_factory=list)
    missing_periods: list[str] = field(default_factory=list)
    months_total: int = 0

    @property
    def months_hidden(self) -> int:
        return self.months_total - len(self.rows)


def _chart_frame(periods: list[str]) -> Frame:
    # Wide enough for every month's label side by side; the SVG scales to its column.
    return Frame(width=max(560, 58 * len(periods) + 64))


DEFAULT_MONTHS = 12


def scorecard_contract(contract_id: int) -> Contract | None:
    """The contract with all the scorecard reads of it (vendor, category, every clause version): one statement."""
    return db.session.scalars(
        select(Contract).where(Contract.id == contract_id)
        .options(joinedload(Contract.vendor), joinedload(Contract.category), joinedload(Contract.clauses))
    ).unique().first()


@dataclass(frozen=True)
class StoredSpan:
    """The first and last month with stored scores or clause results, and whether the contract has any dispute
    or month comment at all (most have none: then neither is queried)."""
    first: str | None
    last: str | None
    has_disputes: bool
    has_comments: bool


def _stored_span(contract_id: int) -> StoredSpan:
    """One statement, every part by index."""
    stored = union_all(
        select(ContractPeriodScore.period.label("period")).where(ContractPeriodScore.contract_id == contract_id),
        select(ClauseResult.period.label("period")).where(ClauseResult.contract_id == contract_id),
    ).subquery()
    row = db.session.execute(select(
        func.min(stored.c.period), func.max(stored.c.period),
        select(Dispute.id).where(Dispute.contract_id == contract_id).exists(),
        select(MonthComment.id).where(MonthComment.contract_id == contract_id).exists(),
    )).one()
    return StoredSpan(row[0], row[1], bool(row[2]), bool(row[3]))


def build_scorecard(contract_id: int | Contract, months: int | None = DEFAULT_MONTHS) -> Scorecard | None:
    """The scorecard of the latest `months` months with data (None: every month).

    Given the contract loaded by `scorecard_contract` (the view checks it first), it is not read again."""
    contract = contract_id if isinstance(contract_id, Contract) else scorecard_contract(contract_id)
    if contract is None:
        return None
    span = _stored_span(contract.id)
    all_periods = period_range(span.first, span.last) if span.first and span.last else []
    periods = all_periods[-months:] if months else all_periods
    first = periods[0] if periods else ""
    scores = {s.period: s for s in db.session.scalars(
        select(ContractPeriodScore).where(ContractPeriodScore.contract_id == contract.id,
                                          ContractPeriodScore.period >= first))}
    # Each result's clause is one of the contract's versions, already loaded: attached, not read again.
    clauses_by_id = {c.id: c for c in contract.clauses}
    results: dict[str, dict[str, ClauseResult]] = {}
    for result in db.session.scalars(select(ClauseResult).where(ClauseResult.contract_id == contract.id,
                                                                ClauseResult.period >= first)):
        set_committed_value(result, "clause", clauses_by_id.get(result.clause_id)
                            or db.session.get(OutcomeClause, result.clause_id))
        results.setdefault(result.period, {})[result.clause_key] = result

    disputes: dict[str, list[Dispute]] = {}
    for dispute in db.session.scalars(select(Dispute).where(Dispute.contract_id == contract.id,
                                                            Dispute.period >= first).order_by(Dispute.id)) \
            if span.has_disputes else ():
        disputes.setdefault(dispute.period, []).append(dispute)
    # The open disputes are counted from the ones just read, not by a query of their own.
    shown = set(periods)
    open_counts = {(contract.id, period): sum(d.status == DisputeStatus.OPEN for d in listed)
                   for period, listed in disputes.items() if period in shown}
    reviews = month_reviews([contract.id], periods,
                            open_counts={key: count for key, count in open_counts.items() if count})
    comments: dict[str, list[MonthComment]] = {}
    for comment in db.session.scalars(select(MonthComment).where(MonthComment.contract_id == contract.id,
                                                                 MonthComment.period >= first)
                                      .order_by(MonthComment.id)) if span.has_comments else ():
        comments.setdefault(comment.period, []).append(comment)

    rows, versions_by_key = [], {}
    for period in periods:
        in_force = {c.key: c for c in contract.clauses_in_force(period)}
        for result in results.get(period, {}).values():
            in_force.setdefault(result.clause_key, result.clause)
        rows.append(PeriodRow(period, scores.get(period), results.get(period, {}), in_force,
                              review=review_of(reviews, contract.id, period), disputes=disputes.get(period, []),
                              comments=comments.get(period, [])))
        if period in scores or period in results:
            for key, clause in in_force.items():
                seen = versions_by_key.setdefault(key, [])
                if clause not in seen:
                    seen.append(clause)
    if not periods:  # nothing scored yet: still show the clauses the contract starts with
        start = contract.start_date.strftime("%Y-%m")
        versions_by_key = {c.key: [c] for c in contract.clauses_in_force(start)}

    columns = []
    for key, versions in versions_by_key.items():
        versions = sorted(versions, key=lambda v: v.effective_from)
        columns.append(ClauseColumn(key, versions[-1], versions))
    columns.sort(key=lambda c: c.clause.position_key)

    scorecard = Scorecard(contract, columns, rows, months_total=len(all_periods))
    scorecard.incomplete_periods = [r.period for r in rows if r.has_data and r.incomplete]
    scorecard.missing_periods = [r.period for r in rows if not r.has_data]
    if periods:
        frame = _chart_frame(periods)
        # Incomplete months stand apart from the line (a gap, and points of their own), never joined in as
        # if they were like the others.
        complete = [r.score.composite if r.has_data and not r.incomplete else None for r in rows]
        series = [("Composite", complete)]
        if scorecard.incomplete_periods:
            series = [("Composite", complete),
                      ("Incomplete month",
                       [r.score.composite if r.has_data and r.incomplete else None for r in rows])]
        scorecard.composite_chart = line_chart(periods, series, title=f"{contract.number}: composite score by month",
                                               y_min=0, y_max=100, frame=frame)
        for column in columns:
            values = [r.results[column.key].value if column.key in r.results else None for r in rows]
            clause = column.clause
            unit = f" ({clause.unit})" if clause.unit else ""
            target = float(clause.target)
            minimum = None if clause.minimum is None else float(clause.minimum)
            y_min, y_max = value_axis(values, target, minimum, clause.unit or "")
            column.chart = line_chart(
                periods, [(clause.label, values)], title=f"{clause.label}{unit}: monthly value",
                target=target, minimum=minimum, y_min=y_min, y_max=y_max, frame=frame,
            )
    return scorecard


# --- one clause in one month --------------------------------------------------------------------

class NotFound(LookupError):
    """No such contract, month or clause: the page answers 404."""


@dataclass
class DrillDown:
    contract: Contract
    period: str
    clause: OutcomeClause  # the version the month was scored under
    result: ClauseResult | None
    score: ContractPeriodScore | None
    upload: Upload | None
    replaced: list[Upload]
    rows: Pagination | None
    context_columns: list[str]
    sentence: str
    curve_sentence: str

    @property
    def places(self) -> int:
        return value_places(self.clause)

    @property
    def is_ratio(self) -> bool:
        return self.clause.aggregation == Aggregation.RATIO and bool(self.clause.denominator)

    @property
    def row_standard_label(self) -> str | None:
        """The column heading for "does this row meet the row standard" (percent_meeting clauses only)."""
        if self.clause.aggregation != Aggregation.PERCENT_MEETING or self.clause.row_standard is None:
            return None
        side = "≤" if self.clause.row_direction == Direction.LOWER else "≥"
        return f"Meets {side} {plain_number(self.clause.row_standard)}"

    def meets_standard(self, row: Observation) -> bool | None:
        """Whether the row's cell meets the row standard (percent_meeting); None for an empty cell."""
        cell = row.values.get(self.clause.key)
        if cell is None or self.row_standard_label is None:
            return None
        direction = (self.clause.row_direction or Direction.HIGHER).value
        return at_or_better(float(cell), float(self.clause.row_standard), direction)

    def counted(self, row: Observation) -> bool:
        """Whether the row's cell enters the period value (a value, and for ratio also a denominator)."""
        if row.values.get(self.clause.key) is None:
            return False
        return not self.is_ratio or row.values.get(self.clause.denominator) is not None


def _committed(contract: Contract, period: str) -> Upload | None:
    return db.session.scalars(select(Upload).where(
        Upload.contract_id == contract.id, Upload.period == period,
        Upload.status == UploadStatus.COMMITTED).options(selectinload(Upload.uploaded_by))).first()


def build_drilldown(contract_id: int, period: str, key: str, page: int = 1) -> DrillDown:
    if not is_period(period):
        raise NotFound(period)
    contract = scorecard_contract(contract_id)
    if contract is None:
        raise NotFound(contract_id)
    result = db.session.scalars(select(ClauseResult).where(
        ClauseResult.contract_id == contract.id, ClauseResult.period == period,
        ClauseResult.clause_key == key).options(selectinload(ClauseResult.clause))).first()
    score = db.session.scalars(select(ContractPeriodScore).where(
        ContractPeriodScore.contract_id == contract.id, ContractPeriodScore.period == period)).first()
    upload = _committed(contract, period)
    if result is None and score is None and upload is None:
        raise NotFound(period)  # a month with nothing stored for this contract
    clause = result.clause if result is not None else next(
        (c for c in contract.clauses_in_force(period) if c.key == key), None)
    if clause is None:
        raise NotFound(key)

    rows = None
    if upload is not None:
        rows = db.paginate(
            select(Observation).where(Observation.upload_id == upload.id)
            .order_by(Observation.row_number, Observation.row_key),
            page=page, per_page=ROWS_PER_PAGE, max_per_page=ROWS_PER_PAGE, error_out=False, count=True,
        )
        if page < 1 or (page > 1 and not rows.items):
            raise NotFound(page)
    replaced = list(db.session.scalars(select(Upload).where(
        Upload.contract_id == contract.id, Upload.period == period,
        Upload.status == UploadStatus.SUPERSEDED).order_by(Upload.id)))
    context_columns = list(contract.category.context_columns or [])
    if rows is not None:
        for row in rows.items:
            for name in row.context:
                if name not in context_columns:
                    context_columns.append(name)
    return DrillDown(contract, period, clause, result, score, upload, replaced, rows, context_columns,
                     explain_value(clause, result, upload), explain_attainment(clause))


def _rows_phrase(count: int) -> str:
    return f"{count:,} row" + ("" if count == 1 else "s")


def explain_value(clause: OutcomeClause, result: ClauseResult | None, upload: Upload | None) -> str:
    """How the stored period value was formed, in one plain sentence."""
    if upload is None:
        return ("No sheet is committed for this month, so this clause has no value: it counts toward neither "
                "the composite nor any payment.")
    if result is None:
        return "This month's scores have not been computed for this clause yet."
    used, total = result.observations, upload.row_count
    empty = total - used
    if result.value is None:
        if clause.aggregation == Aggregation.RATIO and used:
            return (f"No value: the {clause.denominator} cells of the {_rows_phrase(used)} that have both cells "
                    "sum to 0, and a ratio needs a denominator above 0.")
        return (f"No value: none of the sheet's {_rows_phrase(total)} has a {clause.key} cell, so this clause "
                "counts toward neither the composite nor any payment.")
    rows = _rows_phrase(used)
    scale = float(clause.scale) if clause.scale is not None else 1.0
    base = result.value / scale if scale else result.value
    aggregation = clause.aggregation
    if aggregation == Aggregation.MEAN:
        text = f"Mean of the {clause.key} cells of {rows}"
    elif aggregation == Aggregation.MEDIAN:
        text = f"Median of the {clause.key} cells of {rows}"
    elif aggregation == Aggregation.SUM:
        text = f"Sum of the {clause.key} cells of {rows}"
    elif aggregation == Aggregation.PERCENT_TRUE:
        yes = round(base * used / 100)
        text = f"Percent of {rows} that say yes in {clause.key} ({yes:,} of {used:,})"
    elif aggregation == Aggregation.PERCENT_MEETING:
        meeting = round(base * used / 100)
        side = "at or below" if clause.row_direction == Direction.LOWER else "at or above"
        text = (f"Percent of {rows} whose {clause.key} cell is {side} the row standard "
                f"{plain_number(clause.row_standard)} ({meeting:,} of {used:,})")
    else:
        text = (f"Sum of the {clause.key} cells ÷ sum of the {clause.denominator} cells over the "
                f"{rows} that have both")
    if scale != 1.0:
        text += f", times {plain_number(scale)}"
    if empty > 0:
        missing = "lacks one of the two cells" if aggregation == Aggregation.RATIO else "leaves it empty"
        if empty == 1:
            text += f"; the sheet's other row {missing} and is not counted"
        else:
            missing = missing.replace("lacks", "lack").replace("leaves", "leave")
            text += f"; the sheet's other {empty:,} rows {missing} and are not counted"
    return text + "."


def explain_attainment(clause: OutcomeClause) -> str:
    target = bound_text(clause, clause.target)
    better = "higher" if clause.direction == Direction.HIGHER else "lower"
    if clause.curve == Curve.PASS_FAIL:
        return f"Pass or fail: attainment is 100 when the value meets the target {target} ({better} is better), else 0."
    if clause.curve == Curve.RATIO:
        cap = plain_number(clause.cap)
        share = "value ÷ target" if clause.direction == Direction.HIGHER else "target ÷ value"
        return (f"Ratio curve: attainment is 100 × {share} (target {target}, {better} is better), "
                f"at most {plain_number(100 * float(clause.cap))} (cap {cap}).")
    minimum = bound_text(clause, clause.minimum)
    return (f"Linear curve: attainment is 100 at the target {target} or better, 0 at the minimum {minimum} or worse, "
            f"and in a straight line between ({better} is better). Met at the target; failed when worse than the "
            "minimum; partial in between.")
