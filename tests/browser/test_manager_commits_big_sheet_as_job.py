"""A contract manager commits a sheet big enough to run as a background job (issue 13).

Through the real pages on a server that runs its own worker (JOBS_EMBEDDED_WORKER): upload a
3,000-row sheet for PW-2025-101's 2026-11 (above this server's JOBS_COMMIT_ROWS_THRESHOLD of 1,000),
press Commit, land at once on the job's page, watch its progress bar move (the run holds 3 s after
storing the rows, so the bar can be seen half-way), read the outcome, and follow it to the
scorecard, where 2026-11 is now a committed month.
"""
from __future__ import annotations

import csv
import re
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import demo_city_server, save_screenshot, sign_in

MANAGER = "manager@demo.city"
NUMBER = "PW-2025-101"
PERIOD = "2026-11"
ROWS = 3000
HEADER = ["work_order_id", "completed_on", "street", "iri", "pci_after", "on_time", "defects", "resident_notice",
          "complaints", "lane_miles"]


@pytest.fixture(scope="module")
def jobs_server(tmp_path_factory) -> Iterator[str]:
    with demo_city_server(tmp_path_factory, "browser-jobs", JOBS_EMBEDDED_WORKER=True, JOBS_WORKERS=1,
                          JOBS_COMMIT_ROWS_THRESHOLD=1000, JOBS_PULSE_SECONDS=0.3,
                          JOBS_TEST_HOLD_AFTER_STORING_SECONDS=3) as url:
        yield url


def write_sheet(path: Path) -> Path:
    streets = ["Maple Ave", "Harbor St", "Elm St", "Lakeview Dr"]
    with open(path, "w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(HEADER)
        for i in range(ROWS):
            out.writerow([f"25101-202611-J{i:05d}", date(2026, 11, 1 + i % 30).isoformat(), streets[i % 4],
                          62 + i % 25, 88 + i % 7, "yes" if i % 20 else "no", 1 if i % 50 == 0 else 0, "yes",
                          1 if i % 90 == 0 else 0, 1.0 + (i % 5) / 10])
    return path


def test_manager_commits_a_big_sheet_as_a_job_and_sees_the_month(page: Page, jobs_server: str, tmp_path: Path):
    sign_in(page, jobs_server, MANAGER)
    page.get_by_test_id("role-tasks").locator("li").filter(
        has=page.get_by_role("link", name=NUMBER, exact=True)).get_by_role("link", name="monthly sheets").click()
    sheet = write_sheet(tmp_path / f"{NUMBER}_{PERIOD}_big.csv")
    form = page.locator("form").filter(has=page.get_by_role("button", name="Upload and check"))
    form.get_by_label("Month").select_option(PERIOD)
    form.get_by_label("Performance sheet").set_input_files(sheet)
    form.get_by_role("button", name="Upload and check").click()
    expect(page).to_have_url(re.compile(r"/uploads/\d+$"))
    expect(page.get_by_test_id("row-count")).to_have_text("3,000")
    expect(page.get_by_test_id("verdict")).to_contain_text("passed the check")

    started = time.monotonic()
    page.get_by_role("button", name="Commit 3,000 rows").click()
    expect(page).to_have_url(re.compile(r"/jobs/\d+$"))
    assert time.monotonic() - started < 5, "the commit request should answer at once"
    expect(page.get_by_role("heading", name="Committing a monthly sheet", level=1)).to_be_visible()
    bar = page.locator("progress#job-progress")
    expect(bar).to_be_visible()

    # The bar moves while the worker runs: the rows stored, two steps of three, before the month is scored.
    expect(page.get_by_test_id("job-status")).to_have_text("running", timeout=20_000)
    expect(page.get_by_test_id("job-message")).to_contain_text("Stored 3,000 rows", timeout=20_000)
    assert bar.evaluate("b => b.value / b.max") == pytest.approx(2 / 3)
    save_screenshot(page, "job-commit-in-progress")

    expect(page.get_by_test_id("job-status")).to_have_text("succeeded", timeout=30_000)
    expect(page.get_by_test_id("job-message")).to_have_text(f"Committed 3,000 rows for {PERIOD}.")
    assert bar.evaluate("b => b.value / b.max") == 1
    expect(page.locator("#job-percent")).to_have_text("100")
    save_screenshot(page, "job-commit-done")

    page.get_by_test_id("job-result").click()
    expect(page).to_have_url(re.compile(r"/contracts/\d+/scorecard$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(NUMBER)
    november = page.locator("tbody tr").filter(has=page.get_by_role("rowheader", name=PERIOD))
    expect(november).to_contain_text("3,000")  # the month, from the 3,000 committed rows
    save_screenshot(page, "job-commit-scorecard")

    # The job's page, opened again later, says what happened without any script running.
    page.go_back()
    expect(page.get_by_test_id("job-status")).to_have_text("succeeded")
