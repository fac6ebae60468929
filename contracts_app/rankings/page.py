"""The vendor rankings page and its exports: reading the request, the ranked rows, the files.

Scores, ranks and flags come from `scores.rankings.category_ranking` (SPEC §3, stored period
scores) with their shrunk scores and intervals (SPEC §3b); this module only checks the inputs, shapes
the rows for display, draws the charts and writes the exports.
Nothing here changes the database.
"""
from __future__ import annotations

import re
import statistics
from collections.abc import Mapping
from dataclasses import dataclass, field

from markupsafe import Markup
from sqlalchemy import func, select

from models import Contract, ContractPeriodScore, ServiceCategory, db, utcnow
from scoring.periods import add_months, is_period
from scoring.rankings import (
    DEFAULT_PROBATION_THRESHOLD,
    DEFAULT_WINDOW_MONTHS,
    MIN_OBSERVATIONS,
    MIN_SCORED_PERIODS,
    WINDOW_MAX,
    WINDOW_MIN,
    window_periods,
)
from scoring.tolerance import score_key
from scoring.uncertainty import CategoryUncertainty, funnel_limits

from ..categories.services import category_by_slug
from ..charts import FunnelPoint, IntervalItem, bar_chart, funnel_plot, interval_chart, sparkline
from ..formatting import review_mark
from ..rankings.standings import COMPARISON_WORDS, CategoryRanking, VendorRanking, category_ranking, rank_range_words
from ..templating import number

WINDOW_RE = re.compile(r"^[0-9]{1,3}$")
CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXPORT_HEADER = ["rank", "vendor", "score", "insufficient_data", "probation", "reasons", "periods", "observations",
                 "met", "partial", "failed", "shrunk_score", "interval_low", "interval_high", "comparison",
                 "rank_best", "rank_worst", "review", "months_not_final"]
# The .xlsx is read by people: the same columns as EXPORT_HEADER, in words. The CSV keeps the field names of the
# command line (SPEC §6), which scripts rely on.
XLSX_HEADER = ["Rank", "Vendor", "Score", "Insufficient data", "Probation", "Reasons", "Scored months",
               "Observations (rows)", "Clauses met", "Clauses partly met", "Clauses failed", "Shrunk score (θ)",
               "90 % interval, low", "90 % interval, high", "Compared with the category", "Best possible rank",
               "Worst possible rank", "Review", "Months not final"]
XLSX_SCORE_COLUMNS = {2: "0.0", 11: "0.0", 12: "0.0", 13: "0.0", 7: "#,##0"}
CSV_INPUT_HEADER = ["category", "period", "window"]
CSV_CATEGORY_HEADER = ["category_mean", "within_variance", "between_variance"]


@dataclass
class RankingRequest:
    """What was asked for: the text as typed (to put back in the form) and, when valid, the values."""

    typed: dict[str, str]
    categories: list[ServiceCategory]
    category: ServiceCategory | None = None
    period: str | None = None
    window: int = DEFAULT_WINDOW_MONTHS
    latest_period: str | None = None  # the latest month with a stored score in the category
    field_errors: dict[str, str] = field(default_factory=dict)  # form field -> what is wrong with it

    @property
    def errors(self) -> list[str]:
        return list(self.field_errors.values())

    @property
    def first_period(self) -> str | None:
        return add_months(self.period, -(self.window - 1)) if self.period else None

    def query_args(self) -> dict[str, str]:
        """The resolved inputs as query parameters (for the export links)."""
        return {"category": self.category.slug, "period": self.period, "window": str(self.window)}


@dataclass
class RankingRow:
    ranking: VendorRanking
    tied: bool
    flags: list[tuple[str, str]]  # (word, why)
    trend_chart: Markup
    trend_latest: tuple[str, float] | None  # the last month of the window with a composite
    watch: str | None = None  # below the probation threshold last month, but not (yet) on probation

    @property
    def vendor(self):
        return self.ranking.vendor

    @property
    def rank(self) -> int | None:
        return self.ranking.rank

    @property
    def score(self) -> float | None:
        return self.ranking.score

    @property
    def comparison_words(self) -> str | None:
        return COMPARISON_WORDS.get(self.ranking.comparison)

    @property
    def rank_range_words(self) -> str | None:
        return rank_range_words(self.ranking.rank_range)


@dataclass
class RankingPage:
    request: RankingRequest
    rows: list[RankingRow]
    chart: Markup | None
    nothing_to_rank: str | None  # a sentence saying why there is no table, or None
    uncertainty: CategoryUncertainty | None = None
    interval_chart: Markup | None = None
    funnel_chart: Markup | None = None
    typical_per_period: float | None = None  # ρ of the funnel: the median vendor's Σn²/Σn

    @property
    def no_intervals(self) -> str | None:
        """Why the page shows no shrunk scores or intervals, as a sentence (SPEC §3b), or None."""
        if self.uncertainty is None or self.uncertainty.available:
            return None
        return f"No intervals or shrunk scores for this window: {self.uncertainty.why_none}."

    @property
    def ranked_count(self) -> int:
        return sum(1 for row in self.rows if row.rank is not None)


def ranking_categories() -> list[ServiceCategory]:
    """The categories that have at least one contract, by name."""
    has_contract = select(Contract.id).where(Contract.category_id == ServiceCategory.id).exists()
    return list(db.session.scalars(select(ServiceCategory).where(has_contract).order_by(ServiceCategory.name)))


def latest_scored_period(category: ServiceCategory) -> str | None:
    return db.session.scalar(
        select(func.max(ContractPeriodScore.period))
        .join(Contract, Contract.id == ContractPeriodScore.contract_id)
        .where(Contract.category_id == category.id))


def _category_by_slug(slug: str, categories: list[ServiceCategory]) -> ServiceCategory | None:
    for category in categories:
        if category.slug == slug:
            return category
    return category_by_slug(slug)


def _shown(text: str, limit: int = 60) -> str:
    """Typed text quoted back in a message, shortened so a long paste can't swamp the page."""
    return text if len(text) <= limit else text[:limit] + "…"


def read_request(args: Mapping[str, str]) -> RankingRequest:
    """The page's or an export's query parameters, checked; problems go to `field_errors`, never raise."""
    typed = {name: CONTROL_RE.sub("", args.get(name) or "").strip() for name in ("category", "period", "window")}
    categories = ranking_categories()
    request = RankingRequest(typed=typed, categories=categories)

    if typed["category"]:
        request.category = _category_by_slug(typed["category"], categories)
        if request.category is None:
            request.field_errors["category"] = (f"There is no service category '{_shown(typed['category'])}'. "
                                                "Choose one from the list.")
    elif categories:
        request.category = categories[0]
    if request.category is not None:
        request.latest_period = latest_scored_period(request.category)

    if typed["period"]:
        if is_period(typed["period"]):
            request.period = typed["period"]
        else:
            request.field_errors["period"] = (f"'{_shown(typed['period'])}' is not a month: write it as YYYY-MM, "
                                              "for example 2026-03.")
    else:
        request.period = request.latest_period

    if typed["window"]:
        window = int(typed["window"]) if WINDOW_RE.match(typed["window"]) else None
        if window is None or not WINDOW_MIN <= window <= WINDOW_MAX:
            request.field_errors["window"] = (f"The window must be a whole number of months from {WINDOW_MIN} to "
                                              f"{WINDOW_MAX}, not '{_shown(typed['window'])}'.")
        else:
            request.window = window
    return request


def nothing_to_rank(request: RankingRequest) -> str | None:
    """Why there is nothing to rank for a valid request, or None when there is."""
    if request.category is None:
        return "There is nothing to rank yet: no service category has contracts."
    if request.latest_period is None:
        return (f"There is nothing to rank yet in {request.category.name}: no month has been scored "
                "(scores appear once a monthly performance sheet is committed).")
    return None


def _months(points: list[tuple[str, float]]) -> str:
    return ", ".join(f"{period}: {number(composite, 1)}" for period, composite in points)


def _flags(ranking: VendorRanking, scored: list[tuple[str, float]]) -> list[tuple[str, str]]:
    """(word, why) per flag; probation names its two months when both are in the window."""
    flags = []
    for reason in ranking.reasons:
        word, _, why = reason.partition(": ")
        if word == "probation" and len(scored) >= 2:
            why = f"{why} ({_months(scored[-2:])})"
        flags.append((word.capitalize(), why))
    return flags


def _watch(ranking: VendorRanking, scored: list[tuple[str, float]]) -> str | None:
    """A note when the latest month is below the probation threshold but probation has not begun."""
    if ranking.probation or not scored:
        return None
    period, composite = scored[-1]
    if score_key(composite) >= score_key(DEFAULT_PROBATION_THRESHOLD):
        return None
    return (f"Below {DEFAULT_PROBATION_THRESHOLD:g} in its latest scored month only ({period}: "
            f"{number(composite, 1)}): not on probation.")


def _row(ranking: VendorRanking, tied: bool, request: RankingRequest) -> RankingRow:
    values = [composite for _, composite in ranking.trend]
    scored = [(period, composite) for period, composite in ranking.trend if composite is not None]
    described = _months(scored) or "no scored month"
    chart = sparkline(values, title=f"{ranking.vendor.name}: monthly composite, {request.first_period} to "
                                    f"{request.period}: {described}")
    return RankingRow(ranking=ranking, tied=tied, flags=_flags(ranking, scored), trend_chart=chart,
                      trend_latest=scored[-1] if scored else None, watch=_watch(ranking, scored))


def ranking_page(request: RankingRequest) -> RankingPage:
    """The ranked rows and the chart for a request without errors."""
    why = nothing_to_rank(request)
    if request.errors or why or request.period is None:
        return RankingPage(request=request, rows=[], chart=None, nothing_to_rank=why)
    return page_of_ranking(request, category_ranking(request.category, request.period, request.window))


def page_of_ranking(request: RankingRequest, ranking: CategoryRanking) -> RankingPage:
    """The rows and charts of a ranking already made (the staff page's, or the public page's of final months)."""
    rankings = ranking.rankings
    ranks = [r.rank for r in rankings if r.rank is not None]
    rows = [_row(r, r.rank is not None and ranks.count(r.rank) > 1, request) for r in rankings]
    ranked = [row for row in rows if row.rank is not None]
    chart = None
    if ranked:
        # The bars are labelled with the score as the table shows it (rounded half up to 1 decimal).
        chart = bar_chart([(f"{row.rank}. {row.vendor.name}", float(number(row.score, 1).replace(",", "")))
                           for row in ranked],
                          title=f"Vendor scores in {request.category.name}, {request.window} months to {request.period}")
    page = RankingPage(request=request, rows=rows, chart=chart, nothing_to_rank=None, uncertainty=ranking.uncertainty)
    if ranking.uncertainty.available:
        _uncertainty_charts(page, ranking, request)
    return page


def typical_per_period(ranking: CategoryRanking) -> float:
    """ρ = Σn²/Σn of the median vendor with a score: the funnel assumes a vendor's observations are spread
    over its months like that (a vendor's own se² is exactly σ²·ρ_i / its observations)."""
    return statistics.median(u.concentration * u.observations for u in ranking.uncertainty.vendors.values())


def _uncertainty_charts(page: RankingPage, ranking: CategoryRanking, request: RankingRequest) -> None:
    u = ranking.uncertainty
    scored = [r for r in ranking.rankings if r.uncertainty is not None]
    window = f"{request.window} months to {request.period}"
    items = [IntervalItem(label=(f"{r.rank}. " if r.rank else "– ") + r.vendor.name, score=r.score,
                          shrunk=r.shrunk_score, low=r.interval[0], high=r.interval[1], comparison=r.comparison)
             for r in scored]
    above = sum(1 for r in scored if r.comparison == "above")
    below = sum(1 for r in scored if r.comparison == "below")
    page.interval_chart = interval_chart(
        items, mean=u.category_mean,
        title=f"Shrunk scores and 90 % intervals in {request.category.name}, {window}",
        desc=(f"Category mean {number(u.category_mean, 1)}. {above} vendors above the category, {below} below, "
              f"{len(scored) - above - below} no different from it."))
    rho = page.typical_per_period = typical_per_period(ranking)
    def limits(n: float) -> tuple[float, float]:
        return funnel_limits(u.category_mean, u.within_variance, rho, n)

    outside = [r.vendor.name for r in scored if not limits(r.observations)[0] <= r.score <= limits(r.observations)[1]]
    page.funnel_chart = funnel_plot(
        [FunnelPoint(label=r.vendor.name, observations=r.observations, score=r.score, ranked=r.rank is not None)
         for r in scored],
        mean=u.category_mean, limits=limits,
        title=f"Funnel plot: vendor score against observations in {request.category.name}, {window}",
        desc=(f"Category mean {number(u.category_mean, 1)}; 90 % limits narrow as observations grow. "
              f"{len(outside)} of {len(scored)} vendors outside the funnel"
              f"{': ' + ', '.join(outside[:10]) if outside else ''}."))


def describe_window(request: RankingRequest) -> str:
    if request.window == 1:
        return f"1 month: {request.period}"
    return f"{request.window} months: {request.first_period} to {request.period}"


# --- exports ---------------------------------------------------------------------------------------

class ExportRefused(ValueError):
    """The export can't be made from these inputs; the message says why."""


def export_request(args: Mapping[str, str]) -> RankingRequest:
    request = read_request(args)
    if request.errors:
        raise ExportRefused(" ".join(request.errors))
    if request.category is None:
        raise ExportRefused("There is nothing to export yet: no service category has contracts.")
    if request.period is None:
        raise ExportRefused(f"No month has been scored in {request.category.name} yet; "
                            "give the month to rank as of with period=YYYY-MM.")
    return request


def export_rows(ranking: CategoryRanking) -> list[list]:
    """The ranking table at full precision, in the page's order, with the §3b figures."""
    return [[r.rank, r.vendor.name, r.score, r.insufficient_data, r.probation, "; ".join(r.reasons) or None,
             r.scored_periods, r.observations, r.clauses.get("met", 0), r.clauses.get("partial", 0),
             r.clauses.get("failed", 0), r.shrunk_score, *(r.interval or (None, None)), r.comparison,
             *(r.rank_range or (None, None)), review_mark(r.review) or "final",
             "; ".join(f"{m.label} {review_mark(m.review)}" for m in r.unsettled) or None]
            for r in ranking.rankings]


def _ranking(request: RankingRequest) -> CategoryRanking:
    return category_ranking(request.category, request.period, request.window)


def export_stem(request: RankingRequest) -> str:
    return f"rankings_{request.category.slug}_{request.period}_{request.window}m"


def rankings_xlsx(request: RankingRequest) -> bytes:
    from imports.export import add_sheet, new_workbook, workbook_bytes  # openpyxl: only when exporting

    workbook = new_workbook()
    ranking = _ranking(request)
    u = ranking.uncertainty
    # Scores stored at full precision, shown to one decimal as on the page.
    add_sheet(workbook, "Rankings", XLSX_HEADER, export_rows(ranking), number_formats=XLSX_SCORE_COLUMNS)
    periods = window_periods(request.period, request.window)
    add_sheet(workbook, "Inputs", ["Input", "Value"], [
        ["Service category", request.category.name],
        ["Category slug", request.category.slug],
        ["As of month", request.period],
        ["Window (months)", request.window],
        ["Months in the window", f"{periods[0]} to {periods[-1]}"],
        ["Probation threshold", DEFAULT_PROBATION_THRESHOLD],
        ["Fewest scored months to be ranked", MIN_SCORED_PERIODS],
        ["Fewest observations (rows) to be ranked", MIN_OBSERVATIONS],
        ["Category mean (μ)", u.category_mean],
        ["Within-vendor variance (σ²)", u.within_variance],
        ["Between-vendor variance (τ²)", u.between_variance],
        ["No intervals because", u.why_none],
        ["Exported at (UTC)", utcnow().strftime("%Y-%m-%d %H:%M")],
    ], number_formats={1: "0.0###"})
    return workbook_bytes(workbook)


def rankings_csv(request: RankingRequest) -> bytes:
    """One row per vendor; the inputs repeated in the first columns and the category's §3b figures in the last,
    so every row stands alone."""
    from imports.export import write_csv

    ranking = _ranking(request)
    u = ranking.uncertainty
    inputs = [request.category.slug, request.period, request.window]
    category = [u.category_mean, u.within_variance, u.between_variance]
    return write_csv(CSV_INPUT_HEADER + EXPORT_HEADER + CSV_CATEGORY_HEADER,
                     [inputs + row + category for row in export_rows(ranking)])
