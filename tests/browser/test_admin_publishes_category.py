"""An admin publishes the demo city's asphalt category; an anonymous visitor (a new browser context, no cookies)
opens its public scorecard, a contract's final months, and downloads the CSV of the monthly results.

Runs on its own copy of the demo city (publishing changes data). The demo seed closes its months' review
windows, so they are final and shown.
"""
from __future__ import annotations

import csv
import io

from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import VIEWPORT, ConsoleGuard, expect_accessible, save_screenshot, sign_in

ADMIN = "admin@demo.city"
RESULT_HEADER = ["contract", "vendor", "period", "clause_key", "value", "attainment", "status", "composite",
                 "coverage", "observations"]


def test_admin_publishes_asphalt_and_a_visitor_reads_and_downloads_it(
        page: Page, city_server: str, browser: Browser, console_guard: ConsoleGuard):
    # --- before publishing, the public address does not exist --------------------------------------------
    console_guard.allow(r"status of 404")  # the address before publishing, on purpose
    visitor_context = browser.new_context(viewport=VIEWPORT, locale="en-US", timezone_id="UTC")
    visitor = visitor_context.new_page()
    console_guard.watch(visitor)
    assert visitor.goto(f"{city_server}/public/asphalt-resurfacing/").status == 404
    expect(visitor.get_by_role("heading", name="No published scorecard here")).to_be_visible()

    # --- the admin publishes the category from its page, with the street column --------------------------
    sign_in(page, city_server, ADMIN)
    page.get_by_role("link", name="Categories").click()
    page.get_by_role("link", name="Asphalt resurfacing", exact=True).click()
    publishing = page.get_by_test_id("publishing")
    expect(publishing).to_contain_text("Not published")
    publishing.get_by_label("street").check()
    with page.expect_navigation():
        publishing.get_by_role("button", name="Publish scorecard").click()
    expect(page.get_by_role("alert")).to_contain_text("The scorecard of Asphalt resurfacing is public at")
    expect(page.get_by_test_id("publishing-state")).to_contain_text("Published since")
    expect(page.get_by_test_id("publishing-state")).to_contain_text(ADMIN)
    save_screenshot(page, "public-admin-published-category")

    # --- an anonymous visitor reads the scorecard --------------------------------------------------------
    response = visitor.goto(f"{city_server}/public/")
    assert response.status == 200 and response.headers["cache-control"] == "public, max-age=300"
    visitor.get_by_role("link", name="Asphalt resurfacing").click()
    expect(visitor.get_by_test_id("public-heading")).to_have_text("Asphalt resurfacing")
    rows = visitor.get_by_test_id("public-ranking-row")
    expect(rows).to_have_count(4)
    expect(visitor.get_by_test_id("public-rankings")).to_contain_text("Harbor Paving Co")
    expect(visitor.get_by_test_id("interval-chart").locator("svg")).to_be_visible()
    expect(visitor.get_by_role("link", name="Sign out")).to_have_count(0)
    assert visitor_context.cookies() == [], "the public pages set no cookie"
    save_screenshot(visitor, "public-category-scorecard")
    expect_accessible(visitor)

    visitor.get_by_role("link", name="PW-2025-101").click()
    expect(visitor.get_by_test_id("public-month").first).to_contain_text("composite")
    save_screenshot(visitor, "public-contract-months")
    visitor.go_back()

    # --- ... and downloads the monthly results as CSV ----------------------------------------------------
    with visitor.expect_download() as download_info:
        visitor.get_by_test_id("download-results-csv").click()
    download = download_info.value
    assert download.suggested_filename == "asphalt-resurfacing_results.csv"
    text = open(download.path(), encoding="utf-8-sig").read()
    table = list(csv.reader(io.StringIO(text)))
    assert table[0] == RESULT_HEADER
    first = dict(zip(RESULT_HEADER, table[1], strict=True))
    assert first["contract"].startswith("PW-2025-1") and first["vendor"]
    assert len(first["period"]) == 7 and first["status"] in ("met", "partial", "failed", "no_data")
    assert 0 <= float(first["composite"]) <= 100

    visitor.get_by_test_id("downloads").get_by_role("link", name="data dictionary").click()
    expect(visitor.get_by_test_id("dictionary-results")).to_contain_text("attainment")
    save_screenshot(visitor, "public-data-dictionary")
    expect_accessible(visitor)
    visitor_context.close()
