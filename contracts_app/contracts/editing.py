"""Drafting, amending, activating and closing contracts; every change audited, nothing committed here."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select

from contracts_app.contracts.clause_language import clause_language
from models import (
    ClauseTemplate,
    Contract,
    ContractStatus,
    OutcomeClause,
    ServiceCategory,
    User,
    Vendor,
    db,
)
from scoring.clause_rules import clause_problems, weight_problem
from scoring.periods import is_period

from ..audit import record_event, snapshot
from ..jobs.starters import recompute_after_amendment

CONTRACT_FIELDS = ("number", "title", "vendor_id", "category_id", "start_date", "end_date", "value", "capacity",
                   "incentive_cap", "penalty_cap")
LOCKED_ONCE_ACTIVE = ("number", "vendor_id", "category_id")


class ContractRuleError(ValueError):
    """Refused change; `problems` are (field or None, message) pairs for the form or page to show."""

    def __init__(self, problems: list[tuple[str | None, str]]):
        super().__init__("; ".join(m for _, m in problems))
        self.problems = problems


@dataclass(frozen=True)
class ClauseHistory:
    key: str
    versions: list[OutcomeClause]  # oldest first


def first_period(contract: Contract) -> str:
    return contract.start_date.strftime("%Y-%m")


def language_for(contract: Contract, terms: dict) -> str:
    return clause_language(terms, work_unit=contract.category.unit if contract.category else "unit of work",
                           incentive_cap=contract.incentive_cap, penalty_cap=contract.penalty_cap)


# --- contracts ---------------------------------------------------------------------------------

def _contract_problems(data: dict, contract: Contract | None) -> list[tuple[str, str]]:
    problems = []
    number = (data.get("number") or "").strip()
    clash = db.session.scalar(
        select(Contract.id).where(func.lower(Contract.number) == number.lower(),
                                  Contract.id != (contract.id if contract else -1))
    )
    if clash is not None:
        problems.append(("number", f"Contract number {number} is already used by another contract."))
    if db.session.get(Vendor, data.get("vendor_id")) is None:
        problems.append(("vendor_id", "Choose a vendor."))
    if db.session.get(ServiceCategory, data.get("category_id")) is None:
        problems.append(("category_id", "Choose a service category."))
    if contract is not None and contract.status != ContractStatus.DRAFT:
        for name in LOCKED_ONCE_ACTIVE:
            if data.get(name) is not None and data[name] != getattr(contract, name):
                problems.append((name, "Cannot change once the contract is active: sheets and scores depend on it."))
    return problems


def create_contract(data: dict, actor: User) -> Contract:
    problems = _contract_problems(data, None)
    if problems:
        raise ContractRuleError(problems)
    contract = Contract(status=ContractStatus.DRAFT, **{k: data[k] for k in CONTRACT_FIELDS})
    contract.number = contract.number.strip()
    db.session.add(contract)
    db.session.flush()
    record_event("contract_created", contract, after=snapshot(contract), actor=actor,
                 summary=f"{contract.number} drafted")
    return contract


def update_contract(contract: Contract, data: dict, actor: User) -> None:
    if contract.status == ContractStatus.CLOSED:
        raise ContractRuleError([(None, f"{contract.number} is closed; it can no longer change.")])
    problems = _contract_problems(data, contract)
    if problems:
        raise ContractRuleError(problems)
    before = snapshot(contract)
    for name in CONTRACT_FIELDS:
        setattr(contract, name, data[name])
    db.session.flush()
    after = snapshot(contract)
    if after != before:
        record_event("contract_updated", contract, before=before, after=after, actor=actor,
                     summary=f"{contract.number} edited")


def activation_problems(contract: Contract) -> list[tuple[str | None, str]]:
    """Every reason the clauses in force cannot be scored, in every month a version starts."""
    problems: list[tuple[str | None, str]] = []
    periods = sorted({c.effective_from for c in contract.clauses} | {first_period(contract)})
    if not contract.clauses_in_force(first_period(contract)):
        problems.append((None, "Add the outcome clauses before activating: none is in force in the first month."))
    seen: set[tuple[int, str]] = set()
    for period in periods:
        in_force = contract.clauses_in_force(period)
        for clause in in_force:
            for field, message in clause_problems(clause.plain_terms()):
                if (clause.id, field) not in seen:
                    seen.add((clause.id, field))
                    problems.append((field, f"Clause {clause.key}, field {field}: {message}."))
        if in_force:
            message = weight_problem(c.weight for c in in_force)
            if message:
                problems.append(("weight", f"From {period}: {message}."))
    return problems


def activate_contract(contract: Contract, actor: User) -> None:
    if contract.status != ContractStatus.DRAFT:
        raise ContractRuleError([(None, f"{contract.number} is {contract.status.value}; only a draft can be activated.")])
    problems = activation_problems(contract)
    if problems:
        raise ContractRuleError(problems)
    before = snapshot(contract)
    contract.status = ContractStatus.ACTIVE
    db.session.flush()
    record_event("contract_activated", contract, before=before, after=snapshot(contract), actor=actor,
                 summary=f"{contract.number} activated")


def close_contract(contract: Contract, actor: User) -> None:
    if contract.status != ContractStatus.ACTIVE:
        raise ContractRuleError([(None, f"{contract.number} is {contract.status.value}; only an active contract can be closed.")])
    before = snapshot(contract)
    contract.status = ContractStatus.CLOSED
    db.session.flush()
    record_event("contract_closed", contract, before=before, after=snapshot(contract), actor=actor,
                 summary=f"{contract.number} closed")


def reopen_contract(contract: Contract, actor: User, reason: str) -> None:
    """An admin puts a closed contract back in force (a close by mistake, an extension); audited with the reason."""
    if contract.status != ContractStatus.CLOSED:
        raise ContractRuleError([(None, f"{contract.number} is {contract.status.value}; "
                                        "only a closed contract can be reopened.")])
    reason = " ".join((reason or "").split())
    if not reason:
        raise ContractRuleError([("reason", "Say why the contract is reopened.")])
    before = snapshot(contract)
    contract.status = ContractStatus.ACTIVE
    db.session.flush()
    record_event("contract_reopened", contract, before=before, after={**snapshot(contract), "reason": reason},
                 actor=actor, summary=f"{contract.number} reopened: {reason}")


# --- clauses -----------------------------------------------------------------------------------

def clause_history(contract: Contract) -> list[ClauseHistory]:
    by_key: dict[str, list[OutcomeClause]] = {}
    for clause in sorted(contract.clauses, key=lambda c: (c.key, c.effective_from)):
        by_key.setdefault(clause.key, []).append(clause)
    return [ClauseHistory(key, versions) for key, versions in sorted(by_key.items())]


def latest_version(contract: Contract, key: str) -> OutcomeClause | None:
    versions = [c for c in contract.clauses if c.key == key]
    return max(versions, key=lambda c: c.effective_from) if versions else None


def _term_problems(contract: Contract, terms: dict, key_before: str | None) -> list[tuple[str | None, str]]:
    problems: list[tuple[str | None, str]] = list(clause_problems(terms))
    if terms["key"] != key_before and latest_version(contract, terms["key"]) is not None:
        problems.append(("key", f"This contract already has a clause on column {terms['key']}."))
    return problems


def save_draft_clause(contract: Contract, terms: dict, actor: User, key_before: str | None = None) -> OutcomeClause:
    """On a draft contract a clause is simply written: one version, in force from the first month."""
    if contract.status != ContractStatus.DRAFT:
        raise ContractRuleError([(None, "The contract is not a draft: change a clause by amendment.")])
    problems = _term_problems(contract, terms, key_before)
    if problems:
        raise ContractRuleError(problems)
    values = {**OutcomeClause.model_terms(terms), "language": language_for(contract, terms)}
    clause = latest_version(contract, key_before) if key_before else None
    if clause is None:
        clause = OutcomeClause(contract=contract, effective_from=first_period(contract), created_by=actor, **values)
        db.session.add(clause)
        db.session.flush()
        record_event("clause_created", clause, after=snapshot(clause), actor=actor,
                     summary=f"{contract.number}: clause {clause.key} added")
        return clause
    before = snapshot(clause)
    for name, value in values.items():
        setattr(clause, name, value)
    db.session.flush()
    record_event("clause_updated", clause, before=before, after=snapshot(clause), actor=actor,
                 summary=f"{contract.number}: clause {clause.key} edited in draft")
    return clause


def save_clause(contract: Contract, terms: dict, actor: User, *, effective_from: str | None = None,
                reason: str | None = None, key_before: str | None = None) -> OutcomeClause:
    """What the clause form's Save does: an amendment on an active contract, a plain write on a draft."""
    if contract.status == ContractStatus.ACTIVE:
        return amend_clause(contract, terms, effective_from or "", reason or "", actor, key_before=key_before)
    return save_draft_clause(contract, terms, actor, key_before=key_before)


def amend_clause(contract: Contract, terms: dict, effective_from: str, reason: str, actor: User,
                 key_before: str | None = None) -> OutcomeClause:
    """On an active contract a change is a new version from `effective_from`; earlier months keep theirs."""
    if contract.status != ContractStatus.ACTIVE:
        raise ContractRuleError([(None, f"{contract.number} is {contract.status.value}: only an active contract is amended.")])
    problems = _term_problems(contract, terms, key_before)
    if key_before and terms["key"] != key_before:
        problems.append(("key", "The sheet column of an amended clause cannot change; add a new clause instead."))
    if not is_period(effective_from or ""):
        problems.append(("effective_from", "Give the first month the amendment is in force, as YYYY-MM."))
    elif not contract.covers(effective_from):
        problems.append(("effective_from", f"{effective_from} is outside the contract term "
                                           f"{first_period(contract)} to {contract.end_date.strftime('%Y-%m')}."))
    if not (reason or "").strip():
        problems.append(("reason", "Say why the clause is amended; the reason is kept with its history."))
    current = latest_version(contract, key_before) if key_before else None
    if current is not None and is_period(effective_from or "") and effective_from <= current.effective_from:
        problems.append(("effective_from", f"Must be after {current.effective_from}, when the version now in force started."))
    if problems:
        raise ContractRuleError(problems)
    values = {**OutcomeClause.model_terms(terms), "language": language_for(contract, terms)}
    clause = OutcomeClause(contract=contract, effective_from=effective_from, amendment_reason=reason.strip(),
                           created_by=actor, **values)
    db.session.add(clause)
    db.session.flush()
    recompute_after_amendment(contract, clause, effective_from, actor)  # earlier months keep theirs
    record_event("clause_amended", clause, before=snapshot(current) if current else None, after=snapshot(clause),
                 actor=actor, summary=f"{contract.number}: clause {clause.key} amended from {effective_from}: {reason.strip()}")
    return clause


def remove_draft_clause(contract: Contract, key: str, actor: User) -> None:
    if contract.status != ContractStatus.DRAFT:
        raise ContractRuleError([(None, "Only a draft's clauses can be removed; amend an active contract instead.")])
    for clause in [c for c in contract.clauses if c.key == key]:
        record_event("clause_removed", clause, before=snapshot(clause), actor=actor,
                     summary=f"{contract.number}: clause {key} removed from the draft")
        contract.clauses.remove(clause)
    db.session.flush()


def weight_warnings(contract: Contract) -> list[str]:
    """Months whose clauses in force do not weigh 100 (amendments pending a matching change)."""
    out = []
    for period in sorted({c.effective_from for c in contract.clauses}):
        in_force = contract.clauses_in_force(period)
        message = weight_problem(c.weight for c in in_force) if in_force else None
        if message:
            out.append(f"From {period}: {message}.")
    return out


def template_choices(contract: Contract) -> list[ClauseTemplate]:
    return list(db.session.scalars(
        select(ClauseTemplate)
        .where(ClauseTemplate.category_id == contract.category_id, ClauseTemplate.retired.is_(False))
        .order_by(ClauseTemplate.label)
    ))


def preview(contract: Contract | None, terms: dict) -> dict:
    """The live preview: the contract language the clause would get, and what is wrong with it so far."""
    work_unit = contract.category.unit if contract is not None else "unit of work"
    language = clause_language(terms, work_unit=work_unit,
                               incentive_cap=contract.incentive_cap if contract else None,
                               penalty_cap=contract.penalty_cap if contract else None)
    return {"language": language, "problems": [f"{field}: {message}" for field, message in clause_problems(terms)]}


def vendor_choices() -> list[tuple[int, str]]:
    return [(v.id, v.name) for v in db.session.scalars(select(Vendor).order_by(Vendor.name))]


def vendors_for_category(category_id: int | None, keep_vendor_id: int | None = None) -> list[tuple[int, str]]:
    """The vendors a contract in this category is offered to: those with a contract in it, and those with no
    contract at all yet (a new vendor's first contract). Vendors have no category of their own; their contracts
    say what work they do. `keep_vendor_id` (the contract's current vendor) is always offered."""
    in_category = select(Contract.vendor_id).where(Contract.category_id == category_id)
    with_contracts = select(Contract.vendor_id)
    query = select(Vendor).where(or_(Vendor.id.in_(in_category), Vendor.id.not_in(with_contracts),
                                     Vendor.id == (keep_vendor_id or -1))).order_by(Vendor.name)
    has_contract = set(db.session.scalars(with_contracts.distinct()))
    return [(v.id, v.name if v.id in has_contract else f"{v.name} (no contract yet)") for v in db.session.scalars(query)]


def category_choices() -> list[tuple[int, str]]:
    return [(c.id, c.name) for c in db.session.scalars(select(ServiceCategory).order_by(ServiceCategory.name))]
