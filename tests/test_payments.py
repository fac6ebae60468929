"""Payment adjustments (SPEC §3 "Payment adjustment"): the finance page, invoice entry, the export, set-invoice.

Data is built through the real commit path (commit_rows), so every stored result below was computed by the
app; the expected amounts are worked out by hand in each test.
"""
from __future__ import annotations

import hashlib
import io
import json
import re
from datetime import date
from decimal import Decimal
from html import unescape

import openpyxl
import pytest
from sqlalchemy import select

from contracts_app.uploads.storing import commit_rows
from imports.check import CheckedRows
from models import AuditEvent, ClauseResult, ContractPeriodScore, Role, db

from .factories import (
    TEST_PASSWORD,
    CategoryFactory,
    ContractFactory,
    OutcomeClauseFactory,
    UserFactory,
    VendorFactory,
)

FINANCE_EMAIL = "finance@city.test"


# ---------------------------------------------------------------------------------------------- helpers

def rows(period: str, values: dict[str, list], prefix: str = "WO") -> CheckedRows:
    year, month = map(int, period.split("-"))
    n = len(next(iter(values.values())))
    return CheckedRows(row_numbers=list(range(2, n + 2)), row_keys=[f"{prefix}-{period}-{i}" for i in range(n)],
                       work_dates=[date(year, month, 1 + i) for i in range(n)], values=values, context={})


def commit(contract, period: str, checked: CheckedRows) -> None:
    sha = hashlib.sha256(json.dumps([contract.number, period, checked.row_keys, checked.values]).encode()).hexdigest()
    commit_rows(contract, period, checked, filename=f"{contract.number}_{period}.xlsx", sha256=sha, actor=None)
    db.session.commit()


def text_of(response) -> str:
    html = response.get_data(as_text=True)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def line_html(response, number: str) -> str:
    """The table row of one contract."""
    html = response.get_data(as_text=True)
    match = re.search(rf'<tr id="contract-\d+" data-testid="line-{re.escape(number)}".*?</tr>', html, re.S)
    assert match, f"no row for {number}"
    return match.group(0)


def row_text(response, number: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", line_html(response, number))))


def score_of(contract, period: str) -> ContractPeriodScore | None:
    db.session.expire_all()
    return db.session.scalars(select(ContractPeriodScore).where(
        ContractPeriodScore.contract_id == contract.id, ContractPeriodScore.period == period)).first()


def invoice_events() -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "invoice_set")))


def clause(contract, key, weight, incentive, penalty):
    return OutcomeClauseFactory(contract=contract, key=key, label=f"Clause {key}", weight=Decimal(weight),
                                target=Decimal("90"), minimum=Decimal("80"), incentive_pct=Decimal(incentive),
                                penalty_pct=Decimal(penalty), effective_from="2026-01")


# ---------------------------------------------------------------------------------------------- fixtures

@pytest.fixture
def finance(app):
    user = UserFactory(role=Role.FINANCE, email=FINANCE_EMAIL)
    db.session.commit()
    return user


@pytest.fixture
def signed_in(client, finance):
    assert client.sign_in(FINANCE_EMAIL, TEST_PASSWORD).status_code == 302
    return client


@pytest.fixture
def category(app):
    return CategoryFactory(slug="asphalt-resurfacing", name="Asphalt resurfacing")


@pytest.fixture
def capped(app, category):
    """Caps 5 % / 10 %; clauses: a, b met with incentives 3 % + 4 %; c, d failed with penalties 6 % + 8 %;
    e has no value (its 9 % / 9 % must count for nothing)."""
    contract = ContractFactory(number="PW-2026-001", category=category, vendor=VendorFactory(name="Harbor Paving Co"),
                               incentive_cap=Decimal("5"), penalty_cap=Decimal("10"))
    clause(contract, "a", 20, "3", "1")
    clause(contract, "b", 20, "4", "1")
    clause(contract, "c", 20, "1", "6")
    clause(contract, "d", 20, "1", "8")
    clause(contract, "e", 20, "9", "9")
    return contract


CAPPED_VALUES = {
    "a": [95, 92],      # mean 93.5 >= target 90: met
    "b": [91, 99],      # mean 95 >= 90: met
    "c": [70, 60],      # mean 65 < minimum 80: failed
    "d": [50, 75],      # mean 62.5 < 80: failed
    "e": [None, None],  # no value: earns nothing, no status but no_data
}


@pytest.fixture
def capped_month(capped):
    commit(capped, "2026-03", rows("2026-03", CAPPED_VALUES))
    return capped


# ---------------------------------------------------------------------------------------------- worked examples

def test_both_caps_bind_worked_example(signed_in, capped_month):
    contract = capped_month
    results = {r.clause_key: r.status.value for r in db.session.scalars(
        select(ClauseResult).where(ClauseResult.contract_id == contract.id))}
    assert results == {"a": "met", "b": "met", "c": "failed", "d": "failed", "e": "no_data"}

    response = signed_in.post_form("/payments/invoice",
                                   {"contract_id": contract.id, "period": "2026-03", "amount": "100,000.00"},
                                   token_from="/payments/?period=2026-03", follow_redirects=True)
    assert response.status_code == 200
    # By hand: invoice I = 100,000.00.
    #   incentives of met clauses a + b = 3 % + 4 % = 7 % > cap 5 %  -> bonus   = 100,000.00 × 5 %  =  5,000.00
    #   penalties of failed clauses c + d = 6 % + 8 % = 14 % > cap 10 % -> penalty = 100,000.00 × 10 % = 10,000.00
    #   e has no value: its 9 % / 9 % count for nothing.         net = 5,000.00 − 10,000.00 = −5,000.00
    score = score_of(contract, "2026-03")
    assert score.invoice_amount == Decimal("100000.00")
    assert (score.bonus, score.penalty, score.net) == (Decimal("5000"), Decimal("10000"), Decimal("-5000"))

    page = text_of(response)
    assert ("PW-2026-001 2026-03: invoice $100,000.00 recorded; bonus $5,000.00, penalty $10,000.00, "
            "net −$5,000.00") in page
    row = row_text(response, "PW-2026-001")
    assert "$100,000.00" in row and "$5,000.00" in row and "$10,000.00" in row and "−$5,000.00" in row
    assert "incentives 7 % capped at 5 %" in row
    assert "penalties 14 % capped at 10 %" in row
    assert "+3 % Clause a" in row and "+4 % Clause b" in row
    assert "−6 % Clause c" in row and "−8 % Clause d" in row
    assert "No value this month (no bonus or penalty): Clause e" in row
    # composite = (20·100 + 20·100 + 20·0 + 20·0) / 80 = 50.0; coverage 80 / 100: shown as incomplete
    assert "50.0" in row and "incomplete · 80 % coverage" in row
    # The audit trail has the change, before (scored, no invoice) and after.
    [event] = invoice_events()
    assert event.actor == FINANCE_EMAIL and event.before["invoice_amount"] is None
    assert event.after["invoice_amount"] == "100000" and event.after["net"] == "-5000"


def test_a_clause_with_no_value_earns_nothing(signed_in, category):
    contract = ContractFactory(number="PW-2026-002", category=category, incentive_cap=Decimal("50"),
                               penalty_cap=Decimal("50"))
    clause(contract, "pci", 60, "3", "2")
    clause(contract, "notice", 40, "9", "9")
    commit(contract, "2026-04", rows("2026-04", {"pci": [92, 94], "notice": [None, None]}))

    response = signed_in.post_form("/payments/invoice",
                                   {"contract_id": contract.id, "period": "2026-04", "amount": "20000"},
                                   token_from="/payments/", follow_redirects=True)
    # By hand: pci met (mean 93 >= 90) -> +3 %; notice has no value -> nothing (not +9 %, not −9 %).
    #   bonus = 20,000.00 × 3 % = 600.00; penalty = 0; net = +600.00 (caps of 50 % do not bind).
    score = score_of(contract, "2026-04")
    assert (score.bonus, score.penalty, score.net) == (Decimal("600"), Decimal("0"), Decimal("600"))
    assert "PW-2026-002 2026-04: invoice $20,000.00 recorded; bonus $600.00, net +$600.00" in text_of(response)
    row = row_text(response, "PW-2026-002")
    assert "No value this month (no bonus or penalty): Clause notice" in row
    assert "capped" not in row


def test_success_message_matches_the_issue_s_example(signed_in, category):
    # incentives 1 + 1 + 1 + 0.5 + 0.5 = 4 % (cap 5 %) of 182,500.00 = 7,300.00; nothing failed.
    contract = ContractFactory(number="PW-2025-101", category=category, start_date=date(2025, 7, 1),
                               end_date=date(2027, 6, 30))
    for key, pct in (("iri", "1"), ("pci", "1"), ("on_time", "1"), ("defects", "0.5"), ("notice", "0.5")):
        clause(contract, key, 20, pct, "1")
    commit(contract, "2026-10", rows("2026-10", {k: [95, 96] for k in ("iri", "pci", "on_time", "defects", "notice")}))
    response = signed_in.post_form("/payments/invoice",
                                   {"contract_id": contract.id, "period": "2026-10", "amount": "$182,500.00"},
                                   token_from="/payments/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/payments/?period=2026-10")
    page = text_of(signed_in.get(response.headers["Location"]))
    assert "PW-2025-101 2026-10: invoice $182,500.00 recorded; bonus $7,300.00, net +$7,300.00" in page


def test_changing_the_invoice_recomputes_only_that_period(signed_in, capped):
    commit(capped, "2026-01", rows("2026-01", CAPPED_VALUES, prefix="JAN"))
    commit(capped, "2026-02", rows("2026-02", CAPPED_VALUES, prefix="FEB"))
    for period in ("2026-01", "2026-02"):
        assert signed_in.post_form("/payments/invoice", {"contract_id": capped.id, "period": period,
                                                         "amount": "100000"}, token_from="/payments/").status_code == 302

    def computed(period):
        db.session.expire_all()
        score = score_of(capped, period)
        results = db.session.scalars(select(ClauseResult.computed_at).where(
            ClauseResult.contract_id == capped.id, ClauseResult.period == period)).all()
        return score.computed_at, sorted(results)

    january, february = computed("2026-01"), computed("2026-02")
    response = signed_in.post_form("/payments/invoice", {"contract_id": capped.id, "period": "2026-02",
                                                         "amount": "50000.00"},
                                   token_from="/payments/?period=2026-02", follow_redirects=True)
    # By hand: 50,000.00 × 5 % = 2,500.00 bonus; × 10 % = 5,000.00 penalty; net −2,500.00.
    assert ("PW-2026-001 2026-02: invoice changed from $100,000.00 to $50,000.00; bonus $2,500.00, "
            "penalty $5,000.00, net −$2,500.00") in text_of(response)
    assert computed("2026-01") == january, "January was recomputed although only February's invoice changed"
    assert computed("2026-02")[0] > february[0]
    jan, feb = score_of(capped, "2026-01"), score_of(capped, "2026-02")
    assert (jan.invoice_amount, jan.net) == (Decimal("100000.00"), Decimal("-5000"))
    assert (feb.invoice_amount, feb.bonus, feb.penalty, feb.net) == (
        Decimal("50000.00"), Decimal("2500"), Decimal("5000"), Decimal("-2500"))
    last = invoice_events()[-1]
    assert last.before["invoice_amount"] == "100000" and last.after["invoice_amount"] == "50000"


def test_the_same_amount_again_changes_nothing(signed_in, capped_month):
    data = {"contract_id": capped_month.id, "period": "2026-03", "amount": "100000"}
    signed_in.post_form("/payments/invoice", data, token_from="/payments/")
    response = signed_in.post_form("/payments/invoice", {**data, "amount": "100,000.00"}, token_from="/payments/",
                                   follow_redirects=True)
    assert "PW-2026-001 2026-03: the invoice is already $100,000.00; nothing changed." in text_of(response)
    assert len(invoice_events()) == 1


@pytest.mark.parametrize("typed, message", [
    ("12,34x", "'12,34x' is not an amount of money; write it like 182500.00"),
    ("-5", "The invoice amount must be zero or more."),
    ("12.345", "Invoice amounts are in dollars and cents: at most 2 decimals."),
    ("", "Enter the invoice amount, e.g. 182500.00."),
])
def test_the_form_refuses_bad_amounts_keeps_what_was_typed_and_stores_nothing(signed_in, capped_month, typed,
                                                                               message):
    response = signed_in.post_form("/payments/invoice",
                                   {"contract_id": capped_month.id, "period": "2026-03", "amount": typed},
                                   token_from="/payments/")
    assert response.status_code == 200
    row = line_html(response, "PW-2026-001")
    assert message in unescape(row), "the message belongs next to that contract's field"
    field = re.search(r'<input type="text"[^>]*name="amount"[^>]*>', row, re.S).group(0)
    assert 'is-invalid' in field and f'value="{typed}"' in field
    assert score_of(capped_month, "2026-03").invoice_amount is None
    assert invoice_events() == []


def test_a_month_outside_the_term_is_refused(signed_in, capped):
    response = signed_in.post_form("/payments/invoice",
                                   {"contract_id": capped.id, "period": "2027-05", "amount": "1000"},
                                   token_from="/payments/")
    assert "2027-05 is outside PW-2026-001's term." in text_of(response)
    assert score_of(capped, "2027-05") is None and invoice_events() == []


def test_an_unknown_contract_is_refused(signed_in, capped_month):
    response = signed_in.post_form("/payments/invoice", {"contract_id": "999999", "period": "2026-03",
                                                         "amount": "1000"}, token_from="/payments/",
                                   follow_redirects=True)
    assert "Invoice not recorded: the form did not say which contract and month." in text_of(response)
    assert invoice_events() == []


# ---------------------------------------------------------------------------------------------- the page

def test_page_defaults_to_the_latest_month_and_lists_every_kind_of_line(signed_in, capped, category):
    commit(capped, "2026-02", rows("2026-02", CAPPED_VALUES, prefix="FEB"))
    commit(capped, "2026-03", rows("2026-03", CAPPED_VALUES))
    waiting = ContractFactory(number="PW-2026-003", category=category)
    clause(waiting, "pci", 100, "2", "2")
    commit(waiting, "2026-03", rows("2026-03", {"pci": [95, 95]}, prefix="W"))
    silent = ContractFactory(number="PW-2026-004", category=category)  # in force, but no sheet for 2026-03
    clause(silent, "pci", 100, "2", "2")
    ContractFactory(number="PW-2026-099", category=category, start_date=date(2027, 1, 1),
                    end_date=date(2027, 12, 31))  # not in force in 2026-03: not listed
    signed_in.post_form("/payments/invoice", {"contract_id": capped.id, "period": "2026-03", "amount": "100000"},
                        token_from="/payments/")
    signed_in.post_form("/payments/invoice", {"contract_id": silent.id, "period": "2026-03", "amount": "4000"},
                        token_from="/payments/")

    response = signed_in.get("/payments/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<option selected value="2026-03">' in html, "the latest month with committed data is the default"
    states = dict(re.findall(r'data-testid="line-([^"]+)" data-state="([^"]+)"', html))
    assert states == {"PW-2026-001": "adjusted", "PW-2026-003": "awaiting_invoice", "PW-2026-004": "no_sheet"}

    assert "Not entered" in row_text(response, "PW-2026-003")
    assert 'name="amount"' in line_html(response, "PW-2026-003")
    # By hand for the waiting contract: pci met -> 2 % (cap 5 %) once an invoice is entered.
    assert "Once entered: bonus 2 % and penalty 0 % of it." in row_text(response, "PW-2026-003")
    silent_row = row_text(response, "PW-2026-004")
    assert ("No committed sheet for 2026-03: not scored, so no bonus or penalty; the invoice will be adjusted once "
            "a sheet is committed.") in silent_row
    assert "$4,000.00" in silent_row and "$0.00" not in silent_row, "no sheet is not a zero adjustment"

    # Totals: invoices 100,000.00 + 4,000.00 = 104,000.00; bonus 5,000.00, penalty 10,000.00, net −5,000.00
    # (only PW-2026-001 is adjusted; PW-2026-004's invoice has no adjustment).
    totals = re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", re.search(
        r'<tr class="fw-semibold" data-testid="totals-row">.*?</tr>', html, re.S).group(0))))
    assert totals.split() == ["Total", "2026-03", "$104,000.00", "$5,000.00", "$10,000.00", "−$5,000.00"]
    page = text_of(response)
    assert "2 of 3 contracts" in page
    assert "1 contract scored for 2026-03 but with no invoice entered" in page
    assert "1 contract with no committed sheet for 2026-03: not scored, so no adjustment (this is not a zero score)" \
        in page

    february = signed_in.get("/payments/?period=2026-02")
    assert dict(re.findall(r'data-testid="line-([^"]+)" data-state="([^"]+)"', february.get_data(as_text=True))) == {
        "PW-2026-001": "awaiting_invoice", "PW-2026-003": "no_sheet", "PW-2026-004": "no_sheet"}


def test_invoice_before_the_sheet_is_kept_and_applied_when_the_sheet_is_committed(signed_in, capped):
    response = signed_in.post_form("/payments/invoice", {"contract_id": capped.id, "period": "2026-05",
                                                         "amount": "100000"}, token_from="/payments/",
                                   follow_redirects=True)
    assert ("PW-2026-001 2026-05: invoice $100,000.00 recorded; no committed sheet for 2026-05 yet, so no bonus "
            "or penalty until one is committed.") in text_of(response)
    commit(capped, "2026-05", rows("2026-05", CAPPED_VALUES, prefix="MAY"))
    score = score_of(capped, "2026-05")
    assert (score.bonus, score.penalty, score.net) == (Decimal("5000"), Decimal("10000"), Decimal("-5000"))


def test_category_filter_and_bad_period(signed_in, capped_month):
    other = ContractFactory(number="SL-2026-201", category=CategoryFactory(slug="street-lights", name="Street lights"))
    clause(other, "fixed", 100, "1", "1")
    commit(other, "2026-03", rows("2026-03", {"fixed": [95]}, prefix="SL"))
    both = signed_in.get("/payments/?period=2026-03").get_data(as_text=True)
    assert "line-PW-2026-001" in both and "line-SL-2026-201" in both
    only = signed_in.get("/payments/?period=2026-03&category=street-lights").get_data(as_text=True)
    assert "line-PW-2026-001" not in only and "line-SL-2026-201" in only
    bad = signed_in.get("/payments/?period=2026-13")
    assert bad.status_code == 200
    assert "'2026-13' is not a month; write it as YYYY-MM" in text_of(bad)
    assert "Payment adjustments · 2026-03" in text_of(bad)
    assert "There is no category 'nope'" in text_of(signed_in.get("/payments/?category=nope"))


def test_page_with_no_data_at_all(signed_in):
    response = signed_in.get("/payments/")
    assert response.status_code == 200
    assert "No month has committed performance data yet" in text_of(response)


# ---------------------------------------------------------------------------------------------- access

@pytest.mark.parametrize("role", [Role.PROCUREMENT, Role.CONTRACT_MANAGER, Role.ADMIN])
def test_finance_only(app, client, capped_month, role):
    UserFactory(role=role, email="other@city.test")
    db.session.commit()
    client.sign_in("other@city.test", TEST_PASSWORD)
    assert client.get("/payments/").status_code == 403
    assert client.get("/payments/?period=2026-03").status_code == 403
    assert client.get("/payments/export.xlsx?period=2026-03").status_code == 403
    response = client.post_form("/payments/invoice",
                                {"contract_id": capped_month.id, "period": "2026-03", "amount": "100000"},
                                token_from="/")
    assert response.status_code == 403
    assert "This page needs the Finance role" in text_of(response)
    assert score_of(capped_month, "2026-03").invoice_amount is None
    assert invoice_events() == []


def test_signed_out_and_without_csrf_token(app, client, finance, capped_month):
    assert client.get("/payments/").status_code == 302
    token = client.csrf_token("/auth/sign-in")
    response = client.post("/payments/invoice", data={"contract_id": capped_month.id, "period": "2026-03",
                                                      "amount": "1", "csrf_token": token})
    assert response.status_code == 302 and "/auth/sign-in" in response.headers["Location"]
    client.sign_in(FINANCE_EMAIL, TEST_PASSWORD)
    response = client.post("/payments/invoice", data={"contract_id": capped_month.id, "period": "2026-03",
                                                      "amount": "1"})
    assert response.status_code == 400
    assert score_of(capped_month, "2026-03").invoice_amount is None


# ---------------------------------------------------------------------------------------------- CLI

def test_set_invoice_command_exit_codes_and_output(cli, capped_month):
    result = cli.invoke(args=["set-invoice", "PW-2026-001", "2026-03", "100000"])
    assert result.exit_code == 0, result.output
    # Same worked example as on the page: bonus 5 % cap, penalty 10 % cap of 100,000.00.
    assert result.stdout.strip() == ("PW-2026-001 2026-03: invoice $100,000.00; bonus $5,000.00, penalty $10,000.00, "
                                     "net −$5,000.00.")
    assert score_of(capped_month, "2026-03").net == Decimal("-5000")

    bad = cli.invoke(args=["set-invoice", "PW-2026-001", "2026-03", "12,34x"])
    assert bad.exit_code == 1
    assert "Invoice not recorded: '12,34x' is not an amount of money; write it like 182500.00" in bad.stderr
    for amount, message in (("-5", "must be zero or more"), ("12.345", "at most 2 decimals")):
        refused = cli.invoke(args=["set-invoice", "PW-2026-001", "2026-03", "--", amount])
        assert refused.exit_code == 1 and message in refused.stderr
    unknown = cli.invoke(args=["set-invoice", "NOPE-1", "2026-03", "100"])
    assert unknown.exit_code == 1 and "No contract numbered NOPE-1." in unknown.stderr
    missing = cli.invoke(args=["set-invoice", "PW-2026-001", "2026-03"])
    assert missing.exit_code == 2 and "Missing argument 'AMOUNT'" in missing.stderr
    # None of the refusals changed the stored invoice.
    assert score_of(capped_month, "2026-03").invoice_amount == Decimal("100000.00")


# ---------------------------------------------------------------------------------------------- export

def test_export_reads_back_with_the_same_amounts_and_totals(signed_in, capped_month, category):
    # A vendor name that Excel would run as a formula if written carelessly.
    other = ContractFactory(number="PW-2026-005", category=category,
                            vendor=VendorFactory(name='=HYPERLINK("http://evil.test","x")'),
                            incentive_cap=Decimal("5"), penalty_cap=Decimal("10"))
    clause(other, "pci", 100, "2", "3")
    commit(other, "2026-03", rows("2026-03", {"pci": [96, 94]}, prefix="O"))
    silent = ContractFactory(number="PW-2026-006", category=category)
    clause(silent, "pci", 100, "2", "3")
    for contract, amount in ((capped_month, "100000"), (other, "12345.67")):
        signed_in.post_form("/payments/invoice", {"contract_id": contract.id, "period": "2026-03", "amount": amount},
                            token_from="/payments/")

    response = signed_in.get("/payments/export.xlsx?period=2026-03")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "payment-adjustments_2026-03.xlsx" in response.headers["Content-Disposition"]
    workbook = openpyxl.load_workbook(io.BytesIO(response.data))
    assert workbook.sheetnames == ["Adjustments 2026-03", "Causing clauses"]
    sheet = workbook["Adjustments 2026-03"]
    header = [c.value for c in sheet[1]]
    col = {name: i for i, name in enumerate(header)}
    by_number = {row[0].value: row for row in sheet.iter_rows(min_row=2) if row[0].value}

    capped_row = by_number["PW-2026-001"]
    # By hand, as on the page: 100,000.00 -> bonus 5,000.00 (7 % capped at 5 %), penalty 10,000.00 (14 % capped
    # at 10 %), net −5,000.00.
    assert [capped_row[col[h]].value for h in ("Invoice", "Bonus", "Penalty", "Net")] == [100000, 5000, 10000, -5000]
    assert capped_row[col["Incentives earned (%)"]].value == 7 and capped_row[col["Penalties incurred (%)"]].value == 14
    assert capped_row[col["Met clauses (incentive %)"]].value == "a (3 %); b (4 %)"
    assert capped_row[col["Failed clauses (penalty %)"]].value == "c (6 %); d (8 %)"
    assert capped_row[col["Cap note"]].value == "incentives 7 % capped at 5 %; penalties 14 % capped at 10 %"
    for name in ("Invoice", "Bonus", "Penalty", "Net"):
        cell = capped_row[col[name]]
        assert cell.data_type == "n" and cell.number_format == "#,##0.00"

    other_row = by_number["PW-2026-005"]
    # pci met (mean 95): 2 % of 12,345.67 = 246.9134, paid (stored and exported) as 246.91, rounded to the cent.
    assert other_row[col["Bonus"]].value == pytest.approx(246.91, abs=1e-9)
    assert other_row[col["Net"]].value == pytest.approx(246.91, abs=1e-9)
    vendor_cell = other_row[col["Vendor"]]
    assert vendor_cell.value == '=HYPERLINK("http://evil.test","x")' and vendor_cell.data_type == "s"

    silent_row = by_number["PW-2026-006"]
    assert silent_row[col["Status"]].value == "no committed sheet: no adjustment"
    assert [silent_row[col[h]].value for h in ("Invoice", "Bonus", "Penalty", "Net")] == [None] * 4

    totals = by_number["Total"]
    # 100,000.00 + 12,345.67 = 112,345.67; bonus 5,000 + 246.91 = 5,246.91; penalty 10,000; net −4,753.09.
    assert totals[col["Invoice"]].value == pytest.approx(112345.67)
    assert totals[col["Bonus"]].value == pytest.approx(5246.91)
    assert totals[col["Penalty"]].value == pytest.approx(10000)
    assert totals[col["Net"]].value == pytest.approx(-4753.09)
    # Totals equal the column sums of the lines (what Excel's SUM gives).
    lines = [r for number, r in by_number.items() if number != "Total"]
    for name in ("Invoice", "Bonus", "Penalty", "Net"):
        assert totals[col[name]].value == pytest.approx(sum(r[col[name]].value or 0 for r in lines))

    causes = workbook["Causing clauses"]
    cause_rows = [[c.value for c in row] for row in causes.iter_rows(min_row=2)]
    assert ["PW-2026-001", "a", "Clause a", "met", 3, None, "bonus"] in cause_rows
    assert ["PW-2026-001", "d", "Clause d", "failed", None, 8, "penalty"] in cause_rows
    assert ["PW-2026-001", "e", "Clause e", "no data", None, None, "nothing (no value this month)"] in cause_rows

    # The page shows the same totals, rounded to cents.
    page = text_of(signed_in.get("/payments/?period=2026-03"))
    assert "$112,345.67" in page and "$5,246.91" in page and "−$4,753.09" in page


def test_export_refuses_a_bad_period(signed_in, capped_month):
    assert signed_in.get("/payments/export.xlsx?period=March").status_code == 400
    default = signed_in.get("/payments/export.xlsx")
    assert default.status_code == 200 and "payment-adjustments_2026-03.xlsx" in default.headers["Content-Disposition"]


def test_a_zero_invoice_is_an_invoice(signed_in, capped_month):
    response = signed_in.post_form("/payments/invoice", {"contract_id": capped_month.id, "period": "2026-03",
                                                         "amount": "0"}, token_from="/payments/",
                                   follow_redirects=True)
    # 0 × 5 % = 0 and 0 × 10 % = 0: recorded, adjusted, nothing to pay or deduct.
    assert "PW-2026-001 2026-03: invoice $0.00 recorded; no bonus or penalty, net $0.00" in text_of(response)
    assert 'data-state="adjusted"' in line_html(response, "PW-2026-001")
    assert "1 of 1 contract " in text_of(response)
