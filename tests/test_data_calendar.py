"""The data calendar (issue 15): one rule decides a month's state (a table of cases), the page shows every
contract's months with that state and a link to the right place, filters by category and contract manager,
and exports the same grid as .csv and .xlsx."""
from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta

import openpyxl
import pytest

from contracts_app.data_calendar.cells import CellState, MonthFacts, cell_state
from contracts_app.disputes.review import ReviewState
from models import Dispute, DisputeStatus, Role, UploadStatus, Vendor, db

from .factories import (
    TEST_PASSWORD,
    CategoryFactory,
    ContractAssignmentFactory,
    ContractFactory,
    UploadFactory,
    UserFactory,
)

DUE = date(2026, 12, 10)
TODAY = datetime(2026, 12, 15, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(("facts", "today", "state"), [
    (MonthFacts(in_term=True, due_on=DUE, review=ReviewState.FINAL), date(2026, 12, 15), CellState.FINAL),
    (MonthFacts(in_term=True, due_on=DUE, review=ReviewState.PROVISIONAL), date(2026, 12, 15), CellState.PROVISIONAL),
    (MonthFacts(in_term=True, due_on=DUE, review=ReviewState.DISPUTED), date(2026, 12, 15), CellState.DISPUTED),
    # Committed data speaks before a staged sheet (a correction staged over a committed month).
    (MonthFacts(in_term=True, due_on=DUE, review=ReviewState.FINAL, staged=True), date(2026, 12, 15), CellState.FINAL),
    (MonthFacts(in_term=True, due_on=DUE, staged=True), date(2026, 12, 15), CellState.STAGED),
    (MonthFacts(in_term=True, due_on=DUE, staged=True), date(2026, 12, 1), CellState.STAGED),
    (MonthFacts(in_term=True, due_on=DUE), date(2026, 12, 1), CellState.NOT_YET_DUE),
    (MonthFacts(in_term=True, due_on=DUE), date(2026, 12, 10), CellState.NOT_YET_DUE),  # the due day itself
    (MonthFacts(in_term=True, due_on=DUE), date(2026, 12, 11), CellState.OVERDUE),  # the day after
    (MonthFacts(in_term=False, due_on=DUE), date(2026, 12, 15), CellState.OUTSIDE_TERM),
    (MonthFacts(in_term=False, due_on=DUE, staged=True), date(2026, 12, 15), CellState.OUTSIDE_TERM),
    # Data committed in a month the term no longer covers (the term was shortened) is still shown.
    (MonthFacts(in_term=False, due_on=DUE, review=ReviewState.PROVISIONAL), date(2026, 12, 15), CellState.PROVISIONAL),
])
def test_one_rule_decides_a_months_state(facts, today, state):
    assert cell_state(facts, today) == state


def _upload(contract, period, status=UploadStatus.COMMITTED, closes=None):
    return UploadFactory(contract=contract, period=period, status=status,
                         committed_at=TODAY - timedelta(days=30) if status == UploadStatus.COMMITTED else None,
                         review_closes_at=closes)


@pytest.fixture
def city(app, time_machine):
    """Two categories, two managers, two contracts; every state on the grid at 2026-12-15."""
    time_machine.move_to(TODAY, tick=False)
    roads = CategoryFactory(name="Road resurfacing", slug="roads", sheet_due_days=10)
    parks = CategoryFactory(name="Park upkeep", slug="parks", sheet_due_days=20)
    ana = UserFactory(role=Role.CONTRACT_MANAGER, email="ana@city.test", name="Ana Reyes")
    ben = UserFactory(role=Role.CONTRACT_MANAGER, email="ben@city.test", name="Ben Okafor")
    roads_contract = ContractFactory(number="RD-001", category=roads, start_date=date(2026, 1, 1),
                                     end_date=date(2027, 12, 31))
    parks_contract = ContractFactory(number="PK-001", category=parks, start_date=date(2026, 6, 1),
                                     end_date=date(2027, 5, 31))
    ContractAssignmentFactory(user=ana, contract=roads_contract)
    ContractAssignmentFactory(user=ben, contract=parks_contract)
    _upload(roads_contract, "2026-01", closes=TODAY - timedelta(days=10))
    disputed = _upload(roads_contract, "2026-02", closes=TODAY + timedelta(days=2))
    db.session.add(Dispute(contract_id=roads_contract.id, period="2026-02", upload_id=disputed.id,
                           status=DisputeStatus.OPEN, reason="Rows counted twice"))
    staged = _upload(roads_contract, "2026-03", status=UploadStatus.STAGED)
    _upload(roads_contract, "2026-10", closes=TODAY + timedelta(days=5))
    _upload(parks_contract, "2026-10", closes=TODAY - timedelta(days=1))
    finance = UserFactory(role=Role.FINANCE, email="fin@city.test")
    db.session.commit()
    return {"ana": ana, "ben": ben, "roads": roads_contract, "parks": parks_contract, "staged": staged,
            "finance": finance}


def signed_in(app, email):
    client = app.test_client()
    response = client.sign_in(email, TEST_PASSWORD)
    assert response.status_code == 302
    return client


def grid(html: str) -> dict[str, dict[str, str]]:
    """{contract number: {period: state}} read from the page's table."""
    found = {}
    for row in re.findall(r"<tr>(.*?)</tr>", html, re.S):
        number = re.search(r">([A-Z]{2}-\d{3})</a>", row)
        if number:
            found[number.group(1)] = dict(re.findall(r'data-period="([\d-]+)" data-state="([^"]+)"', row))
    return found


def test_the_calendar_shows_every_state_over_the_last_twelve_finished_months(app, city):
    client = signed_in(app, "ana@city.test")
    response = client.get("/calendar/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    cells = grid(html)
    assert list(cells["RD-001"]) == ["2025-12", *(f"2026-{m:02d}" for m in range(1, 12))]
    assert cells["RD-001"]["2025-12"] == "outside term"
    assert cells["RD-001"]["2026-01"] == "committed, final"
    assert cells["RD-001"]["2026-02"] == "disputed"
    assert cells["RD-001"]["2026-03"] == "staged"
    assert cells["RD-001"]["2026-04"] == "overdue"
    assert cells["RD-001"]["2026-10"] == "provisional"
    assert cells["RD-001"]["2026-11"] == "overdue"  # due 2026-12-10 (10 days), today 2026-12-15
    assert cells["PK-001"]["2026-05"] == "outside term"
    assert cells["PK-001"]["2026-10"] == "committed, final"
    assert cells["PK-001"]["2026-11"] == "not yet due"  # due 2026-12-20 (20 days)
    roads, parks = city["roads"].id, city["parks"].id
    # Each cell leads to the right place; Ana manages RD-001 only, so PK-001's missing months have no upload link.
    assert f'href="/contracts/{roads}/scorecard"' in html
    assert f'href="/contracts/{roads}/months/2026-02"' in html
    assert f'href="/uploads/{city["staged"].id}"' in html
    assert f'href="/contracts/{roads}/sheets?period=2026-11"' in html
    assert f'href="/contracts/{parks}/scorecard"' in html
    assert f"/contracts/{parks}/sheets" not in html
    # The legend says every state in words; the table scrolls in a labelled, focusable region.
    for state in CellState:
        assert state.value in html
    assert 'role="region" aria-labelledby="calendar-caption" tabindex="0"' in html
    assert 'href="/calendar/">Calendar</a>' in html  # in the nav

    # The upload page opens on the month the cell named.
    upload_page = client.get(f"/contracts/{roads}/sheets?period=2026-11").get_data(as_text=True)
    assert re.search(r'<option selected value="2026-11">|<option value="2026-11" selected', upload_page)


def test_the_calendar_filters_by_category_by_manager_and_months(app, city):
    client = signed_in(app, "fin@city.test")  # every city role reads it
    assert set(grid(client.get("/calendar/").get_data(as_text=True))) == {"RD-001", "PK-001"}
    assert set(grid(client.get("/calendar/?category=parks").get_data(as_text=True))) == {"PK-001"}
    assert set(grid(client.get(f"/calendar/?manager={city['ana'].id}").get_data(as_text=True))) == {"RD-001"}
    both = client.get(f"/calendar/?manager={city['ana'].id}&category=parks").get_data(as_text=True)
    assert grid(both) == {} and "No contract ran in these months with these filters" in both
    months = grid(client.get("/calendar/?from=2026-10&to=2027-01").get_data(as_text=True))
    assert months["PK-001"] == {"2026-10": "committed, final", "2026-11": "not yet due",
                                "2026-12": "not yet due", "2027-01": "not yet due"}
    # Input not understood: a message naming the field, and the default instead; never an error page.
    odd = client.get("/calendar/?from=2026-13&category=nope&manager=abc")
    text = odd.get_data(as_text=True)
    assert odd.status_code == 200
    assert "&#39;2026-13&#39; is not a month; write it as YYYY-MM" in text
    assert "There is no category &#39;nope&#39;" in text and "That person is not a contract manager" in text
    assert len(grid(text)["RD-001"]) == 12
    assert "At most 36 months at a time" in client.get("/calendar/?from=2020-01&to=2026-11").get_data(as_text=True)


def test_vendors_do_not_see_the_calendar(app, city):
    vendor_user = UserFactory(role=Role.VENDOR, vendor=db.session.get(Vendor, city["roads"].vendor_id),
                              email="ops@vendor.test")
    db.session.commit()
    client = app.test_client()
    client.sign_in(vendor_user.email, TEST_PASSWORD)
    assert client.get("/calendar/").status_code == 404
    assert client.get("/calendar/export.csv").status_code == 404


def test_the_calendar_exports_as_csv_and_xlsx_with_the_state_words(app, city):
    client = signed_in(app, "fin@city.test")
    response = client.get("/calendar/export.csv?category=roads")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "data-calendar_2025-12_2026-11_roads.csv" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:5] == ["Contract", "Title", "Vendor", "Category", "Contract managers"]
    assert rows[0][5] == "2025-12" and rows[0][-1] == "2026-11"
    assert len(rows) == 2 and rows[1][0] == "RD-001" and rows[1][3] == "Road resurfacing"
    assert rows[1][4] == "Ana Reyes"
    assert rows[1][5:9] == ["outside term", "committed, final", "disputed", "staged"]
    assert rows[1][-1] == "overdue"

    xlsx = client.get(f"/calendar/export.xlsx?manager={city['ben'].id}")
    assert xlsx.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.data)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0][0] == "Contract" and len(values) == 2
    assert values[1][0] == "PK-001" and values[1][-2:] == ["committed, final", "not yet due"]
