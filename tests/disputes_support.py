"""Shared set-up of the review-window tests: a contract, its committed month, and the people around it."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl

from contracts_app.uploads.flow import import_path
from models import Role

from .factories import CategoryFactory, ContractAssignmentFactory, ContractFactory, OutcomeClauseFactory, UserFactory

HEADER = ["work_order_id", "completed_on", "street", "pci_after", "on_time"]
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def write_sheet(path: Path, period: str = "2026-03", pci: float = 85, rows: int = 12, prefix: str = "WO") -> Path:
    year, month = map(int, period.split("-"))
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    for i in range(rows):
        sheet.append([f"{prefix}-{i:03d}", date(year, month, 1 + i % 28), "Maple Ave", pci, "yes"])
    workbook.save(path)
    return path


def make_contract(number: str = "PW-2026-400", review_days: int = 14, vendor=None):
    category = CategoryFactory(review_days=review_days)
    extra = {"vendor": vendor} if vendor is not None else {}
    contract = ContractFactory(category=category, number=number, **extra)
    OutcomeClauseFactory(contract=contract, key="pci_after", label="Pavement condition", weight=Decimal("60"))
    OutcomeClauseFactory(contract=contract, key="on_time", label="Completed on time", weight=Decimal("40"),
                         aggregation="percent_true", unit="%", target=Decimal("95"), minimum=Decimal("80"),
                         valid_min=None, valid_max=None)
    return contract


def make_manager(contract):
    return ContractAssignmentFactory(contract=contract).user


def make_vendor_user(contract, email: str = "ops@vendor.test"):
    return UserFactory(role=Role.VENDOR, vendor=contract.vendor, email=email)


def commit_month(contract, tmp_path: Path, actor, period: str = "2026-03", pci: float = 85, reason=None,
                 name: str = "march.xlsx"):
    prefix = "WO" if period == "2026-03" else f"WO{period[-2:]}"  # a row key is never reused in another month
    path = write_sheet(tmp_path / name, period, pci, prefix=prefix)
    outcome = import_path(contract, period, path, actor, commit=True, reason=reason)
    assert outcome.committed is not None, outcome.report
    return outcome.committed
