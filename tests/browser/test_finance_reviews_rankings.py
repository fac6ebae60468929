"""Finance reads the vendor ranking, follows the worst vendor down to a failed clause's rows, and exports.

The user story, end to end through the real pages (SPEC §3 "Rankings", "Scorecards"): sign in as the
demo finance officer, open Rankings from the main navigation, ask for asphalt resurfacing as of
2026-10 over 6 months and read the table: Harbor Paving Co (excellent) is first, Summit Road Works
is flagged Probation with the reason and the two months behind it. Shorten the window to 3 months
and see the scores move (Ridgeline Asphalt, improving, gains). Open Summit Road Works' vendor page
from the table (rank, score and probation agree with the 6-month ranking), open its contract
PW-2025-103 and the contract's scorecard, pick a cell of the latest month whose status reads
"failed" and land on the drill-down: the status says failed, the rows table has as many rows as the
scorecard and the drill-down state for that month (and as many counted as the value's sentence
says), and the sheet it came from is named. Back on Rankings, download the Excel and the CSV exports
and find the page's vendors, ranks and scores (to one decimal) in both.

The story only reads, so it runs on the shared demo city (`live_server`).
"""
from __future__ import annotations

import csv
import re
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from openpyxl import load_workbook
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import save_screenshot, sign_in

FINANCE = "finance@demo.city"
CATEGORY = "Asphalt resurfacing"
CATEGORY_SLUG = "asphalt-resurfacing"
PERIOD = "2026-10"  # the demo city's last scored month
BEST = "Harbor Paving Co"  # excellent
IMPROVING = "Ridgeline Asphalt"  # better lately: a shorter window lifts its score
ON_PROBATION = "Summit Road Works"  # poor, on probation
VENDORS = {BEST, IMPROVING, "Keystone Paving", ON_PROBATION}
SUMMIT_CONTRACT = "PW-2025-103"
TENTH = Decimal("0.1")


def form_field(page: Page, label: str) -> Locator:
    return page.get_by_role("form", name="Choose the ranking").get_by_label(label, exact=True)


def show_ranking(page: Page, base: str, window: str) -> None:
    form_field(page, "Service category").select_option(CATEGORY_SLUG)
    form_field(page, "As of month").fill(PERIOD)
    form_field(page, "Window (months)").fill(window)
    page.get_by_role("button", name="Show ranking").click()
    expect(page).to_have_url(f"{base}/rankings/?category={CATEGORY_SLUG}&period={PERIOD}&window={window}")


def read_ranking(page: Page) -> dict[str, dict[str, str]]:
    """The ranking table's rows by vendor name: rank, score, scored months, failed clauses, flags."""
    table = page.get_by_test_id("rankings-table")
    expect(table).to_be_visible()
    rows = {}
    for row in table.get_by_test_id("ranking-row").all():
        name = row.locator("td.ranking-vendor a").inner_text().strip()
        rows[name] = {key: row.get_by_test_id(key).inner_text().strip()
                      for key in ("rank", "score", "periods", "observations", "failed", "flags")}
    return rows


def table_fits(page: Page) -> bool:
    return page.get_by_test_id("rankings-table").evaluate(
        "table => table.parentElement.scrollWidth <= table.parentElement.clientWidth")


def one_decimal(value) -> Decimal:
    """A full-precision export value rounded as the page rounds it (half up, one decimal)."""
    return Decimal(str(value)).quantize(TENTH, rounding=ROUND_HALF_UP)


def test_finance_reads_ranking_drills_into_a_failed_clause_and_exports(page: Page, live_server: str,
                                                                       tmp_path: Path):
    base = live_server
    sign_in(page, base, FINANCE)

    # --- Rankings, 6 months ------------------------------------------------------------------------
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Rankings").click()
    expect(page).to_have_url(f"{base}/rankings/")
    expect(page.get_by_role("heading", name="Vendor rankings", level=1)).to_be_visible()
    show_ranking(page, base, "6")
    expect(page.get_by_test_id("ranking-heading")).to_have_text(f"{CATEGORY} · 6 months: 2026-05 to {PERIOD}")
    expect(form_field(page, "Window (months)")).to_have_value("6")
    six = read_ranking(page)
    assert set(six) == VENDORS, six.keys()
    assert list(six)[0] == BEST  # the table is in rank order
    assert six[BEST]["rank"] == "1", six[BEST]
    assert [row["rank"] for row in six.values()] == ["1", "2", "3", "4"], six
    scores_six = {name: Decimal(row["score"]) for name, row in six.items()}
    assert scores_six == dict(sorted(scores_six.items(), key=lambda item: -item[1])), scores_six
    assert all(row["periods"] == "6 of 6" for row in six.values()), six
    # Summit is flagged, with the reason and the two months that put it on probation.
    summit_row = page.get_by_test_id("ranking-row").filter(has_text=ON_PROBATION)
    expect(summit_row.get_by_test_id("flags").locator(".badge")).to_have_text("Probation")
    assert re.fullmatch(r"Probation\s+composite below 50 in its two most recent scored months "
                        r"\(2026-09: \d+\.\d, 2026-10: \d+\.\d\) Action plans", six[ON_PROBATION]["flags"]), six[ON_PROBATION]
    # ... and a link to its page, where an assigned contract manager opens a corrective action plan.
    expect(summit_row.get_by_role("link", name="Action plans")).to_have_attribute(
        "href", re.compile(r"/vendors/\d+#action-plans$"))
    assert int(six[ON_PROBATION]["failed"]) > int(six[BEST]["failed"])
    for name in VENDORS - {ON_PROBATION}:  # no flag (a vendor below 50 last month only gets a note, no badge)
        expect(page.get_by_test_id("ranking-row").filter(has_text=name).get_by_test_id("flags").locator(".badge")
               ).to_have_count(0)
        assert "not on probation" in six[name]["flags"] or six[name]["flags"] == "none", six[name]
    # The whole table, probation reason included, fits the screen: no scrolling sideways to read the flags.
    assert table_fits(page), "the ranking table scrolls sideways at 1280 px"
    # The chart draws the same scores, best first.
    chart = page.locator(".ranking-chart svg")
    expect(chart).to_have_count(1)
    labels = chart.locator("text").all_text_contents()
    assert labels[0] == f"1. {BEST}", labels
    for name, score in scores_six.items():
        index = labels.index(f"{six[name]['rank']}. {name}")
        assert Decimal(labels[index + 1]) == score, (name, labels)
    save_screenshot(page, "finance-rankings-window-6")

    # --- the same ranking over 3 months --------------------------------------------------------------
    show_ranking(page, base, "3")
    expect(page.get_by_test_id("ranking-heading")).to_have_text(f"{CATEGORY} · 3 months: 2026-08 to {PERIOD}")
    three = read_ranking(page)
    assert set(three) == VENDORS, three.keys()
    assert three[BEST]["rank"] == "1"
    assert all(row["periods"] == "3 of 3" for row in three.values()), three
    scores_three = {name: Decimal(row["score"]) for name, row in three.items()}
    assert scores_three != scores_six
    # Ridgeline has improved lately, so its last 3 months score well above its last 6.
    assert scores_three[IMPROVING] > scores_six[IMPROVING] + 5, (scores_six[IMPROVING], scores_three[IMPROVING])
    assert "Probation" in three[ON_PROBATION]["flags"]
    save_screenshot(page, "finance-rankings-window-3")
    rankings_url = page.url

    # --- Summit Road Works' vendor page ------------------------------------------------------------
    summit_row.locator("td.ranking-vendor").get_by_role("link", name=ON_PROBATION).click()
    expect(page).to_have_url(re.compile(rf"{re.escape(base)}/vendors/\d+$"))
    expect(page.get_by_role("heading", name=ON_PROBATION, level=1)).to_be_visible()
    standing = page.locator(f"[data-testid=standing][data-category={CATEGORY_SLUG}]")
    expect(standing).to_contain_text(f"as of {PERIOD} (window 2026-05 to {PERIOD})")
    # The vendor page uses the default 6-month window: the same rank and score as that ranking.
    expect(standing.get_by_test_id("rank")).to_have_text("4 of 4 ranked")
    expect(standing.get_by_test_id("score")).to_have_text(six[ON_PROBATION]["score"])
    expect(standing.get_by_test_id("flags").locator(".badge")).to_have_text("probation")
    expect(standing.get_by_test_id("flags")).to_contain_text("Probation: composite below 50 in its two most recent")
    expect(standing.get_by_test_id("vendor-trend").locator("svg")).to_have_count(1)
    contracts = page.get_by_test_id("vendor-contracts")
    contract_row = contracts.locator(f"tbody tr[data-contract='{SUMMIT_CONTRACT}']")
    expect(contract_row).to_have_count(1)
    expect(contract_row.locator("td").nth(7)).to_have_text(PERIOD)  # its latest committed month
    expect(contract_row.get_by_test_id("latest-composite")).to_have_text(re.compile(r"^\d+\.\d$"))
    save_screenshot(page, "finance-vendor-summit")

    # --- its contract, then the scorecard ----------------------------------------------------------
    contract_row.get_by_role("link", name=SUMMIT_CONTRACT, exact=True).click()
    expect(page).to_have_url(re.compile(rf"{re.escape(base)}/contracts/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(SUMMIT_CONTRACT)
    contract_url = page.url
    page.get_by_test_id("contract-actions").get_by_role("link", name="Scorecard").click()
    expect(page).to_have_url(f"{contract_url}/scorecard")
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Scorecard · {SUMMIT_CONTRACT}")
    scorecard = page.get_by_test_id("scorecard")
    expect(scorecard.locator("tbody tr")).to_have_count(12)  # 2025-11 to 2026-10
    month = scorecard.locator(f"tbody tr[data-period='{PERIOD}']")
    month_rows = int(month.locator("td").nth(2).inner_text().replace(",", ""))  # Month | Composite | Coverage | Rows
    assert month_rows > 0
    failed_cells = month.locator("td.scorecard-cell").filter(has=page.locator(".status-badge[data-status=failed]"))
    assert failed_cells.count() >= 1, "Summit's latest month has no failed clause"
    save_screenshot(page, "finance-scorecard-summit")

    # --- a failed cell's drill-down ----------------------------------------------------------------
    cell = failed_cells.first
    expect(cell.locator(".status-badge")).to_have_text("failed")  # the status in words, not only in red
    key = cell.get_attribute("data-clause")
    value_on_scorecard = cell.get_by_role("link").inner_text().strip()
    cell.get_by_role("link").click()
    expect(page).to_have_url(f"{contract_url}/scorecard/{PERIOD}/{key}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(PERIOD)
    expect(page.locator("p.text-muted").filter(has_text=f"{SUMMIT_CONTRACT} · ")).to_contain_text(ON_PROBATION)
    status = page.get_by_test_id("status")
    expect(status).to_have_text("failed")
    expect(status.locator(".status-badge")).to_have_attribute("data-status", "failed")
    # The value as the scorecard showed it (the drill-down writes a unit after a non-breaking space).
    assert page.get_by_test_id("value").inner_text().replace("\xa0", " ").startswith(
        value_on_scorecard.replace("\xa0", " ").removesuffix(" %")), value_on_scorecard
    how = page.get_by_test_id("how-computed")
    expect(how).to_contain_text("How it was computed:")
    # The sheet it came from, with as many rows as the scorecard gave for the month.
    expect(page.get_by_test_id("upload-filename")).to_have_text(f"{SUMMIT_CONTRACT}_{PERIOD}.xlsx")
    upload = page.get_by_test_id("upload")
    expect(upload.locator("dt:text-is('Rows') + dd")).to_have_text(f"{month_rows:,}")
    expect(page.get_by_text(re.compile(rf"Rows 1–{month_rows} of {month_rows} in the committed sheet"))).to_be_visible()
    rows_table = page.get_by_test_id("rows")
    expect(rows_table.locator("tbody tr[data-row]")).to_have_count(month_rows)
    expect(page.get_by_role("navigation", name="Pages of rows")).to_have_count(0)  # all on one page
    # The rows counted in the value are as many as the sentence says the value rests on.
    headings = [text.strip() for text in rows_table.locator("thead th").all_inner_texts()]
    counted_col = headings.index("Counted in the value")
    counted = rows_table.locator(f"tbody tr[data-row] td:nth-child({counted_col + 1})").all_inner_texts()
    assert set(counted) <= {"yes", "no"}, counted
    used = re.search(r"([\d,]+) rows?\b", how.inner_text())
    assert used, how.inner_text()
    assert counted.count("yes") == int(used.group(1).replace(",", "")), (counted, how.inner_text())
    save_screenshot(page, "finance-drilldown-failed-clause")

    # --- back to Rankings: the exports -------------------------------------------------------------
    page.goto(rankings_url)
    expect(page.get_by_test_id("ranking-heading")).to_have_text(f"{CATEGORY} · 3 months: 2026-08 to {PERIOD}")
    show_ranking(page, base, "6")
    assert read_ranking(page) == six  # the same page as before
    stem = f"rankings_{CATEGORY_SLUG}_{PERIOD}_6m"

    with page.expect_download() as info:
        page.get_by_role("link", name="Download Excel (.xlsx)").click()
    download = info.value
    assert download.failure() is None
    assert download.suggested_filename == f"{stem}.xlsx"
    xlsx_path = tmp_path / download.suggested_filename
    download.save_as(xlsx_path)
    workbook = load_workbook(xlsx_path)
    sheet = workbook["Rankings"]
    header = [cell.value for cell in sheet[1]]
    # The workbook is for people: its columns are named in words; read them by the CSV's field names.
    assert header[:5] == ["Rank", "Vendor", "Score", "Insufficient data", "Probation"], header
    fields = dict(zip(["Rank", "Vendor", "Score", "Probation", "Reasons", "Clauses failed"],
                      ["rank", "vendor", "score", "probation", "reasons", "failed"], strict=True))
    header = [fields.get(name, name) for name in header]
    from_xlsx = [dict(zip(header, row, strict=False)) for row in sheet.iter_rows(min_row=2, values_only=True) if row[1]]
    inputs = {row[0]: row[1] for row in workbook["Inputs"].iter_rows(min_row=2, values_only=True)}
    assert (inputs["Category slug"], inputs["As of month"], inputs["Window (months)"]) == (CATEGORY_SLUG, PERIOD, 6)

    with page.expect_download() as info:
        page.get_by_role("link", name="Download CSV").click()
    download = info.value
    assert download.failure() is None
    assert download.suggested_filename == f"{stem}.csv"
    csv_path = tmp_path / download.suggested_filename
    download.save_as(csv_path)
    with csv_path.open(newline="", encoding="utf-8-sig") as handle:
        from_csv = list(csv.DictReader(handle))
    assert all((row["category"], row["period"], row["window"]) == (CATEGORY_SLUG, PERIOD, "6") for row in from_csv)

    for name, rows in (("xlsx", from_xlsx), ("csv", from_csv)):
        assert [row["vendor"] for row in rows] == list(six), (name, rows)
        for row in rows:
            shown = six[row["vendor"]]
            assert str(row["rank"]) == shown["rank"], (name, row)
            assert one_decimal(row["score"]) == Decimal(shown["score"]), (name, row, shown["score"])
            assert str(row["failed"]) == shown["failed"], (name, row)
            assert str(row["probation"]).lower() == str(row["vendor"] == ON_PROBATION).lower(), (name, row)
        summit = next(row for row in rows if row["vendor"] == ON_PROBATION)
        assert summit["reasons"].startswith("probation: composite below 50"), (name, summit)
