"""Finance compares the city with a peer (issue 16): downloads the asphalt benchmark file from the category page,
and, standing in for the peer city Riverton (which scores pci_after with a ratio curve and did better on time),
uploads the peer's file on the Peers page and reads the comparison: both cities' monthly medians side by side,
a chart, and pci_after refused as not comparable, naming the curve."""
from __future__ import annotations

import copy
import json
import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import expect_accessible, save_screenshot, sign_in

FINANCE = "finance@demo.city"


def _as_riverton(document: dict) -> dict:
    """The peer's file: another city's name, pci_after on a ratio curve, on_time three points lower."""
    document["city"]["name"] = "Riverton"
    document["clauses"]["pci_after"]["curve"] = "ratio"
    for month in document["clauses"]["on_time"]["months"]:
        for stat in ("median", "p25", "p75", "min", "max"):
            month[stat] = round(month[stat] - 3, 6)
    return document


def test_finance_uploads_a_peer_file_and_reads_the_comparison(page: Page, city_server: str, console_guard, tmp_path):
    sign_in(page, city_server, FINANCE)
    page.goto(f"{city_server}/categories/")
    page.get_by_role("link", name="Asphalt resurfacing").first.click()
    form = page.get_by_role("form", name="Download the benchmark file")
    form.get_by_label("Our city's name").fill("Ashford")
    form.get_by_label("From", exact=True).fill("2025-11")
    form.get_by_label("To", exact=True).fill("2026-10")
    expect(form.get_by_label("Vendors")).to_have_value("anonymise")
    form.scroll_into_view_if_needed()
    save_screenshot(page, "benchmark-category-download-form", full_page=False)
    with page.expect_download() as download_info:
        form.get_by_role("button", name="Download benchmark file").click()
    download = download_info.value
    assert download.suggested_filename == "benchmark_asphalt-resurfacing_2025-11_2026-10.json"
    ours = json.loads(open(download.path(), encoding="utf-8").read())
    assert [v["label"] for v in ours["vendors"]][:2] == ["Vendor A", "Vendor B"]
    assert "Harbor Paving Co" not in json.dumps(ours)
    peer_file = tmp_path / "riverton-asphalt.json"
    peer_file.write_text(json.dumps(_as_riverton(copy.deepcopy(ours))), encoding="utf-8")

    page.get_by_role("link", name="Compare Asphalt resurfacing with peer cities").click()
    expect(page.get_by_text("No peer city's file for Asphalt resurfacing yet")).to_be_visible()
    page.get_by_role("link", name="Upload one").click()
    expect(page.get_by_role("heading", name="Our city against peers", level=1)).to_be_visible()
    page.get_by_label("Benchmark file (.json)").set_input_files(str(peer_file))
    page.get_by_role("button", name="Upload and check").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Asphalt resurfacing: our city against peers")
    expect(page.get_by_role("alert").first).to_contain_text("Imported Riverton's asphalt-resurfacing benchmark")
    page.get_by_label("From", exact=True).fill("2025-11")
    page.get_by_label("To", exact=True).fill("2026-10")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"from=2025-11&to=2026-10"))

    pci = page.get_by_test_id("clause-pci_after")
    expect(pci.get_by_test_id("not-comparable")).to_have_text(
        "Riverton's pci_after is scored with a ratio curve, ours linear: not comparable. Differing: curve.")
    on_time = page.get_by_test_id("clause-on_time")
    expect(on_time.get_by_role("columnheader", name="Riverton")).to_be_visible()
    expect(on_time.locator("svg.chart")).to_be_visible()
    last = ours["clauses"]["on_time"]["months"][-1]
    row = on_time.locator("tr", has=page.get_by_role("rowheader", name="2026-10"))
    expect(row).to_contain_text(f"{last['median']:.2f}")
    expect(row).to_contain_text(f"{last['median'] - 3:.2f}")
    expect(page.get_by_test_id("vendors")).to_contain_text("Riverton")
    save_screenshot(page, "benchmark-finance-compares-with-riverton")
    expect_accessible(page)
