"""Vendor pages: read-side queries, and creating and editing vendors."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from models import (
    Contract,
    ContractPeriodScore,
    ContractStatus,
    Observation,
    ServiceCategory,
    Upload,
    UploadStatus,
    Vendor,
    db,
)
from scoring.periods import add_months, period_range
from scoring.rankings import DEFAULT_WINDOW_MONTHS, window_periods
from scoring.uncertainty import CategoryUncertainty

from ..audit import record_event, snapshot
from ..charts import Frame, IntervalItem, interval_chart, line_chart
from ..disputes.review import month_reviews, review_of
from ..rankings.standings import COMPARISON_WORDS, VendorRanking, category_ranking, period_composites, rank_range_words
from ..savepoints import flush_unique
from ..templating import number

TREND_MONTHS = 12

NAME_MAX = 200
EMAIL_MAX = 254


class VendorInputError(ValueError):
    """Refused input: `errors` maps a form field's name to what is wrong with it."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{k}: {m}" for k, ms in errors.items() for m in ms))
        self.errors = errors


def list_vendors() -> list[tuple[Vendor, int, int]]:
    """Each vendor with its number of contracts and of active contracts."""
    active = func.sum(func.cast(Contract.status == ContractStatus.ACTIVE, db.Integer))
    rows = db.session.execute(
        select(Vendor, func.count(Contract.id), func.coalesce(active, 0))
        .outerjoin(Contract, Contract.vendor_id == Vendor.id)
        .group_by(Vendor.id)
        .order_by(Vendor.name)
    ).all()
    return [(vendor, total, int(active_count)) for vendor, total, active_count in rows]


def vendor_detail(vendor_id: int) -> dict | None:
    vendor = db.session.get(Vendor, vendor_id)
    if vendor is None:
        return None
    contracts = list(
        db.session.scalars(
            select(Contract)
            .where(Contract.vendor_id == vendor_id)
            .options(joinedload(Contract.category))
            .order_by(Contract.number)
        )
    )
    # Rows of committed sheets only: a superseded sheet's rows stay readable but no longer count.
    observation_counts = dict(
        db.session.execute(
            select(Upload.contract_id, func.count())
            .join(Observation, Observation.upload_id == Upload.id)
            .where(Upload.contract_id.in_([c.id for c in contracts]), Upload.status == UploadStatus.COMMITTED)
            .group_by(Upload.contract_id)
        ).all()
    )
    latest = latest_scores(contracts)
    reviews = month_reviews(latest, {score.period for score in latest.values()})
    return {"vendor": vendor, "contracts": contracts, "observation_counts": observation_counts,
            "latest_scores": latest, "standings": category_standings(vendor, contracts),
            "latest_reviews": {cid: review_of(reviews, cid, score.period) for cid, score in latest.items()}}


def latest_scores(contracts: list[Contract]) -> dict[int, ContractPeriodScore]:
    """Each contract's stored score of its latest month with committed rows (read, never recomputed)."""
    scores: dict[int, ContractPeriodScore] = {}
    if not contracts:
        return scores
    for score in db.session.scalars(
        select(ContractPeriodScore)
        .where(ContractPeriodScore.contract_id.in_([c.id for c in contracts]), ContractPeriodScore.observations > 0)
        .order_by(ContractPeriodScore.period)
    ):
        scores[score.contract_id] = score
    return scores


@dataclass
class CategoryStanding:
    """A vendor's place in one category as of that category's latest month with data."""

    category: ServiceCategory
    period: str | None  # the month the ranking is taken at (latest with data in the category)
    vendor_period: str | None  # the vendor's own latest month with data there
    ranking: VendorRanking | None
    ranked: int = 0  # vendors with a rank in the category at `period`
    vendors: int = 0  # vendors with a contract in the category
    window: list[str] = field(default_factory=list)
    trend: list[tuple[str, float | None]] = field(default_factory=list)
    chart: Markup | None = None
    uncertainty: CategoryUncertainty | None = None  # the category's SPEC §3b figures at `period`
    interval_chart: Markup | None = None  # this vendor's shrunk score and interval against the category mean

    @property
    def comparison_words(self) -> str | None:
        return COMPARISON_WORDS.get(self.ranking.comparison) if self.ranking else None

    @property
    def rank_range_words(self) -> str | None:
        return rank_range_words(self.ranking.rank_range) if self.ranking else None

    @property
    def no_intervals(self) -> str | None:
        if self.uncertainty is None or self.uncertainty.available:
            return None
        return f"No interval or shrunk score: {self.uncertainty.why_none}."


def _latest_period(category: ServiceCategory, vendor: Vendor | None = None) -> str | None:
    query = (select(func.max(ContractPeriodScore.period))
             .join(Contract, Contract.id == ContractPeriodScore.contract_id)
             .where(Contract.category_id == category.id, ContractPeriodScore.observations > 0,
                    ContractPeriodScore.composite.is_not(None)))
    if vendor is not None:
        query = query.where(Contract.vendor_id == vendor.id)
    return db.session.scalar(query)


def _period_composites(vendor: Vendor, category: ServiceCategory, first: str, last: str) -> dict[str, float | None]:
    """The vendor's period composite in the category per month, as the rankings compute it (one home)."""
    by_period = period_composites(category, first, last, {vendor.id}).get(vendor.id, {})
    return {period: composite for period, (composite, _observations) in by_period.items()}


def category_standings(vendor: Vendor, contracts: list[Contract]) -> list[CategoryStanding]:
    """Rank, score, flags and trend in every category the vendor works in (SPEC §3), from stored scores."""
    categories = {c.category_id: c.category for c in contracts}
    standings = []
    for category in sorted(categories.values(), key=lambda k: k.name):
        period = _latest_period(category)
        standing = CategoryStanding(category, period, _latest_period(category, vendor), None)
        if period is not None:
            ranked = category_ranking(category, period)
            rankings = ranked.rankings
            standing.uncertainty = ranked.uncertainty
            standing.ranking = next((r for r in rankings if r.vendor.id == vendor.id), None)
            standing.ranked = sum(1 for r in rankings if r.rank is not None)
            standing.vendors = len(rankings)
            standing.window = window_periods(period, DEFAULT_WINDOW_MONTHS)
            first = add_months(period, -(TREND_MONTHS - 1))
            composites = _period_composites(vendor, category, first, period)
            months = period_range(first, period)
            if composites:  # start the line at the vendor's first month with a score in the span
                months = months[months.index(min(composites)):] if min(composites) in months else months
            standing.trend = [(month, composites.get(month)) for month in months]
            standing.chart = line_chart(
                [m for m, _ in standing.trend], [(f"{vendor.name} composite", [v for _, v in standing.trend])],
                title=f"{vendor.name}: monthly composite in {category.name}", y_min=0, y_max=100,
                frame=Frame(width=max(560, 58 * len(standing.trend) + 64)),
            )
            standing.interval_chart = _interval_chart(vendor, category, standing)
        standings.append(standing)
    return standings


def _interval_chart(vendor: Vendor, category: ServiceCategory, standing: CategoryStanding) -> Markup | None:
    r, u = standing.ranking, standing.uncertainty
    if r is None or r.interval is None:
        return None
    item = IntervalItem(label=vendor.name, score=r.score, shrunk=r.shrunk_score, low=r.interval[0],
                        high=r.interval[1], comparison=r.comparison)
    return interval_chart([item], mean=u.category_mean,
                          title=f"{vendor.name} in {category.name}: shrunk score and 90 % interval against the category",
                          desc=f"Shrunk score {number(r.shrunk_score, 1)}, interval {number(r.interval[0], 1)} to "
                               f"{number(r.interval[1], 1)}, category mean {number(u.category_mean, 1)}: "
                               f"{COMPARISON_WORDS.get(r.comparison, '')}.")


def _clean(data: Mapping, vendor: Vendor | None) -> dict:
    """The vendor's values from form data, or VendorInputError naming every field that is wrong."""
    errors: dict[str, list[str]] = {}
    name = " ".join((data.get("name") or "").split())
    if not name:
        errors.setdefault("name", []).append("Enter the vendor's name.")
    elif len(name) > NAME_MAX:
        errors.setdefault("name", []).append(f"Use at most {NAME_MAX} characters.")
    else:
        same_name = select(Vendor).where(func.lower(Vendor.name) == func.lower(name))
        if vendor is not None and vendor.id is not None:
            same_name = same_name.where(Vendor.id != vendor.id)
        other = db.session.scalars(same_name.limit(1)).first()
        if other is not None:
            errors.setdefault("name", []).append(f"A vendor named '{other.name}' already exists.")

    email = (data.get("contact_email") or "").strip() or None
    if email is not None:
        from email_validator import EmailNotValidError, validate_email  # loads its tables only when used

        try:
            email = validate_email(email, check_deliverability=False, globally_deliverable=False).normalized
        except EmailNotValidError as exc:
            errors.setdefault("contact_email", []).append(str(exc))
        else:
            if len(email) > EMAIL_MAX:
                errors.setdefault("contact_email", []).append(f"Use at most {EMAIL_MAX} characters.")
    if errors:
        raise VendorInputError(errors)
    return {"name": name, "contact_email": email}


def _flush_unique(vendor: Vendor) -> None:
    flush_unique(vendor, VendorInputError({"name": [f"A vendor named '{vendor.name}' already exists."]}))


def create_vendor(data: Mapping) -> Vendor:
    values = _clean(data, None)
    vendor = Vendor(**values)
    _flush_unique(vendor)
    record_event("vendor_created", vendor, after=snapshot(vendor), summary=f"vendor {vendor.name}")
    return vendor


def update_vendor(vendor: Vendor, data: Mapping) -> bool:
    """Applies the form to `vendor`; False (and no audit event) when nothing changed."""
    values = _clean(data, vendor)
    if all(getattr(vendor, k) == v for k, v in values.items()):
        return False
    before = snapshot(vendor)
    for key, value in values.items():
        setattr(vendor, key, value)
    _flush_unique(vendor)
    record_event("vendor_updated", vendor, before=before, after=snapshot(vendor), summary=f"vendor {vendor.name}")
    return True
