"""Every main page of every city role passes axe-core (no serious or critical finding) and fits a 390-px phone.

Each role signs in through the real form and walks its pages; on each page `accessibility_problems` runs
axe-core (shipped with axe-playwright-python, no network) at the desktop size and at 390×844, and measures
whether the page scrolls sideways on the phone. Wide tables scroll inside a labelled, focusable region
instead. The problems of all pages are listed together, so one run shows everything left to fix.

The vendor (Ridgeline Asphalt, PW-2025-102) walks its portal and a month whose review window is open, and
anyone signed out walks the public scorecards of a published category. For every signed-in role the
"Sign out" button must stay inside a 1280-px window (the menu wraps rather than pushing it off). The walk
stages a sheet with errors and commits another as a background job, so it runs on its own copy of the demo
city, living on a fixed day of November 2026 (the pages offer months up to "today").
"""
from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.browser.conftest import (
    PROJECT_ROOT,
    accessibility_problems,
    demo_city_server,
    save_screenshot,
    sign_in,
)

STORY_DAY = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
NUMBER = "PW-2025-101"  # the demo manager's contract
VENDOR_NUMBER = "PW-2025-102"  # Ridgeline Asphalt's contract, also managed by the demo manager
PERIOD = "2026-11"
CATEGORY = "asphalt-resurfacing"
# The pages that were widest on a phone before issue 15: photographed whole at 390 px, to look at.
WHOLE_PAGE_SHOTS = {"contract", "upload-report-errors", "audit-log", "recommendation-result", "library", "users",
                    "categories"}
REPORT_DIR = PROJECT_ROOT / "test-artifacts" / "accessibility"
HEADER = ["work_order_id", "completed_on", "street", "iri", "pci_after", "on_time", "defects", "resident_notice",
          "complaints", "lane_miles"]


def prepare_city() -> None:
    """What the newer pages show: a published category, Ridgeline's latest month back in its review window with
    a dispute open on it, an action plan on Ridgeline's contract (which notifies Ridgeline) and a meeting item."""
    from contracts_app.action_plans.services import MilestoneInput, contract_clauses, get_contract, open_plan
    from contracts_app.disputes.services import contract_for_review, open_dispute
    from contracts_app.meetings.services import ActionItemInput, record_item
    from contracts_app.public.publishing import set_publishing
    from models import ClauseResult, Contract, ServiceCategory, Upload, UploadStatus, User, db, today, utcnow

    def user(email: str) -> User:
        return db.session.scalars(select(User).where(User.email == email)).one()

    admin, manager, vendor = user("admin@demo.city"), user("manager@demo.city"), user("ridgeline@demo.city")
    category = db.session.scalars(select(ServiceCategory).where(ServiceCategory.slug == CATEGORY)).one()
    set_publishing(category, publish=True, context_columns=[], actor=admin)
    contract_id = db.session.scalars(select(Contract.id).where(Contract.number == VENDOR_NUMBER)).one()
    contract = contract_for_review(contract_id)
    upload = db.session.scalars(select(Upload).where(Upload.contract_id == contract.id,
                                                     Upload.status == UploadStatus.COMMITTED)
                                .order_by(Upload.period.desc())).first()
    upload.review_closes_at = utcnow() + timedelta(days=20)
    db.session.flush()
    clause = db.session.scalars(select(ClauseResult.clause_key).where(
        ClauseResult.contract_id == contract.id, ClauseResult.period == upload.period)).first()
    open_dispute(contract, upload.period, clause_keys=[clause], row_keys_text="", files=[], actor=vendor,
                 reason="Our crews finished the Harbor St jobs on time; the sheet marks them late.")
    contract = get_contract(contract_id)
    open_plan(contract, manager, clause_keys=[contract_clauses(contract)[0][0]],
              outcome_required="Every resurfaced street reaches PCI 85 on the first inspection.",
              milestones=[MilestoneInput("Send the crew schedule for December", (today() + timedelta(days=14)).isoformat())])
    record_item(category, "2026-10", ActionItemInput(text="Ask Ridgeline for its crew plan", owner_user_id="",
                                                     owner_name="Morgan Manager",
                                                     due_on=(today() + timedelta(days=7)).isoformat()), manager)


@pytest.fixture(scope="module")
def city_server(tmp_path_factory) -> Iterator[str]:
    """A private demo city on STORY_DAY whose commits of more than 5 rows run as background jobs."""
    with time_machine.travel(STORY_DAY, tick=True):
        with demo_city_server(tmp_path_factory, "browser-accessibility", JOBS_COMMIT_ROWS_THRESHOLD=5,
                              prepare=prepare_city) as url:
            yield url


class Walk:
    """Opens pages one after another and keeps each page's accessibility problems."""

    def __init__(self, page: Page, base: str, who: str) -> None:
        self.page, self.base, self.who = page, base, who
        self.problems: dict[str, list[str]] = {}
        self.widths: dict[str, int] = {}
        self.menu_photographed = False

    def check(self, name: str) -> None:
        expect(self.page.locator("h1").first).to_be_visible()
        self.problems[name] = accessibility_problems(self.page) + self.sign_out_off_screen()
        self.page.set_viewport_size({"width": 390, "height": 844})
        self.widths[name] = int(self.page.evaluate("document.documentElement.scrollWidth"))
        save_screenshot(self.page, f"a11y-390-{self.who}-{name}", full_page=name in WHOLE_PAGE_SHOTS)
        self.page.set_viewport_size({"width": 1280, "height": 800})

    def sign_out_off_screen(self) -> list[str]:
        """At 1280 px the menu must leave "Sign out" inside the window (it wraps instead of pushing it off)."""
        button = self.page.get_by_role("navigation", name="Main").get_by_role("button", name="Sign out", exact=True)
        if not button.count():
            return []
        box = button.bounding_box()
        if box is None or box["x"] < 0 or box["x"] + box["width"] > 1280:
            return [f"'Sign out' is outside the 1280-px window: {box}"]
        if not self.menu_photographed:  # once per role: how the menu wraps at 1280 px, to look at
            self.menu_photographed = True
            save_screenshot(self.page, f"a11y-1280-{self.who}-nav", full_page=False)
        return []

    def visit(self, name: str, path: str) -> None:
        self.page.goto(self.base + path)
        self.check(name)

    def href(self, link_name: str | re.Pattern, exact: bool = True) -> str:
        """The path of the first link on the page with that name."""
        link = self.page.get_by_role("link", name=link_name, exact=exact).first
        return re.sub(r"^https?://[^/]+", "", link.evaluate("a => a.href"))

    def report(self) -> None:
        REPORT_DIR.mkdir(parents=True, exist_ok=True)
        lines = [f"{name}  width@390={self.widths.get(name)}  " + ("OK" if not found else "; ".join(found))
                 for name, found in self.problems.items()]
        (REPORT_DIR / f"{self.who}.txt").write_text("\n".join(lines) + "\n")
        failing = {name: found for name, found in self.problems.items() if found}
        if failing:
            pytest.fail(f"{self.who}: accessibility problems on {len(failing)} of {len(self.problems)} pages:\n" +
                        "\n".join(f"- {name}:\n    " + "\n    ".join(found) for name, found in failing.items()),
                        pytrace=False)


def write_sheet(path: Path, rows: int, mistakes: bool) -> Path:
    streets = ["Maple Ave", "Harbor St", "Elm St", "Lakeview Dr"]
    with open(path, "w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(HEADER)
        for i in range(rows):
            pci = "ninety" if mistakes and i == 2 else 88 + i % 7
            day = date(2026, 12, 3) if mistakes and i == 4 else date(2026, 11, 1 + i % 28)
            out.writerow([f"25101-202611-A{i:04d}", day.isoformat(), streets[i % 4], 62 + i % 25, pci,
                          "yes", 0, "yes", 0, 1.0 + (i % 5) / 10])
    return path


def upload(walk: Walk, sheet: Path) -> None:
    page = walk.page
    form = page.locator("form").filter(has=page.get_by_role("button", name="Upload and check"))
    form.get_by_label("Month").select_option(PERIOD)
    form.get_by_label("Performance sheet").set_input_files(sheet)
    form.get_by_role("button", name="Upload and check").click()
    expect(page).to_have_url(re.compile(r"/uploads/\d+$"))


def common_pages(walk: Walk) -> None:
    """The pages every city role reads: the dashboard, contracts, a scorecard and its drill-down, lists."""
    walk.check("dashboard")
    walk.visit("contracts", "/contracts/")
    contract = walk.href(NUMBER)
    walk.visit("contract", contract)
    walk.visit("schedule", contract + "/schedule")
    walk.visit("scorecard", contract + "/scorecard")
    walk.visit("drilldown", _first_drilldown(walk))
    walk.visit("library", "/library/")
    walk.visit("categories", "/categories/")
    walk.visit("category", walk.href("Asphalt resurfacing"))
    walk.visit("vendors", "/vendors/")
    walk.visit("vendor", walk.href("Harbor Paving Co"))
    walk.visit("rankings", f"/rankings/?category={CATEGORY}&period=2026-10&window=6")
    walk.visit("account", "/auth/account")
    walk.visit("glossary", "/glossary/")
    walk.visit("notifications", "/notifications/")
    walk.visit("action-plans", "/action-plans/")
    walk.visit("action-plan", walk.page.locator("a[href*='/action-plans/']").filter(
        has_not_text="Plans").first.get_attribute("href") or "")
    walk.visit("calendar", "/calendar/")
    walk.visit("meetings", "/meetings/")
    walk.visit("meeting", f"/meetings/{CATEGORY}/2026-10")
    walk.visit("api-tokens", "/account/tokens/")


def renewal_page(walk: Walk) -> None:
    walk.visit("contracts", "/contracts/")
    walk.visit("renewal", walk.href(NUMBER) + "/renewal")


def _first_drilldown(walk: Walk) -> str:
    link = walk.page.locator("a[href*='/scorecard/']").first
    return re.sub(r"^https?://[^/]+", "", link.evaluate("a => a.href"))


def admin_pages(walk: Walk) -> None:
    walk.visit("users", "/admin/users")
    manage = walk.page.locator("a[href*='/admin/users/']").filter(has_text="Manage").first
    walk.visit("manage-user", re.sub(r"^https?://[^/]+", "", manage.evaluate("a => a.href")))
    walk.visit("new-user", "/admin/users/new")
    walk.visit("users", "/admin/users")
    walk.visit("assignments", walk.href("Assign contracts"))
    walk.visit("audit-log", "/admin/audit")
    walk.visit("change-password", "/auth/password")
    walk.visit("mfa-setup", "/auth/mfa/setup")
    walk.visit("not-found", "/contracts/999999")
    renewal_page(walk)


def procurement_pages(walk: Walk) -> None:
    walk.visit("new-contract", "/contracts/new")
    walk.page.get_by_label("Service category").select_option(label="Asphalt resurfacing")
    walk.page.get_by_role("button", name="Show its vendors").click()
    walk.check("new-contract-vendors")
    walk.visit("contracts", "/contracts/")
    contract = walk.href(NUMBER)
    walk.visit("edit-contract", contract + "/edit")
    walk.visit("contract", contract)
    amend = walk.href("Amend")
    walk.visit("close-confirm", walk.href("Close contract…"))
    walk.visit("clause-editor", amend)
    walk.visit("new-clause", contract + "/clauses/new")
    walk.visit("new-template", "/library/new")
    walk.visit("new-category", "/categories/new")
    walk.visit("new-vendor", "/vendors/new")
    renewal_page(walk)


def manager_pages(walk: Walk, tmp_path: Path) -> None:
    walk.visit("contracts", "/contracts/")
    walk.visit("contract", walk.href(NUMBER))
    walk.visit("uploads", walk.href("Monthly sheets"))
    upload(walk, write_sheet(tmp_path / f"{NUMBER}_{PERIOD}_bad.csv", 10, mistakes=True))
    expect(walk.page.get_by_test_id("verdict")).to_contain_text("error")
    walk.check("upload-report-errors")
    walk.page.get_by_role("button", name=re.compile("Discard")).click()
    expect(walk.page).to_have_url(re.compile(r"/sheets$"))
    upload(walk, write_sheet(tmp_path / f"{NUMBER}_{PERIOD}_good.csv", 10, mistakes=False))
    walk.check("upload-report-passed")
    walk.page.get_by_role("button", name=re.compile(r"^Commit")).click()
    expect(walk.page).to_have_url(re.compile(r"/jobs/\d+$"))
    walk.check("job")
    walk.visit("forbidden", "/admin/users")
    walk.visit("contracts", "/contracts/")
    contract = walk.href(VENDOR_NUMBER)
    walk.page.goto(walk.base + contract + "/scorecard")
    walk.visit("disputed-month", walk.href(re.compile(r"review · 1 dispute")))
    walk.visit("uphold", walk.href(re.compile("Uphold"), exact=False))
    walk.visit("new-action-plan", contract + "/action-plans/new")


def finance_pages(walk: Walk) -> None:
    walk.visit("payments", f"/payments/?category={CATEGORY}&period=2026-10")
    walk.visit("recommendations", "/recommendations/")
    walk.visit("new-recommendation", "/recommendations/new")
    walk.visit("recommendation-result",
               f"/recommendations/new?category={CATEGORY}&period=2026-11&volume=80&window=6&floor=0.1&gamma=2"
               "&basis=score&what_if_floor=0.2")
    walk.page.get_by_role("button", name="Save as draft").click()
    expect(walk.page).to_have_url(re.compile(r"/recommendations/\d+$"))
    walk.check("recommendation")
    walk.visit("approvals-history", "/recommendations/")
    walk.visit("bad-request", f"/rankings/export.xlsx?category={CATEGORY}&period=not-a-month")
    renewal_page(walk)



def vendor_pages(walk: Walk) -> None:
    """Ridgeline's portal: its contract, scorecard and a drill-down, the month in review with its forms open."""
    walk.check("portal-home")
    contract = walk.href(VENDOR_NUMBER)
    walk.visit("portal-contract", contract)
    walk.visit("scorecard", walk.href("Scorecard"))
    walk.visit("drilldown", _first_drilldown(walk))
    walk.page.goto(walk.base + re.sub(r"/scorecard/.*", "", walk.page.url.split(walk.base, 1)[1]) + "/scorecard")
    month = walk.href(re.compile(r"review · 1 dispute"))
    walk.visit("month-in-review", month)
    expect(walk.page.get_by_role("button", name=re.compile("dispute", re.I)).first).to_be_visible()
    walk.visit("notifications", "/notifications/")
    walk.visit("action-plans", "/action-plans/")
    walk.visit("action-plan", walk.page.locator("a[href*='/action-plans/']").filter(
        has_not_text="Plans").first.get_attribute("href") or "")
    walk.visit("api-tokens", "/account/tokens/")
    walk.visit("account", "/auth/account")
    walk.visit("change-password", "/auth/password")


ROLE_PAGES: dict[str, Callable] = {
    "admin": admin_pages, "procurement": procurement_pages, "manager": manager_pages, "finance": finance_pages,
}
VENDOR_USER = "ridgeline@demo.city"


def test_the_vendor_portal_passes_axe_and_fits_a_phone(page: Page, city_server: str, console_guard):
    walk = Walk(page, city_server, "vendor")
    sign_in(page, city_server, VENDOR_USER)
    expect(page.get_by_role("heading", level=1).first).to_contain_text("Ridgeline")
    vendor_pages(walk)
    walk.report()


def test_public_scorecards_pass_axe_and_fit_a_phone(page: Page, city_server: str, console_guard):
    walk = Walk(page, city_server, "public")
    walk.visit("public-home", "/public/")
    walk.visit("public-category", walk.href("Asphalt resurfacing"))
    walk.visit("public-contract", walk.page.locator("a[href*='/contracts/']").first.get_attribute("href") or "")
    walk.visit("data-dictionary", "/public/dictionary")
    walk.report()


@pytest.mark.parametrize("role", ["admin", "procurement", "manager", "finance"])
def test_every_page_of_a_role_passes_axe_and_fits_a_phone(page: Page, city_server: str, console_guard, role: str,
                                                          tmp_path: Path):
    console_guard.allow(r"status of 40[034]")  # the error pages, on purpose
    walk = Walk(page, city_server, role)
    sign_in(page, city_server, f"{role}@demo.city")
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
    common_pages(walk)
    walk.visit("dashboard", "/")
    extra = ROLE_PAGES[role]
    extra(walk, tmp_path) if role == "manager" else extra(walk)
    walk.report()


def test_sign_in_pages_pass_axe_and_fit_a_phone(page: Page, city_server: str, console_guard):
    console_guard.allow(r"status of 401")  # the refused password, on purpose
    walk = Walk(page, city_server, "signed-out")
    walk.visit("sign-in", "/auth/sign-in")
    page.get_by_label("Email").fill("admin@demo.city")
    page.get_by_label("Password").fill("wrong password, on purpose")
    page.get_by_role("button", name="Sign in").click()
    walk.check("sign-in-refused")
    from contracts_app.demo.city import DEMO_PASSWORD

    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Two-step sign-in")).to_be_visible()
    walk.check("two-step")
    walk.report()
