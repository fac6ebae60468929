"""A vendor disputes a committed month and the contract manager upholds it (SPEC §8), end to end.

The demo contract manager commits November 2026 for PW-2025-101; a user of its vendor, Harbor Paving Co
(created here, enrolled in two-step sign-in), opens the month's review page, disputes the PCI clause with a
small PDF; the manager upholds the dispute by committing a corrected sheet through the supersede flow; the
vendor sees the corrected result and the upheld dispute; thirty days on, the review window has closed and the
month is final. The city lives on 27 November 2026 (time-machine), so nothing depends on today's date.
"""
from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from flask_migrate import upgrade
from openpyxl import Workbook
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select
from werkzeug.serving import make_server

from contracts_app import create_app
from contracts_app.admin.services import create_user
from contracts_app.demo.city import DEMO_PASSWORD, DEMO_TOTP_SECRET
from models import Contract, db
from tests.browser.conftest import VIEWPORT, QuietRequestHandler, save_screenshot, sign_in

MANAGER = "manager@demo.city"
VENDOR_USER = "dispatch@harborpaving.example.com"
NUMBER = "PW-2025-101"
PERIOD = "2026-11"
STORY_DAY = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
HEADER = ["work_order_id", "completed_on", "street", "iri", "pci_after", "on_time", "defects", "resident_notice",
          "complaints", "lane_miles"]


@pytest.fixture(scope="module")
def city(tmp_path_factory) -> Iterator[tuple[str, int]]:
    """The demo city on STORY_DAY with a vendor user of Harbor Paving Co; yields its address and PW-2025-101's id."""
    data_dir = tmp_path_factory.mktemp("browser-disputes")
    with time_machine.travel(STORY_DAY, tick=True):
        app = create_app({
            "TESTING": True, "SECRET_KEY": "browser-test-secret-key-not-for-production",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{data_dir / 'browser.sqlite3'}", "SESSION_COOKIE_SECURE": False,
            "REMEMBER_COOKIE_SECURE": False, "UPLOAD_FOLDER": str(data_dir / "uploads"), "JOBS_REDIS_URL": "",
            "JOBS_SQLITE_PATH": str(data_dir / "queue.sqlite3"), "MFA_REPLAY_PROTECTION": False,
        })
        with app.app_context():
            upgrade()
            from contracts_app.demo.seed import seed_demo

            seed_demo()
            user = create_user(VENDOR_USER, "vendor", DEMO_PASSWORD, "Harbor dispatch", vendor_name="Harbor Paving Co")
            user.totp_secret = DEMO_TOTP_SECRET
            contract_id = db.session.scalar(select(Contract.id).where(Contract.number == NUMBER))
            db.session.commit()
            db.session.remove()
        server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietRequestHandler)
        thread = threading.Thread(target=server.serve_forever, name="disputes-live-server", daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_port}", contract_id
        finally:
            server.shutdown()
            thread.join(timeout=10)
            server.server_close()
            with app.app_context():
                db.engine.dispose()


def write_sheet(path: Path, pci: float) -> Path:
    """20 November jobs of PW-2025-101, every PCI reading `pci`."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Data"
    sheet.append(HEADER)
    for i in range(20):
        sheet.append([f"25101-202611-{i + 1:03d}", date(2026, 11, 2 + i), "Maple Ave", 70.0, pci, "yes", 0, "yes", 0,
                      1.0])
    workbook.save(path)
    return path


def second_page(browser: Browser, console_guard) -> Page:
    context = browser.new_context(viewport=VIEWPORT, locale="en-US", timezone_id="UTC")
    context.set_default_timeout(10_000)
    page = context.new_page()
    console_guard.watch(page)
    return page


def expect_flash(page: Page, text: str | re.Pattern) -> None:
    expect(page.get_by_role("alert").filter(has_text=text)).to_be_visible()


def test_vendor_disputes_a_month_and_the_manager_upholds_it(page: Page, browser: Browser, console_guard, city,
                                                            tmp_path: Path):
    base, contract_id = city
    month_url = f"{base}/contracts/{contract_id}/months/{PERIOD}"

    # --- the contract manager commits November (a PCI of 84: below the target of 85) --------------------
    manager = second_page(browser, console_guard)
    sign_in(manager, base, MANAGER)
    manager.goto(f"{base}/contracts/{contract_id}/sheets")
    form = manager.locator("form").filter(has=manager.get_by_role("button", name="Upload and check"))
    form.get_by_label("Month").select_option(PERIOD)
    form.get_by_label("Performance sheet").set_input_files(write_sheet(tmp_path / "november.xlsx", 84.0))
    form.get_by_role("button", name="Upload and check").click()
    expect(manager).to_have_url(re.compile(r"/uploads/\d+$"))
    manager.get_by_role("button", name="Commit 20 rows").click()
    expect_flash(manager, re.compile(r"Committed 20 rows for 2026-11\. Harbor Paving Co may comment on and dispute "
                                     r"the month until 2026-12-11 09:\d\d UTC\."))

    # --- the vendor opens the month and disputes the PCI result with a PDF -----------------------------------
    with time_machine.travel(STORY_DAY + timedelta(minutes=20), tick=True):
        sign_in(page, base, VENDOR_USER, totp_secret=DEMO_TOTP_SECRET)
        page.goto(month_url)
        expect(page.get_by_role("heading", level=1)).to_contain_text(f"{NUMBER} · {PERIOD}")
        expect(page.get_by_role("heading", level=1).locator(".review-mark")).to_have_text("provisional")
        expect(page.get_by_test_id("window")).to_contain_text("The review window is open until 2026-12-11")
        pci = page.get_by_test_id("clause-results").locator("tr[data-clause='pci_after']")
        expect(pci.get_by_test_id("value")).to_contain_text("84.00")
        page.get_by_label(re.compile(r"Pavement condition")).check()
        page.get_by_label("Reason").fill("The PCI survey of 14 November was run before the final rolling; "
                                         "the re-survey attached reads 91.")
        page.get_by_label("Evidence files").set_input_files(
            files=[{"name": "pci-resurvey.pdf", "mimeType": "application/pdf", "buffer": PDF}])
        save_screenshot(page, "vendor-disputes-month-form")
        page.get_by_role("button", name="Open the dispute").click()
        expect_flash(page, re.compile(r"Dispute #\d+ opened\. PW-2025-101 2026-11's bonus and penalty are on hold"))
        expect(page.get_by_role("heading", level=1).locator(".review-mark")).to_have_text("disputed")
        dispute = page.locator(".dispute-card").first
        expect(dispute.get_by_test_id("dispute-status")).to_have_text("open")
        expect(dispute.get_by_role("link", name="pci-resurvey.pdf")).to_be_visible()
        save_screenshot(page, "vendor-disputes-month-opened")

        # --- the manager upholds it with a corrected sheet (PCI 91) ---------------------------------------
        manager.goto(f"{base}/contracts/{contract_id}/scorecard")
        expect(manager.locator("tr[data-period='2026-11'] .review-mark")).to_have_text("disputed")
        manager.get_by_test_id("month-review-2026-11").click()
        manager.get_by_role("link", name="Uphold: supersede with corrected data").click()
        manager.get_by_label("Corrected sheet").set_input_files(write_sheet(tmp_path / "november-corrected.xlsx", 91.0))
        manager.get_by_role("button", name="Upload and check").click()
        expect(manager.get_by_test_id("staged-correction")).to_contain_text("20 rows checked")
        expect(manager.get_by_label("Reason for replacing the month's data")).to_have_value(
            re.compile(r"^Dispute #\d+ upheld: The PCI survey of 14 November"))
        save_screenshot(manager, "manager-upholds-dispute")
        manager.get_by_role("button", name="Uphold: commit the corrected sheet").click()
        expect_flash(manager, re.compile(r"upheld: november-corrected\.xlsx now is PW-2025-101 2026-11's data"))

        # --- the vendor sees the corrected score and the upheld dispute ---------------------------------------
        page.goto(month_url)
        expect(pci.get_by_test_id("value")).to_contain_text("91.00")
        expect(dispute.get_by_test_id("dispute-status")).to_have_text("upheld")
        expect(dispute.get_by_test_id("resolution")).to_contain_text("corrected data: november-corrected.xlsx")
        expect(page.get_by_role("heading", level=1).locator(".review-mark")).to_have_text("provisional")
        save_screenshot(page, "vendor-sees-corrected-month")

    # --- thirty days on, the window has closed: the month is final and no dispute can be opened -------------
    with time_machine.travel(STORY_DAY + timedelta(days=30), tick=True):
        sign_in(page, base, VENDOR_USER, totp_secret=DEMO_TOTP_SECRET)
        page.goto(month_url)
        expect(page.get_by_test_id("final")).to_have_text("final")
        expect(page.get_by_test_id("window")).to_contain_text("The review window closed on 2026-12-11")
        expect(page.get_by_role("button", name="Open the dispute")).to_have_count(0)
        save_screenshot(page, "vendor-month-final")
    manager.context.close()
