"""Reallocation runs (SPEC §4): inputs from stored scores, the pure allocation, drafts and approval."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from models import (
    Contract,
    ContractStatus,
    Recommendation,
    RecommendationLine,
    RecommendationStatus,
    ServiceCategory,
    User,
    Vendor,
    db,
    utcnow,
)
from scoring.allocation import Allocation, AllocationVendor, allocate
from scoring.periods import add_months, is_period
from scoring.rankings import WINDOW_MAX, WINDOW_MIN

from ..audit import record_event, snapshot
from ..rankings.standings import category_ranking
from ..unit_names import plural_unit
from .bases import BASES, BASIS_WORDS


class RecommendationRefused(ValueError):
    """Refused input or action; the message says which field or rule."""


@dataclass(frozen=True)
class RecommendationInputs:
    category: ServiceCategory
    period: str  # the target month the work is for
    volume: Decimal
    window: int = 6
    floor: float = 0.10
    gamma: float = 2.0
    probation_threshold: float = 50.0
    basis: str = "score"  # SPEC §4: the vendor score S, or the shrunk score θ of §3b

    @property
    def scores_as_of(self) -> str:
        return add_months(self.period, -1)


@dataclass
class RecommendationResult:
    inputs: RecommendationInputs
    allocation: Allocation
    vendors: dict[str, Vendor] = field(default_factory=dict)
    raw_scores: dict[str, float | None] = field(default_factory=dict)  # S per vendor name
    shrunk_scores: dict[str, float | None] = field(default_factory=dict)  # θ per vendor name
    score_basis: dict[str, str | None] = field(default_factory=dict)  # which score the line used; None: no score
    fallback: str | None = None  # where the shrunk basis fell back to S, and why

    def fell_back(self, name: str) -> bool:
        return self.inputs.basis == "shrunk" and self.score_basis.get(name) == "score"


def check_inputs(inputs: RecommendationInputs) -> None:
    problems = []
    if not is_period(inputs.period):
        problems.append(f"period: '{inputs.period}' is not a month; write it as YYYY-MM")
    if inputs.volume is None or not inputs.volume.is_finite() or inputs.volume <= 0:
        problems.append("volume: the total volume must be more than 0")
    elif inputs.volume != inputs.volume.quantize(Decimal("0.01")):
        problems.append("volume: at most 2 decimals (volumes are allocated to the hundredth)")
    if not WINDOW_MIN <= inputs.window <= WINDOW_MAX:
        problems.append(f"window: the window is {WINDOW_MIN} to {WINDOW_MAX} months")
    if inputs.basis not in BASES:
        problems.append(f"basis: 'score' or 'shrunk', not '{inputs.basis}'")
    if not 0 <= inputs.floor <= 1:
        problems.append("floor: the floor share is a fraction from 0 to 1 (0.1 means 10 %)")
    if not 0 < inputs.gamma <= 10:
        problems.append("gamma: γ must be more than 0 and at most 10")
    if not 0 <= inputs.probation_threshold <= 100:
        problems.append("probation_threshold: a score from 0 to 100")
    if problems:
        raise RecommendationRefused("; ".join(problems))


def _contracts_covering(category: ServiceCategory, period: str) -> dict[int, list[Contract]]:
    contracts = db.session.scalars(select(Contract).where(Contract.category_id == category.id,
                                                          Contract.status == ContractStatus.ACTIVE))
    out: dict[int, list[Contract]] = {}
    for contract in contracts:
        if contract.covers(period):
            out.setdefault(contract.vendor_id, []).append(contract)
    return out


def last_approved(category: ServiceCategory, before_period: str | None = None) -> Recommendation | None:
    query = select(Recommendation).where(Recommendation.category_id == category.id,
                                         Recommendation.status == RecommendationStatus.APPROVED)
    if before_period:
        query = query.where(Recommendation.target_period < before_period)
    return db.session.scalars(query.options(selectinload(Recommendation.lines))
                              .order_by(Recommendation.target_period.desc(), Recommendation.approved_at.desc())).first()


def run(inputs: RecommendationInputs) -> RecommendationResult:
    """The recommendation for these inputs; the same inputs always give the same output."""
    check_inputs(inputs)
    ranked = category_ranking(inputs.category, inputs.scores_as_of, inputs.window, inputs.probation_threshold)
    rankings = {r.vendor.id: r for r in ranked.rankings}
    covering = _contracts_covering(inputs.category, inputs.period)
    previous = last_approved(inputs.category, inputs.period)
    last_volumes = {line.vendor_id: line.volume for line in previous.lines} if previous else {}
    vendors: dict[str, Vendor] = {}
    raw, shrunk, basis = {}, {}, {}
    entries = []
    for ranking in rankings.values():
        vendor = ranking.vendor
        vendors[vendor.name] = vendor
        raw[vendor.name], shrunk[vendor.name] = ranking.score, ranking.shrunk_score
        score = ranking.score
        if ranking.score is None:
            basis[vendor.name] = None
        elif inputs.basis == "shrunk" and ranking.shrunk_score is not None:
            score, basis[vendor.name] = ranking.shrunk_score, "shrunk"
        else:
            basis[vendor.name] = "score"
        contracts = covering.get(vendor.id, [])
        capacities = [c.capacity for c in contracts]
        capacity = None if not contracts or any(c is None for c in capacities) else sum(capacities, Decimal("0"))
        entries.append(AllocationVendor(
            name=vendor.name, score=score, insufficient_data=ranking.insufficient_data,
            probation=ranking.probation, eligible=bool(contracts), capacity=capacity,
            last_volume=last_volumes.get(vendor.id) if previous else None, rank=ranking.rank))
    allocation = allocate(sorted(entries, key=lambda e: e.name), volume=inputs.volume, floor=inputs.floor,
                          gamma=inputs.gamma, unit=plural_unit(inputs.category.unit))
    fallback = None
    if inputs.basis == "shrunk":
        allocation = _name_the_shrunk_scores(allocation, basis)
        fell_back = sorted(name for name, used in basis.items() if used == "score")
        if fell_back:
            why = ranked.uncertainty.why_none
            fallback = (f"Shrunk basis: no shrunk score as of {inputs.scores_as_of} ({why}), so the vendor score "
                        f"S is used for {_names(fell_back)}." if why else
                        f"Shrunk basis: no shrunk score for {_names(fell_back)}, so its vendor score S is used.")
            allocation = replace(allocation, notes=[*allocation.notes, fallback])
    return RecommendationResult(inputs=inputs, allocation=allocation, vendors=vendors, raw_scores=raw,
                                shrunk_scores=shrunk, score_basis=basis, fallback=fallback)


def volume_changes(result: RecommendationResult, what_if: RecommendationResult) -> list[tuple[str, Decimal]]:
    """(vendor, what-if volume − recommended volume) for the vendors whose volume differs, largest change first."""
    recommended = {line.name: line.volume for line in result.allocation.lines}
    changes = [(line.name, line.volume - recommended.get(line.name, Decimal("0"))) for line in what_if.allocation.lines]
    return sorted(((name, delta) for name, delta in changes if delta), key=lambda c: (-abs(c[1]), c[0]))


def _names(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _name_the_shrunk_scores(allocation: Allocation, basis: dict[str, str | None]) -> Allocation:
    """Each line's explanation says which score it used: "Shrunk score 81.2 …" where θ was used."""
    lines = [replace(line, reason="Shrunk score " + line.reason[len("Score "):])
             if basis.get(line.name) == "shrunk" and line.reason.startswith("Score ") else line
             for line in allocation.lines]
    return replace(allocation, lines=lines)


def _plain(value):
    if isinstance(value, Decimal):
        return format(value, "f")
    return value


def _line_detail(line, result: RecommendationResult) -> dict:
    """What the saved record keeps of each line's explanation, so it reads the same forever."""
    names = ("eligible", "weight", "share_before_floor", "share_after_floor", "share_after_capacity",
             "equal_split_volume", "change_vs_equal", "last_volume", "change_vs_last")
    detail = {name: _plain(getattr(line, name)) for name in names}
    detail.update(raw_score=result.raw_scores.get(line.name), shrunk_score=result.shrunk_scores.get(line.name),
                  score_basis=result.score_basis.get(line.name))
    return detail


def save_draft(result: RecommendationResult, actor: User) -> Recommendation:
    inputs, allocation = result.inputs, result.allocation
    recommendation = Recommendation(
        category_id=inputs.category.id, target_period=inputs.period, volume=inputs.volume,
        window_months=inputs.window, floor_share=inputs.floor, gamma=inputs.gamma,
        probation_threshold=inputs.probation_threshold, unallocated=allocation.unallocated,
        floor_dropped=allocation.floor_dropped, status=RecommendationStatus.DRAFT, created_by_id=actor.id,
        basis=inputs.basis,
        inputs={"scores_as_of": inputs.scores_as_of, "notes": list(allocation.notes),
                "allocated": str(allocation.allocated),
                "fallback": result.fallback,
                "lines": {str(result.vendors[line.name].id): _line_detail(line, result) for line in allocation.lines}},
    )
    db.session.add(recommendation)
    for line in allocation.lines:
        recommendation.lines.append(RecommendationLine(
            vendor_id=result.vendors[line.name].id, score=line.score, rank=line.rank,
            insufficient_data=line.insufficient_data, probation=line.probation,
            share_before=line.share_before_floor or 0.0, share=line.share, volume=line.volume,
            capacity=line.capacity, reason=line.reason))
    db.session.flush()
    record_event("recommendation_saved", recommendation, after=snapshot(recommendation), actor=actor,
                 summary=f"{inputs.category.name} {inputs.period}: draft of {inputs.volume} {plural_unit(inputs.category.unit)}"
                         f" on the {BASIS_WORDS[inputs.basis]}")
    return recommendation


def _approved_text(recommendation: Recommendation) -> str:
    who = recommendation.approved_by.email if recommendation.approved_by else "someone"
    return f"on {recommendation.approved_at:%Y-%m-%d %H:%M} UTC by {who}"


def approve(recommendation: Recommendation, actor: User, confirm_disputed: bool = False) -> None:
    """Finance approves a draft once; an approved recommendation never changes again.

    At most one allocation is approved per category and target period (SPEC §4): the database's partial
    unique index decides, so of two approvals racing for one month exactly one stands. When the vendor scores
    rest on disputed months (SPEC §8), the approval names them and needs `confirm_disputed`.
    """
    from .unsettled import disputed_months, month_list, unsettled_by_vendor

    if recommendation.created_by_id == actor.id and not current_app.config["ALLOW_SELF_APPROVAL"]:
        raise RecommendationRefused("Two people (SPEC §8): you drafted this recommendation, so another finance "
                                    "user must approve it.")
    if recommendation.status == RecommendationStatus.APPROVED:
        raise RecommendationRefused(f"Already approved {_approved_text(recommendation)}; it cannot change.")
    disputed = disputed_months(unsettled_by_vendor(recommendation))
    if disputed and not confirm_disputed:
        raise RecommendationRefused(
            f"the vendor scores include disputed months: {month_list(disputed)}. Their scores may still change; "
            "tick the box confirming you approve with these months disputed, or wait until the disputes are resolved.")
    before = snapshot(recommendation)
    try:
        with db.session.begin_nested():
            # A conditional update: of two approvals racing, exactly one finds the draft still a draft.
            changed = db.session.execute(
                update(Recommendation)
                .where(Recommendation.id == recommendation.id, Recommendation.status == RecommendationStatus.DRAFT)
                .values(status=RecommendationStatus.APPROVED, approved_by_id=actor.id, approved_at=utcnow())
            ).rowcount
    except IntegrityError:
        standing = db.session.scalars(select(Recommendation).options(joinedload(Recommendation.approved_by)).where(
            Recommendation.category_id == recommendation.category_id,
            Recommendation.target_period == recommendation.target_period,
            Recommendation.status == RecommendationStatus.APPROVED)).first()
        when = _approved_text(standing) if standing is not None else "a moment ago"
        raise RecommendationRefused(
            f"An allocation for {recommendation.category.name} {recommendation.target_period} was already "
            f"approved {when}; only one can stand.") from None
    if changed != 1:
        raise RecommendationRefused("Someone approved this recommendation a moment ago; it cannot change.")
    db.session.refresh(recommendation)
    after = snapshot(recommendation)
    if disputed:
        after["disputed_months_confirmed"] = [m.label for m in disputed]
    confirmed = f", confirmed with disputed months {month_list(disputed)}" if disputed else ""
    record_event("recommendation_approved", recommendation, before=before, after=after, actor=actor,
                 summary=f"{recommendation.category.name} {recommendation.target_period} approved{confirmed}")
