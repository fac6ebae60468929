"""Loads a contracts file (SPEC §7) into the database: all or nothing, and idempotent."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from imports.contracts_file import ContractRecord, ContractRules, ContractsFile, ContractsFileError
from imports.contracts_file import parse_contracts_file as parse_with_rules
from models import (
    Contract,
    ContractStatus,
    OutcomeClause,
    ServiceCategory,
    User,
    Vendor,
    db,
)
from scoring.clause_rules import clause_problems, parse_term_number, weight_problem
from scoring.periods import is_period

from ..audit import record_event, snapshot

CONTRACT_RULES = ContractRules(clause_problems=clause_problems, weight_problem=weight_problem, is_period=is_period,
                               term_number=parse_term_number)


def parse_contracts_file(text: str) -> ContractsFile:
    """The contracts file's records under the scoring method's clause rules (ContractsFileError lists problems)."""
    return parse_with_rules(text, CONTRACT_RULES)


@dataclass
class ImportSummary:
    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)

    @property
    def changed(self) -> bool:
        return bool(sum(self.created.values()) + sum(self.updated.values()))

    def lines(self) -> list[str]:
        if not self.changed:
            return ["Nothing changed: everything in the file is already loaded."]
        kinds = ("categories", "vendors", "contracts", "clause versions")
        return [f"{kind}: {self.created[kind]} created, {self.updated[kind]} updated" for kind in kinds]


def _same(a, b) -> bool:
    if isinstance(a, Decimal) or isinstance(b, Decimal):
        return a is not None and b is not None and Decimal(a) == Decimal(b)
    return a == b


def _assign(obj, values: dict) -> bool:
    """Sets the attributes that differ; True when anything changed."""
    changed = False
    for name, value in values.items():
        if not _same(getattr(obj, name), value):
            setattr(obj, name, value)
            changed = True
    return changed


class _Loader:
    def __init__(self, parsed: ContractsFile, actor: User | None):
        self.parsed = parsed
        self.actor = actor
        self.summary = ImportSummary()
        self.problems: list[str] = []

    def _upsert(self, kind: str, existing, model, values: dict, label: str):
        if existing is None:
            obj = model(**values)
            db.session.add(obj)
            db.session.flush()
            record_event(f"{model.__name__.lower()}_created", obj, after=snapshot(obj), actor=self.actor,
                         summary=f"{label} from contracts file")
            self.summary.created[kind] += 1
            return obj
        before = snapshot(existing)
        if _assign(existing, values):
            db.session.flush()
            record_event(f"{model.__name__.lower()}_updated", existing, before=before, after=snapshot(existing),
                         actor=self.actor, summary=f"{label} from contracts file")
            self.summary.updated[kind] += 1
        return existing

    def categories(self) -> dict[str, ServiceCategory]:
        by_slug = {c.slug: c for c in db.session.scalars(select(ServiceCategory))}
        for rec in self.parsed.categories:
            values = dict(slug=rec.slug, name=rec.name, unit=rec.unit, row_key=rec.row_key,
                          date_column=rec.date_column, context_columns=rec.context_columns)
            by_slug[rec.slug] = self._upsert("categories", by_slug.get(rec.slug), ServiceCategory, values,
                                             f"category {rec.slug}")
        return by_slug

    def vendors(self) -> dict[str, Vendor]:
        by_name = {v.name: v for v in db.session.scalars(select(Vendor))}
        for name in self.parsed.vendors:
            by_name[name] = self._upsert("vendors", by_name.get(name), Vendor, {"name": name}, f"vendor {name}")
        return by_name

    def check_references(self, categories: dict, vendors: dict) -> None:
        for rec in self.parsed.contracts:
            where = f"contract {rec.number}"
            if rec.vendor and rec.vendor not in vendors:
                self.problems.append(f"{where}, field vendor: unknown vendor '{rec.vendor}' (list it under vendors)")
            if rec.category and rec.category not in categories:
                self.problems.append(f"{where}, field category: unknown category '{rec.category}' (list it under categories)")

    def contract(self, rec: ContractRecord, categories: dict, vendors: dict) -> None:
        existing = db.session.scalars(select(Contract).where(Contract.number == rec.number)
                                      .options(selectinload(Contract.clauses))).first()
        values = dict(
            number=rec.number, title=rec.title, vendor=vendors[rec.vendor], category=categories[rec.category],
            start_date=rec.start, end_date=rec.end, value=rec.value, status=ContractStatus(rec.status),
            capacity=rec.capacity, incentive_cap=rec.incentive_cap, penalty_cap=rec.penalty_cap,
        )
        if existing is None:
            values["clauses"] = []  # a new contract's versions are known (none yet): nothing to load
        contract = self._upsert("contracts", existing, Contract, values, f"contract {rec.number}")
        first = rec.start.strftime("%Y-%m")
        versions = {(c.key, c.effective_from): c for c in contract.clauses}
        for clause in rec.clauses:
            effective = clause.effective_from or first
            values = OutcomeClause.model_terms(clause.terms)
            current = versions.get((values["key"], effective))
            where = f"contract {rec.number}, clause {values['key']}"
            if current is not None and contract.status != ContractStatus.DRAFT and existing is not None:
                if any(not _same(getattr(current, k), v) for k, v in values.items()):
                    self.problems.append(
                        f"{where}: the version in force from {effective} already exists with other terms; "
                        "amend it with a later effective_from instead of changing it"
                    )
                continue
            version = self._upsert(
                "clause versions", current, OutcomeClause,
                {**values, "contract": contract, "effective_from": effective},
                f"{where} from {effective}",
            )
            versions[(values["key"], effective)] = version

    def run(self) -> ImportSummary:
        categories = self.categories()
        vendors = self.vendors()
        self.check_references(categories, vendors)
        if not self.problems:
            for rec in self.parsed.contracts:
                self.contract(rec, categories, vendors)
        if self.problems:
            raise ContractsFileError(self.problems)
        return self.summary


def load_contracts(parsed: ContractsFile, actor: User | None = None) -> ImportSummary:
    """Applies the file inside the caller's transaction; raises ContractsFileError (caller rolls back)."""
    return _Loader(parsed, actor).run()
