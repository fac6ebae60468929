"""Each role's dashboard on the demo city is a to-do list, and one of its links leads to the fix (issue 15).

The demo city has real gaps: its contracts began in 2025-07 but its sheets start in 2025-11 (four empty months
per contract), and no invoice is entered. Runs on a private copy: the procurement test moves an end date.
"""
from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import Page, expect

from models import today
from tests.browser.conftest import save_screenshot, sign_in


def todo_items(page: Page, kind: str):
    return page.locator(f'[data-testid="todo-item"][data-kind="{kind}"]')


def test_the_contract_manager_is_told_of_missing_months_and_reaches_the_upload_form(page: Page, city_server: str):
    sign_in(page, city_server, "manager@demo.city")
    expect(page.get_by_role("heading", name="What needs doing")).to_be_visible()
    overdue = todo_items(page, "overdue")
    expect(overdue.filter(has_text="PW-2025-101 2025-07: sheet overdue")).to_have_count(1)
    assert overdue.count() >= 16  # four empty months of each of the four PW- contracts
    save_screenshot(page, "todo-contract-manager")

    item = overdue.filter(has_text="PW-2025-101 2025-07")
    item.get_by_role("link", name="Upload the sheet").click()
    expect(page.get_by_role("heading", name="Monthly sheets · PW-2025-101")).to_be_visible()
    expect(page.locator("#period")).to_have_value("2025-07")  # the upload form
    expect(page.locator("#template-period")).to_have_value("2025-07")  # and the template to download
    save_screenshot(page, "todo-contract-manager-upload-form")


def test_finance_is_told_of_months_without_invoice_and_reaches_the_invoice_form(page: Page, city_server: str):
    sign_in(page, city_server, "finance@demo.city")
    invoices = todo_items(page, "invoice")
    expect(invoices.first).to_contain_text("scored contracts without an invoice")
    expect(invoices.filter(has_text="2026-10:")).to_have_count(1)
    save_screenshot(page, "todo-finance")

    invoices.filter(has_text="2026-10:").get_by_role("link", name="Enter the invoices").click()
    expect(page).to_have_url(f"{city_server}/payments/?period=2026-10#contract-1")
    expect(page.get_by_test_id("amount-PW-2025-101")).to_be_visible()
    save_screenshot(page, "todo-finance-invoice-form", full_page=False)


def test_procurement_sees_a_contract_ending_soon_and_reads_its_renewal_summary(page: Page, city_server: str):
    sign_in(page, city_server, "procurement@demo.city")
    expect(page.get_by_test_id("todo-empty")).to_contain_text("Nothing is waiting for you")

    # The demo's contracts end in 2027-06; bring one to 100 days from now through the edit form.
    page.goto(f"{city_server}/contracts/")
    page.get_by_role("link", name="PW-2025-104").first.click()
    page.get_by_role("link", name="Edit contract").click()
    page.get_by_label("End date").fill((today() + timedelta(days=100)).isoformat())
    page.get_by_role("button", name="Save").click()
    page.goto(f"{city_server}/")
    ending = todo_items(page, "ending")
    expect(ending).to_have_count(1)
    expect(ending).to_contain_text("PW-2025-104")
    expect(ending).to_contain_text("in 100 days")
    save_screenshot(page, "todo-procurement")

    ending.get_by_role("link", name="Read the renewal summary").click()
    expect(page.get_by_role("heading", name="Renewal summary · PW-2025-104")).to_be_visible()
    points = page.get_by_test_id("decision-points")
    expect(points).to_contain_text("have no committed sheet (2025-07, 2025-08, 2025-09, 2025-10")
    expect(page.get_by_test_id("rank")).to_contain_text(" of ")
    expect(page.get_by_role("button", name="Print")).to_be_visible()
    save_screenshot(page, "renewal-summary")


def test_the_admin_sees_a_failed_sign_in_and_reaches_the_account(page: Page, city_server: str, console_guard):
    console_guard.allow(r"status of 401 .*/auth/sign-in")  # the wrong password below is refused, as it must be
    page.goto(f"{city_server}/auth/sign-in")
    page.get_by_label("Email").fill("procurement@demo.city")
    page.get_by_label("Password").fill("not-the-password")
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()

    sign_in(page, city_server, "admin@demo.city")
    failed = todo_items(page, "failed").filter(has_text="account procurement@demo.city")
    expect(failed).to_have_count(1)
    expect(failed).to_contain_text("1 failed sign-in")
    save_screenshot(page, "todo-admin")

    failed.get_by_role("link", name="Manage").click()
    expect(page.get_by_role("heading", name="Pat Procurement")).to_be_visible()
    expect(page.get_by_text("procurement@demo.city").first).to_be_visible()
    save_screenshot(page, "todo-admin-manage-user", full_page=False)
