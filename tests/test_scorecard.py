"""Contract scorecard, clause drill-down and vendor standings: what finance reviews.

Data goes in the way real sheets do, through `commit_rows`, which stores observations and
recomputes the stored scores the pages read.
"""
from __future__ import annotations

import hashlib
import math
import re
from datetime import date
from decimal import Decimal

import lxml.html
import pytest
from sqlalchemy import select

from contracts_app.rankings.standings import vendor_rankings
from contracts_app.stored_scores.recompute import recompute_contract
from contracts_app.uploads.storing import commit_rows
from imports.check import CheckedRows
from models import Aggregation, ClauseResult, ContractPeriodScore, Direction, Role, db
from tests.factories import (
    TEST_PASSWORD,
    CategoryFactory,
    ContractAssignmentFactory,
    ContractFactory,
    OutcomeClauseFactory,
    UserFactory,
    VendorFactory,
)

# --- building data ------------------------------------------------------------------------------

def _contract(category=None, vendor=None, number=None):
    """A contract with three clauses in force from 2026-01: mean, percent-true and ratio (weights 50/30/20)."""
    extra = {"number": number} if number else {}
    contract = ContractFactory(category=category or CategoryFactory(), vendor=vendor or VendorFactory(), **extra)
    OutcomeClauseFactory(contract=contract, key="pci_after", label="Pavement condition after resurfacing",
                         unit="PCI", target=Decimal("90"), minimum=Decimal("80"), weight=Decimal("50"))
    OutcomeClauseFactory(contract=contract, key="on_time", label="Work orders completed on time", unit="%",
                         aggregation=Aggregation.PERCENT_TRUE, target=Decimal("95"), minimum=Decimal("80"),
                         weight=Decimal("30"), valid_min=None, valid_max=None)
    OutcomeClauseFactory(contract=contract, key="defects", label="Defects per lane-mile", unit="defects/lane-mile",
                         direction=Direction.LOWER, aggregation=Aggregation.RATIO, denominator="lane_miles",
                         target=Decimal("0.5"), minimum=Decimal("2"), weight=Decimal("20"))
    db.session.refresh(contract)
    return contract


def _rows(period: str, *, prefix: str = "WO", pci=(), on_time=(), defects=(), lane_miles=()) -> CheckedRows:
    n = max(len(pci), len(on_time), len(defects), len(lane_miles))

    def column(values):
        values = list(values)
        return values + [None] * (n - len(values))

    year, month = map(int, period.split("-"))
    return CheckedRows(
        row_numbers=[i + 2 for i in range(n)],  # row 1 is the header, as in Excel
        row_keys=[f"{prefix}-{period}-{i + 1:03d}" for i in range(n)],
        work_dates=[date(year, month, 1 + i % 28) for i in range(n)],
        values={"pci_after": column(pci), "on_time": column(on_time), "defects": column(defects),
                "lane_miles": column(lane_miles)},
        context={"street": [f"Street {i + 1}" for i in range(n)]},
    )


def _commit(contract, period, rows, filename=None, actor=None, reason=None):
    name = filename or f"{contract.number}_{period}.xlsx"
    digest = hashlib.sha256(f"{contract.number}{period}{name}{len(rows)}".encode()).hexdigest()
    outcome = commit_rows(contract, period, rows, filename=name, sha256=digest, actor=actor, supersede_reason=reason)
    db.session.flush()
    return outcome.upload


def _signed_in(client, role=Role.FINANCE, user=None):
    user = user or UserFactory(role=role)
    db.session.flush()
    assert client.sign_in(user.email, TEST_PASSWORD).status_code == 302
    return user


TOKEN_RE = re.compile(r'([\w*]*)((?:\[[\w-]+="[^"]*"\]|\.[\w-]+)*)')


def _xpath(selector: str) -> str:
    """The few CSS selectors these tests use (tag, [attr="v"], .class, descendant) as XPath."""
    steps = []
    for token in selector.split():
        match = TOKEN_RE.fullmatch(token)
        assert match, f"unsupported selector {token!r}"
        predicates = [
            f'[@{attr}="{value}"]' if attr else f'[contains(concat(" ", normalize-space(@class), " "), " {cls} ")]'
            for attr, value, cls in re.findall(r'\[([\w-]+)="([^"]*)"\]|\.([\w-]+)', match.group(2))
        ]
        steps.append((match.group(1) or "*") + "".join(predicates))
    return ".//" + "//".join(steps)


class Page:
    """An HTML element with `cssselect` for simple selectors (the cssselect package is not installed)."""

    def __init__(self, element):
        self.element = element

    def cssselect(self, selector: str) -> list[Page]:
        return [Page(e) for e in self.element.xpath(_xpath(selector))]

    def __getattr__(self, name):
        return getattr(self.element, name)


def _page(client, path: str) -> Page:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return Page(lxml.html.fromstring(response.get_data(as_text=True)))


def _text(element) -> str:
    return " ".join(element.text_content().split())


def _stored(contract, period, key) -> ClauseResult:
    return db.session.scalars(select(ClauseResult).where(
        ClauseResult.contract_id == contract.id, ClauseResult.period == period, ClauseResult.clause_key == key)).one()


def _score(contract, period) -> ContractPeriodScore:
    return db.session.scalars(select(ContractPeriodScore).where(
        ContractPeriodScore.contract_id == contract.id, ContractPeriodScore.period == period)).one()


@pytest.fixture
def scored(app, session):
    """2026-01 complete (partial, failed, met); 2026-02 incomplete (no defects cells at all)."""
    contract = _contract()
    _commit(contract, "2026-01", _rows("2026-01", pci=[91, 85, 88.5, None], on_time=[True, False, False, True],
                                       defects=[1, 0, 2, 1], lane_miles=[2, 2, 2, 2]))
    _commit(contract, "2026-02", _rows("2026-02", pci=[92, 94], on_time=[True, True], lane_miles=[1.5, 2]))
    return contract


# --- the scorecard ------------------------------------------------------------------------------

def test_scorecard_shows_each_months_composite_to_one_decimal_and_status_words(client, scored):
    _signed_in(client)
    page = _page(client, f"/contracts/{scored.id}/scorecard")
    january = page.cssselect('tr[data-period="2026-01"]')[0]

    # pci mean 88.1667 -> attainment 81.667 (partial); on_time 50 % -> failed; defects 4/8 = 0.5 -> met.
    pci_attainment = 100 * ((91 + 85 + 88.5) / 3 - 80) / (90 - 80)
    assert _score(scored, "2026-01").composite == pytest.approx((50 * pci_attainment + 30 * 0 + 20 * 100) / 100)
    assert _text(january.cssselect('[data-testid="composite"]')[0]) == "60.8"
    cells = {td.get("data-clause"): td for td in january.cssselect("td.scorecard-cell")}
    assert [b.text_content() for b in cells["pci_after"].cssselect(".status-badge")] == ["partial"]
    assert [b.text_content() for b in cells["on_time"].cssselect(".status-badge")] == ["failed"]
    assert [b.text_content() for b in cells["defects"].cssselect(".status-badge")] == ["met"]
    # The value with its unit, the attainment, rounded for display only.
    assert "88.2 PCI" in _text(cells["pci_after"]) and "attainment 81.7" in _text(cells["pci_after"])
    assert "50.0 %" in _text(cells["on_time"]) and "attainment 0.0" in _text(cells["on_time"])
    assert "0.50 defects/lane-mile" in _text(cells["defects"])
    assert "100 %" in _text(january) and "incomplete" not in _text(january)
    # Each cell links to its drill-down.
    assert cells["pci_after"].cssselect("a")[0].get("href") == f"/contracts/{scored.id}/scorecard/2026-01/pci_after"


def test_an_incomplete_month_says_incomplete_with_its_coverage_never_perfect(client, scored):
    _signed_in(client)
    page = _page(client, f"/contracts/{scored.id}/scorecard")
    february = page.cssselect('tr[data-period="2026-02"]')[0]

    score = _score(scored, "2026-02")
    assert score.coverage == pytest.approx(0.8) and score.composite == pytest.approx(100.0)
    text = _text(february)
    assert "incomplete" in text and "80 %" in text and "100 %" not in text
    assert [b.text_content() for b in february.cssselect('td[data-clause="defects"] .status-badge')] == ["no data"]
    assert "no value" in _text(february.cssselect('td[data-clause="defects"]')[0])
    assert "2026-02 (coverage 80 %)" in _text(page.cssselect('[data-testid="incomplete-months"]')[0])


def test_scorecard_draws_a_chart_per_clause_and_the_composite_trend(client, scored):
    _signed_in(client)
    page = _page(client, f"/contracts/{scored.id}/scorecard")
    charts = page.cssselect('[data-testid="clause-chart"]')
    assert sorted(c.get("data-clause") for c in charts) == ["defects", "on_time", "pci_after"]
    pci_chart = next(c for c in charts if c.get("data-clause") == "pci_after")
    labels = " ".join(t.text_content() for t in pci_chart.iter("{*}text", "text"))
    assert "target 90" in labels and "minimum 80" in labels
    assert page.cssselect('[data-testid="composite-chart"] svg')


def test_an_amended_target_is_drawn_as_the_latest_and_said_so(client, scored):
    OutcomeClauseFactory(contract=scored, key="pci_after", label="Pavement condition after resurfacing", unit="PCI",
                         target=Decimal("92"), minimum=Decimal("82"), weight=Decimal("50"), effective_from="2026-02",
                         amendment_reason="stricter smoothness")
    db.session.refresh(scored)
    recompute_contract(scored)
    db.session.flush()
    _signed_in(client)
    page = _page(client, f"/contracts/{scored.id}/scorecard")
    chart = [c for c in page.cssselect('[data-testid="clause-chart"]') if c.get("data-clause") == "pci_after"][0]
    labels = " ".join(t.text_content() for t in chart.iter("{*}text", "text"))
    assert "target 92" in labels and "target 90" not in labels
    note = _text(chart.cssselect('[data-testid="amendment-note"]')[0])
    assert "from 2026-02" in note and "from 2026-01: target 90.0 PCI" in note
    # January is still scored under the terms in force then (target 90), February under the new ones.
    assert _stored(scored, "2026-01", "pci_after").clause.target == Decimal("90")
    assert _stored(scored, "2026-02", "pci_after").clause.target == Decimal("92")


def test_contract_page_links_to_its_scorecard(client, scored):
    _signed_in(client)
    page = _page(client, f"/contracts/{scored.id}")
    links = [a for a in page.cssselect('[data-testid="contract-actions"] a') if _text(a) == "Scorecard"]
    assert [a.get("href") for a in links] == [f"/contracts/{scored.id}/scorecard"]


def test_a_contract_without_scores_says_so(client, app):
    contract = _contract()
    _signed_in(client)
    page = _page(client, f"/contracts/{contract.id}/scorecard")
    assert "No month has been scored yet" in _text(page)


# --- the drill-down -----------------------------------------------------------------------------

def test_drilldown_lists_exactly_the_committed_uploads_rows_paginated_and_names_the_upload(client, app):
    contract = _contract()
    manager = UserFactory(role=Role.CONTRACT_MANAGER, email="mgr@city.test", name="Morgan Manager")
    first = _commit(contract, "2026-03", _rows("2026-03", prefix="OLD", pci=[70.0] * 60, on_time=[True] * 60),
                    filename="march-first.xlsx", actor=manager)
    pci = [80 + (i % 17) * 0.75 for i in range(55)]
    pci[7] = None  # an empty cell is missing, never zero
    second = _commit(contract, "2026-03", _rows("2026-03", prefix="NEW", pci=pci, on_time=[True] * 55),
                     filename="march-corrected.xlsx", actor=manager, reason="inspection results corrected")
    assert first.status.value == "superseded" and second.status.value == "committed"

    _signed_in(client)
    base = f"/contracts/{contract.id}/scorecard/2026-03/pci_after"
    one, two = _page(client, base), _page(client, base + "?page=2")
    rows = one.cssselect('[data-testid="rows"] tbody tr') + two.cssselect('[data-testid="rows"] tbody tr')
    assert len(one.cssselect('[data-testid="rows"] tbody tr')) == 50
    assert len(two.cssselect('[data-testid="rows"] tbody tr')) == 5
    keys = [_text(r.cssselect("td")[1]) for r in rows]
    assert keys == [f"NEW-2026-03-{i + 1:03d}" for i in range(55)]  # not one row of the superseded upload
    assert [int(_text(r.cssselect("td")[0])) for r in rows] == list(range(2, 57))  # Excel row numbers
    assert client.get(base + "?page=3").status_code == 404

    # The upload it came from: file, who, when, short sha256.
    upload = _text(one.cssselect('[data-testid="upload"]')[0])
    assert "march-corrected.xlsx" in upload and "march-first.xlsx" not in upload
    assert "mgr@city.test" in upload and second.sha256[:12] in upload and "UTC" in upload
    assert "march-first.xlsx" in _text(one) and "inspection results corrected" in _text(one)

    # The number matches the stored value: the mean of the listed non-empty cells.
    cells = [_text(r.cssselect('[data-testid="cell"]')[0]) for r in rows]
    assert cells[7] == "empty"
    listed = [float(c.replace(",", "")) for c in cells if c != "empty"]
    stored = _stored(contract, "2026-03", "pci_after")
    assert stored.observations == 54 == len(listed)
    assert math.fsum(listed) / len(listed) == pytest.approx(stored.value, rel=1e-12)
    assert _text(one.cssselect('[data-testid="value"]')[0]) == f"{Decimal(str(stored.value)):.1f} PCI"
    assert _text(one.cssselect('[data-testid="status"]')[0]) == stored.status.value
    how = _text(one.cssselect('[data-testid="how-computed"]')[0])
    assert "Mean of the pci_after cells of 54 rows" in how and "other row leaves it empty" in how


def test_drilldown_of_a_ratio_clause_shows_the_denominator_cells(client, scored):
    _signed_in(client)
    page = _page(client, f"/contracts/{scored.id}/scorecard/2026-01/defects")
    headers = [_text(th) for th in page.cssselect('[data-testid="rows"] thead th')]
    assert headers[:6] == ["Row", "work_order_id", "completed_on", "defects", "lane_miles",
                           "Counted in the value"]
    assert "street" in headers
    rows = page.cssselect('[data-testid="rows"] tbody tr')
    numerators = [float(_text(r.cssselect('[data-testid="cell"]')[0])) for r in rows]
    denominators = [float(_text(r.cssselect('[data-testid="denominator"]')[0])) for r in rows]
    assert sum(numerators) / sum(denominators) == pytest.approx(_stored(scored, "2026-01", "defects").value)
    assert "÷ sum of the lane_miles cells over the 4 rows" in _text(page.cssselect('[data-testid="how-computed"]')[0])
    assert "Street 1" in _text(page)


def test_drilldown_of_a_percent_clause_says_how_many_rows_say_yes(client, scored):
    _signed_in(client)
    page = _page(client, f"/contracts/{scored.id}/scorecard/2026-01/on_time")
    assert "(2 of 4)" in _text(page.cssselect('[data-testid="how-computed"]')[0])
    assert [_text(r.cssselect('[data-testid="cell"]')[0]) for r in page.cssselect('[data-testid="rows"] tbody tr')] \
        == ["yes", "no", "no", "yes"]


def test_drilldown_of_a_clause_without_values_explains_it(client, scored):
    _signed_in(client)
    page = _page(client, f"/contracts/{scored.id}/scorecard/2026-02/defects")
    assert _text(page.cssselect('[data-testid="status"]')[0]) == "no data"
    assert "No value" in _text(page.cssselect('[data-testid="how-computed"]')[0])


@pytest.mark.parametrize("suffix", [
    "2026-05/pci_after",  # a valid month with nothing stored
    "2026-13/pci_after",  # not a month
    "march/pci_after",
    "2026-1/pci_after",
    "2026-01/no_such_clause",
])
def test_drilldown_answers_404_for_an_unknown_month_or_clause(client, scored, suffix):
    _signed_in(client)
    assert client.get(f"/contracts/{scored.id}/scorecard/{suffix}").status_code == 404


def test_unknown_contract_answers_404(client, app):
    _signed_in(client)
    assert client.get("/contracts/999999/scorecard").status_code == 404
    assert client.get("/contracts/999999/scorecard/2026-01/pci_after").status_code == 404


def test_upload_link_only_for_the_contracts_own_contract_managers(client, app, scored):
    path = f"/contracts/{scored.id}/scorecard/2026-01/pci_after"
    assigned = UserFactory(role=Role.CONTRACT_MANAGER)
    ContractAssignmentFactory(user=assigned, contract=scored)
    other_manager = UserFactory(role=Role.CONTRACT_MANAGER)
    finance = UserFactory(role=Role.FINANCE)
    db.session.flush()
    for user, shown in ((assigned, True), (other_manager, False), (finance, False)):
        own = app.test_client()
        _signed_in(own, user=user)
        links = _page(own, path).cssselect('[data-testid="upload-link"]')
        assert bool(links) is shown, user.role
        if shown:
            assert links[0].get("href").startswith("/uploads/")
            assert own.get(links[0].get("href")).status_code == 200


# --- the vendor page ----------------------------------------------------------------------------

def test_vendor_page_shows_latest_scores_rank_score_and_flags(client, app):
    category = CategoryFactory(name="Asphalt resurfacing")
    strong, weak, newcomer = (VendorFactory(name=n) for n in ("Harbor Paving", "Summit Roads", "Newcomer Asphalt"))
    contracts = {v.name: _contract(category, v) for v in (strong, weak, newcomer)}
    for index, period in enumerate(("2026-01", "2026-02", "2026-03")):
        _commit(contracts["Harbor Paving"], period, _rows(period, pci=[90 + index] * 10, on_time=[True] * 10,
                                                         defects=[0] * 10, lane_miles=[1] * 10))
        _commit(contracts["Summit Roads"], period, _rows(period, pci=[78] * 12, on_time=[False] * 12,
                                                        defects=[3] * 12, lane_miles=[1] * 12))
    _commit(contracts["Newcomer Asphalt"], "2026-03", _rows("2026-03", pci=[88] * 5, on_time=[True] * 5,
                                                           defects=[1] * 5, lane_miles=[1] * 5))
    rankings = {r.vendor.name: r for r in vendor_rankings(category, "2026-03")}
    assert rankings["Harbor Paving"].rank == 1 and rankings["Summit Roads"].rank == 2
    assert rankings["Newcomer Asphalt"].insufficient_data

    _signed_in(client)
    page = _page(client, f"/vendors/{strong.id}")
    row = page.cssselect(f'tr[data-contract="{contracts["Harbor Paving"].number}"]')[0]
    assert "2026-03" in _text(row) and "100 %" in _text(row)
    latest = _score(contracts["Harbor Paving"], "2026-03").composite
    assert _text(row.cssselect('[data-testid="latest-composite"]')[0]) == f"{Decimal(str(latest)):.1f}"
    standing = page.cssselect(f'[data-testid="standing"][data-category="{category.slug}"]')[0]
    assert "as of 2026-03" in _text(standing)
    assert _text(standing.cssselect('[data-testid="rank"]')[0]) == "1 of 2 ranked"
    assert _text(standing.cssselect('[data-testid="score"]')[0]) == f"{Decimal(str(rankings['Harbor Paving'].score)):.1f}"
    assert standing.cssselect('[data-testid="vendor-trend"] svg')

    page = _page(client, f"/vendors/{weak.id}")
    standing = page.cssselect('[data-testid="standing"]')[0]
    assert _text(standing.cssselect('[data-testid="rank"]')[0]) == "2 of 2 ranked"
    assert "probation" in _text(standing.cssselect('[data-testid="flags"]')[0])  # below 50 two months running

    page = _page(client, f"/vendors/{newcomer.id}")
    flags = _text(page.cssselect('[data-testid="flags"]')[0])
    assert _text(page.cssselect('[data-testid="rank"]')[0]) == "no rank"
    assert "insufficient data" in flags and "1 scored months and 5 observations" in flags


def test_vendor_page_counts_work_units_of_committed_sheets_only(client, app):
    contract = _contract()
    _commit(contract, "2026-01", _rows("2026-01", prefix="OLD", pci=[85] * 12))
    _commit(contract, "2026-01", _rows("2026-01", prefix="NEW", pci=[86] * 9), filename="fixed.xlsx", reason="typo")
    _commit(contract, "2026-02", _rows("2026-02", pci=[87] * 4))
    _signed_in(client)
    row = _page(client, f"/vendors/{contract.vendor_id}").cssselect(f'tr[data-contract="{contract.number}"]')[0]
    cells = [_text(td) for td in row.cssselect("td")]
    assert cells[6] == "13"  # 9 + 4: the superseded sheet's 12 rows stay readable but no longer count
    # Committed just now, so still in its review window: marked provisional (SPEC §8).
    assert cells[7:] == ["2026-02 provisional", f"{Decimal(str(_score(contract, '2026-02').composite)):.1f}",
                         "incomplete 50 %", "4"]


def test_scorecard_shows_the_latest_12_months_and_all_on_request(client, app):
    contract = ContractFactory(start_date=date(2025, 1, 1), end_date=date(2026, 12, 31))
    OutcomeClauseFactory(contract=contract, key="pci_after", weight=Decimal("100"), effective_from="2025-01")
    for month in range(1, 15):  # 2025-01 .. 2026-02
        period = f"{2025 + (month - 1) // 12}-{(month - 1) % 12 + 1:02d}"
        rows = CheckedRows(row_numbers=[2], row_keys=[f"k-{period}"],
                           work_dates=[date(int(period[:4]), int(period[5:]), 3)],
                           values={"pci_after": [85.0]}, context={})
        commit_rows(contract, period, rows, filename=f"{period}.xlsx", sha256=f"{month:064d}")
    user = UserFactory(role=Role.FINANCE)
    client.sign_in(user.email, TEST_PASSWORD)
    page = client.get(f"/contracts/{contract.id}/scorecard").get_data(as_text=True)
    assert "2025-03 to 2026-02" in page and "the latest 12 of 14" in page
    assert f"/contracts/{contract.id}/scorecard/2025-02/pci_after" not in page
    everything = client.get(f"/contracts/{contract.id}/scorecard?months=all").get_data(as_text=True)
    assert "2025-01 to 2026-02" in everything
    assert f"/contracts/{contract.id}/scorecard/2025-01/pci_after" in everything
