"""`seed-demo`: the demo city, loaded through the same services as real data, idempotently."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from models import Contract, ContractAssignment, Upload, User, db
from scoring.periods import period_range

from ..admin.services import create_user
from ..audit import record_event
from ..contracts.importer import load_contracts, parse_contracts_file
from ..library.templates_seed import seed_clause_library
from ..uploads.flow import import_path
from ..uploads.storing import find_committed
from .city import (
    CONTRACTS,
    DEMO_FIRST_PERIOD,
    DEMO_LAST_PERIOD,
    DEMO_MFA_ROLES,
    DEMO_PASSWORD,
    DEMO_TOTP_SECRET,
    DEMO_USER_VENDORS,
    DEMO_USERS,
    MANAGER_CONTRACT_PREFIX,
    demo_contracts_file,
)
from .rows import demo_rows
from .sheets import write_demo_sheet


@dataclass
class SeedReport:
    users_created: int = 0
    uploads_committed: int = 0
    rows_committed: int = 0
    contracts_changed: bool = False


def _ensure_users(report: SeedReport, *, vendors: bool) -> dict[str, User]:
    """The demo's city staff (vendors=False), or its vendor users (vendors=True: once their vendors exist)."""
    users = {}
    for email, role, name in DEMO_USERS:
        if (role == "vendor") != vendors:
            continue
        user = db.session.scalars(select(User).where(User.email == email)).first()
        if user is None:
            user = create_user(email, role, DEMO_PASSWORD, name, vendor_name=DEMO_USER_VENDORS.get(email))
            report.users_created += 1
        if role in DEMO_MFA_ROLES and not user.totp_secret:
            user.totp_secret = DEMO_TOTP_SECRET
            user.recovery_code_hashes = []
            record_event("mfa_enrolled", user, summary=f"{email}: demo TOTP key (published) set by seed-demo")
        users[role] = user
    return users


def _ensure_assignments(manager: User) -> None:
    assigned = set(db.session.scalars(select(ContractAssignment.contract_id).where(ContractAssignment.user_id == manager.id)))
    for contract in db.session.scalars(select(Contract).where(Contract.number.startswith(MANAGER_CONTRACT_PREFIX))):
        if contract.id not in assigned:
            assignment = ContractAssignment(user=manager, contract=contract)
            db.session.add(assignment)
            db.session.flush()
            record_event("contract_assigned", assignment, after={"user": manager.email, "contract": contract.number},
                         summary=f"{manager.email} manages {contract.number}")


class DemoSheetRefused(RuntimeError):
    """A generated demo sheet failed its own check: a bug in the demo, never user input."""


def _close_review_windows(uploads: list[Upload]) -> None:
    """The demo's sheets stand for months long past: their review windows (SPEC §8) are closed, so the demo
    starts with final months; a month a user commits in the demo opens its own window."""
    if not uploads:
        return
    for upload in uploads:
        upload.review_closes_at = upload.committed_at
    db.session.flush()
    record_event("demo_review_windows_closed", actor_label="system",
                 summary=f"demo city: the review windows of its {len(uploads)} seeded months closed")


def _load_sheets(users: dict[str, User], report: SeedReport) -> None:
    """Writes each month's sheet as .xlsx and loads it through the same check and commit as an upload."""
    folder = Path(current_app.config["UPLOAD_FOLDER"]) / "demo-sheets"
    periods = period_range(DEMO_FIRST_PERIOD, DEMO_LAST_PERIOD)
    committed: list[Upload] = []
    for number, _title, _vendor, category, _value, _capacity, profile in CONTRACTS:
        contract = db.session.scalars(select(Contract).where(Contract.number == number).options(
            joinedload(Contract.category), selectinload(Contract.clauses))).one()
        for index, period in enumerate(periods):
            if find_committed(contract, period) is not None:
                continue
            rows = demo_rows(number, category, profile, period, index, len(periods))
            path = write_demo_sheet(folder / f"{number}_{period}.xlsx", contract, rows)
            result = import_path(contract, period, path, users["contract_manager"], commit=True)
            if result.committed is None:
                raise DemoSheetRefused(f"{path.name}: {result.report.get('errors', [])[:3]}")
            report.uploads_committed += 1
            report.rows_committed += result.committed.row_count
            committed.append(result.committed)
    _close_review_windows(committed)


def seed_demo() -> SeedReport:
    """Loads the demo city in the caller's transaction; running it again adds nothing."""
    report = SeedReport()
    users = _ensure_users(report, vendors=False)
    summary = load_contracts(parse_contracts_file(json.dumps(demo_contracts_file())), actor=users["admin"])
    report.contracts_changed = summary.changed
    _ensure_users(report, vendors=True)
    _ensure_assignments(users["contract_manager"])
    seed_clause_library(actor=users["admin"])
    _load_sheets(users, report)
    return report
