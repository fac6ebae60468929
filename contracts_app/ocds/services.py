"""Reads contracts, clause versions and monthly results for the OCDS export; the mapping itself is the pure
`imports/ocds.py`. Read only: an export changes nothing, so it writes no audit entry.

Nothing personal leaves: no user, no email, no vendor contact, no sheet row (README "Open Contracting").
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from imports import ocds
from models import ClauseResult, Contract, ServiceCategory, db, utcnow

from ..disputes.review import month_reviews, review_of
from ..formatting import score
from ..schedules.services import clause_text


class ExportRefused(Exception):
    """The export was asked for something that is not there; the message says what and what to do."""


@dataclass(frozen=True)
class Export:
    package: dict
    filename: str

    @property
    def text(self) -> str:
        return ocds.package_json(self.package) + "\n"

    def package_for_validation(self) -> dict:
        """The package as a reader of the written JSON gets it."""
        return json.loads(self.text)


def export_package(category_slug: str | None = None, contract_number: str | None = None,
                   package_path: str = "/ocds/release-package.json") -> Export:
    """The release package of one contract, one category, or every contract (neither given)."""
    query = (select(Contract)
             .options(joinedload(Contract.vendor), joinedload(Contract.category), selectinload(Contract.clauses))
             .order_by(Contract.number))
    scope = "all-contracts"
    if category_slug is not None:
        category = db.session.scalar(select(ServiceCategory).where(ServiceCategory.slug == category_slug))
        if category is None:
            known = ", ".join(db.session.scalars(select(ServiceCategory.slug).order_by(ServiceCategory.slug)))
            raise ExportRefused(f"No service category with slug '{category_slug}'. Known slugs: {known or 'none'}.")
        query = query.where(Contract.category_id == category.id)
        scope = category.slug
    if contract_number is not None:
        query = query.where(Contract.number == contract_number)
        scope = contract_number
    contracts = list(db.session.scalars(query).unique())
    if not contracts:
        if contract_number is not None and category_slug is not None:
            raise ExportRefused(f"No contract {contract_number} in category '{category_slug}'.")
        if contract_number is not None:
            raise ExportRefused(f"No contract with number '{contract_number}'.")
        raise ExportRefused("No contracts to export: an OCDS release package holds at least one release.")
    records = contract_records(contracts)
    publisher = publisher_for(records, package_path)
    return Export(ocds.release_package(publisher, records), f"ocds-{_safe(scope)}.json")


def contract_by_id(contract_id: int) -> Contract | None:
    return db.session.get(Contract, contract_id)


def category_by_id(category_id: int) -> ServiceCategory | None:
    return db.session.get(ServiceCategory, category_id)


def publisher_for(records: list[ocds.ContractRecord], package_path: str) -> ocds.Publisher:
    config = current_app.config
    currency = config["CURRENCY"]
    if not (len(currency) == 3 and currency.isascii() and currency.isalpha() and currency.isupper()):
        raise ExportRefused(f"The CURRENCY setting '{currency}' is not a three-letter ISO 4217 code such as USD.")
    base = (config.get("PUBLIC_BASE_URL") or "https://outcomes.example.invalid").rstrip("/")
    # Generated on demand, so the package is dated by the last change to what it holds (OCDS publishedDate).
    published = max((ocds.release_date(r) for r in records), default=utcnow())
    return ocds.Publisher(
        city_name=config["CITY_NAME"], ocid_prefix=config["OCDS_PREFIX"], currency=currency,
        published_at=published, package_uri=base + package_path,
    )


def contract_records(contracts: list[Contract]) -> list[ocds.ContractRecord]:
    ids = [c.id for c in contracts]
    results: dict[int, list[ClauseResult]] = {}
    for result in db.session.scalars(select(ClauseResult).where(ClauseResult.contract_id.in_(ids))
                                      .order_by(ClauseResult.contract_id, ClauseResult.period)):
        results.setdefault(result.contract_id, []).append(result)
    reviews = month_reviews(ids)
    return [
        ocds.ContractRecord(
            number=c.number, title=c.title, category_name=c.category.name, vendor_id=c.vendor_id,
            vendor_name=c.vendor.name, start=c.start_date, end=c.end_date, value=c.value, status=c.status.value,
            recorded_at=c.created_at,
            clauses=[_clause(clause, c) for clause in c.clauses],
            months=[_month(result, review_of(reviews, c.id, result.period).state.value)
                    for result in results.get(c.id, [])],
        )
        for c in contracts
    ]


def _clause(clause, contract: Contract) -> ocds.ClauseVersion:
    return ocds.ClauseVersion(
        key=clause.key, label=clause.label, unit=clause.unit or "", direction=clause.direction.value,
        target=clause.target, minimum=clause.minimum, effective_from=clause.effective_from, retired=clause.retired,
        language=clause_text(clause, contract), amendment_reason=clause.amendment_reason,
        recorded_at=clause.created_at,
    )


def _month(result: ClauseResult, review: str) -> ocds.MonthResult:
    return ocds.MonthResult(
        clause_key=result.clause_key, period=result.period, value=result.value,
        attainment_text="" if result.attainment is None else score(result.attainment),
        status=result.status.value, observations=result.observations, review=review,
        recorded_at=result.computed_at,
    )


def _safe(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in text)
