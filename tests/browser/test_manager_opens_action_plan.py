"""A contract manager opens a corrective action plan from a failed clause, the vendor answers, the manager marks.

The story, through the real pages: the demo contract manager opens the scorecard of a demo contract with
a failed clause, follows "Open action plan" next to it, first forgets the second milestone's date (the
form says so and keeps what was typed), then opens the plan with two milestones. A vendor user of that
contract's vendor (created here, with two-step sign-in) sees the notification counted in the navigation,
opens it, answers the first milestone; the manager is told, and marks it met.

It changes data, so it runs on its own copy of the demo city, on a fixed day (the plan's dates are
relative to it), whatever today is.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
import time_machine
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from contracts_app import create_app
from models import ClauseResult, ClauseStatus, Contract, Role, User, db
from tests.browser.conftest import VIEWPORT, ConsoleGuard, demo_city_server, save_screenshot, sign_in

MANAGER = "manager@demo.city"
VENDOR_EMAIL = "dispatch@vendor.demo"
VENDOR_PASSWORD = "quarry-lantern-sparrow-58"
VENDOR_TOTP = pyotp.random_base32()
STORY_DAY = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def story(tmp_path_factory) -> Iterator[dict]:
    """The demo city on STORY_DAY, a failed clause result of a contract the demo manager looks after, and a
    vendor user of that contract's vendor enrolled in two-step sign-in."""
    database = f"sqlite:///{tmp_path_factory.mktemp('plans-city') / 'city.sqlite3'}"
    with time_machine.travel(STORY_DAY, tick=True):
        with demo_city_server(tmp_path_factory, "browser-plans", SQLALCHEMY_DATABASE_URI=database) as url:
            app = create_app({"SECRET_KEY": "browser-test", "SQLALCHEMY_DATABASE_URI": database,
                              "JOBS_REDIS_URL": "", "JOBS_SQLITE_PATH": str(tmp_path_factory.mktemp("q") / "q.db")})
            with app.app_context():
                failed = db.session.execute(
                    select(ClauseResult.period, ClauseResult.clause_key, Contract)
                    .join(Contract, Contract.id == ClauseResult.contract_id)
                    .where(ClauseResult.status == ClauseStatus.FAILED, Contract.number.like("PW-%"))
                    .options(joinedload(Contract.vendor))
                    .order_by(ClauseResult.period.desc())).first()
                assert failed is not None, "the demo city has a failed clause on a resurfacing contract"
                period, key, contract = failed
                # read before the commit, which expires the contract (its vendor is not loaded lazily)
                facts = {"url": url, "contract_id": contract.id, "number": contract.number, "period": period,
                         "key": key, "vendor": contract.vendor.name}
                user = User(email=VENDOR_EMAIL, name="Dana Dispatch", role=Role.VENDOR, vendor_id=contract.vendor_id,
                            totp_secret=VENDOR_TOTP)
                user.set_password(VENDOR_PASSWORD)
                db.session.add(user)
                db.session.commit()
                db.session.remove()
                db.engine.dispose()
            yield facts


def test_manager_opens_a_plan_the_vendor_answers_and_the_manager_marks_it_met(
        page: Page, story: dict, browser: Browser, console_guard: ConsoleGuard):
    url, number = story["url"], story["number"]
    first_due = (STORY_DAY.date() + timedelta(days=14)).isoformat()
    second_due = (STORY_DAY.date() + timedelta(days=45)).isoformat()

    # --- the manager opens the plan from the failed clause on the scorecard ---------------------------
    sign_in(page, url, MANAGER)
    page.goto(f"{url}/contracts/{story['contract_id']}/scorecard")
    row = page.locator(f"tr[data-period='{story['period']}']")
    cell = row.locator(f"td[data-clause='{story['key']}']")
    expect(cell.locator("[data-status='failed']")).to_be_visible()
    cell.get_by_role("link", name="Open action plan").click()
    expect(page.get_by_role("heading", name=f"New corrective action plan · {number}")).to_be_visible()
    expect(page.get_by_text(f"Opened from a failed clause in {story['period']}.")).to_be_visible()
    expect(page.locator(f"input[name='clauses'][value='{story['key']}']")).to_be_checked()
    page.get_by_label("Outcome required").fill("Every month at or above the clause's target, two months running.")
    page.get_by_label("Milestone 1: what is to be done").fill("Re-train the paving crews on compaction")
    page.get_by_label("Milestone 1: due date").fill(first_due)
    page.get_by_label("Milestone 2: what is to be done").fill("Re-pave the failed segments")
    page.get_by_role("button", name="Open the plan").click()
    expect(page.locator(".invalid-feedback").filter(has_text="Milestone 2: give its due date.")).to_be_visible()
    expect(page.get_by_label("Milestone 2: what is to be done")).to_have_value("Re-pave the failed segments")
    save_screenshot(page, "action-plan-form-refused")
    page.get_by_label("Milestone 2: due date").fill(second_due)
    page.get_by_role("button", name="Open the plan").click()
    expect(page.get_by_role("alert").first).to_contain_text(f"1 user of {story['vendor']} was told.")
    expect(page.get_by_test_id("milestones").locator("li")).to_have_count(2)
    plan_url = page.url
    save_screenshot(page, "action-plan-opened")

    # --- the vendor user signs in, sees the notification, answers milestone 1 -----------------------------
    context = browser.new_context(viewport=VIEWPORT, locale="en-US", timezone_id="UTC")
    context.set_default_timeout(10_000)
    vendor = context.new_page()
    console_guard.watch(vendor)
    try:
        sign_in(vendor, url, VENDOR_EMAIL, VENDOR_PASSWORD, totp_secret=VENDOR_TOTP)
        expect(vendor.get_by_test_id("unread-count")).to_have_text(re.compile(r"^1"))
        vendor.get_by_test_id("nav-notifications").click()
        item = vendor.get_by_test_id("notifications").locator("li").first
        expect(item).to_contain_text(f"{number}: corrective action plan opened")
        save_screenshot(vendor, "vendor-notifications")
        item.get_by_role("link", name=f"{number}: corrective action plan opened").click()
        expect(vendor).to_have_url(plan_url)
        first = vendor.locator("[data-milestone='1']")
        first.get_by_label("Your answer").fill("Crews re-trained on 2 December; roller logs sent to the city.")
        first.get_by_role("button", name="Send answer").click()
        expect(vendor.get_by_role("alert").first).to_contain_text("Your answer to milestone 1 was sent")
        expect(vendor.locator("[data-milestone='1']").get_by_test_id("vendor-answer")).to_contain_text(
            "Crews re-trained on 2 December")
        save_screenshot(vendor, "vendor-answered-milestone")
    finally:
        context.close()

    # --- the manager is told, and marks milestone 1 met ---------------------------------------------------
    page.goto(f"{url}/notifications/")
    expect(page.get_by_test_id("notifications")).to_contain_text(f"{number}: milestone 1 answered")
    page.goto(plan_url)
    first = page.locator("[data-milestone='1']")
    expect(first.get_by_test_id("vendor-answer")).to_contain_text("Crews re-trained on 2 December")
    first.get_by_label("Met").check()
    first.get_by_label("Note (optional, the vendor sees it)").fill("Roller logs checked.")
    first.get_by_role("button", name="Mark").click()
    expect(page.get_by_role("alert").first).to_contain_text("Milestone 1 marked met.")
    expect(page.locator("[data-milestone='1'] [data-milestone-status='met']")).to_be_visible()
    expect(page.locator("[data-milestone='2'] [data-milestone-status='pending']")).to_be_visible()
    save_screenshot(page, "action-plan-milestone-met")

    page.goto(f"{url}/contracts/{story['contract_id']}")
    panel = page.get_by_test_id("contract-action-plans")
    expect(panel).to_contain_text("open")
    expect(panel).to_contain_text(f"{second_due} (milestone 2)")
    panel.scroll_into_view_if_needed()
    save_screenshot(page, "contract-page-action-plans", full_page=False)
    page.get_by_role("link", name="Plans", exact=True).click()
    expect(page.get_by_test_id("action-plans").locator("tbody tr")).to_have_count(1)
    expect(page.get_by_test_id("action-plans")).to_contain_text(f"{number} · {story['vendor']}")
    save_screenshot(page, "action-plans-list")
