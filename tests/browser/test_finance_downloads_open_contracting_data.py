"""A city user downloads Open Contracting (OCDS 1.1) data from a category's page and from a contract's page.

Through the real pages of the demo city: finance opens the asphalt resurfacing category, clicks "Open
Contracting data (JSON)", and gets a file that fits the shipped OCDS schemas with one release per contract of
the category; then the same from one contract's page. Both pages are screenshotted.
"""
from __future__ import annotations

import json

from playwright.sync_api import Page, expect

from contracts_app.ocds.schema import package_problems
from tests.browser.conftest import save_screenshot, sign_in


def download_package(page: Page) -> tuple[str, dict]:
    with page.expect_download() as waiting:
        page.get_by_role("link", name="Open Contracting data (JSON)").click()
    download = waiting.value
    return download.suggested_filename, json.loads(open(download.path(), encoding="utf-8").read())


def test_finance_downloads_a_category_and_a_contract_as_ocds(page: Page, live_server: str):
    sign_in(page, live_server, "finance@demo.city")
    page.goto(f"{live_server}/categories/")
    page.get_by_role("link", name="Asphalt resurfacing").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Asphalt resurfacing")
    save_screenshot(page, "ocds-category-page")
    numbers = page.get_by_role("region", name="Contracts in this category").locator("tbody tr td:first-child a")
    listed = numbers.all_inner_texts()
    filename, package = download_package(page)
    assert filename == "ocds-asphalt-resurfacing.json"
    assert package_problems(package) == []
    assert [r["contracts"][0]["id"] for r in package["releases"]] == listed
    assert all(r["ocid"] == "ocds-xxxxxx-" + r["contracts"][0]["id"] for r in package["releases"])

    numbers.first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(listed[0])
    save_screenshot(page, "ocds-contract-page")
    filename, package = download_package(page)
    assert filename == f"ocds-{listed[0]}.json"
    assert package_problems(package) == []
    (release,) = package["releases"]
    assert release["contracts"][0]["implementation"]["metrics"], "the monthly results are in the package"
