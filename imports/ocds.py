"""Contracts, their outcome clauses and monthly results as an OCDS 1.1 release package (README "Open
Contracting (OCDS) export"), with the clauses and results through the OCDS metrics extension.

Pure: plain values in (the dataclasses below), a plain dict out, and `package_json` writes it with money as
exact JSON numbers (from Decimal, never through float). No Flask, no database; contracts_app/ocds reads them.
"""
from __future__ import annotations

import calendar
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

OCDS_VERSION = "1.1"
PLACEHOLDER_PREFIX = "ocds-xxxxxx-"  # an unregistered prefix: register one with the OCDS helpdesk to publish
METRICS_EXTENSION = (
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_metrics_extension/master/extension.json"
)
# Our contract status (SPEC §2) as OCDS 1.1's closed contractStatus and awardStatus codelists.
CONTRACT_STATUS = {"draft": "pending", "active": "active", "closed": "terminated"}
AWARD_STATUS = {"draft": "pending", "active": "active", "closed": "active"}
REVIEW_NOTES = {
    "provisional": "Provisional: the vendor's review window is open and the month may still be disputed",
    "disputed": "Disputed: a dispute on this month is open; its bonus and penalty are on hold",
}


@dataclass(frozen=True)
class Publisher:
    """Who publishes, under which ocid prefix, in which currency, and when."""

    city_name: str
    ocid_prefix: str
    currency: str
    published_at: datetime
    package_uri: str


@dataclass(frozen=True)
class ClauseVersion:
    """One version of an outcome clause; `language` is its contract language (stored or written from the terms)."""

    key: str
    label: str
    unit: str
    direction: str
    target: Decimal
    minimum: Decimal | None
    effective_from: str  # YYYY-MM
    retired: bool
    language: str
    amendment_reason: str | None
    recorded_at: datetime


@dataclass(frozen=True)
class MonthResult:
    """A clause's stored result for one month, with the month's review state (SPEC §8)."""

    clause_key: str
    period: str  # YYYY-MM
    value: float | None
    attainment_text: str  # already formatted for people ("87.5"), "" when there is none
    status: str  # met, partial, failed, no_data
    observations: int
    review: str = "final"  # final, provisional, disputed
    recorded_at: datetime | None = None


@dataclass(frozen=True)
class ContractRecord:
    number: str
    title: str
    category_name: str
    vendor_id: int
    vendor_name: str
    start: date
    end: date
    value: Decimal
    status: str  # draft, active, closed
    recorded_at: datetime
    clauses: Sequence[ClauseVersion] = field(default_factory=tuple)
    months: Sequence[MonthResult] = field(default_factory=tuple)


# --- dates --------------------------------------------------------------------------------------

def iso_datetime(moment: datetime) -> str:
    """RFC 3339 in UTC with a Z, as OCDS dates are written."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def day_start(day: date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def day_end(day: date) -> str:
    return f"{day.isoformat()}T23:59:59Z"


def month_first(period: str) -> date:
    year, month = int(period[:4]), int(period[5:7])
    return date(year, month, 1)


def month_last(period: str) -> date:
    year, month = int(period[:4]), int(period[5:7])
    return date(year, month, calendar.monthrange(year, month)[1])


def month_before(period: str) -> str:
    year, month = int(period[:4]), int(period[5:7])
    return f"{year - 1}-12" if month == 1 else f"{year}-{month - 1:02d}"


def month_period(period: str) -> dict:
    return {"startDate": day_start(month_first(period)), "endDate": day_end(month_last(period))}


# --- the package --------------------------------------------------------------------------------

def ocid(prefix: str, number: str) -> str:
    """The contracting process id: the publisher's prefix and the contract number, the same in every export."""
    return f"{prefix}{number}"


def release_package(publisher: Publisher, contracts: Iterable[ContractRecord]) -> dict:
    """The OCDS 1.1 release package: one release per contract."""
    return {
        "uri": publisher.package_uri,
        "version": OCDS_VERSION,
        "extensions": [METRICS_EXTENSION],
        "publishedDate": iso_datetime(publisher.published_at),
        "publisher": {"name": publisher.city_name},
        "releases": [contract_release(publisher, record) for record in contracts],
    }


def release_date(record: ContractRecord) -> datetime:
    """The last time anything in the release was recorded: the contract, a clause version, a month's result."""
    moments = [record.recorded_at, *(c.recorded_at for c in record.clauses),
               *(m.recorded_at for m in record.months if m.recorded_at is not None)]
    return max(_aware(m) for m in moments)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def contract_release(publisher: Publisher, record: ContractRecord) -> dict:
    process = ocid(publisher.ocid_prefix, record.number)
    when = iso_datetime(release_date(record))
    buyer = {"id": buyer_id(publisher.city_name), "name": publisher.city_name}
    supplier = {"id": f"supplier-{record.vendor_id}", "name": record.vendor_name}
    value = {"amount": record.value, "currency": publisher.currency}
    period = {"startDate": day_start(record.start), "endDate": day_end(record.end)}
    award_id = f"{record.number}-award"
    amendments = clause_amendments(record)
    contract: dict[str, Any] = {
        "id": record.number,
        "awardID": award_id,
        "title": record.title,
        "description": record.category_name,
        "status": CONTRACT_STATUS[record.status],
        "period": period,
        "value": value,
    }
    agreed = agreed_metrics(record)
    if agreed:
        contract["agreedMetrics"] = agreed
    if amendments:
        contract["amendments"] = amendments
    results = result_metrics(record)
    if results:
        contract["implementation"] = {"metrics": results}
    tags = ["award", "contract"]
    if amendments:
        tags.append("contractAmendment")
    if results:
        tags.append("implementation")
    return {
        "ocid": process,
        "id": f"{record.number}-{when.replace(':', '').replace('-', '')}",
        "date": when,
        "tag": tags,
        "initiationType": "tender",
        "parties": [
            {**buyer, "roles": ["buyer", "procuringEntity", "payer"]},
            {**supplier, "roles": ["supplier", "payee"]},
        ],
        "buyer": buyer,
        "awards": [{
            "id": award_id,
            "title": record.title,
            "status": AWARD_STATUS[record.status],
            "value": value,
            "suppliers": [supplier],
            "contractPeriod": period,
        }],
        "contracts": [contract],
    }


def buyer_id(city_name: str) -> str:
    slug = "".join(ch if ch.isalnum() else "-" for ch in city_name.lower()).strip("-")
    return f"buyer-{'-'.join(part for part in slug.split('-') if part) or 'city'}"


# --- clauses and results through the metrics extension ----------------------------------------------

def _by_key(clauses: Iterable[ClauseVersion]) -> dict[str, list[ClauseVersion]]:
    versions: dict[str, list[ClauseVersion]] = {}
    for clause in sorted(clauses, key=lambda c: (c.key, c.effective_from)):
        versions.setdefault(clause.key, []).append(clause)
    return versions


def _describe(clause: ClauseVersion) -> dict:
    metric: dict[str, Any] = {"id": clause.key, "title": clause.label or clause.key}
    if clause.language.strip():
        metric["description"] = clause.language
    return metric


def _unit(unit: str) -> dict:
    return {"unit": {"name": unit}} if unit else {}


def agreed_metrics(record: ContractRecord) -> list[dict]:
    """One metric per clause: for each version in force, its target and its minimum over the months it governs."""
    metrics = []
    for key, versions in _by_key(record.clauses).items():
        observations = []
        for index, version in enumerate(versions):
            if version.retired:
                continue
            following = versions[index + 1] if index + 1 < len(versions) else None
            start = max(month_first(version.effective_from), record.start)
            end = month_last(month_before(following.effective_from)) if following else record.end
            span = {"startDate": day_start(start), "endDate": day_end(max(start, min(end, record.end)))}
            better = "higher" if version.direction == "higher" else "lower"
            observations.append({
                "id": f"{key}-{version.effective_from}-target", "period": span, "measure": version.target,
                **_unit(version.unit),
                "notes": f"Target ({better} is better), clause version in force from {version.effective_from}",
            })
            if version.minimum is not None:
                observations.append({
                    "id": f"{key}-{version.effective_from}-minimum", "period": span, "measure": version.minimum,
                    **_unit(version.unit),
                    "notes": f"Minimum, clause version in force from {version.effective_from}",
                })
        metric = _describe(_current(versions))
        if observations:
            metric["observations"] = observations
        metrics.append(metric)
    return metrics


def _current(versions: list[ClauseVersion]) -> ClauseVersion:
    """The latest version that is not a retirement (its label and language describe the clause)."""
    live = [v for v in versions if not v.retired]
    return (live or versions)[-1]


def clause_amendments(record: ContractRecord) -> list[dict]:
    """Each later version of a clause is an amendment of the contract (SPEC §2)."""
    amendments = []
    for key, versions in _by_key(record.clauses).items():
        for version in versions[1:]:
            what = "retired" if version.retired else "amended"
            amendment = {
                "id": f"{key}-{version.effective_from}",
                "date": iso_datetime(version.recorded_at),
                "description": f"Clause {key} ({version.label}) {what} from {version.effective_from}",
            }
            if version.amendment_reason:
                amendment["rationale"] = version.amendment_reason
            amendments.append(amendment)
    return sorted(amendments, key=lambda a: (a["date"], a["id"]))


def result_metrics(record: ContractRecord) -> list[dict]:
    """One metric per clause with a scored month: one observation per month, its value with the unit."""
    versions = _by_key(record.clauses)
    months: dict[str, list[MonthResult]] = {}
    for month in sorted(record.months, key=lambda m: (m.clause_key, m.period)):
        months.setdefault(month.clause_key, []).append(month)
    metrics = []
    for key, results in months.items():
        in_force = versions.get(key)
        metric = _describe(_current(in_force)) if in_force else {"id": key, "title": key}
        unit = in_force[-1].unit if in_force else ""
        metric["observations"] = [_month_observation(key, month, _version_at(in_force, month.period), unit)
                                  for month in results]
        metrics.append(metric)
    return metrics


def _version_at(versions: list[ClauseVersion] | None, period: str) -> ClauseVersion | None:
    chosen = None
    for version in versions or ():
        if version.effective_from <= period:
            chosen = version
    return chosen


def _month_observation(key: str, month: MonthResult, version: ClauseVersion | None, unit: str) -> dict:
    observation: dict[str, Any] = {"id": f"{key}-{month.period}", "period": month_period(month.period)}
    if month.value is not None:
        observation["measure"] = month.value
    observation.update(_unit(version.unit if version else unit))
    observation["notes"] = month_notes(month, version)
    return observation


def month_notes(month: MonthResult, version: ClauseVersion | None) -> str:
    parts = [f"Status: {month.status.replace('_', ' ')}"]
    if month.attainment_text:
        parts.append(f"attainment {month.attainment_text} of 100")
    if version is not None:
        parts.append(f"scored under the clause version in force from {version.effective_from}")
    parts.append(f"{month.observations} observation{'s' if month.observations != 1 else ''}")
    text = "; ".join(parts) + "."
    review = REVIEW_NOTES.get(month.review)
    return f"{text} {review}." if review else text


# --- writing ------------------------------------------------------------------------------------

def package_json(document: Any, indent: int = 2) -> str:
    """JSON with every Decimal written as the exact number it holds (never through float)."""
    return _write(document, indent, 0)


def _write(value: Any, indent: int, depth: int) -> str:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value} cannot be written as a JSON number")
        return f"{value:f}"
    if isinstance(value, dict):
        if not value:
            return "{}"
        pad, inner = "\n" + " " * (indent * depth), "\n" + " " * (indent * (depth + 1))
        items = (f"{inner}{json.dumps(str(k), ensure_ascii=False)}: {_write(v, indent, depth + 1)}"
                 for k, v in value.items())
        return "{" + ",".join(items) + pad + "}"
    if isinstance(value, list | tuple):
        if not value:
            return "[]"
        pad, inner = "\n" + " " * (indent * depth), "\n" + " " * (indent * (depth + 1))
        return "[" + ",".join(f"{inner}{_write(v, indent, depth + 1)}" for v in value) + pad + "]"
    return json.dumps(value, ensure_ascii=False, allow_nan=False)
