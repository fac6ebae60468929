"""The vendor rankings page and its exports (contracts_app/rankings; SPEC §3 vendor score, ranks, flags).

Every expected score below is worked out by hand from the stored period composites and their
observations: Σ observations·composite / Σ observations over the vendor's contract-months in the window.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from html import unescape
from html.parser import HTMLParser

import openpyxl
import pytest

from contracts_app.uploads.storing import commit_rows
from contracts_app.vendors.services import update_vendor
from imports.check import CheckedRows
from imports.export import csv_text
from models import ClauseStatus, Role
from tests.factories import (
    TEST_PASSWORD,
    CategoryFactory,
    ClauseResultFactory,
    ContractFactory,
    ContractPeriodScoreFactory,
    OutcomeClauseFactory,
    UserFactory,
    VendorFactory,
)

PERIOD = "2026-06"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSX_HEADER = ["Rank", "Vendor", "Score", "Insufficient data", "Probation", "Reasons", "Scored months",
               "Observations (rows)", "Clauses met", "Clauses partly met", "Clauses failed", "Shrunk score (θ)",
               "90 % interval, low", "90 % interval, high", "Compared with the category", "Best possible rank",
               "Worst possible rank", "Review", "Months not final"]
EXPORT_HEADER = ["rank", "vendor", "score", "insufficient_data", "probation", "reasons", "periods", "observations",
                 "met", "partial", "failed", "shrunk_score", "interval_low", "interval_high", "comparison",
                 "rank_best", "rank_worst", "review", "months_not_final"]
TABLE_COLUMNS = 11  # the columns before the §3b ones


class _RowParser(HTMLParser):
    """The cells (as text) of each <tr data-testid="ranking-row">, keyed by the cells' data-testid."""

    def __init__(self):
        super().__init__()
        self.rows: list[dict[str, str]] = []
        self._row: dict[str, str] | None = None
        self._cell: str | None = None
        self._cell_index = 0
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "tr" and attrs.get("data-testid") == "ranking-row":
            self._row, self._cell_index = {}, 0
        elif tag == "td" and self._row is not None:
            self._cell = attrs.get("data-testid") or f"cell{self._cell_index}"
            self._cell_index += 1
            self._text = []

    def handle_endtag(self, tag):
        if tag == "td" and self._row is not None and self._cell is not None:
            self._row[self._cell] = " ".join(" ".join(self._text).split())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._text.append(data)


def _rows(response) -> list[dict[str, str]]:
    parser = _RowParser()
    parser.feed(response.get_data(as_text=True))
    return parser.rows


def _text(response) -> str:
    html = response.get_data(as_text=True)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def _input_value(response, field_id: str) -> str:
    html = response.get_data(as_text=True)
    tag = re.search(rf'<input[^>]*\bid="{field_id}"[^>]*>', html, re.S).group(0)
    match = re.search(r'\bvalue="([^"]*)"', tag)
    return unescape(match.group(1)) if match else ""


def _selected_category(response) -> str:
    html = response.get_data(as_text=True)
    select = re.search(r'<select[^>]*\bid="category".*?</select>', html, re.S).group(0)
    return unescape(re.search(r'<option value="([^"]*)"\s*selected', select).group(1))


def _scores(contract, months: list[tuple[str, float | None, int]]) -> None:
    for period, composite, observations in months:
        ContractPeriodScoreFactory(contract=contract, period=period, composite=composite, observations=observations)


@dataclass
class World:
    category: object
    vendors: dict  # short name -> Vendor
    other_category: object


@pytest.fixture
def world(session) -> World:
    category = CategoryFactory(slug="asphalt-test", name="Asphalt test")
    other = CategoryFactory(slug="lights-test", name="Lights test")
    names = {"A": "Alder Paving", "B": "Birch Asphalt", "C": "Cedar Roads", "D": "Dogwood Works",
             "E": "Elm Newcomer", "F": "Fir Small Jobs", "G": "Gum Lights"}
    vendors = {key: VendorFactory(name=name) for key, name in names.items()}

    a = ContractFactory(vendor=vendors["A"], category=category)
    # 2026-01 is in the 6-month window (2026-01..06) but not in the 3-month one (2026-04..06).
    _scores(a, [("2026-01", 100.0, 30), ("2026-04", 80.0, 10), ("2026-05", 90.0, 20), ("2026-06", 85.0, 10),
                ("2025-12", 0.0, 500)])  # before both windows: must not count
    clauses = [OutcomeClauseFactory(contract=a, key=f"m{i}") for i in range(4)]
    for clause, period, status in [(clauses[0], "2026-01", ClauseStatus.MET), (clauses[0], "2026-04", ClauseStatus.MET),
                                   (clauses[0], "2026-05", ClauseStatus.PARTIAL),
                                   (clauses[0], "2026-06", ClauseStatus.FAILED), (clauses[1], "2026-06", ClauseStatus.MET),
                                   (clauses[2], "2026-06", ClauseStatus.NO_DATA)]:
        ClauseResultFactory(clause=clause, period=period, status=status)

    # B has two contracts in the category; its score pools their contract-months.
    b1 = ContractFactory(vendor=vendors["B"], category=category)
    b2 = ContractFactory(vendor=vendors["B"], category=category)
    _scores(b1, [("2026-04", 70.0, 10), ("2026-05", 80.0, 10)])
    _scores(b2, [("2026-05", 60.0, 10), ("2026-06", 75.0, 20)])
    _scores(ContractFactory(vendor=vendors["C"], category=category),
            [("2026-04", 60.0, 20), ("2026-05", 84.0, 20), ("2026-06", 72.0, 10)])
    # D: below 50 in its two most recent scored months (05 and 06): probation, still ranked in 6 months.
    _scores(ContractFactory(vendor=vendors["D"], category=category),
            [("2026-03", 40.0, 10), ("2026-05", 45.0, 10), ("2026-06", 48.0, 20), ("2026-04", None, 0)])
    # E: the best composites but only 2 scored months; F: 3 months but 15 observations.
    _scores(ContractFactory(vendor=vendors["E"], category=category), [("2026-05", 95.0, 40), ("2026-06", 97.0, 40)])
    _scores(ContractFactory(vendor=vendors["F"], category=category),
            [("2026-04", 90.0, 5), ("2026-05", 90.0, 5), ("2026-06", 90.0, 5)])
    # G works in another category only, with a later month: neither its row nor its month belongs here.
    _scores(ContractFactory(vendor=vendors["G"], category=other), [("2026-09", 99.0, 100)])
    return World(category, vendors, other)


@pytest.fixture
def signed_in(app, client, session):
    user = UserFactory(role=Role.FINANCE)
    session.flush()
    assert client.sign_in(user.email, TEST_PASSWORD).status_code == 302
    return client


# By hand, window 6 (2026-01..2026-06):
#   A: (100·30 + 80·10 + 90·20 + 85·10) / 70 = 6450 / 70 = 92.142857…  → 92.1, 4 months, 70 obs
#   B: (70·10 + 80·10 + 60·10 + 75·20) / 50 = 3600 / 50 = 72.0          → 72.0, 3 months, 50 obs
#   C: (60·20 + 84·20 + 72·10) / 50          = 3600 / 50 = 72.0          → 72.0 (ties B), 3 months, 50 obs
#   D: (40·10 + 45·10 + 48·20) / 40          = 1810 / 40 = 45.25         → 45.3 (half up), 3 months, 40 obs
#   E: (95·40 + 97·40) / 80 = 96.0, 2 months: insufficient data, unranked
#   F: 90.0, 3 months but 15 observations: insufficient data, unranked
A6 = (100 * 30 + 80 * 10 + 90 * 20 + 85 * 10) / 70
B6 = (70 * 10 + 80 * 10 + 60 * 10 + 75 * 20) / 50
C6 = (60 * 20 + 84 * 20 + 72 * 10) / 50
D6 = (40 * 10 + 45 * 10 + 48 * 20) / 40
E6 = (95 * 40 + 97 * 40) / 80
F6 = 90.0
# Window 3 (2026-04..2026-06): A loses 2026-01; D keeps only 05 and 06, so it drops to insufficient data.
A3 = (80 * 10 + 90 * 20 + 85 * 10) / 40  # 86.25 → 86.3
D3 = (45 * 10 + 48 * 20) / 30  # 47.0


def test_hand_computed_values_are_what_the_test_expects():
    assert (round(A6, 6), B6, C6, D6, E6, A3, D3) == (92.142857, 72.0, 72.0, 45.25, 96.0, 86.25, 47.0)


def test_page_ranks_vendors_by_observation_weighted_score(signed_in, world):
    response = signed_in.get(f"/rankings/?category=asphalt-test&period={PERIOD}&window=6")
    assert response.status_code == 200
    rows = _rows(response)
    assert [r["cell1"] for r in rows] == ["Alder Paving", "Birch Asphalt", "Cedar Roads", "Dogwood Works",
                                          "Elm Newcomer", "Fir Small Jobs"]
    assert [r["rank"] for r in rows] == ["1", "2 (tie)", "2 (tie)", "4", "—", "—"]
    assert [r["score"] for r in rows] == ["92.1", "72.0", "72.0", "45.3", "96.0 not ranked", "90.0 not ranked"]
    assert [r["periods"] for r in rows] == ["4 of 6", "3 of 6", "3 of 6", "3 of 6", "2 of 6", "3 of 6"]
    assert [r["observations"] for r in rows] == ["70", "50", "50", "40", "80", "15"]
    assert (rows[0]["met"], rows[0]["partial"], rows[0]["failed"]) == ("3", "1", "1")  # no-data results not counted
    assert rows[1]["flags"] == "none"

    assert rows[3]["flags"].startswith("Probation")
    assert "below 50 in its two most recent scored months (2026-05: 45.0, 2026-06: 48.0)" in rows[3]["flags"]
    assert rows[4]["flags"] == ("Insufficient data 2 scored months and 80 observations in the window "
                                "(needs 3 and 30)")
    assert "3 scored months and 15 observations" in rows[5]["flags"]
    assert "Gum Lights" not in _text(response)

    html = response.get_data(as_text=True)
    assert f'href="/vendors/{world.vendors["A"].id}"' in html
    assert html.count('class="sparkline"') == 6
    assert ("Alder Paving: monthly composite, 2026-01 to 2026-06: 2026-01: 100.0, 2026-04: 80.0, 2026-05: 90.0, "
            "2026-06: 85.0") in unescape(html)
    assert "latest 85.0 (2026-06)" in rows[0]["trend"]
    # The bar chart holds the ranked vendors only, with their scores.
    chart = re.search(r'<div class="ranking-chart">(.*?)</div>', html, re.S).group(1)
    assert "1. Alder Paving" in chart and "4. Dogwood Works" in chart and "Elm Newcomer" not in chart
    assert ">92.1<" in chart and ">45.3<" in chart


def test_changing_the_window_changes_the_ranking(signed_in, world):
    rows = _rows(signed_in.get(f"/rankings/?category=asphalt-test&period={PERIOD}&window=3"))
    by_name = {r["cell1"]: r for r in rows}
    assert by_name["Alder Paving"]["score"] == "86.3"  # 86.25 rounded half up
    assert by_name["Alder Paving"]["periods"] == "3 of 3"
    assert (by_name["Alder Paving"]["met"], by_name["Alder Paving"]["partial"]) == ("2", "1")
    assert by_name["Dogwood Works"]["rank"] == "—"
    assert by_name["Dogwood Works"]["score"] == "47.0 not ranked"
    assert "Insufficient data 2 scored months and 30 observations" in by_name["Dogwood Works"]["flags"]
    assert "Probation" in by_name["Dogwood Works"]["flags"]
    assert [r["cell1"] for r in rows if r["rank"] != "—"] == ["Alder Paving", "Birch Asphalt", "Cedar Roads"]
    assert [r["rank"] for r in rows][:3] == ["1", "2 (tie)", "2 (tie)"]


def test_latest_month_below_50_without_probation_is_explained_not_flagged(signed_in, world, session):
    # C's latest month drops to 40 (from 84): one month below 50 is not probation.
    ContractPeriodScoreFactory(contract=ContractFactory(vendor=world.vendors["C"], category=world.category),
                               period="2026-07", composite=40.0, observations=10)
    rows = {r["cell1"]: r for r in _rows(signed_in.get("/rankings/?category=asphalt-test&period=2026-07&window=6"))}
    cedar = rows["Cedar Roads"]["flags"]
    assert cedar == "Below 50 in its latest scored month only (2026-07: 40.0): not on probation."
    assert "Below 50 in its latest" not in rows["Dogwood Works"]["flags"]  # already on probation


def test_defaults_are_the_first_category_its_latest_scored_month_and_six_months(signed_in, world):
    response = signed_in.get("/rankings/")
    assert response.status_code == 200
    assert _selected_category(response) == "asphalt-test"  # "Asphalt test" sorts before "Lights test"
    assert _input_value(response, "period") == PERIOD  # not 2026-09, which is the other category's
    assert _input_value(response, "window") == "6"
    assert "Asphalt test · 6 months: 2026-01 to 2026-06" in _text(response)
    assert [r["score"] for r in _rows(response)][:2] == ["92.1", "72.0"]

    response = signed_in.get("/rankings/?category=lights-test")
    assert _input_value(response, "period") == "2026-09"
    assert [r["cell1"] for r in _rows(response)] == ["Gum Lights"]


@pytest.mark.parametrize("query, field, message", [
    ("category=no-such-thing&period=2026-06&window=6", "category", "There is no service category 'no-such-thing'"),
    ("category=asphalt-test&period=2026-13&window=6", "period", "'2026-13' is not a month: write it as YYYY-MM"),
    ("category=asphalt-test&period=June&window=6", "period", "'June' is not a month"),
    ("category=asphalt-test&period=2026-06&window=0", "window", "from 1 to 60, not '0'"),
    ("category=asphalt-test&period=2026-06&window=61", "window", "from 1 to 60, not '61'"),
    ("category=asphalt-test&period=2026-06&window=six", "window", "from 1 to 60, not 'six'"),
    ("category=asphalt-test&period=2026-06&window=2.5", "window", "from 1 to 60, not '2.5'"),
])
def test_bad_input_gives_a_message_and_keeps_what_was_typed(signed_in, world, query, field, message):
    response = signed_in.get(f"/rankings/?{query}")
    assert response.status_code == 400
    assert message in _text(response)
    assert "ranking-errors" in response.get_data(as_text=True)
    assert not _rows(response)
    typed = dict(part.split("=") for part in query.split("&"))
    if field == "category":
        assert _selected_category(response) == typed["category"]
    else:
        assert _input_value(response, field) == typed[field]
        assert _selected_category(response) == "asphalt-test"
    assert _input_value(response, "period") == typed["period"]


def test_several_mistakes_are_all_named(signed_in, world):
    response = signed_in.get("/rankings/?category=nope-x&period=2026/06&window=99")
    assert response.status_code == 400
    text = _text(response)
    assert "There is no service category 'nope-x'" in text and "'2026/06' is not a month" in text and "not '99'" in text
    with_nul = signed_in.get("/rankings/?category=nope%00x")
    assert with_nul.status_code == 400 and "\x00" not in with_nul.get_data(as_text=True)
    assert "category" in _text(with_nul)


def test_category_without_scores_says_there_is_nothing_to_rank(signed_in, world, session):
    empty = CategoryFactory(slug="snow-test", name="Snow test")
    ContractFactory(category=empty)
    response = signed_in.get("/rankings/?category=snow-test")
    assert response.status_code == 200
    assert "There is nothing to rank yet in Snow test: no month has been scored" in _text(response)
    assert not _rows(response)


def test_window_without_scores_points_to_the_latest_scored_month(signed_in, world):
    response = signed_in.get("/rankings/?category=asphalt-test&period=2024-01&window=3")
    assert response.status_code == 200
    text = _text(response)
    assert "Nothing to rank in this window" in text and "The latest scored month is 2026-06" in text
    assert not _rows(response)


def test_no_categories_at_all(signed_in):
    response = signed_in.get("/rankings/")
    assert response.status_code == 200
    assert "There is nothing to rank yet: no service category has contracts." in _text(response)


def _expected_table_rows(world) -> list[list]:
    """Window 6 at full precision, in page order (reasons as the service words them)."""
    insufficient = "insufficient data: {} scored months and {} observations in the window (needs 3 and 30)"
    probation = "probation: composite below 50 in its two most recent scored months"
    return [
        [1, "Alder Paving", A6, False, False, "", 4, 70, 3, 1, 1],
        [2, "Birch Asphalt", B6, False, False, "", 3, 50, 0, 0, 0],
        [2, "Cedar Roads", C6, False, False, "", 3, 50, 0, 0, 0],
        [4, "Dogwood Works", D6, False, True, probation, 3, 40, 0, 0, 0],
        [None, "Elm Newcomer", E6, True, False, insufficient.format(2, 80), 2, 80, 0, 0, 0],
        [None, "Fir Small Jobs", F6, True, False, insufficient.format(3, 15), 3, 15, 0, 0, 0],
    ]


def test_xlsx_export_holds_the_inputs_and_the_table_at_full_precision(signed_in, world):
    response = signed_in.get(f"/rankings/export.xlsx?category=asphalt-test&period={PERIOD}&window=6")
    assert response.status_code == 200
    assert response.mimetype == XLSX_MIMETYPE
    assert "rankings_asphalt-test_2026-06_6m.xlsx" in response.headers["Content-Disposition"]
    workbook = openpyxl.load_workbook(io.BytesIO(response.data))
    assert workbook.sheetnames == ["Rankings", "Inputs"]
    rows = [list(r) for r in workbook["Rankings"].iter_rows(values_only=True)]
    assert rows[0] == XLSX_HEADER  # the same columns as the CSV's, in words
    assert len(XLSX_HEADER) == len(EXPORT_HEADER)
    assert workbook["Rankings"].cell(row=2, column=3).number_format == "0.0"  # shown as on the page
    expected = _expected_table_rows(world)
    assert [r[:2] + r[3:5] + [r[5] or ""] + r[6:TABLE_COLUMNS] for r in rows[1:]] == [r[:2] + r[3:] for r in expected]
    assert [r[2] for r in rows[1:]] == pytest.approx([r[2] for r in expected], abs=1e-12)
    assert rows[1][2] != round(rows[1][2], 1)  # 92.142857…, not the page's 92.1
    inputs = dict(workbook["Inputs"].iter_rows(values_only=True))
    assert (inputs["Category slug"], inputs["As of month"], inputs["Window (months)"]) == ("asphalt-test", PERIOD, 6)
    assert inputs["Months in the window"] == "2026-01 to 2026-06"


def test_csv_export_holds_the_same_values(signed_in, world):
    response = signed_in.get(f"/rankings/export.csv?category=asphalt-test&period={PERIOD}&window=6")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0] == ["category", "period", "window"] + EXPORT_HEADER + ["category_mean", "within_variance",
                                                                       "between_variance"]
    expected = _expected_table_rows(world)
    assert len(rows) == len(expected) + 1
    for row, want in zip(rows[1:], expected, strict=False):
        assert row[:3] == ["asphalt-test", PERIOD, "6"]
        table = row[3:]
        assert table[0] == ("" if want[0] is None else str(want[0]))
        assert table[1] == want[1]
        assert float(table[2]) == pytest.approx(want[2], abs=1e-12)
        assert table[3:5] == [str(want[3]), str(want[4])]
        assert table[5] == want[5]
        assert [int(x) for x in table[6:TABLE_COLUMNS]] == want[6:]
    assert rows[1][5] == repr(A6)  # full precision


def test_window_changes_the_exports_too(signed_in, world):
    response = signed_in.get(f"/rankings/export.csv?category=asphalt-test&period={PERIOD}&window=3")
    rows = {r[4]: r for r in csv.reader(io.StringIO(response.data.decode("utf-8-sig")))}
    assert float(rows["Alder Paving"][5]) == pytest.approx(A3)
    assert rows["Dogwood Works"][3] == ""  # unranked in 3 months
    assert rows["Dogwood Works"][2] == "3"


def test_page_links_to_exports_of_what_it_shows(signed_in, world):
    html = signed_in.get(f"/rankings/?category=asphalt-test&period={PERIOD}&window=3").get_data(as_text=True)
    links = [unescape(h) for h in re.findall(r'href="(/rankings/export\.[a-z]+\?[^"]*)"', html)]
    assert len(links) == 2
    for link in links:
        assert "category=asphalt-test" in link and f"period={PERIOD}" in link and "window=3" in link
        assert signed_in.get(link).status_code == 200
    no_data = signed_in.get("/rankings/?category=asphalt-test&period=2024-01&window=3").get_data(as_text=True)
    assert "/rankings/export." not in no_data  # nothing to download when the window is empty


def test_exports_default_like_the_page(signed_in, world):
    response = signed_in.get("/rankings/export.csv")
    assert response.status_code == 200
    assert "rankings_asphalt-test_2026-06_6m.csv" in response.headers["Content-Disposition"]


@pytest.mark.parametrize("path", ["/rankings/export.xlsx", "/rankings/export.csv"])
@pytest.mark.parametrize("query, message", [
    ("category=no-such-thing&period=2026-06", "There is no service category 'no-such-thing'"),
    ("category=asphalt-test&period=2026-6", "'2026-6' is not a month"),
    ("category=asphalt-test&period=2026-06&window=61", "from 1 to 60, not '61'"),
])
def test_exports_refuse_bad_input_with_a_message(signed_in, world, path, query, message):
    response = signed_in.get(f"{path}?{query}")
    assert response.status_code == 400
    assert message in _text(response)


INJECTIONS = ['=HYPERLINK("http://x","y")', "@SUM(1)", "-2+3"]


@pytest.fixture
def hostile(session):
    category = CategoryFactory(slug="hostile-test", name="Hostile test")
    names = INJECTIONS + ['<script>alert("x")</script>']
    for index, name in enumerate(names):
        contract = ContractFactory(vendor=VendorFactory(name=name), category=category)
        _scores(contract, [("2026-04", 80.0 - index, 20), ("2026-05", 80.0, 20), ("2026-06", 80.0, 20)])
    return names


def test_vendor_names_that_look_like_formulas_stay_text_in_the_xlsx(signed_in, hostile):
    response = signed_in.get("/rankings/export.xlsx?category=hostile-test&period=2026-06&window=6")
    sheet = openpyxl.load_workbook(io.BytesIO(response.data))["Rankings"]
    cells = {sheet.cell(row=r, column=2).value: sheet.cell(row=r, column=2) for r in range(2, sheet.max_row + 1)}
    assert set(cells) == set(hostile)
    for name in INJECTIONS:
        cell = cells[name]
        assert cell.data_type == "s", name
        assert cell.value == name
        assert cell.quotePrefix, name


def test_vendor_names_that_look_like_formulas_are_guarded_in_the_csv(signed_in, hostile):
    response = signed_in.get("/rankings/export.csv?category=hostile-test&period=2026-06&window=6")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))[1:]
    written = [row[4] for row in rows]
    for name in INJECTIONS:
        guarded = "'" + name
        assert guarded in written, name
        assert csv_text(guarded) == name
    assert '<script>alert("x")</script>' in written  # harmless in a spreadsheet: left as typed
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_vendor_names_are_escaped_on_the_page(signed_in, hostile):
    response = signed_in.get("/rankings/?category=hostile-test&period=2026-06&window=6")
    html = response.get_data(as_text=True)
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert '=HYPERLINK(&#34;http://x&#34;,&#34;y&#34;)' in html
    assert '"http://x"' not in html
    assert {r["cell1"] for r in _rows(response)} == set(hostile)


def test_every_role_may_read_the_rankings(app, world, session):
    for role in (r for r in Role if r != Role.VENDOR):  # vendors see their own standing only (test_vendor_isolation.py)
        user = UserFactory(role=role)
        session.flush()
        client = app.test_client()
        client.sign_in(user.email, TEST_PASSWORD)
        for path in ("/rankings/", "/rankings/export.xlsx", "/rankings/export.csv"):
            assert client.get(f"{path}?category=asphalt-test&period=2026-06").status_code == 200, (role, path)


def test_signed_out_visitors_are_sent_to_sign_in(client, world):
    for path in ("/rankings/", "/rankings/export.xlsx", "/rankings/export.csv"):
        response = client.get(path)
        assert response.status_code == 302 and "/auth/sign-in" in response.headers["Location"]


def test_the_page_follows_new_scores_and_renamed_vendors(client, world, session):
    """The rendered ranking is reused only while the committed data is unchanged (other requests see only that)."""
    user = UserFactory(role=Role.FINANCE)
    client.sign_in(user.email, TEST_PASSWORD)
    url = "/rankings/?category=asphalt-test&period=2026-06&window=6"
    before = _text(client.get(url))
    assert "Alder Paving" in before and "Alder Paving & Sons" not in before
    update_vendor(world.vendors["A"], {"name": "Alder Paving & Sons", "contact_email": ""})
    session.commit()
    assert "Alder Paving &amp; Sons" in client.get(url).get_data(as_text=True)

    newcomer = world.vendors["E"]
    contract = ContractFactory(vendor=newcomer, category=world.category)
    OutcomeClauseFactory(contract=contract, key="pci_after", effective_from="2026-01")
    counted = {r["cell1"]: r for r in _rows(client.get(url))}
    rows = CheckedRows(row_numbers=list(range(2, 42)), row_keys=[f"n{i}" for i in range(40)],
                       work_dates=[date(2026, 6, 2)] * 40, values={"pci_after": [95.0] * 40}, context={})
    commit_rows(contract, "2026-06", rows, filename="june.xlsx", sha256="e" * 64)
    session.commit()
    after = {r["cell1"]: r for r in _rows(client.get(url))}
    # Elm Newcomer's new June month (40 rows, all met) moves its score and observations.
    assert after["Elm Newcomer"]["observations"] == str(int(counted["Elm Newcomer"]["observations"]) + 40)
