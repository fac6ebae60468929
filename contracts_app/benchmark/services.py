"""The cross-city benchmark's database side: our city's monthly statistics (final months only, SPEC §8), the
export, the import of peers' files and the comparison. The rules themselves are pure (scoring/benchmark.py,
imports/benchmark_file.py)."""
from __future__ import annotations

import enum
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import select

from imports.benchmark_file import FORMAT, FORMAT_VERSION, BenchmarkFile, read_benchmark
from models import (
    ClauseResult,
    Contract,
    ContractPeriodScore,
    OutcomeClause,
    PeerBenchmark,
    ServiceCategory,
    User,
    Vendor,
    db,
    utcnow,
)
from scoring.benchmark import (
    COMPARABILITY_FIELDS,
    DEFINITION_FIELDS,
    Spread,
    difference_sentence,
    differing_fields,
    exact_spread,
    match_keys,
    spread,
    vendor_labels,
)
from scoring.periods import add_months, is_period, period_of, period_range

from ..audit import record_event
from ..disputes.review import ReviewState, month_reviews, review_of

CENT = Decimal("0.01")


class BenchmarkInputError(ValueError):
    """Bad input to an export or import, in words a user can act on."""


def category_by_slug(slug: str) -> ServiceCategory | None:
    return db.session.scalars(select(ServiceCategory).where(ServiceCategory.slug == slug)).first()


def categories() -> list[ServiceCategory]:
    return list(db.session.scalars(select(ServiceCategory).order_by(ServiceCategory.name)))


def default_range() -> tuple[str, str]:
    """The twelve months up to last month."""
    last = add_months(period_of(utcnow().date()), -1)
    return add_months(last, -11), last


def read_range(first: str | None, last: str | None) -> tuple[str, str]:
    """The months asked for, or the default; refused when not YYYY-MM or out of order."""
    default_first, default_last = default_range()
    first, last = (first or "").strip() or default_first, (last or "").strip() or default_last
    for name, value in (("from", first), ("to", last)):
        if not is_period(value):
            raise BenchmarkInputError(f"{name}: {value!r} is not a month; write it as YYYY-MM, e.g. 2026-03.")
    if first > last:
        raise BenchmarkInputError(f"from {first} comes after to {last}; give the earlier month first.")
    return first, last


def _number(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def definition_of(clause) -> dict[str, Any]:
    terms = clause.plain_terms()
    return {name: _number(terms.get(name)) for name in DEFINITION_FIELDS}


def _final(contract_ids: set[int], rows: list, period_of_row) -> list:
    reviews = month_reviews(contract_ids)
    return [row for row in rows
            if review_of(reviews, row.contract_id, period_of_row(row)).state == ReviewState.FINAL]


@dataclass
class CityFigures:
    """Our city's figures for one category and range, in the file's shape (dicts of plain values)."""

    clauses: dict[str, dict[str, Any]] = field(default_factory=dict)
    unit_prices: list[dict[str, Any]] = field(default_factory=list)
    vendor_months: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    vendor_observations: Counter = field(default_factory=Counter)


def _clause_figures(category: ServiceCategory, first: str, last: str) -> dict[str, dict[str, Any]]:
    results = list(db.session.execute(
        select(ClauseResult.contract_id, ClauseResult.period, ClauseResult.clause_key, ClauseResult.value,
               ClauseResult.observations, ClauseResult.clause_id)
        .join(Contract, Contract.id == ClauseResult.contract_id)
        .where(Contract.category_id == category.id, ClauseResult.period.between(first, last),
               ClauseResult.value.is_not(None))))
    results = _final({r.contract_id for r in results}, results, lambda r: r.period)
    clause_ids = {r.clause_id for r in results}
    clauses = {c.id: c for c in db.session.scalars(select(OutcomeClause).where(OutcomeClause.id.in_(clause_ids)))}
    by_key: dict[str, list] = defaultdict(list)
    for row in results:
        by_key[row.clause_key].append(row)
    definitions = {cid: definition_of(clause) for cid, clause in clauses.items()}
    figures = {}
    for key, rows in sorted(by_key.items()):
        # One definition per key: the one most of the key's results were scored under (the latest wins a tie);
        # results scored under another definition are left out, so a month's figures measure one thing.
        votes: Counter = Counter()
        latest_period: dict[tuple, str] = {}
        for r in rows:
            kind = _comparable(definitions[r.clause_id])
            votes[kind] += 1
            latest_period[kind] = max(latest_period.get(kind, ""), r.period)
        chosen = max(votes, key=lambda kind: (votes[kind], latest_period[kind]))
        kept = [r for r in rows if _comparable(definitions[r.clause_id]) == chosen]
        latest = max(kept, key=lambda r: (r.period, r.clause_id))
        definition = definitions[latest.clause_id]
        months = []
        for period in sorted({r.period for r in kept}):
            month_rows = [r for r in kept if r.period == period]
            stats = spread(r.value for r in month_rows)
            assert stats is not None
            months.append({"period": period, **_rounded(stats),
                           "contracts": len({r.contract_id for r in month_rows}),
                           "observations": sum(r.observations for r in month_rows)})
        figures[key] = {**definition, "months": months}
    return figures


def _comparable(definition: dict[str, Any]) -> tuple:
    return tuple(str(definition.get(name)) for name in COMPARABILITY_FIELDS)


def _rounded(stats: Spread) -> dict[str, float]:
    return {name: round(value, 6) for name, value in stats.as_dict().items()}


def _money(value: Decimal) -> str:
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


def _score_figures(category: ServiceCategory, first: str, last: str, figures: CityFigures) -> None:
    scores = list(db.session.execute(
        select(ContractPeriodScore.contract_id, ContractPeriodScore.period, ContractPeriodScore.composite,
               ContractPeriodScore.observations, ContractPeriodScore.invoice_amount, Vendor.name.label("vendor"))
        .join(Contract, Contract.id == ContractPeriodScore.contract_id).join(Vendor, Vendor.id == Contract.vendor_id)
        .where(Contract.category_id == category.id, ContractPeriodScore.period.between(first, last))))
    scores = _final({s.contract_id for s in scores}, scores, lambda s: s.period)
    prices: dict[str, list] = defaultdict(list)
    composites: dict[tuple[str, str], list] = defaultdict(list)
    for s in scores:
        if s.invoice_amount is not None and s.observations > 0:
            prices[s.period].append(s)
        if s.composite is not None:
            composites[(s.vendor, s.period)].append(s)
            figures.vendor_observations[s.vendor] += s.observations
    for period in sorted(prices):
        rows = prices[period]
        prices_of_month = exact_spread(Decimal(r.invoice_amount) / r.observations for r in rows)
        assert prices_of_month is not None
        figures.unit_prices.append({
            "period": period, **{name: _money(value) for name, value in prices_of_month.items()},
            "contracts": len(rows), "observations": sum(r.observations for r in rows),
            "invoiced": _money(sum((Decimal(r.invoice_amount) for r in rows), Decimal(0)))})
    for (vendor, period), rows in sorted(composites.items()):
        stats = spread(r.composite for r in rows)
        assert stats is not None
        figures.vendor_months.setdefault(vendor, []).append({
            "period": period, "composite_median": round(stats.median, 6), "contracts": len(rows),
            "observations": sum(r.observations for r in rows)})


def city_figures(category: ServiceCategory, first: str, last: str) -> CityFigures:
    figures = CityFigures(clauses=_clause_figures(category, first, last))
    _score_figures(category, first, last, figures)
    return figures


def export_document(category: ServiceCategory, city: str, *, anonymise: bool, first: str, last: str) -> dict:
    """Our city's "outcomes-benchmark" file for one category and range (docs/benchmark-format.md)."""
    city = (city or "").strip()
    if not city:
        raise BenchmarkInputError("city: give the name of your city, as peers will see it (e.g. --city Riverton).")
    if len(city) > 200:
        raise BenchmarkInputError("city: at most 200 characters.")
    figures = city_figures(category, first, last)
    # Letters by volume of work, then name: stable within the file, and not alphabetical by vendor.
    order = sorted(figures.vendor_months, key=lambda v: (-figures.vendor_observations[v], v))
    labels = vendor_labels(order, anonymise=anonymise)
    document = {
        "format": FORMAT, "format_version": FORMAT_VERSION,
        "city": {"name": city, "exported_at": utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")},
        "category": {"slug": category.slug, "name": category.name, "unit": category.unit},
        "range": {"from": first, "to": last},
        "vendors_named": not anonymise,
        "clauses": figures.clauses,
        "unit_prices": {"basis": "invoice_per_observation", "unit": category.unit, "months": figures.unit_prices},
        "vendors": [{"label": labels[v], "months": figures.vendor_months[v]} for v in order],
    }
    record_event("benchmark_exported", category, after={"city": city, "from": first, "to": last,
                                                        "vendors_named": not anonymise},
                 summary=f"{category.slug} {first}..{last} exported for peers as {city}"
                         f" ({'vendors named' if not anonymise else 'vendors anonymised'})")
    return document


@dataclass(frozen=True)
class ImportOutcome:
    status: str  # "added", "replaced" or "unchanged"
    benchmark: PeerBenchmark

    @property
    def message(self) -> str:
        b = self.benchmark
        what = f"{b.city_name}'s {b.category_slug} benchmark exported {b.exported_at:%Y-%m-%d %H:%M} UTC"
        return {"added": f"Imported {what}.",
                "replaced": f"Imported {what}; it replaces the older export stored.",
                "unchanged": f"{what} was already imported; nothing changed."}[self.status]


def import_benchmark(data: bytes, actor: User | None = None) -> ImportOutcome:
    """Stores a peer's checked file; the same file again changes nothing; a newer export replaces the older."""
    checked: BenchmarkFile = read_benchmark(data)
    stored = db.session.scalars(select(PeerBenchmark).where(
        PeerBenchmark.city_name == checked.city, PeerBenchmark.category_slug == checked.category_slug)).first()
    if stored is not None and stored.sha256 == checked.sha256:
        return ImportOutcome("unchanged", stored)
    if stored is not None and checked.exported_at <= stored.exported_at:
        raise BenchmarkInputError(
            f"$.city.exported_at: this export of {checked.city}'s {checked.category_slug} "
            f"({checked.exported_at:%Y-%m-%d %H:%M:%S} UTC) is not newer than the one stored "
            f"({stored.exported_at:%Y-%m-%d %H:%M:%S} UTC); "
            "the stored one is kept. Ask the peer for their latest export.")
    before = _summary(stored) if stored is not None else None
    if stored is None:
        stored = PeerBenchmark(city_name=checked.city, category_slug=checked.category_slug)
        db.session.add(stored)
    stored.format_version = FORMAT_VERSION
    stored.exported_at = checked.exported_at
    stored.sha256 = checked.sha256
    stored.document = checked.document
    stored.imported_at = utcnow()
    stored.imported_by_id = actor.id if actor is not None else None
    db.session.flush()
    status = "added" if before is None else "replaced"
    record_event(f"benchmark_{status}", stored, before=before, after=_summary(stored), actor=actor,
                 summary=f"peer benchmark {checked.city} / {checked.category_slug} {status}")
    return ImportOutcome(status, stored)


def _summary(benchmark: PeerBenchmark) -> dict[str, Any]:
    return {"city": benchmark.city_name, "category": benchmark.category_slug,
            "exported_at": benchmark.exported_at.strftime("%Y-%m-%dT%H:%M:%SZ"), "sha256": benchmark.sha256,
            "range": benchmark.document.get("range")}


def peers_of(category: ServiceCategory) -> list[PeerBenchmark]:
    return list(db.session.scalars(select(PeerBenchmark).where(PeerBenchmark.category_slug == category.slug)
                                   .order_by(PeerBenchmark.city_name)))


@dataclass
class PeerClause:
    """One peer's side of one of our clauses: its figures, or why they cannot be compared."""

    city: str
    definition: dict[str, Any] | None
    months: dict[str, dict[str, Any]]
    refusal: str | None = None
    differing: list[str] = field(default_factory=list)
    target_note: str | None = None


@dataclass
class ClauseComparison:
    key: str
    ours: dict[str, Any]
    our_months: dict[str, dict[str, Any]]
    peers: list[PeerClause]
    chart: Any = None


@dataclass
class Comparison:
    category: ServiceCategory
    first: str
    last: str
    periods: list[str]
    clauses: list[ClauseComparison]
    ours_only: dict[str, list[str]]  # peer city -> our keys it lacks
    theirs_only: dict[str, list[str]]  # peer city -> its keys we lack
    our_prices: dict[str, dict[str, Any]]
    peer_prices: dict[str, dict[str, dict[str, Any]]]
    peers: list[PeerBenchmark]
    vendors: list[VendorRow]


@dataclass(frozen=True)
class VendorRow:
    """A vendor's median monthly composite over the range, ours by name, a peer's as its file calls it."""

    city: str
    label: str
    median: float
    months: int


def vendor_rows(city: str, vendors: Iterable[tuple[str, list[dict[str, Any]]]], first: str, last: str) -> list[VendorRow]:
    rows = []
    for label, months in vendors:
        stats = spread(m["composite_median"] for m in months if first <= m["period"] <= last)
        if stats is not None:
            rows.append(VendorRow(city, label, stats.median,
                                  sum(1 for m in months if first <= m["period"] <= last)))
    return sorted(rows, key=lambda r: (-r.median, r.label))


def compare(category: ServiceCategory, first: str, last: str) -> Comparison:
    """Our city against every stored peer for this category, clause by clause, over [first, last]."""
    ours = city_figures(category, first, last)
    peers = peers_of(category)
    periods = period_range(first, last)
    clauses = []
    ours_only: dict[str, list[str]] = {}
    theirs_only: dict[str, list[str]] = {}
    for peer in peers:
        match = match_keys(ours.clauses, peer.document["clauses"])
        ours_only[peer.city_name], theirs_only[peer.city_name] = match.ours_only, match.theirs_only
    for key, our_clause in ours.clauses.items():
        sides = []
        for peer in peers:
            theirs = peer.document["clauses"].get(key)
            if theirs is None:
                continue
            side = PeerClause(peer.city_name, theirs, {m["period"]: m for m in theirs["months"]
                                                       if first <= m["period"] <= last})
            side.differing = differing_fields(our_clause, theirs)
            side.refusal = difference_sentence(peer.city_name, key, our_clause, theirs)
            if side.refusal is None:
                informational = differing_fields(our_clause, theirs, ("target", "minimum"))
                if informational:
                    side.target_note = (f"{peer.city_name} sets target {theirs['target']}, minimum "
                                        f"{theirs['minimum']} (ours {our_clause['target']}, {our_clause['minimum']}): "
                                        "the period values still compare.")
            sides.append(side)
        clauses.append(ClauseComparison(key, our_clause, {m["period"]: m for m in our_clause["months"]}, sides))
    return Comparison(
        category, first, last, periods, clauses, ours_only, theirs_only,
        {m["period"]: m for m in ours.unit_prices},
        {p.city_name: {m["period"]: m for m in p.document["unit_prices"]["months"] if first <= m["period"] <= last}
         for p in peers},
        peers, [*vendor_rows("Ours", ours.vendor_months.items(), first, last),
                *(row for p in peers
                  for row in vendor_rows(p.city_name, ((v["label"], v["months"]) for v in p.document["vendors"]),
                                         first, last))])
