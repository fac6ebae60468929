"""One way to write money and coverage: every page, the CLI and the export agree (issue 10)."""
from __future__ import annotations

import io
import re
from decimal import Decimal as D

import openpyxl
import pytest

from models import Role, db

from .factories import TEST_PASSWORD, CategoryFactory, ContractFactory, UserFactory, VendorFactory
from .test_payments import clause, commit, row_text, rows, text_of


@pytest.fixture
def signed_in(client):
    UserFactory(role=Role.FINANCE, email="finance@city.test")
    db.session.commit()
    assert client.sign_in("finance@city.test", TEST_PASSWORD).status_code == 302
    return client


@pytest.fixture
def category(app):
    return CategoryFactory(slug="asphalt-resurfacing", name="Asphalt resurfacing")


def test_money_reads_the_same_on_the_page_in_the_message_the_cli_and_the_export(signed_in, category, cli):
    # Invoice 2.50: a met 5 % earns 0.125 -> $0.13 (half up); a failed 10 % costs 0.25; net 0.13 - 0.25 = −$0.12.
    contract = ContractFactory(number="PW-2026-001", category=category, vendor=VendorFactory(name="Harbor Paving"),
                               value=D("43749999999.99"), incentive_cap=D("5"), penalty_cap=D("10"))
    clause(contract, "a", 50, "5", "0")
    clause(contract, "b", 50, "0", "10")
    commit(contract, "2026-03", rows("2026-03", {"a": [95, 92], "b": [50, 60]}))  # a met, b failed
    token = signed_in.csrf_token("/payments/?period=2026-03")
    response = signed_in.post("/payments/invoice", data={"contract_id": contract.id, "period": "2026-03",
                                                         "amount": "2.50", "csrf_token": token},
                              follow_redirects=True)
    flashed = text_of(response)
    assert "invoice $2.50 recorded; bonus $0.13, penalty $0.25, net −$0.12" in flashed

    line = row_text(signed_in.get("/payments/?period=2026-03"), "PW-2026-001")
    assert re.search(r"\$2\.50 .*\$0\.13 .*\$0\.25 .*−\$0\.12", line), line

    again = cli.invoke(args=["set-invoice", "PW-2026-001", "2026-03", "2.50"])
    assert "invoice $2.50; bonus $0.13, penalty $0.25, net −$0.12." in again.stdout

    sheet = openpyxl.load_workbook(io.BytesIO(signed_in.get("/payments/export.xlsx?period=2026-03").data)).active
    header = [c.value for c in sheet[1]]
    exported = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == "PW-2026-001")
    assert [exported[header.index(h)].value for h in ("Invoice", "Bonus", "Penalty", "Net")] == [
        2.5, 0.13, 0.25, -0.12]

    contract_page = text_of(signed_in.get(f"/contracts/{contract.id}"))
    assert "$43,749,999,999.99" in contract_page


def test_an_incomplete_month_reads_the_same_on_scorecard_payments_vendor_page_and_export(signed_in, category):
    # Clause b (weight 0.04 of 100) has no value: coverage 99.96 / 100 = 0.9996, shown 99.9 % and incomplete
    # everywhere (rounded down: an incomplete month never reads 100 %).
    vendor = VendorFactory(name="Harbor Paving")
    contract = ContractFactory(number="PW-2026-001", category=category, vendor=vendor,
                               incentive_cap=D("5"), penalty_cap=D("10"))
    clause(contract, "a", "99.96", "1", "1")
    clause(contract, "b", "0.04", "1", "1")
    commit(contract, "2026-03", rows("2026-03", {"a": [95, 92], "b": [None, None]}))
    db.session.commit()

    scorecard = text_of(signed_in.get(f"/contracts/{contract.id}/scorecard"))
    # The month's heading carries its review mark and link (SPEC §8): committed just now, so provisional.
    assert "2026-03 provisional review 100.0 incomplete 99.9 %" in scorecard and "(coverage 99.9 %)" in scorecard
    payments = row_text(signed_in.get("/payments/?period=2026-03"), "PW-2026-001")
    assert "incomplete · 99.9 % coverage" in payments
    vendor_page = text_of(signed_in.get(f"/vendors/{vendor.id}"))
    assert "incomplete 99.9 %" in vendor_page

    sheet = openpyxl.load_workbook(io.BytesIO(signed_in.get("/payments/export.xlsx?period=2026-03").data)).active
    header = [c.value for c in sheet[1]]
    exported = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == "PW-2026-001")
    assert exported[header.index("Coverage (%)")].value == 99.9
