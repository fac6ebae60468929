"""A disputed month's bonus and penalty are on hold, and months not final are marked (SPEC §8)."""
from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from html import unescape

import openpyxl
import pytest

from contracts_app.disputes.services import open_dispute, reject_dispute
from contracts_app.payments.invoices import set_invoice
from models import Role

from .disputes_support import commit_month, make_contract, make_manager, make_vendor_user
from .factories import TEST_PASSWORD, UserFactory

NOW = datetime(2026, 4, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _april_2026(time_machine):
    time_machine.move_to(NOW, tick=True)


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


@pytest.fixture
def two_months(app, tmp_path):
    """PW-2026-400 (disputed, pci 75: penalty) and PW-2026-401 (provisional, pci 95: bonus), both invoiced."""
    disputed = make_contract("PW-2026-400")
    manager = make_manager(disputed)
    commit_month(disputed, tmp_path, manager, pci=75, name="a.xlsx")
    clean = make_contract("PW-2026-401")
    commit_month(clean, tmp_path, make_manager(clean), pci=95, name="b.xlsx")
    set_invoice(disputed, "2026-03", Decimal("100000"), None)
    set_invoice(clean, "2026-03", Decimal("50000"), None)
    dispute = open_dispute(disputed, "2026-03", clause_keys=["pci_after"], row_keys_text="", reason="Wrong gauge.",
                           files=[], actor=make_vendor_user(disputed))
    return disputed, clean, dispute, manager


def finance_client(app):
    client = app.test_client()
    client.sign_in(UserFactory(role=Role.FINANCE).email, TEST_PASSWORD)
    return client


def test_the_payments_page_holds_a_disputed_months_money_and_totals_only_the_payable(app, two_months):
    disputed, clean, _, _ = two_months
    html = finance_client(app).get("/payments/?period=2026-03").get_data(as_text=True)
    line = text_of(re.search(rf'<tr id="contract-{disputed.id}".*?</tr>', html, re.S).group(0))
    # pci 75 fails (minimum 80): penalty 2 % of 100,000 = 2,000; on_time met: bonus 1 % = 1,000; all on hold.
    assert "on hold (disputed): $2,000.00" in line and "on hold (disputed): $1,000.00" in line
    assert "on hold (disputed): −$1,000.00" in line and "disputed" in line
    clean_line = text_of(re.search(rf'<tr id="contract-{clean.id}".*?</tr>', html, re.S).group(0))
    assert "on hold" not in clean_line and "provisional" in clean_line
    totals = text_of(re.search(r'data-testid="totals-row">.*?</tr>', html, re.S).group(0))
    held = text_of(re.search(r'data-testid="held-row">.*?</tr>', html, re.S).group(0))
    # Payable: only PW-2026-401's bonus, 1 % (on_time met) + 1 % (pci met) of 50,000 = 1,000.
    assert "Total payable 2026-03" in totals and "$1,000.00" in totals and "+$1,000.00" in totals
    assert "On hold (disputed), not payable $1,000.00 $2,000.00 −$1,000.00" in held


def test_the_payments_export_has_the_review_and_payment_columns_and_a_held_total(app, two_months):
    disputed, clean, _, _ = two_months
    data = finance_client(app).get("/payments/export.xlsx?period=2026-03").data
    sheet = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    header = rows[0]
    by_first = {row[0]: dict(zip(header, row, strict=True)) for row in rows[1:] if row[0]}
    assert by_first["PW-2026-400"]["Review (SPEC §8)"] == "disputed"
    assert by_first["PW-2026-400"]["Payment"] == "on hold (disputed)"
    assert by_first["PW-2026-401"]["Review (SPEC §8)"] == "provisional"
    assert by_first["PW-2026-401"]["Payment"] == "payable"
    assert by_first["Total payable"]["Net"] == pytest.approx(1000)
    assert by_first["Total on hold (disputed), not payable"]["Net"] == pytest.approx(-1000)


def test_the_cli_says_on_hold_and_separates_the_totals(app, cli, two_months):
    disputed, _, _, _ = two_months
    table = cli.invoke(args=["scores", "PW-2026-400"])
    assert table.exit_code == 0, table.output
    assert "net on hold (disputed): -1,000.00" in table.output and "[disputed]" in table.output
    assert "total net payable 0.00; on hold (disputed), not payable: -1,000.00" in table.output
    document = json.loads(cli.invoke(args=["scores", "PW-2026-400", "--format", "json"]).output)
    row = document["records"][0]
    assert row["review"] == "disputed" and row["on_hold"] is True
    ranking = json.loads(cli.invoke(args=["rankings", disputed.category.slug, "--period", "2026-03", "--format",
                                          "json"]).output)
    assert [(r["review"], r["months_not_final"]) for r in ranking["records"]] == [("disputed", ["PW-2026-400 2026-03"])]
    invoice = cli.invoke(args=["set-invoice", "PW-2026-400", "2026-03", "120000"])
    assert invoice.exit_code == 0, invoice.output
    assert "penalty on hold (disputed): $2,400.00" in invoice.output
    assert "not payable until the dispute is resolved" in invoice.output


def test_resolving_releases_the_hold_and_the_window_closing_makes_the_month_final(app, two_months, time_machine):
    disputed, clean, dispute, manager = two_months
    client = finance_client(app)
    card = client.get(f"/contracts/{disputed.id}/scorecard").get_data(as_text=True)
    assert 'review-mark review-disputed' in card and "Wrong gauge." in card
    vendor_page = client.get(f"/vendors/{disputed.vendor_id}").get_data(as_text=True)
    assert 'review-mark review-disputed' in vendor_page
    reject_dispute(dispute, "The gauge was calibrated.", manager)
    html = client.get("/payments/?period=2026-03").get_data(as_text=True)
    assert "on hold" not in text_of(html)
    card = client.get(f"/contracts/{disputed.id}/scorecard").get_data(as_text=True)
    assert "review-provisional" in card and "The gauge was calibrated." in card
    time_machine.move_to(NOW + timedelta(days=15), tick=True)
    client = finance_client(app)
    card = client.get(f"/contracts/{disputed.id}/scorecard").get_data(as_text=True)
    assert "review-mark" not in card
