"""A procurement officer drafts a contract, builds its clauses from the library, and activates it.

The user story, end to end through the real pages: sign in as procurement, create a draft
resurfacing contract for Keystone Paving, add three clauses from the asphalt clause library
(20 + 20 + 20), be refused activation with a message naming the sum (60), adjust one clause's
target and weight (20 + 20 + 60) while the live preview rewrites its contract language without a
page reload, activate, and read the three clauses' language in the clause schedule.

The story adds and activates an eighth contract, so it runs on its own copy of the demo city: the
other browser tests count the demo's contracts and must not see it, whatever order tests run in.
"""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import save_screenshot, sign_in

PROCUREMENT = "procurement@demo.city"
NUMBER = "PW-2027-301"
TITLE = "Resurfacing, east region arterials"
VENDOR = "Keystone Paving"
FIRST_MONTH = "2027-01"
# Library templates of the asphalt-resurfacing category (contracts_app/library/templates_seed.py),
# by the label on their "Start from the clause library" button; each weighs 20.
LIBRARY = {
    "iri": "Smooth ride: segments with roughness at or below 95 in/mi",
    "pci_after": "Pavement condition after resurfacing",
    "on_time": "Work orders completed by the scheduled date",
}
ADJUSTED = "on_time"  # target 95 % -> 97 %, weight 20 -> 60


def clause_row(page: Page, key: str):
    """The row of the clauses-in-force table for the clause on sheet column `key`."""
    return page.get_by_test_id("clauses").locator("tbody tr").filter(
        has=page.locator("code", has_text=re.compile(rf"^{re.escape(key)}$"))
    )


def expect_flash(page: Page, text: str | re.Pattern) -> None:
    expect(page.get_by_role("alert").filter(has_text=text)).to_be_visible()


def test_procurement_officer_drafts_adjusts_and_activates_a_contract(page: Page, city_server: str, console_guard):
    console_guard.allow(r"status of 400 .*/activate\)")  # the confirm step sent back without its box ticked
    base = city_server
    sign_in(page, base, PROCUREMENT)

    # --- a new draft contract for Keystone Paving ------------------------------------------------
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Contracts").click()
    page.get_by_role("link", name="New contract").click()
    expect(page.get_by_role("heading", name="New contract", level=1)).to_be_visible()
    # The category first: the vendor list then offers the vendors that work in it (no script needed).
    expect(page.get_by_label("Vendor")).to_have_count(0)
    page.get_by_label("Service category").select_option(label="Asphalt resurfacing")
    page.get_by_role("button", name="Show its vendors").click()
    offered = page.get_by_label("Vendor").locator("option").all_inner_texts()
    assert VENDOR in offered and "Brightway Electric" not in offered, offered  # street lights only
    page.get_by_label("Contract number").fill(NUMBER)
    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("Vendor").select_option(label=VENDOR)
    page.get_by_label("Start date").fill("2027-01-01")
    page.get_by_label("End date").fill("2028-12-31")
    page.get_by_label("Contract value ($)").fill("980000")
    page.get_by_label("Capacity per month").fill("22")
    page.get_by_label("Incentive cap (% of invoice)").fill("5")
    page.get_by_label("Penalty cap (% of invoice)").fill("8")
    page.get_by_role("button", name="Save contract").click()

    expect(page).to_have_url(re.compile(r"/contracts/\d+$"))
    contract_url = page.url
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text(f"{NUMBER} · {TITLE}")
    expect(heading.locator(".badge")).to_have_text("Draft")
    expect_flash(page, f"Contract {NUMBER} drafted. Add its outcome clauses, then activate it.")
    expect(page.locator("dd").filter(has_text=VENDOR)).to_be_visible()
    expect(page.get_by_test_id("clauses")).to_contain_text(f"No clauses in force in {FIRST_MONTH}.")

    # --- three clauses from the asphalt clause library, as the library has them -----------------
    for key, label in LIBRARY.items():
        page.get_by_test_id("contract-actions").get_by_role("link", name="Add clause").click()
        expect(page.get_by_role("heading", name="Add a clause", level=1)).to_be_visible()
        library = page.get_by_test_id("library-templates")
        expect(library.get_by_role("link", name="Defects found at inspection per lane-mile")).to_be_visible()
        library.get_by_role("link", name=label, exact=True).click()
        expect(page).to_have_url(re.compile(r"/clauses/new\?template=\d+$"))
        expect(page.get_by_text(f"Started from the library template “{label}”.")).to_be_visible()
        expect(page.get_by_label("Sheet column")).to_have_value(key)
        expect(page.get_by_label("What is measured")).to_have_value(label)
        expect(page.get_by_label("Weight")).to_have_value(re.compile(r"^20(\.0+)?$"))
        # The preview is written as soon as the form opens, from the prefilled terms.
        language = page.get_by_test_id("clause-language")
        expect(language).to_contain_text(f"This clause measures “{label}”")
        expect(language).to_contain_text("carries a weight of 20 out of 100")
        expect(page.get_by_test_id("clause-problems").locator("li")).to_have_count(0)
        if key == "iri":
            save_screenshot(page, "procurement-clause-from-library")
        page.get_by_role("button", name="Save clause").click()
        expect(page).to_have_url(f"{contract_url}#clauses")
        expect_flash(page, f"Clause {key} added to {NUMBER}.")
        expect(clause_row(page, key)).to_have_count(1)

    expect(page.get_by_test_id("clauses").locator("tbody tr")).to_have_count(3)
    for key in LIBRARY:
        expect(clause_row(page, key).locator("td").nth(7)).to_have_text("20.0")

    # --- activation is refused while the weights sum to 60 --------------------------------------
    # The confirm step names what stands in the way before asking anything.
    page.get_by_role("link", name="Activate contract…").click()
    expect(page).to_have_url(f"{contract_url}/activate")
    expect(page.get_by_test_id("confirm-problems")).to_contain_text(
        f"From {FIRST_MONTH}: weights of the clauses in force sum to 60, not 100.")
    expect(page.get_by_role("checkbox")).to_have_count(0)
    save_screenshot(page, "procurement-activation-confirm-refused")
    page.get_by_role("link", name="Back to the contract to fix them").click()
    expect(page).to_have_url(contract_url)
    expect(heading.locator(".badge")).to_have_text("Draft")
    expect(page.get_by_role("link", name="Activate contract…")).to_be_visible()
    # The clauses table says the same, and what to do about it on a draft.
    expect(page.locator(".alert-warning")).to_have_text(
        f"From {FIRST_MONTH}: weights of the clauses in force sum to 60, not 100. "
        "Edit the clauses' weights so they sum to 100 before activating."
    )
    save_screenshot(page, "procurement-activation-refused")

    # --- adjust one clause: target 95 -> 97, weight 20 -> 60; the preview follows, no reload ----
    clause_row(page, ADJUSTED).get_by_role("link", name="Edit").click()
    expect(page.get_by_role("heading", name=f"Edit clause {ADJUSTED}", level=1)).to_be_visible()
    language = page.get_by_test_id("clause-language")
    expect(language).to_contain_text("The target is a monthly value of at least 95 %")
    expect(language).to_contain_text("carries a weight of 20 out of 100")
    form_url = page.url
    page.evaluate("window.__marker = 1")

    with page.expect_response(lambda r: r.url.endswith("/clauses/preview") and r.request.method == "POST"):
        page.get_by_label("Target").fill("97")
    page.get_by_label("Weight").fill("60")
    expect(language).to_contain_text("The target is a monthly value of at least 97 %")
    expect(language).to_contain_text("full credit (100 %) when the monthly value is at or above 97 %")
    expect(language).to_contain_text("carries a weight of 60 out of 100")
    expect(language).not_to_contain_text("at least 95 %")
    expect(page.get_by_test_id("clause-problems").locator("li")).to_have_count(0)
    # Same document: the marker set before typing survives, so the page never reloaded.
    assert page.evaluate("window.__marker") == 1
    assert page.url == form_url
    save_screenshot(page, "procurement-clause-preview-updated")

    page.get_by_role("button", name="Save clause").click()
    expect(page).to_have_url(f"{contract_url}#clauses")
    expect_flash(page, f"Clause {ADJUSTED} saved.")
    adjusted = clause_row(page, ADJUSTED).locator("td")
    expect(adjusted.nth(5)).to_have_text("97.00 %")
    expect(adjusted.nth(7)).to_have_text("60.0")

    # --- activation, now that the three weigh 20 + 20 + 60 = 100 --------------------------------
    page.get_by_role("link", name="Activate contract…").click()
    expect(page.get_by_test_id("confirm-consequences")).to_contain_text("This cannot be undone")
    page.get_by_role("button", name="Activate contract", exact=True).click()  # without the box: refused
    expect(page.get_by_text("Tick the box to confirm; nothing was changed.")).to_be_visible()
    page.get_by_label("I understand that activating cannot be undone.").check()
    save_screenshot(page, "procurement-activation-confirm")
    page.get_by_role("button", name="Activate contract", exact=True).click()
    expect(page).to_have_url(contract_url)
    expect_flash(page, f"Contract {NUMBER} is active: its clauses are now scored every month.")
    expect(heading.locator(".badge")).to_have_text("Active")
    expect(page.get_by_role("button", name="Activate contract")).to_have_count(0)
    actions = page.get_by_test_id("contract-actions")
    expect(actions.get_by_role("link", name="Close contract…")).to_be_visible()
    expect(actions.get_by_role("link", name="Add clause (amendment)")).to_be_visible()
    expect(page.locator(".alert-danger, .alert-warning")).to_have_count(0)
    expect(page.get_by_test_id("clauses").locator("tbody tr")).to_have_count(3)
    for key in LIBRARY:
        expect(clause_row(page, key).get_by_role("link", name="Amend")).to_be_visible()
    expect(clause_row(page, "iri").locator("td").nth(7)).to_have_text("20.0")
    expect(clause_row(page, "pci_after").locator("td").nth(7)).to_have_text("20.0")
    expect(clause_row(page, ADJUSTED).locator("td").nth(7)).to_have_text("60.0")
    save_screenshot(page, "procurement-contract-active")

    # The contracts list now shows it as active.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Contracts").click()
    row = page.locator("table tbody tr").filter(has=page.get_by_role("link", name=NUMBER, exact=True))
    expect(row).to_contain_text(VENDOR)
    expect(row.locator(".badge")).to_have_text("Active")
    row.get_by_role("link", name=NUMBER, exact=True).click()
    expect(page).to_have_url(contract_url)

    # --- the clause schedule: the three clauses' contract language ------------------------------
    page.get_by_test_id("contract-actions").get_by_role("link", name="Clause schedule").click()
    expect(page).to_have_url(re.compile(r"/contracts/\d+/schedule$"))
    expect(page.get_by_role("heading", name="Schedule of outcome clauses", level=1)).to_be_visible()
    expect(page.get_by_test_id("contract-number")).to_have_text(f"{NUMBER} · {TITLE}")
    schedule_rows = page.get_by_test_id("schedule-clauses").locator("tbody tr")
    expect(schedule_rows).to_have_count(3)
    expect(page.get_by_test_id("schedule-clauses").locator("tfoot")).to_contain_text("Total weight")
    expect(page.get_by_test_id("schedule-clauses").locator("tfoot td").first).to_have_text("100")
    languages = page.get_by_test_id("schedule").get_by_test_id("clause-language")
    expect(languages).to_have_count(3)
    for key, label in LIBRARY.items():
        text = languages.and_(page.locator(f"[data-clause-key='{key}']"))
        expect(text).to_contain_text(f"This clause measures “{label}”")
        expect(text).to_contain_text(f"column “{key}”")
    on_time = languages.and_(page.locator(f"[data-clause-key='{ADJUSTED}']"))
    expect(on_time).to_contain_text("The target is a monthly value of at least 97 %")
    expect(on_time).to_contain_text("carries a weight of 60 out of 100")
    expect(languages.and_(page.locator("[data-clause-key='iri']"))).to_contain_text(
        "carries a weight of 20 out of 100"
    )
    expect(page.get_by_test_id("payment-caps")).to_contain_text("capped at 5 % of that month's invoice")
    expect(page.get_by_test_id("payment-caps")).to_contain_text("capped at 8 % of that month's invoice")
    save_screenshot(page, "procurement-clause-schedule")
