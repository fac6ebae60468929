"""A contract manager fills the month's performance sheet, fixes what the check finds, and commits it.

The user story, end to end through the real pages: sign in as the demo contract manager, open
PW-2025-101's monthly sheets from the dashboard, download the template for 2026-11 (a month the demo
city has no data for), fill it with 20 work orders (openpyxl, as Excel would) but with two mistakes
(a PCI written "ninety", a work order dated in December), upload it, read both errors with their
Excel row numbers and columns, download the checked sheet and find the two cells commented, discard
the failed upload, fix the two cells in the checked sheet, upload it again, read "passed the check"
and what each clause would get, commit, and find the month committed in the upload history.

The story commits a month of data, so it runs on its own copy of the demo city: the other browser
tests count the demo's uploads and observations and must not see it, whatever order tests run in.
It happens on a day of November 2026, whatever today is: that city's clock is set to it (the pages offer
months up to today), so the test does not depend on the calendar.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import time_machine
from openpyxl import load_workbook
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import demo_city_server, save_screenshot, sign_in

MANAGER = "manager@demo.city"
NUMBER = "PW-2025-101"
TITLE = "Resurfacing, north region"
VENDOR = "Harbor Paving Co"
PERIOD = "2026-11"  # the demo city's sheets cover 2025-11 to 2026-10
STORY_DAY = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)  # November is the latest month the pages offer
FILENAME = f"{NUMBER}_{PERIOD}_harbor-paving.xlsx"
ROWS = 20
# The template's columns for an asphalt resurfacing contract: row key, work date, context, the six
# clauses in force and the denominator of the defects-per-lane-mile clause.
COLUMNS = {"work_order_id", "completed_on", "street", "iri", "pci_after", "on_time", "defects",
           "resident_notice", "complaints", "lane_miles"}
STREETS = ["Maple Ave", "Harbor St", "Elm St", "Lakeview Dr", "Mill Rd", "Oak St", "Cedar Ln"]
# The two mistakes, by data row (0-based) and column; Excel rows are data row + 2 (header on row 1).
BAD_NUMBER = (6, "pci_after", "ninety", 91.4)  # typed as a word instead of a number
BAD_DATE = (14, "completed_on", date(2026, 12, 3), date(2026, 11, 24))  # a December job in November's sheet


@pytest.fixture(scope="module")
def city_server(tmp_path_factory) -> Iterator[str]:
    """This module's copy of the demo city, living on STORY_DAY (seeded, served and browsed on it)."""
    with time_machine.travel(STORY_DAY, tick=True):
        with demo_city_server(tmp_path_factory, "browser-city-november") as url:
            yield url


def work_orders() -> list[dict]:
    """20 plausible November resurfacing jobs for an excellent vendor, with the two mistakes in them."""
    rows = []
    for i in range(ROWS):
        lane_miles = round(0.5 + (i * 37 % 17) / 10, 2)  # 0.5 .. 2.1
        rows.append({
            "work_order_id": f"25101-202611-{i + 1:03d}",
            "completed_on": date(2026, 11, 2 + i),
            "street": STREETS[i % len(STREETS)],
            "iri": 108.0 if i == 9 else round(62 + (i * 7 % 25), 1),  # one segment above 95 in/mi
            "pci_after": round(88 + (i * 3 % 8) * 0.8, 1),
            "on_time": "no" if i == 12 else "yes",  # 19 of 20 on time
            "defects": 1 if i in (3, 11) else 0,
            "lane_miles": lane_miles,
            "resident_notice": "yes",
            "complaints": 1 if i == 5 else 0,
        })
    for row, column, wrong, _right in (BAD_NUMBER, BAD_DATE):
        rows[row][column] = wrong
    return rows


def excel_row(mistake: tuple) -> int:
    return mistake[0] + 2


def fill_template(template: Path, target: Path) -> None:
    """Fills the downloaded template's Data sheet, column by column as its header asks."""
    workbook = load_workbook(template)
    assert workbook.sheetnames == ["Data", "Instructions"]
    data = workbook["Data"]
    header = [cell.value for cell in data[1]]
    assert set(header) == COLUMNS, f"the template's header changed: {header}"
    assert data.max_row == 1, "the template should hold only its header row"
    # The Instructions sheet lists every column of the data sheet, with what it means.
    instructions = workbook["Instructions"]
    assert f"period {PERIOD}" in instructions["A1"].value
    listed = [row[0] for row in instructions.iter_rows(values_only=True) if row and row[0] in COLUMNS]
    assert listed == header
    for row_number, values in enumerate(work_orders(), start=2):
        for column_number, key in enumerate(header, start=1):
            cell = data.cell(row=row_number, column=column_number, value=values[key])
            if key == "completed_on":
                cell.number_format = "yyyy-mm-dd"
            elif key == "work_order_id":
                cell.number_format = "@"
    workbook.save(target)


def download(page: Page, click_target: Locator, folder: Path) -> Path:
    with page.expect_download() as info:
        click_target.click()
    downloaded = info.value
    assert downloaded.failure() is None
    path = folder / downloaded.suggested_filename
    downloaded.save_as(path)
    return path


def upload_sheet(page: Page, path: Path) -> None:
    form = page.locator("form").filter(has=page.get_by_role("button", name="Upload and check"))
    form.get_by_label("Month").select_option(PERIOD)
    form.get_by_label("Performance sheet").set_input_files(path)
    form.get_by_role("button", name="Upload and check").click()
    expect(page).to_have_url(re.compile(r"/uploads/\d+$"))


def expect_flash(page: Page, text: str | re.Pattern) -> None:
    expect(page.get_by_role("alert").filter(has_text=text)).to_be_visible()


def column_letter(header: list, key: str) -> str:
    return "ABCDEFGHIJ"[header.index(key)]


def test_manager_uploads_fixes_and_commits_a_monthly_sheet(page: Page, city_server: str, tmp_path: Path):
    base = city_server
    sign_in(page, base, MANAGER)

    # --- from the dashboard to the contract's monthly sheets ------------------------------------
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
    task = page.get_by_test_id("role-tasks").locator("li").filter(
        has=page.get_by_role("link", name=NUMBER, exact=True))
    task.get_by_role("link", name="monthly sheets").click()
    expect(page).to_have_url(re.compile(r"/contracts/\d+/sheets$"))
    sheets_url = page.url
    expect(page.get_by_role("heading", name=f"Monthly sheets · {NUMBER}", level=1)).to_be_visible()
    expect(page.get_by_text(f"{TITLE} · {VENDOR} · one row per unit of work, keyed by work_order_id")).to_be_visible()
    history = page.get_by_test_id("upload-history")
    expect(history.locator("tbody tr").first).to_contain_text("2026-10")  # the demo's latest month
    expect(history.locator("tbody tr td:first-child").filter(has_text=PERIOD)).to_have_count(0)
    save_screenshot(page, "manager-sheets-page")

    # --- the template for November 2026 ----------------------------------------------------------
    template_card = page.locator(".card").filter(has=page.get_by_role("heading", name="1. Download the template"))
    month = template_card.get_by_label("Month")
    expect(month.locator("option").first).to_have_text(PERIOD)  # the latest month is offered first
    month.select_option(PERIOD)
    template = download(page, template_card.get_by_role("button", name="Download template (.xlsx)"), tmp_path)
    assert template.name == f"{NUMBER}_{PERIOD}_template.xlsx"
    expect(page).to_have_url(sheets_url)  # a download, not a new page

    filled = tmp_path / "filled" / FILENAME
    filled.parent.mkdir()
    fill_template(template, filled)
    header = [cell.value for cell in load_workbook(filled)["Data"][1]]

    # --- first upload: the check finds both mistakes ----------------------------------------------
    upload_sheet(page, filled)
    first_upload_url = page.url
    expect(page.get_by_role("heading", level=1)).to_contain_text(FILENAME)
    expect(page.get_by_role("heading", level=1).locator(".badge")).to_have_text("Staged")
    expect(page.get_by_test_id("row-count")).to_have_text(str(ROWS))
    expect(page.get_by_test_id("error-count")).to_have_text("2")
    expect(page.get_by_test_id("verdict")).to_contain_text("This sheet has 2 errors. Nothing can be committed")
    expect(page.get_by_role("button", name=re.compile(r"^Commit"))).to_have_count(0)

    errors = page.get_by_test_id("errors")
    expect(errors.locator("thead th")).to_have_text(["Row", "Column", "Value", "What is wrong"])
    error_rows = errors.locator("tbody tr")
    expect(error_rows).to_have_count(2)
    by_row = {excel_row(BAD_NUMBER): ("pci_after", "ninety", "not a number"),
              excel_row(BAD_DATE): ("completed_on", "2026-12-03", f"dated 2026-12-03, outside the period {PERIOD}")}
    for row_number, (column, value, message) in by_row.items():
        row = error_rows.filter(has=page.get_by_role("cell", name=str(row_number), exact=True))
        expect(row).to_have_count(1)
        cells = row.locator("td")
        expect(cells.nth(1)).to_have_text(column)
        expect(cells.nth(2)).to_contain_text(value)
        expect(cells.nth(3)).to_have_text(message)
    # What to fix comes first; the clause preview below it is marked provisional.
    preview = page.get_by_test_id("clause-preview")
    expect(page.get_by_role("heading", name=f"What each clause would get for {PERIOD}")).to_be_visible()
    expect(page.get_by_test_id("preview-provisional")).to_contain_text("Provisional")
    expect(page.get_by_test_id("preview-provisional")).to_contain_text("2 rows left out because of errors")
    assert errors.bounding_box()["y"] < preview.bounding_box()["y"]
    pci = preview.locator("tbody tr").filter(has=page.locator("code", has_text=re.compile(r"^pci_after$")))
    expect(pci.locator("td").nth(1)).to_have_text(str(ROWS - 2))  # both rows with an error are left out
    save_screenshot(page, "manager-upload-with-errors")

    # --- the checked sheet: the two bad cells are filled and commented ---------------------------
    checked = download(page, page.get_by_role("link", name="Download the checked sheet (problems marked)"), tmp_path)
    assert checked.name == f"{Path(FILENAME).stem}_checked.xlsx"
    workbook = load_workbook(checked)
    data = workbook["Data"]
    expected_comments = {
        f"{column_letter(header, 'pci_after')}{excel_row(BAD_NUMBER)}": "not a number",
        f"{column_letter(header, 'completed_on')}{excel_row(BAD_DATE)}": f"outside the period {PERIOD}",
    }
    for reference, message in expected_comments.items():
        comment = data[reference].comment
        assert comment is not None, f"{reference} has no comment"
        assert message in comment.text, f"{reference}: {comment.text!r}"
        assert comment.text.startswith("Error:"), comment.text
    errors_marked = sorted(cell.coordinate for row in data.iter_rows() for cell in row
                           if cell.comment and cell.comment.text.startswith("Error:"))
    assert errors_marked == sorted(expected_comments), errors_marked  # warnings are marked too, as warnings
    assert data[f"{column_letter(header, 'pci_after')}{excel_row(BAD_NUMBER)}"].value == "ninety"
    problems = list(workbook["Problems"].iter_rows(min_row=2, values_only=True))
    assert [(p[0], p[2], p[3]) for p in problems if p[3] == "error"] == [
        (excel_row(BAD_NUMBER), "pci_after", "error"), (excel_row(BAD_DATE), "completed_on", "error")]

    # The failed upload is thrown away; nothing was stored.
    page.get_by_role("button", name="Discard").click()
    expect(page).to_have_url(sheets_url)
    expect_flash(page, f"{FILENAME} discarded; nothing was stored.")
    discarded = history.locator("tbody tr").first
    expect(discarded).to_contain_text(PERIOD)
    expect(discarded.locator(".badge")).to_have_text("Discarded")

    # --- the manager fixes the two marked cells in the checked sheet and uploads it again --------
    data[f"{column_letter(header, 'pci_after')}{excel_row(BAD_NUMBER)}"].value = BAD_NUMBER[3]
    data[f"{column_letter(header, 'completed_on')}{excel_row(BAD_DATE)}"].value = BAD_DATE[3]
    workbook.save(checked)
    upload_sheet(page, checked)
    assert page.url != first_upload_url
    expect(page.get_by_role("heading", level=1)).to_contain_text(checked.name)
    expect(page.get_by_test_id("row-count")).to_have_text(str(ROWS))
    expect(page.get_by_test_id("error-count")).to_have_text("0")
    # A warning (a count far from this contract's history) asks for a look but does not stop the commit.
    expect(page.get_by_test_id("verdict")).to_have_text(
        "The sheet passed the check. Review what each clause would get below, then commit.")
    expect(page.get_by_test_id("errors")).to_have_count(0)
    expect(page.get_by_test_id("preview-provisional")).to_have_count(0)
    expect(preview.locator("tbody tr")).to_have_count(6)
    for key in ("iri", "pci_after", "on_time", "defects", "resident_notice", "complaints"):
        row = preview.locator("tbody tr").filter(has=page.locator("code", has_text=re.compile(rf"^{key}$")))
        expect(row.locator("td").nth(1)).to_have_text(str(ROWS))
    on_time = preview.locator("tbody tr").filter(has=page.locator("code", has_text=re.compile(r"^on_time$")))
    expect(on_time.locator("td").nth(2)).to_have_text("95.00 %")  # 19 of 20 on time, target 95
    expect(on_time.locator(".badge")).to_have_text("met")
    iri = preview.locator("tbody tr").filter(has=page.locator("code", has_text=re.compile(r"^iri$")))
    expect(iri.locator("td").nth(2)).to_have_text("95.00 %")  # 19 of 20 segments at or below 95 in/mi
    save_screenshot(page, "manager-upload-clean")

    # --- commit ----------------------------------------------------------------------------------
    page.get_by_role("button", name=f"Commit {ROWS} rows").click()
    expect(page).to_have_url(re.compile(r"/uploads/\d+$"))
    expect_flash(page, f"Committed {ROWS} rows for {PERIOD}.")
    expect(page.get_by_role("heading", level=1).locator(".badge")).to_have_text("Committed")
    expect(page.get_by_role("button", name=re.compile(r"^Commit"))).to_have_count(0)
    expect(page.get_by_role("button", name="Discard")).to_have_count(0)
    expect(page.get_by_role("heading", name=f"What each clause got for {PERIOD}")).to_be_visible()
    expect(preview.locator("tbody tr")).to_have_count(6)
    save_screenshot(page, "manager-upload-committed")

    page.get_by_role("navigation", name="breadcrumb").get_by_role("link", name="Monthly sheets").click()
    expect(page).to_have_url(sheets_url)
    latest = history.locator("tbody tr").first
    cells = latest.locator("td")
    expect(cells.nth(0)).to_have_text(PERIOD)
    expect(cells.nth(1)).to_have_text(checked.name)
    expect(cells.nth(2)).to_have_text("Committed")
    expect(cells.nth(3)).to_have_text(str(ROWS))
    expect(cells.nth(4)).to_have_text("0")
    expect(cells.nth(5)).to_have_text(MANAGER)
    expect(history.locator("tbody tr").nth(1).locator(".badge")).to_have_text("Discarded")
    save_screenshot(page, "manager-sheets-history-after-commit")
