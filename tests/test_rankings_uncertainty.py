"""How sure the rankings are (SPEC §3b) on the page, in the CLI and exports, and the shrunk basis of §4;
every month of a window of 1 to 60 counts, and probation looks back however far (SPEC §3)."""
from __future__ import annotations

import csv
import io
import json
import re
from decimal import ROUND_HALF_UP, Decimal
from html import unescape

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from models import Recommendation, RecommendationLine, Role
from tests.factories import (
    TEST_PASSWORD,
    CategoryFactory,
    ContractFactory,
    ContractPeriodScoreFactory,
    UserFactory,
    VendorFactory,
)

# The worked example of tests/test_uncertainty.py (THREE_VENDORS), stored as period scores to 2026-06:
# σ² = 63.75, τ² = 52.146875, μ = 83.58425; θ_A = 79.4125, θ_B = 72.0502232, θ_C = 87.756
MONTHS = {
    "Alder": [("2026-04", 80.0, 10), ("2026-05", 90.0, 10), ("2026-06", 70.0, 20)],
    "Birch": [("2026-05", 60.0, 10), ("2026-06", 70.0, 10)],
    "Cedar": [("2026-04", 90.0, 30), ("2026-05", 95.0, 10), ("2026-06", 85.0, 10)],
}
THETA = {"Alder": 79.4125, "Birch": 72.0502232, "Cedar": 87.756}
LOW_HIGH = {"Alder": (72.0109158, 86.8140842), "Birch": (63.7603283, 80.3401180), "Cedar": (79.8650792, 95.6469208)}


@pytest.fixture
def world(session):
    category = CategoryFactory(slug="asphalt-sure", name="Asphalt sure")
    vendors = {}
    for name, months in MONTHS.items():
        vendors[name] = VendorFactory(name=name)
        contract = ContractFactory(vendor=vendors[name], category=category, capacity=None)
        for period, composite, observations in months:
            ContractPeriodScoreFactory(contract=contract, period=period, composite=composite, observations=observations)
    session.flush()
    return category, vendors


@pytest.fixture
def signed_in(app, client, session):
    user = UserFactory(role=Role.FINANCE)
    session.flush()
    assert client.sign_in(user.email, TEST_PASSWORD).status_code == 302
    return client


def _json(cli, *args):
    result = cli.invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _text(response) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))))


def test_rankings_json_carries_the_section_3b_figures(cli, world):
    payload = _json(cli, "rankings", "asphalt-sure", "--period", "2026-06", "--format", "json")
    assert payload["command"] == "rankings"
    assert payload["inputs"] == {"category": "asphalt-sure", "period": "2026-06", "window": 6}
    assert payload["within_variance"] == pytest.approx(63.75, abs=1e-6)
    assert payload["between_variance"] == pytest.approx(52.146875, abs=1e-6)
    assert payload["category_mean"] == pytest.approx(83.58425, abs=1e-6)
    records = {r["vendor"]: r for r in payload["records"]}
    for name, theta in THETA.items():
        assert records[name]["shrunk_score"] == pytest.approx(theta, abs=1e-6)
        assert (records[name]["interval_low"], records[name]["interval_high"]) == pytest.approx(LOW_HIGH[name], abs=1e-6)
    assert [records[n]["comparison"] for n in ("Alder", "Birch", "Cedar")] == ["within", "below", "within"]
    assert [records[n]["rank_range"] for n in ("Alder", "Birch", "Cedar")] == [[1, 2], None, [1, 2]]
    assert records["Birch"]["insufficient_data"] is True and records["Birch"]["rank"] is None


def test_rankings_csv_carries_them_too(cli, world):
    result = cli.invoke(args=["rankings", "asphalt-sure", "--period", "2026-06", "--format", "csv"])
    rows = list(csv.DictReader(io.StringIO(result.output)))
    cedar = next(r for r in rows if r["vendor"] == "Cedar")
    assert float(cedar["shrunk_score"]) == pytest.approx(87.756, abs=1e-6)
    assert (cedar["rank_best"], cedar["rank_worst"], cedar["comparison"]) == ("1", "2", "within")
    assert float(cedar["category_mean"]) == pytest.approx(83.58425, abs=1e-6)


def test_without_two_scored_months_there_are_no_intervals_and_the_json_says_why(cli, world):
    payload = _json(cli, "rankings", "asphalt-sure", "--period", "2026-06", "--window", "1", "--format", "json")
    assert payload["within_variance"] is None and payload["category_mean"] is None
    assert "no vendor has two scored months" in payload["no_intervals"]
    assert all(r["shrunk_score"] is None and r["rank_range"] is None for r in payload["records"])


def test_page_shows_shrunk_scores_intervals_comparison_rank_range_and_funnel(signed_in, world):
    response = signed_in.get("/rankings/?category=asphalt-sure&period=2026-06&window=6")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    text = _text(response)
    assert 'data-testid="interval-chart"' in html and 'data-testid="funnel-chart"' in html
    assert "Cedar: shrunk score 87.8, 90 % interval 79.9 to 95.6, raw score 90, within the category" in unescape(html)
    assert "87.8 79.9 to 95.6 no different from the category rank 1–2" in text
    assert "no different from the category" in text and "below the category" in text
    assert "category mean 83.6" in unescape(html)
    assert "median over the vendors" in text  # the funnel's typical Σn²/Σn is documented
    assert "pulled toward the category's average" in text  # the plain paragraph


def test_page_says_why_there_are_no_intervals(signed_in, world):
    response = signed_in.get("/rankings/?category=asphalt-sure&period=2026-06&window=1")
    text = _text(response)
    assert "No intervals or shrunk scores for this window: no vendor has two scored months" in text
    assert 'data-testid="funnel-chart"' not in response.get_data(as_text=True)


def test_rankings_export_adds_the_shrunk_columns(signed_in, world):
    response = signed_in.get("/rankings/export.csv?category=asphalt-sure&period=2026-06&window=6")
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    alder = next(r for r in rows if r["vendor"] == "Alder")
    assert float(alder["shrunk_score"]) == pytest.approx(79.4125, abs=1e-6)
    assert float(alder["interval_low"]) == pytest.approx(72.0109158, abs=1e-6)
    assert float(alder["within_variance"]) == pytest.approx(63.75)


# --- every month of the window counts; probation however far back ------------------------------------

def test_a_26_month_window_counts_data_25_and_26_months_back(cli, signed_in, world, session):
    category, _ = world
    elder = ContractFactory(vendor=VendorFactory(name="Elder"), category=category)
    for period, observations in (("2024-05", 50), ("2024-06", 50), ("2026-06", 10)):
        ContractPeriodScoreFactory(contract=elder, period=period, composite=80.0, observations=observations)
    session.flush()
    payload = _json(cli, "rankings", "asphalt-sure", "--period", "2026-06", "--window", "26", "--format", "json")
    elder_row = next(r for r in payload["records"] if r["vendor"] == "Elder")
    assert (elder_row["periods"], elder_row["observations"], elder_row["insufficient_data"]) == (3, 110, False)
    page = signed_in.get("/rankings/?category=asphalt-sure&period=2026-06&window=26")
    assert page.status_code == 200
    assert "3 of 26" in _text(page)
    assert cli.invoke(args=["rankings", "asphalt-sure", "--period", "2026-06", "--window", "61"]).exit_code == 2
    assert signed_in.get("/rankings/?category=asphalt-sure&period=2026-06&window=61").status_code == 400


def test_probation_looks_at_the_two_latest_scored_months_however_long_ago(cli, world, session):
    category, _ = world
    old = ContractFactory(vendor=VendorFactory(name="Oldfield"), category=category)
    for period in ("2023-11", "2023-12"):  # 30 and 31 months before 2026-06, nothing since
        ContractPeriodScoreFactory(contract=old, period=period, composite=40.0, observations=20)
    session.flush()
    payload = _json(cli, "rankings", "asphalt-sure", "--period", "2026-06", "--format", "json")
    oldfield = next(r for r in payload["records"] if r["vendor"] == "Oldfield")
    assert oldfield["probation"] is True and oldfield["observations"] == 0


# --- the shrunk basis of SPEC §4 ---------------------------------------------------------------------

def _volumes(payload) -> dict[str, Decimal]:
    return {r["vendor"]: Decimal(r["volume"]) for r in payload["records"]}


def test_recommend_on_the_shrunk_basis_weighs_vendors_by_theta(cli, world):
    base = ["recommend", "asphalt-sure", "--period", "2026-07", "--volume", "100", "--format", "json"]
    score = _json(cli, *base)
    shrunk = _json(cli, *base, "--basis", "shrunk")
    assert score["inputs"]["basis"] == "score" and shrunk["inputs"]["basis"] == "shrunk"
    assert shrunk["inputs"]["volume"] == "100.00" and shrunk["allocated"] == "100.00"
    # Birch is a trial vendor (floor 10 %); Alder and Cedar split 90 in proportion to (θ/100)²
    a, c = THETA["Alder"] ** 2, THETA["Cedar"] ** 2
    alder = Decimal(str(90 * a / (a + c))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert _volumes(shrunk) == {"Alder": alder, "Birch": Decimal("10.00"), "Cedar": Decimal("90.00") - alder}
    sa, sc = 77.5 ** 2, 90.0 ** 2
    alder_s = Decimal(str(90 * sa / (sa + sc))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert _volumes(score)["Alder"] == alder_s != alder
    records = {r["vendor"]: r for r in shrunk["records"]}
    assert records["Alder"]["score_used"] == pytest.approx(THETA["Alder"], abs=1e-6)
    assert records["Alder"]["score"] == pytest.approx(77.5) and records["Alder"]["score_basis"] == "shrunk"
    assert records["Alder"]["reason"].startswith("Shrunk score 79.4")
    assert shrunk["basis_fallback"] is None


def test_recommend_on_the_shrunk_basis_falls_back_to_the_score_and_says_so(cli, world):
    base = ["recommend", "asphalt-sure", "--period", "2026-07", "--volume", "100", "--window", "1", "--format", "json"]
    score, shrunk = _json(cli, *base), _json(cli, *base, "--basis", "shrunk")
    assert _volumes(score) == _volumes(shrunk)
    assert "no vendor has two scored months" in shrunk["basis_fallback"]
    assert shrunk["basis_fallback"] in shrunk["notes"]
    assert {r["score_basis"] for r in shrunk["records"]} == {"score"}


def test_recommendation_page_switches_basis_records_it_and_shows_the_score_used(signed_in, world, session):
    query = "/recommendations/new?category=asphalt-sure&period=2026-07&volume=100&window=6&floor=0.1&gamma=2"
    page = signed_in.get(query + "&basis=score&what_if_basis=shrunk")
    assert page.status_code == 200
    text = _text(page)
    assert "on the shrunk score" in text and "Volumes change for 2 vendors: " in text
    assert "Alder +2.20" in text and "Cedar -2.20" in text
    html = page.get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    data = dict(category="asphalt-sure", period="2026-07", volume="100", window="6", floor="0.1", gamma="2",
                basis="shrunk", csrf_token=token)
    assert signed_in.post("/recommendations/drafts", data=data).status_code == 302
    saved = session.scalars(select(Recommendation).order_by(Recommendation.id.desc())
                            .options(selectinload(Recommendation.lines).joinedload(RecommendationLine.vendor))).first()
    assert saved.basis == "shrunk"
    by_name = {line.vendor.name: line for line in saved.lines}
    assert by_name["Alder"].score == pytest.approx(THETA["Alder"], abs=1e-6)
    shown = _text(signed_in.get(f"/recommendations/{saved.id}"))
    assert "basis: shrunk score" in shown and "79.4 shrunk; S 77.5" in shown


def test_vendor_page_shows_its_shrunk_score_interval_comparison_and_rank_range(signed_in, world):
    _, vendors = world
    response = signed_in.get(f"/vendors/{vendors['Cedar'].id}")
    assert response.status_code == 200
    text = _text(response)
    assert "Shrunk score 87.8 90 % interval 79.9 to 95.6" in text
    assert "no different from the category (mean 83.6)" in text and "Rank range rank 1–2" in text
    assert 'data-testid="vendor-interval"' in response.get_data(as_text=True)
    birch = _text(signed_in.get(f"/vendors/{vendors['Birch'].id}"))
    assert "below the category" in birch and "Rank range" not in birch  # not ranked: no rank range


def test_every_write_transaction_bumps_the_data_version_the_page_cache_keys_on(app, world, session, signed_in):
    from contracts_app.rankings.cache import data_version
    from models import DataVersion, db

    url = "/rankings/?category=asphalt-sure&period=2026-06&window=6"
    assert "Alder" in _text(signed_in.get(url))
    before = data_version()
    # a change written without an audit event and without a new score: the vendor renamed in SQL
    from sqlalchemy import update

    from models import Vendor
    db.session.execute(update(Vendor).where(Vendor.name == "Alder").values(name="Alder Renamed"))
    db.session.commit()
    assert data_version() != before
    assert "Alder Renamed" in _text(signed_in.get(url))
    quiet = data_version()
    db.session.commit()  # nothing written: no bump
    assert data_version() == quiet
    assert db.session.get(DataVersion, 1) is not None
