"""A contract manager reads the data calendar on the demo city (issue 15): opens it from the navigation, keeps to
their own contracts of one category over the months since the terms began, sees the months no sheet came for
marked overdue (in words, not colour alone), follows one to the upload page of that month, and on a phone the
table scrolls in its own region rather than the page.

The demo's contracts began in 2025-07 and its sheets start at 2025-11: 2025-07 to 2025-10 are overdue on any day
after 2025-11-10, so the story names its months rather than relying on the default (the last 12 months)."""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import save_screenshot, sign_in

MANAGER = "manager@demo.city"


def test_a_manager_finds_overdue_sheets_and_opens_the_upload_page(page: Page, live_server: str, console_guard):
    sign_in(page, live_server, MANAGER)
    page.get_by_role("link", name="Calendar", exact=True).click()
    expect(page.get_by_role("heading", name="Data calendar", level=1)).to_be_visible()
    expect(page.get_by_test_id("legend")).to_contain_text("overdue: no sheet, and its due date has passed")

    page.get_by_label("Service category").select_option(label="Asphalt resurfacing")
    page.get_by_label("Contract manager").select_option(label="Morgan Manager (you)")
    page.get_by_label("First month").fill("2025-07")
    page.get_by_label("Last month").fill("2026-10")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"category=asphalt-resurfacing.*from=2025-07&to=2026-10"))

    grid = page.get_by_test_id("data-calendar")
    rows = grid.locator("tbody tr")
    expect(rows.first).to_be_visible()
    assert all(number.startswith("PW-") for number in grid.locator("tbody th a").all_inner_texts())
    overdue = grid.locator('td[data-state="overdue"]')
    expect(overdue).to_have_count(4 * rows.count())  # 2025-07 to 2025-10 for every contract
    expect(overdue.first).to_have_text(re.compile(r"^\s*overdue: PW-"))  # the word, not colour alone
    expect(grid.locator('td[data-period="2026-10"]').first).to_have_attribute("data-state", "committed, final")
    expect(page.get_by_test_id("calendar-summary")).to_contain_text(f"{4 * rows.count()} overdue")
    save_screenshot(page, "data-calendar-manager-filtered")

    number = grid.locator("tbody th a").first.inner_text()
    overdue.first.get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/contracts/\d+/sheets\?period=2025-07$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(number)
    expect(page.locator("#period")).to_have_value("2025-07")  # the upload form opens on that month
    expect(page.locator("#template-period")).to_have_value("2025-07")
    save_screenshot(page, "data-calendar-upload-page-from-overdue-cell")

    page.set_viewport_size({"width": 390, "height": 844})
    page.go_back()
    region = page.get_by_role("region", name=re.compile("Sheets by contract and month"))
    expect(region).to_be_visible()
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390  # the page does not scroll sideways
    assert region.evaluate("el => el.scrollWidth > el.clientWidth")  # the table does, in its region
    region.focus()
    expect(region).to_be_focused()
    region.scroll_into_view_if_needed()
    page.keyboard.press("ArrowRight")  # a keyboard user scrolls the focused table sideways
    save_screenshot(page, "data-calendar-phone", full_page=False)
