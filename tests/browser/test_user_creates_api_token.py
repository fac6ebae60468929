"""Finance creates a personal API token under Account, copies it (shown once), a BI tool reads payments with it,
and then finance revokes it: the same request gets 401."""
from __future__ import annotations

import json
import urllib.error
import urllib.request

from playwright.sync_api import Page, expect

from contracts_app.demo.city import DEMO_LAST_PERIOD
from tests.browser.conftest import expect_accessible, save_screenshot, sign_in


def _api(base: str, path: str, token: str) -> tuple[int, dict]:
    request = urllib.request.Request(f"{base}{path}", headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_finance_creates_sees_once_uses_and_revokes_an_api_token(page: Page, city_server: str, console_guard):
    sign_in(page, city_server, "finance@demo.city")
    page.goto(f"{city_server}/auth/account")
    page.get_by_role("link", name="API tokens").click()
    expect(page.get_by_role("heading", name="API tokens", level=1)).to_be_visible()
    expect(page.get_by_text("You have no API tokens yet.")).to_be_visible()

    # A bad expiry is refused, naming the limit, and what was typed stays.
    console_guard.allow(r"status of 400 .*/account/tokens/new\)")  # the refused form is answered with 400
    page.get_by_label("Name").fill("Power BI payments")
    page.get_by_label("Scope").select_option("read:payments")
    page.get_by_label("Expires after (days)").fill("500")
    page.get_by_role("button", name="Create token").click()
    expect(page.get_by_text("from 1 to 365, not '500'")).to_be_visible()
    expect(page.get_by_label("Name")).to_have_value("Power BI payments")

    page.get_by_label("Expires after (days)").fill("30")
    page.get_by_role("button", name="Create token").click()
    expect(page.get_by_role("alert").first).to_contain_text("shown only this once")
    token = page.get_by_label("Token", exact=True).input_value()
    assert token.startswith("ct_")
    row = page.get_by_test_id("tokens").locator("tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Power BI payments")
    expect(row).to_contain_text("read:payments")
    expect(row).to_contain_text("active")
    expect_accessible(page)
    save_screenshot(page, "api_token_created")

    status, body = _api(city_server, f"/api/v1/payments?period={DEMO_LAST_PERIOD}", token)
    assert status == 200 and body["meta"]["total"] > 0
    assert all(line["period"] == DEMO_LAST_PERIOD for line in body["data"])

    # Shown once: coming back, the list has only its first characters.
    page.goto(f"{city_server}/account/tokens/")
    assert token not in page.content()
    expect(row).to_contain_text(token[:15] + "_…")

    page.get_by_role("button", name="Revoke Power BI payments").click()
    expect(page.get_by_role("alert").first).to_contain_text("revoked")
    expect(row).to_contain_text("revoked")
    save_screenshot(page, "api_token_revoked")
    status, body = _api(city_server, "/api/v1/payments", token)
    assert status == 401 and "revoked" in body["error"]["message"]
