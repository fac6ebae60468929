"""Finance reads how sure each vendor score is, then reallocates work on the shrunk scores (SPEC §3b, §4).

The user story, end to end through the real pages: sign in as the demo finance officer, open Rankings,
ask for asphalt resurfacing as of 2026-10 over 6 months and read, per vendor, the shrunk score with
its 90 % interval, the comparison in words and the rank range: Harbor Paving Co is above the category
at rank 1, Summit Road Works below it. The interval chart and the funnel plot are drawn, each with an
accessible title, and the plain paragraph explains it. Then Reallocation → New recommendation for
80 lane-miles in 2026-11 on the vendor score, with a what-if on the shrunk score: the page names the
vendors whose volumes change and by how much; switch the recommendation itself to the shrunk basis,
see the score used per line, save it as a draft and find the basis recorded on it.

Saving stores a recommendation, so the story runs on its own copy of the demo city.
"""
from __future__ import annotations

import re
from decimal import Decimal

from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import save_screenshot, sign_in

FINANCE = "finance@demo.city"
CATEGORY_SLUG = "asphalt-resurfacing"
BEST, LOW = "Harbor Paving Co", "Summit Road Works"


def ranking_field(page: Page, label: str) -> Locator:
    return page.get_by_role("form", name="Choose the ranking").get_by_label(label, exact=True)


def recommendation_field(page: Page, label: str) -> Locator:
    return page.locator("form[method=get]").get_by_label(label, exact=True)


def volumes(table: Locator) -> dict[str, Decimal]:
    out = {}
    for row in table.locator("tbody tr").all():
        name = row.locator("td").first.evaluate("td => td.firstChild.textContent").strip()
        out[name] = Decimal(row.locator("td.fw-semibold").inner_text().replace(",", ""))
    return out


def test_finance_reads_intervals_and_funnel_then_reallocates_on_shrunk_scores(page: Page, city_server: str):
    base = city_server
    sign_in(page, base, FINANCE)

    # --- Rankings with how sure each score is -----------------------------------------------------------
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Rankings").click()
    ranking_field(page, "Service category").select_option(CATEGORY_SLUG)
    ranking_field(page, "As of month").fill("2026-10")
    ranking_field(page, "Window (months)").fill("6")
    page.get_by_role("button", name="Show ranking").click()
    expect(page).to_have_url(f"{base}/rankings/?category={CATEGORY_SLUG}&period=2026-10&window=6")
    table = page.get_by_test_id("rankings-table")
    rows = {row.locator("td.ranking-vendor a").inner_text().strip(): row
            for row in table.get_by_test_id("ranking-row").all()}
    best, low = rows[BEST], rows[LOW]
    expect(best.get_by_test_id("comparison")).to_have_text("above the category")
    expect(best.get_by_test_id("rank-range")).to_have_text("rank 1")
    expect(low.get_by_test_id("comparison")).to_have_text("below the category")
    interval = best.get_by_test_id("interval").inner_text()
    low_end, high_end = (float(x) for x in re.fullmatch(r"([\d.]+) to ([\d.]+)", interval).groups())
    shrunk = float(best.get_by_test_id("shrunk").inner_text().split()[0])
    assert low_end < shrunk < high_end, (low_end, shrunk, high_end)

    expect(page.get_by_test_id("explainer")).to_contain_text("pulled toward the category's average")
    interval_chart = page.get_by_test_id("interval-chart").locator("svg")
    expect(interval_chart).to_have_attribute("aria-label", re.compile(r"^Shrunk scores and 90 % intervals"))
    funnel = page.get_by_test_id("funnel-chart").locator("svg")
    expect(funnel).to_have_attribute("aria-label", re.compile(r"^Funnel plot"))
    expect(funnel.locator("circle")).to_have_count(4 + 2)  # a dot per vendor, two in the legend
    expect(page.get_by_test_id("funnel-text")).to_contain_text("median over the vendors")
    page.get_by_test_id("interval-chart").scroll_into_view_if_needed()
    save_screenshot(page, "rankings-how-sure")
    save_screenshot(page, "rankings-how-sure-table", full_page=False)

    # --- Reallocation: vendor score, what-if on the shrunk score -------------------------------------
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Reallocation").click()
    page.get_by_role("link", name="New recommendation").click()
    recommendation_field(page, "Service category").select_option(CATEGORY_SLUG)
    recommendation_field(page, "Target month").fill("2026-11")
    recommendation_field(page, "Total volume").fill("80")
    expect(recommendation_field(page, "Score basis")).to_have_value("score")
    page.get_by_role("button", name="Recommend").click()
    recommendation_field(page, "What-if score basis").select_option("shrunk")
    page.get_by_role("button", name="Recommend").click()
    expect(page.get_by_role("heading", name=re.compile(r"What if: .*on the shrunk score"), level=3)).to_be_visible()
    on_score = volumes(page.get_by_test_id("recommendation"))
    on_shrunk = volumes(page.get_by_test_id("what-if"))
    changed = {name for name in on_score if on_score[name] != on_shrunk[name]}
    assert changed, (on_score, on_shrunk)
    changes = page.get_by_test_id("what-if-changes")
    expect(changes).to_contain_text(f"Volumes change for {len(changed)} vendors")
    for name in changed:
        expect(changes).to_contain_text(f"{name} {on_shrunk[name] - on_score[name]:+.2f}")
    assert sum(on_shrunk.values()) == Decimal("80.00")
    save_screenshot(page, "recommendation-what-if-shrunk")

    # --- the recommendation itself on the shrunk basis, saved ----------------------------------------
    recommendation_field(page, "Score basis").select_option("shrunk")
    recommendation_field(page, "What-if score basis").select_option("")
    page.get_by_role("button", name="Recommend").click()
    expect(page.get_by_test_id("basis")).to_contain_text("shrunk score")
    table = page.get_by_test_id("recommendation")
    expect(table.locator("thead th").nth(1)).to_have_text("Score used")
    best_line = table.locator("tbody tr").filter(has_text=BEST)
    expect(best_line.get_by_test_id("score-used")).to_contain_text("shrunk; S 99.9")
    assert volumes(table) == on_shrunk
    page.get_by_role("button", name="Save as draft").click()
    expect(page.get_by_test_id("basis")).to_have_text("basis: shrunk score")
    expect(page.get_by_test_id("allocation").locator("tbody tr").filter(has_text=BEST)
           .get_by_test_id("score-used")).to_contain_text("shrunk; S 99.9")
    save_screenshot(page, "recommendation-saved-shrunk")
