"""`seed-demo`: the demo city, loaded through the same services as real data, idempotently."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from sqlalchemy import select

from imports.contracts_file import parse_contracts_file
from models import Contract, ContractAssignment, User, db
from scoring.periods import period_range

from ..admin.services import create_user
from ..audit import record_event
from ..contracts.importer import load_contracts
from ..library.templates_seed import seed_clause_library
from ..uploads.services import SheetRow, commit_rows
from .city import (
    CONTRACTS,
    DEMO_FIRST_PERIOD,
    DEMO_LAST_PERIOD,
    DEMO_PASSWORD,
    DEMO_USERS,
    MANAGER_CONTRACT_PREFIX,
    demo_contracts_file,
)
from .rows import demo_rows


@dataclass
class SeedReport:
    users_created: int = 0
    uploads_committed: int = 0
    rows_committed: int = 0
    contracts_changed: bool = False


def _ensure_users(report: SeedReport) -> dict[str, User]:
    users = {}
    for email, role, name in DEMO_USERS:
        user = db.session.scalars(select(User).where(User.email == email)).first()
        if user is None:
            user = create_user(email, role, DEMO_PASSWORD, name)
            report.users_created += 1
        users[role] = user
    return users


def _ensure_assignments(manager: User) -> None:
    assigned = {a.contract_id for a in manager.assignments}
    for contract in db.session.scalars(select(Contract).where(Contract.number.startswith(MANAGER_CONTRACT_PREFIX))):
        if contract.id not in assigned:
            assignment = ContractAssignment(user=manager, contract=contract)
            db.session.add(assignment)
            db.session.flush()
            record_event("contract_assigned", assignment, after={"user": manager.email, "contract": contract.number},
                         summary=f"{manager.email} manages {contract.number}")


def _sheet_rows(number: str, category: str, profile: str, period: str, index: int, months: int) -> tuple[list[SheetRow], str]:
    rows = [
        SheetRow(row_number=i + 2, row_key=key, work_date=day, values=values, context=context)
        for i, (key, day, values, context) in enumerate(demo_rows(number, category, profile, period, index, months))
    ]
    canonical = json.dumps([[r.row_key, r.work_date.isoformat(), r.values, r.context] for r in rows], sort_keys=True)
    return rows, hashlib.sha256(canonical.encode()).hexdigest()


def seed_demo() -> SeedReport:
    """Loads the demo city in the caller's transaction; running it again adds nothing."""
    report = SeedReport()
    users = _ensure_users(report)
    summary = load_contracts(parse_contracts_file(json.dumps(demo_contracts_file())), actor=users["admin"])
    report.contracts_changed = summary.changed
    _ensure_assignments(users["contract_manager"])
    seed_clause_library(actor=users["admin"])
    periods = period_range(DEMO_FIRST_PERIOD, DEMO_LAST_PERIOD)
    for number, _title, _vendor, category, _value, _capacity, profile in CONTRACTS:
        contract = db.session.scalars(select(Contract).where(Contract.number == number)).one()
        for index, period in enumerate(periods):
            rows, sha256 = _sheet_rows(number, category, profile, period, index, len(periods))
            outcome = commit_rows(contract, period, rows, filename=f"{number}_{period}.xlsx", sha256=sha256,
                                  actor=users["contract_manager"])
            if not outcome.already_imported:
                report.uploads_committed += 1
                report.rows_committed += len(rows)
    return report
