"""Finance prepares the monthly meeting (issue 15) on the demo city, through the real pages: open the
category's meeting from the Meetings menu, record an action item for a vendor's representative, start the
packet, land at once on the job's page, watch it finish (the server runs its own worker), and download the
PDF, which names the item and the vendors."""
from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import date

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from tests.browser.conftest import demo_city_server, save_screenshot, sign_in

FINANCE = "finance@demo.city"
ITEM = "Ridgeline to walk the Harbor St defects with the inspector"


@pytest.fixture(scope="module")
def packet_server(tmp_path_factory) -> Iterator[str]:
    with demo_city_server(tmp_path_factory, "browser-packet", JOBS_EMBEDDED_WORKER=True, JOBS_WORKERS=1,
                          JOBS_PULSE_SECONDS=0.3) as url:
        yield url


def test_finance_records_an_item_and_downloads_the_packet(page: Page, packet_server: str):
    sign_in(page, packet_server, FINANCE)
    page.get_by_role("link", name="Meetings", exact=True).click()
    expect(page.get_by_role("heading", name="Monthly meetings")).to_be_visible()
    page.get_by_test_id("meeting-categories").get_by_role("link", name=re.compile(r"^Meeting on ")).first.click()
    expect(page).to_have_url(re.compile(r"/meetings/[a-z0-9-]+/\d{4}-\d{2}$"))
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text("monthly meeting of")

    page.get_by_label("What is to be done").fill(ITEM)
    page.get_by_label("…or the owner's name").fill("Robin Ridgeline (vendor)")
    page.get_by_role("button", name="Record the item").click()  # no due date yet: refused, what was typed kept
    expect(page.get_by_test_id("form-errors")).to_contain_text("Nothing was stored")
    expect(page.get_by_text("When is it due? Give a date.")).to_be_visible()
    expect(page.get_by_label("What is to be done")).to_have_value(ITEM)
    save_screenshot(page, "meeting-item-refused")
    page.get_by_label("Due").fill(date(2031, 1, 15).isoformat())
    page.get_by_role("button", name="Record the item").click()
    expect(page.get_by_role("alert").filter(has_text="recorded for the")).to_be_visible()
    row = page.get_by_test_id("recorded-items").get_by_test_id("action-item")
    expect(row).to_contain_text(ITEM)
    expect(row).to_contain_text("Robin Ridgeline (vendor)")
    save_screenshot(page, "meeting-page-with-item")

    page.get_by_test_id("start-packet").click()
    expect(page).to_have_url(re.compile(r"/jobs/\d+$"))
    expect(page.get_by_role("heading", name="Preparing the monthly meeting packet")).to_be_visible()
    expect(page.get_by_test_id("job-status")).to_have_text("succeeded", timeout=60_000)
    expect(page.get_by_test_id("job-message")).to_contain_text("packet for")
    expect(page.get_by_test_id("job-result-docx")).to_be_visible()
    save_screenshot(page, "meeting-packet-job-done")

    with page.expect_download() as download_info:
        page.get_by_test_id("job-result").click()
    download = download_info.value
    assert re.fullmatch(r"[a-z0-9-]+-\d{4}-\d{2}-meeting-packet\.pdf", download.suggested_filename)
    with open(download.path(), "rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    text = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
    assert "monthly meeting packet" in text and "Rankings with 90 % intervals" in text
    assert "Ridgeline Asphalt" in text
    assert ITEM in text  # recorded at this meeting, so listed under "Recorded for the meeting of ..."

    page.get_by_test_id("job-result-meeting").click()
    expect(page.get_by_test_id("packets").get_by_role("link", name="PDF")).to_be_visible()
