"""An admin sets up two-step sign-in, creates a finance user who enrols at first sign-in and signs in
with a TOTP code; the admin then deactivates them and the user's open session ends at once.

Runs on its own copy of the demo city (it creates and deactivates a user).
"""
from __future__ import annotations

import re

import pyotp
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import VIEWPORT, ConsoleGuard, save_screenshot, sign_in

ADMIN = "admin@demo.city"
NEWCOMER = "robin.ledger@demo.city"
NEWCOMER_PASSWORD = "maple-orbit-lantern-42"


def enrol(page: Page, password: str | None = None) -> list[str]:
    """On the set-up page: read the key (as from the QR code), type the app's code; returns the recovery codes."""
    expect(page.get_by_test_id("mfa-qr")).to_be_visible()
    src = page.get_by_test_id("mfa-qr").get_attribute("src")
    assert src.startswith("data:image/svg+xml"), "the QR code is drawn by the app, not fetched"
    secret = page.get_by_test_id("mfa-secret").inner_text().strip()
    if password:
        page.get_by_label("Your password").fill(password)
    page.get_by_label("Code from the app").fill(pyotp.TOTP(secret).now())
    with page.expect_navigation():
        page.get_by_role("button", name="Turn on two-step sign-in").click()
    expect(page.get_by_role("heading", name="Two-step sign-in is on")).to_be_visible()
    codes = page.get_by_test_id("recovery-codes").locator("li").all_inner_texts()
    assert len(codes) == 10
    return codes


def test_admin_enrols_creates_a_finance_user_who_enrols_then_is_deactivated(
        page: Page, city_server: str, browser: Browser, console_guard: ConsoleGuard):
    # --- the admin replaces the demo authenticator with their own ------------------------------------
    sign_in(page, city_server, ADMIN)
    page.get_by_role("link", name="Account").click()
    expect(page.get_by_test_id("mfa-status")).to_contain_text("On")
    page.get_by_role("link", name="Replace authenticator").click()
    save_screenshot(page, "admin-mfa-setup")
    enrol(page, password="demo-outcomes")
    save_screenshot(page, "admin-recovery-codes")

    # --- ... and creates a finance user ---------------------------------------------------------------
    page.goto(f"{city_server}/admin/users/new")
    page.get_by_label("Email").fill(NEWCOMER)
    page.get_by_label("Name").fill("Robin Ledger")
    page.get_by_label("Role").select_option("finance")
    page.get_by_label("Initial password").fill("password1234")
    page.get_by_role("button", name="Create user").click()
    expect(page.locator(".invalid-feedback")).to_contain_text("too common")
    page.get_by_label("Initial password").fill(NEWCOMER_PASSWORD)
    page.get_by_role("button", name="Create user").click()
    expect(page.get_by_role("alert")).to_contain_text(f"User {NEWCOMER} created as Finance.")

    # --- the finance user signs in (own browser), must enrol first, then uses a code ------------------
    context = browser.new_context(viewport=VIEWPORT, locale="en-US", timezone_id="UTC")
    context.set_default_timeout(10_000)
    finance = context.new_page()
    console_guard.watch(finance)
    try:
        sign_in(finance, city_server, NEWCOMER, NEWCOMER_PASSWORD, totp_secret=None)
        expect(finance).to_have_url(re.compile(r"/auth/mfa/setup$"))
        expect(finance.get_by_role("alert").first).to_contain_text("needs two-step sign-in")
        finance.goto(f"{city_server}/payments/")  # any other page sends them back
        expect(finance).to_have_url(re.compile(r"/auth/mfa/setup$"))
        save_screenshot(finance, "finance-must-enrol")
        enrol(finance)
        finance.get_by_role("link", name="I have saved them: continue").click()
        expect(finance.get_by_test_id("signed-in-as")).to_contain_text("Finance")
        save_screenshot(finance, "finance-enrolled-dashboard")

        # --- the admin sees the last sign-in and deactivates them -------------------------------------
        page.goto(f"{city_server}/admin/users")
        row = page.get_by_test_id("users").locator("tr").filter(has_text=NEWCOMER)
        expect(row).to_contain_text("On")
        row.get_by_role("link", name=re.compile("Manage")).click()
        expect(page.get_by_test_id("last-sign-in")).to_contain_text("UTC")
        page.get_by_role("button", name="Deactivate").click()
        expect(page.get_by_role("alert")).to_contain_text("their open sessions have ended")
        expect(page.get_by_test_id("user-status")).to_have_text("Deactivated")
        save_screenshot(page, "admin-deactivated-user")

        # --- the finance user's next page load goes to sign-in ----------------------------------------
        finance.reload()
        expect(finance).to_have_url(re.compile(r"/auth/sign-in"))
        expect(finance.get_by_role("heading", name="Sign in")).to_be_visible()
        save_screenshot(finance, "finance-session-ended")
    finally:
        context.close()
