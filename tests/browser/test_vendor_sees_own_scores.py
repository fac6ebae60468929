"""A vendor user (the demo's Ridgeline Asphalt staff) signs in with its second step and finds its own contract,
its scorecard and the rows behind a number, its months and payments, and its rank beside the category's other
scores, none of them named (SPEC §1). Finance first enters an invoice, so there is a payment to see."""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from contracts_app.demo.city import CONTRACTS, DEMO_LAST_PERIOD, DEMO_USER_VENDORS
from tests.browser.conftest import save_screenshot, sign_in

VENDOR_EMAIL = "ridgeline@demo.city"
VENDOR_NAME = DEMO_USER_VENDORS[VENDOR_EMAIL]
OWN = [c for c in CONTRACTS if c[2] == VENDOR_NAME]
OTHERS = [c for c in CONTRACTS if c[2] != VENDOR_NAME]
OWN_NUMBER = OWN[0][0]


def _no_other_vendor(page: Page) -> None:
    text = page.locator("body").inner_text()
    for number, _title, vendor, *_rest in OTHERS:
        assert vendor not in text and number not in text, f"{vendor} / {number} shown to {VENDOR_NAME}"


def test_a_vendor_user_sees_its_own_scores_rows_payments_and_rank(page: Page, city_server: str, console_guard):
    # Finance records the last month's invoice for the vendor's contract.
    sign_in(page, city_server, "finance@demo.city")
    page.goto(f"{city_server}/payments/?period={DEMO_LAST_PERIOD}&category=asphalt-resurfacing")
    page.get_by_label(f"Invoice amount for {OWN_NUMBER}, {DEMO_LAST_PERIOD}, in dollars").fill("80000")
    page.get_by_label(f"Invoice amount for {OWN_NUMBER}, {DEMO_LAST_PERIOD}, in dollars").press("Enter")
    expect(page.get_by_role("alert").first).to_contain_text(f"{OWN_NUMBER} {DEMO_LAST_PERIOD}: invoice $80,000.00 recorded")
    page.get_by_role("button", name="Sign out").click()

    # The vendor signs in (password, then the TOTP code) and lands on its own portal.
    sign_in(page, city_server, VENDOR_EMAIL)
    expect(page).to_have_url(f"{city_server}/vendor-portal/")
    expect(page.get_by_role("heading", name=f"{VENDOR_NAME} · your contracts", level=1)).to_be_visible()
    assert [t.strip() for t in page.locator("#main-nav .navbar-nav .nav-link").all_inner_texts()] == ["Your contracts"]
    contracts = page.get_by_test_id("vendor-contracts")
    expect(contracts.locator("tbody tr")).to_have_count(len(OWN))
    expect(contracts).to_contain_text(OWN_NUMBER)
    expect(contracts.get_by_test_id("latest-composite")).to_have_text(re.compile(r"^\d+\.\d$"))

    standing = page.get_by_test_id("standing").filter(has_text="Asphalt")
    expect(standing.get_by_test_id("rank")).to_have_text(re.compile(r"^[1-4] of 4$"))
    expect(standing.get_by_test_id("spread")).to_contain_text("lowest")
    expect(standing.get_by_test_id("other-scores")).to_have_text(re.compile(r"best first: \d+\.\d, \d+\.\d, \d+\.\d\.$"))
    chart = standing.get_by_test_id("spread-chart")
    expect(chart).to_contain_text("Your company")
    expect(chart).to_contain_text("Another vendor")
    _no_other_vendor(page)
    save_screenshot(page, "vendor-portal-home")

    # Its contract: months with the committed sheet and the payment the invoice made.
    contracts.get_by_role("link", name=OWN_NUMBER).click()
    expect(page.get_by_role("heading", name=re.compile(OWN_NUMBER), level=1)).to_be_visible()
    last = page.get_by_test_id("months").locator(f'tr[data-period="{DEMO_LAST_PERIOD}"]')
    expect(last.get_by_test_id("invoice")).to_have_text("$80,000.00")
    expect(last.get_by_test_id("net")).to_have_text(re.compile(r"^[+−-]?\$[\d,]+\.\d\d$"))
    expect(last.get_by_test_id("sheet")).to_contain_text(".xlsx")
    _no_other_vendor(page)
    save_screenshot(page, "vendor-portal-contract")

    # The scorecard, and the rows behind one number.
    page.get_by_role("link", name="Scorecard", exact=True).first.click()
    expect(page.get_by_role("heading", name=re.compile(f"Scorecard · {OWN_NUMBER}"))).to_be_visible()
    expect(page.get_by_role("link", name="Your contracts").first).to_be_visible()
    _no_other_vendor(page)
    save_screenshot(page, "vendor-scorecard", full_page=False)
    page.locator(f'tr[data-period="{DEMO_LAST_PERIOD}"] td.scorecard-cell a').first.click()
    rows = page.get_by_test_id("rows")
    expect(rows.locator("tbody tr").first).to_be_visible()
    assert rows.locator("tbody tr").count() > 1
    _no_other_vendor(page)
    save_screenshot(page, "vendor-drilldown")

    # The city's pages do not exist for a vendor user.
    console_guard.allow(r"status of 404")  # Chromium logs the page not found as a failed resource
    page.goto(f"{city_server}/rankings/")
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
