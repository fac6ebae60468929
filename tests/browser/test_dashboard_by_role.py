"""Each demo role signs in through the real form and finds the dashboard, menus and pages it should.

Runs against the demo city (7 vendors, 7 active contracts, a year of committed monthly sheets).
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from contracts_app.demo.city import CONTRACTS, DEMO_PASSWORD, DEMO_USERS, MANAGER_CONTRACT_PREFIX
from models import Role
from tests.browser.conftest import save_screenshot, sign_in

EMAIL_BY_ROLE = {role: email for email, role, _name in DEMO_USERS}
ROLES = ["admin", "procurement", "contract_manager", "finance"]
EVERYONE_NAV = ["Dashboard", "Contracts", "Vendors", "Categories", "Library", "Rankings", "Calendar", "Plans",
                "Meetings"]
ADMIN_NAV = ["Users", "Audit log"]
FINANCE_NAV = ["Payments", "Reallocation"]
BOOTSTRAP_PRIMARY = "rgb(13, 110, 253)"
MANAGER_CONTRACTS = sorted(c[0] for c in CONTRACTS if c[0].startswith(MANAGER_CONTRACT_PREFIX))


def nav_labels(page: Page) -> list[str]:
    return [t.strip() for t in page.locator("#main-nav .navbar-nav .nav-link").all_inner_texts()]


def expect_styled(page: Page) -> None:
    """Bootstrap (served locally) really applied: the navbar has its primary background."""
    navbar = page.get_by_role("navigation", name="Main")
    expect(navbar).to_have_css("background-color", BOOTSTRAP_PRIMARY)


@pytest.mark.parametrize("role", ROLES)
def test_dashboard_navigation_and_pages_by_role(page: Page, live_server: str, role: str):
    email = EMAIL_BY_ROLE[role]
    label = Role(role).label
    sign_in(page, live_server, email)

    # The dashboard, with who is signed in and the programme's counts.
    expect(page).to_have_url(f"{live_server}/")
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
    expect_styled(page)
    signed_in_as = page.get_by_test_id("signed-in-as")
    expect(signed_in_as).to_contain_text(email)
    expect(signed_in_as.locator(".badge")).to_have_text(label)
    expect(page.get_by_test_id("count-vendors")).to_have_text("7")
    expect(page.get_by_test_id("count-active_contracts")).to_have_text("7")
    for key in ("committed_uploads", "observations"):
        count = int(page.get_by_test_id(f"count-{key}").inner_text().replace(",", ""))
        assert count > 0, f"dashboard count {key} is {count}"

    # The menu matches the role: only the admin sees Users and Audit log.
    expected_nav = EVERYONE_NAV + (ADMIN_NAV if role == "admin" else []) + (FINANCE_NAV if role == "finance" else [])
    assert nav_labels(page) == expected_nav
    expect(page.locator("#main-nav .nav-link.active")).to_have_text("Dashboard")

    # A contract manager sees the contracts assigned to them, and only those.
    tasks = page.get_by_test_id("role-tasks")
    contract_links = tasks.get_by_role("link", name=re.compile(r"^[A-Z]{2}-\d{4}-\d{3}$"))
    if role == "contract_manager":
        assert sorted(contract_links.all_inner_texts()) == MANAGER_CONTRACTS
        assert all(n.startswith("PW-") for n in contract_links.all_inner_texts())
    else:
        expect(contract_links).to_have_count(0)
    save_screenshot(page, f"dashboard-{role}")

    # Contracts list, then one contract's detail page.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Contracts").click()
    expect(page.get_by_role("heading", name="Contracts", level=1)).to_be_visible()
    expect(page.locator("#main-nav .nav-link.active")).to_have_text("Contracts")
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(len(CONTRACTS))
    if role == "contract_manager":
        save_screenshot(page, "contracts-list")
    number, title, vendor = CONTRACTS[0][:3]
    page.get_by_role("link", name=number, exact=True).click()
    expect(page).to_have_url(re.compile(r"/contracts/\d+$"))
    expect(page.locator("#main-nav .nav-link.active")).to_have_text("Contracts")
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"{number} · {title}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Active")
    expect(page.get_by_test_id("clauses").locator("tbody tr")).to_have_count(6)
    expect(page.get_by_test_id("uploads").locator("tbody tr").first).to_contain_text("Committed")
    managers = page.locator("dt", has_text="Contract managers").locator("xpath=following-sibling::dd[1]")
    expect(managers).to_have_text(EMAIL_BY_ROLE["contract_manager"])
    save_screenshot(page, f"contract-detail-{role}")

    # Vendors list, then one vendor.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Vendors").click()
    expect(page.get_by_role("heading", name="Vendors", level=1)).to_be_visible()
    expect(page.locator("table tbody tr")).to_have_count(7)
    page.get_by_role("link", name=vendor, exact=True).click()
    expect(page.get_by_role("heading", name=vendor, level=1)).to_be_visible()
    expect(page.locator("#main-nav .nav-link.active")).to_have_text("Vendors")
    expect(page.get_by_role("link", name=number, exact=True)).to_be_visible()
    if role == "contract_manager":
        save_screenshot(page, "vendor-detail")

    if role == "admin":
        nav = page.get_by_role("navigation", name="Main")
        nav.get_by_role("link", name="Users").click()
        expect(page.get_by_role("heading", name="Users", level=1)).to_be_visible()
        for user_email, _role, _name in DEMO_USERS:
            expect(page.get_by_role("cell", name=user_email, exact=True)).to_be_visible()
        save_screenshot(page, "admin-users")

        nav.get_by_role("link", name="Audit log").click()
        expect(page.get_by_role("heading", name="Audit log", level=1)).to_be_visible()
        audit = page.get_by_test_id("audit")
        expect(audit.get_by_role("cell", name="sign_in", exact=True).first).to_be_visible()
        expect(audit).to_contain_text(f"{email} signed in")
        save_screenshot(page, "audit-log")
        save_screenshot(page, "audit-log-first-screen", full_page=False)


@pytest.mark.parametrize("role", ["procurement", "contract_manager", "finance"])
def test_non_admin_gets_403_naming_the_admin_role(page: Page, live_server: str, console_guard, role: str):
    console_guard.allow(r"status of 403")  # Chromium logs the refused page itself as a failed resource.
    sign_in(page, live_server, EMAIL_BY_ROLE[role])
    response = page.goto(f"{live_server}/admin/users")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", name="You do not have access to this page")).to_be_visible()
    expect(page.locator("main")).to_contain_text("This page needs the Admin role")
    expect(page.locator("main strong")).to_have_text("Admin")
    expect(page.locator("main")).to_contain_text(f"you are signed in as {Role(role).label.lower()}")
    expect_styled(page)
    assert "Users" not in nav_labels(page)
    page.get_by_role("link", name="Back to the dashboard").click()
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
    if role == "finance":
        page.goto(f"{live_server}/admin/users")
        save_screenshot(page, "forbidden-403")


def test_wrong_password_shows_error_on_sign_in_page(page: Page, live_server: str, console_guard):
    console_guard.allow(r"status of 401")  # the refused sign-in is answered with 401
    sign_in(page, live_server, EMAIL_BY_ROLE["finance"], password="not-the-password")
    expect(page).to_have_url(re.compile(r"/auth/sign-in"))
    expect(page.get_by_role("heading", name="Sign in", level=1)).to_be_visible()
    expect(page.get_by_role("alert")).to_have_text("That email and password do not match an active account.")
    expect(page.get_by_label("Email")).to_have_value(EMAIL_BY_ROLE["finance"])
    expect(page.get_by_label("Password")).to_have_value("")
    expect(page.get_by_label("Password")).to_be_focused()  # the email was kept; retype the password
    expect(page.get_by_test_id("signed-in-as")).to_have_count(0)
    expect_styled(page)
    save_screenshot(page, "sign-in-wrong-password")


def test_signed_out_visitor_is_sent_to_sign_in(page: Page, live_server: str):
    page.goto(f"{live_server}/contracts/")
    expect(page).to_have_url(re.compile(r"/auth/sign-in\?next="))
    expect(page.get_by_role("alert")).to_have_text("Please sign in to see that page.")
    sign_in_form_next = page.locator("input[name=next]")
    expect(sign_in_form_next).to_have_value("/contracts/")
    page.get_by_label("Email").fill(EMAIL_BY_ROLE["procurement"])
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Contracts", level=1)).to_be_visible()


def test_console_guard_catches_inline_script(page: Page, live_server: str, console_guard):
    """The guard itself works: an inline script slipped into a page is blocked by the CSP and reported."""
    def add_inline_script(route):
        response = route.fetch()
        body = response.text().replace("</body>", "<script>document.title = 'inline';</script></body>")
        route.fulfill(response=response, body=body)

    page.route(f"{live_server}/auth/sign-in", add_inline_script)
    page.goto(f"{live_server}/auth/sign-in")
    expect(page).not_to_have_title("inline")
    page.wait_for_function("() => true")
    assert any("Content Security Policy" in p or "CSP violation" in p for p in console_guard.problems), console_guard.problems
    console_guard.problems.clear()
