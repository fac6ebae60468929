"""Finance recommends next month's resurfacing work, compares a what-if, saves, approves and exports it.

The user story, end to end through the real pages (SPEC §4 "Work reallocation"): sign in as the demo
finance officer, open Reallocation → New recommendation, ask for 80 lane-miles of asphalt
resurfacing for 2026-11 (the month after the demo's last scores) with the default window 6, floor
0.1 and γ 2, and read the table: Harbor Paving Co (excellent) gets the most, Summit Road Works (on
probation) gets 0.00 and the reason says so, the volumes sum to 80.00. Try a what-if (floor 0.2,
γ 1) and see a second table next to the first, which stays exactly as it was. Save as draft,
approve, and read who approved it and when, with no Approve button left. Export the award-memo
workbook and find the page's volumes on its Allocation sheet; the history lists the approved
allocation.

Approving stores a recommendation, so the story runs on its own copy of the demo city: the other
browser tests must not see it, whatever order tests run in.
"""
from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

from openpyxl import load_workbook
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import save_screenshot, sign_in

FINANCE = "finance@demo.city"
# The demo city has one finance user, who drafts and approves: a one-person office (SPEC §8).
SERVER_CONFIG = {"ALLOW_SELF_APPROVAL": True}
CATEGORY = "Asphalt resurfacing"
CATEGORY_SLUG = "asphalt-resurfacing"
UNIT = "lane-mile"  # the category's unit, singular; volumes are shown in lane-miles
UNITS = "lane-miles"
PERIOD = "2026-11"  # the demo city's scores run to 2026-10
VOLUME = "80"
BEST = "Harbor Paving Co"  # excellent
ON_PROBATION = "Summit Road Works"  # poor, on probation
VENDORS = {BEST, "Ridgeline Asphalt", "Keystone Paving", ON_PROBATION}
CAPACITY = {BEST: Decimal("40"), "Ridgeline Asphalt": Decimal("35"), "Keystone Paving": Decimal("25"),
            ON_PROBATION: Decimal("30")}


HEADER = ["Vendor", "Score", "Rank", "Share", f"Volume ({UNITS})", "vs equal split", "vs last approved", "Why"]
VENDOR, SCORE, RANK, SHARE, VOLUME_COL, VS_EQUAL, VS_LAST, WHY = range(8)


def read_table(table: Locator) -> dict[str, list[str]]:
    """The table's rows by vendor name (badges left out of the name), each the cells' texts."""
    expect(table.locator("thead th")).to_have_text(HEADER)
    rows = {}
    for row in table.locator("tbody tr").all():
        cells = [text.strip() for text in row.locator("td").all_inner_texts()]
        name = row.locator("td").first.evaluate("td => td.firstChild.textContent").strip()
        rows[name] = cells
    return rows


def volume(cells: list[str]) -> Decimal:
    return Decimal(cells[VOLUME_COL].replace(",", ""))


def field(page: Page, label: str) -> Locator:
    return page.locator("form[method=get]").get_by_label(label, exact=True)


def test_finance_recommends_compares_saves_approves_and_exports(page: Page, city_server: str, tmp_path: Path):
    base = city_server
    sign_in(page, base, FINANCE)

    # --- Reallocation → New recommendation ---------------------------------------------------------
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Reallocation").click()
    expect(page).to_have_url(f"{base}/recommendations/")
    expect(page.get_by_role("heading", name="Work reallocation", level=1)).to_be_visible()
    expect(page.get_by_test_id("history")).to_have_count(0)  # the demo city approved nothing yet
    page.get_by_role("link", name="New recommendation").click()
    expect(page).to_have_url(f"{base}/recommendations/new")
    expect(page.get_by_role("heading", name="Recommend next period's work", level=1)).to_be_visible()
    # The defaults the spec names, and the month after the latest scores.
    expect(field(page, "Target month")).to_have_value(PERIOD)
    expect(field(page, "Score window (months)")).to_have_value("6")
    expect(field(page, "Floor share")).to_have_value("0.1")
    expect(field(page, "γ (gamma)")).to_have_value("2.0")
    expect(page.get_by_test_id("recommendation")).to_have_count(0)
    expect(field(page, "What-if floor share")).to_have_count(0)  # only once there is a result

    field(page, "Service category").select_option(CATEGORY_SLUG)
    field(page, "Target month").fill(PERIOD)
    field(page, "Total volume").fill(VOLUME)
    page.get_by_role("button", name="Recommend").click()
    expect(page).to_have_url(re.compile(r"/recommendations/new\?"))

    # --- the recommendation ------------------------------------------------------------------------
    expect(page.get_by_role("heading", name=f"{CATEGORY}, {PERIOD}: 80.00 {UNITS}", level=2)).to_be_visible()
    expect(page.get_by_text(re.compile(r"Scores over 6 months to 2026-10 · floor 10\.0 % · γ 2\.0"))).to_be_visible()
    recommendation = page.get_by_test_id("recommendation")
    rows = read_table(recommendation)
    assert set(rows) == VENDORS, rows.keys()
    volumes = {name: volume(cells) for name, cells in rows.items()}
    assert max(volumes, key=volumes.get) == BEST, volumes
    assert all(volumes[BEST] > v for name, v in volumes.items() if name != BEST), volumes
    assert rows[BEST][RANK] == "1"
    assert rows[ON_PROBATION][VOLUME_COL] == "0.00"
    assert rows[ON_PROBATION][SHARE] == "0.0 %"
    assert "On probation" in rows[ON_PROBATION][WHY], rows[ON_PROBATION]
    expect(recommendation.locator("tbody tr").filter(has_text=ON_PROBATION).locator(".badge")).to_have_text("probation")
    for name, amount in volumes.items():
        assert amount <= CAPACITY[name], (name, amount)
        if name != ON_PROBATION:  # every eligible vendor keeps at least the 10 % floor
            assert amount >= Decimal("8.00"), (name, amount)
            assert rows[name][WHY].startswith(f"Score {rows[name][SCORE]} (rank {rows[name][RANK]})"), rows[name]
            assert re.search(rf"volume {amount.normalize():f} {UNIT}s?$", rows[name][WHY]), rows[name]
    assert sum(volumes.values()) == Decimal("80.00"), volumes
    expect(recommendation.locator("tfoot th")).to_have_text(["Allocated", "80.00"])
    expect(page.locator(".chart-box svg")).to_have_count(1)
    first_table_text = recommendation.inner_text()

    # --- what if: floor 0.2, γ 1 --------------------------------------------------------------------
    what_if_box = page.get_by_role("group", name="What if…")
    expect(what_if_box).to_be_visible()
    field(page, "What-if floor share").fill("0.2")
    field(page, "What-if γ").fill("1")
    page.get_by_role("button", name="Recommend").click()
    what_if = page.get_by_test_id("what-if")
    expect(what_if).to_be_visible()
    expect(page.get_by_role("heading", name="What if: floor 20.0 %, γ 1.0", level=3)).to_be_visible()
    # The first table is still there, unchanged, and the second stands next to it.
    expect(recommendation).to_be_visible()
    assert recommendation.inner_text() == first_table_text
    first_box, second_box = recommendation.bounding_box(), what_if.bounding_box()
    assert second_box["x"] > first_box["x"] + first_box["width"] - 1, (first_box, second_box)
    expect(field(page, "Floor share")).to_have_value("0.1")
    expect(field(page, "γ (gamma)")).to_have_value("2.0")
    expect(field(page, "What-if floor share")).to_have_value("0.2")
    what_if_rows = read_table(what_if)
    what_if_volumes = {name: volume(cells) for name, cells in what_if_rows.items()}
    assert set(what_if_volumes) == VENDORS
    assert sum(what_if_volumes.values()) == Decimal("80.00"), what_if_volumes
    expect(what_if.locator("tfoot th")).to_have_text(["Allocated", "80.00"])
    assert what_if_volumes[ON_PROBATION] == 0
    # A flatter curve and a higher floor move work away from the best vendor.
    assert what_if_volumes[BEST] < volumes[BEST], (what_if_volumes, volumes)
    assert all(v >= Decimal("16.00") for name, v in what_if_volumes.items() if name != ON_PROBATION)
    expect(page.locator(".chart-box svg")).to_have_count(2)
    save_screenshot(page, "finance-recommendation-with-what-if")

    # --- save as draft -----------------------------------------------------------------------------
    page.get_by_role("button", name="Save as draft").click()
    expect(page).to_have_url(re.compile(r"/recommendations/\d+$"))
    draft_url = page.url
    expect(page.get_by_role("alert").filter(has_text=f"Draft saved for {CATEGORY}, {PERIOD}.")).to_be_visible()
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text(f"{CATEGORY}, {PERIOD}")
    expect(heading.locator(".badge")).to_have_text("Draft")
    saved = page.get_by_test_id("allocation")
    saved_rows = read_table(saved)
    # The draft is the recommendation, not the what-if.
    assert {name: volume(cells) for name, cells in saved_rows.items()} == volumes
    # Line for line what the page recommended: score, rank, share, volume, change, reason.
    assert saved_rows == rows, (saved_rows, rows)
    expect(saved.locator("tfoot th")).to_have_text(["Allocated", "80.00"])

    # --- approve -----------------------------------------------------------------------------------
    page.get_by_role("button", name="Approve").click()
    expect(page).to_have_url(draft_url)
    expect(page.get_by_role("alert").filter(has_text=f"Approved by {FINANCE}.")).to_be_visible()
    expect(heading.locator(".badge")).to_have_text("Approved")
    expect(page.get_by_role("button", name="Approve")).to_have_count(0)
    approved_line = page.locator("p strong").filter(has_text="approved by")
    expect(approved_line).to_have_text(re.compile(rf"^approved by {re.escape(FINANCE)} \d{{4}}-\d\d-\d\d \d\d:\d\d UTC$"))
    approved_at = re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d", approved_line.inner_text()).group(0)
    assert {name: volume(cells) for name, cells in read_table(saved).items()} == volumes
    save_screenshot(page, "finance-recommendation-approved")

    # --- the award-memo workbook ---------------------------------------------------------------------
    with page.expect_download() as info:
        page.get_by_role("link", name="Export for the award memo (.xlsx)").click()
    download = info.value
    assert download.failure() is None
    assert download.suggested_filename == f"allocation_{CATEGORY_SLUG}_{PERIOD}_approved.xlsx"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    expect(page).to_have_url(draft_url)  # a download, not a new page
    workbook = load_workbook(path)
    assert {"Inputs", "Allocation", "Method"} <= set(workbook.sheetnames), workbook.sheetnames
    sheet = workbook["Allocation"]
    header = [cell.value for cell in sheet[1]]
    name_col = header.index("Vendor")
    volume_col = next(i for i, title in enumerate(header) if re.fullmatch(rf"Volume \({UNIT}s?\)", title or ""))
    exported = {row[name_col]: Decimal(str(row[volume_col])).quantize(Decimal("0.01"))
                for row in sheet.iter_rows(min_row=2, values_only=True) if row[name_col]}
    assert exported == volumes, (exported, volumes)
    inputs = {row[0]: row[1] for row in workbook["Inputs"].iter_rows(min_row=2, values_only=True)}
    assert inputs["Target month"] == PERIOD
    assert inputs["Status"] == "approved"
    assert inputs["Approved by"] == FINANCE
    assert inputs["Approved at (UTC)"] == approved_at

    # --- the history lists the approved allocation ---------------------------------------------------
    page.get_by_role("navigation", name="breadcrumb").get_by_role("link", name="Reallocation").click()
    expect(page).to_have_url(f"{base}/recommendations/")
    expect(page.get_by_role("heading", name=CATEGORY, level=2)).to_be_visible()
    history = page.get_by_test_id("history")
    expect(history).to_have_count(1)
    expect(history.locator("tbody tr")).to_have_count(1)
    cells = history.locator("tbody tr").first.locator("td")
    expect(cells.nth(0)).to_have_text(PERIOD)
    expect(cells.nth(1)).to_have_text(f"80.00 {UNITS}")
    expect(cells.nth(2)).to_have_text("Approved")
    expect(cells.nth(3)).to_have_text(FINANCE)
    expect(cells.nth(4)).to_have_text(f"{approved_at} UTC")
    save_screenshot(page, "finance-reallocation-history")
    cells.nth(5).get_by_role("link", name="Open").click()
    expect(page).to_have_url(draft_url)
