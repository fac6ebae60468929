"""Issue 16: two demo cities exchange benchmark files; the comparison page shows both and refuses what differs.

City A and city B are two instances of the app, each on its own SQLite file with the demo city loaded. B scores
pci_after with a ratio curve and calls its complaints clause complaints_per_order; B exports, A imports."""
from __future__ import annotations

import contextvars
import html
import json
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from contracts_app import create_app
from contracts_app.demo.city import DEMO_PASSWORD
from contracts_app.demo.seed import seed_demo
from contracts_app.payments.invoices import set_invoice
from models import AuditEvent, ClauseResult, Contract, Curve, OutcomeClause, PeerBenchmark, Upload, UploadStatus, db
from models import utcnow as now

from .conftest import FreshContextClient

RANGE = ["--from", "2025-11", "--to", "2026-10"]


def _make_city(tmp_path_factory, name: str):
    folder = tmp_path_factory.mktemp(name)
    app = create_app({
        "TESTING": True, "SECRET_KEY": f"test-{name}", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'city.sqlite3'}",
        "SESSION_COOKIE_SECURE": False, "REMEMBER_COOKIE_SECURE": False, "UPLOAD_FOLDER": str(folder / "uploads"),
        "JOBS_REDIS_URL": "", "JOBS_SQLITE_PATH": str(folder / "queue.sqlite3"), "MFA_REPLAY_PROTECTION": False,
    })
    app.test_client_class = FreshContextClient
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        seed_demo()
        contracts = db.session.scalars(select(Contract).where(Contract.number.startswith("PW-"))
                                       .options(joinedload(Contract.category))).all()
        for index, contract in enumerate(contracts):  # invoices, so that unit prices exist
            for period in ("2026-09", "2026-10"):
                set_invoice(contract, period, Decimal("50000.00") + 1000 * index, None)
        db.session.commit()
    return app


def _cli(app, *args):
    return contextvars.Context().run(app.test_cli_runner().invoke, args=list(args))


@pytest.fixture(scope="module")
def cities(tmp_path_factory):
    city_a = _make_city(tmp_path_factory, "city_a")
    city_b = _make_city(tmp_path_factory, "city_b")
    with city_b.app_context():
        db.session.execute(update(OutcomeClause).where(OutcomeClause.key == "pci_after").values(curve=Curve.RATIO))
        db.session.execute(update(OutcomeClause).where(OutcomeClause.key == "complaints")
                           .values(key="complaints_per_order"))
        db.session.execute(update(ClauseResult).where(ClauseResult.clause_key == "complaints")
                           .values(clause_key="complaints_per_order"))
        db.session.commit()
    return city_a, city_b


@pytest.fixture(scope="module")
def riverton_file(cities, tmp_path_factory):
    _a, city_b = cities
    path = tmp_path_factory.mktemp("exchange") / "riverton.json"
    result = _cli(city_b, "export-benchmark", "asphalt-resurfacing", "--city", "Riverton", *RANGE, "--output", str(path))
    assert result.exit_code == 0, result.output
    return path


def _signed_in(app, email="finance@demo.city"):
    client = app.test_client()
    client.sign_in(email, DEMO_PASSWORD)
    return client


def test_b_exports_a_imports_and_a_sees_both_cities_and_the_clause_that_does_not_compare(cities, riverton_file):
    city_a, _b = cities
    result = _cli(city_a, "import-benchmark", str(riverton_file))
    assert result.exit_code == 0, result.output
    assert "Imported Riverton's asphalt-resurfacing benchmark" in result.output

    response = _signed_in(city_a).get("/benchmark/asphalt-resurfacing?from=2025-11&to=2026-10")
    page = html.unescape(response.get_data(as_text=True))
    document = json.loads(riverton_file.read_text())
    with city_a.app_context():
        ours = _cli(city_a, "export-benchmark", "asphalt-resurfacing", "--city", "Ashford", *RANGE)
        assert ours.exit_code == 0, ours.output
    ours_doc = json.loads(ours.output)
    # Both cities' medians of a comparable clause for a month, as the page prints them (2 decimals).
    for doc in (ours_doc, document):
        month = doc["clauses"]["on_time"]["months"][-1]
        assert f"{month['median']:.2f}" in page
    assert "Riverton" in page
    assert "Riverton's pci_after is scored with a ratio curve, ours linear: not comparable." in page
    assert "Differing: curve." in page
    assert "Only Riverton has: <code>complaints_per_order</code>" in page
    assert "Only we have (not in Riverton's file): <code>complaints</code>" in page
    vendors = page.split('data-testid="vendors"')[1]
    assert "Riverton</td><td>Vendor A" in vendors and "Ours</td><td>Harbor Paving Co" in vendors
    assert page.count('<svg') >= 4  # charts for the comparable clauses, drawn on the server
    # Unit prices: invoices ÷ observations on both sides, by month.
    assert document["unit_prices"]["basis"] == "invoice_per_observation"
    assert [m["period"] for m in document["unit_prices"]["months"]] == ["2026-09", "2026-10"]
    assert "2026-10" in page and "$" in page.split('data-testid="unit-prices"')[1]


def test_importing_the_same_file_again_changes_nothing_and_a_newer_export_replaces_it_audited(cities, riverton_file,
                                                                                             tmp_path):
    city_a, city_b = cities
    _cli(city_a, "import-benchmark", str(riverton_file))
    with city_a.app_context():
        before = db.session.scalars(select(PeerBenchmark)).one()
        before_id, before_sha = before.id, before.sha256
        events_before = db.session.query(AuditEvent).count()
    again = _cli(city_a, "import-benchmark", str(riverton_file))
    assert again.exit_code == 0 and "already imported; nothing changed" in again.output
    with city_a.app_context():
        assert db.session.query(AuditEvent).count() == events_before
        assert db.session.scalars(select(PeerBenchmark)).one().sha256 == before_sha

    newer = json.loads(riverton_file.read_text())
    newer["city"]["exported_at"] = "2099-01-01T00:00:00Z"
    newer["clauses"]["on_time"]["months"][0]["median"] = 12.5
    newer_path = tmp_path / "newer.json"
    newer_path.write_text(json.dumps(newer))
    replaced = _cli(city_a, "import-benchmark", str(newer_path))
    assert replaced.exit_code == 0 and "replaces the older export" in replaced.output
    with city_a.app_context():
        stored = db.session.scalars(select(PeerBenchmark)).one()
        assert stored.id == before_id and stored.document["clauses"]["on_time"]["months"][0]["median"] == 12.5
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "benchmark_replaced")).one()
        assert event.before["sha256"] == before_sha and event.after["exported_at"] == "2099-01-01T00:00:00Z"
    older = _cli(city_a, "import-benchmark", str(riverton_file))
    assert older.exit_code == 1 and "is not newer than the one stored" in older.output


def test_anonymised_files_name_no_vendor_and_letter_them_stably_named_files_name_them(cities, tmp_path):
    _a, city_b = cities
    anonymous = _cli(city_b, "export-benchmark", "asphalt-resurfacing", "--city", "Riverton", *RANGE)
    named = _cli(city_b, "export-benchmark", "asphalt-resurfacing", "--city", "Riverton", "--name-vendors", *RANGE)
    for vendor in ("Harbor Paving Co", "Ridgeline Asphalt", "Summit Road Works", "Keystone Paving", "Harbor",
                   "Ridgeline", "Summit", "Keystone"):
        assert vendor not in anonymous.output
    doc, named_doc = json.loads(anonymous.output), json.loads(named.output)
    assert doc["vendors_named"] is False and named_doc["vendors_named"] is True
    assert [v["label"] for v in doc["vendors"]] == ["Vendor A", "Vendor B", "Vendor C", "Vendor D"]
    assert sorted(v["label"] for v in named_doc["vendors"]) == ["Harbor Paving Co", "Keystone Paving",
                                                                 "Ridgeline Asphalt", "Summit Road Works"]
    # Stable: each letter stands for the same vendor's months as its name does in the named file.
    by_months = {json.dumps(v["months"]): v["label"] for v in named_doc["vendors"]}
    assert {v["label"]: by_months[json.dumps(v["months"])] for v in doc["vendors"]} == \
        {v_a["label"]: v_n["label"] for v_a, v_n in zip(doc["vendors"], named_doc["vendors"], strict=True)}
    assert all(len(v["months"]) == 12 for v in doc["vendors"])


def test_only_final_months_count(cities):
    city_a, _b = cities
    with city_a.app_context():
        upload = db.session.scalars(select(Upload).join(Contract).where(
            Contract.number == "PW-2025-101", Upload.period == "2026-10",
            Upload.status == UploadStatus.COMMITTED)).one()
        upload_id, closed = upload.id, upload.review_closes_at
        upload.review_closes_at = now() + timedelta(days=5)  # reopened: provisional again
        db.session.commit()
    try:
        doc = json.loads(_cli(city_a, "export-benchmark", "asphalt-resurfacing", "--city", "A", *RANGE).output)
        months = {m["period"]: m for m in doc["clauses"]["pci_after"]["months"]}
        assert months["2026-10"]["contracts"] == 3 and months["2026-09"]["contracts"] == 4
        prices = {m["period"]: m for m in doc["unit_prices"]["months"]}
        assert prices["2026-10"]["contracts"] == 3
    finally:
        with city_a.app_context():
            db.session.get(Upload, upload_id).review_closes_at = closed
            db.session.commit()


def test_a_file_that_breaks_the_schema_is_refused_naming_the_json_path(cities, riverton_file, tmp_path):
    city_a, _b = cities
    broken = json.loads(riverton_file.read_text())
    broken["city"]["name"] = "Brokenville"
    broken["clauses"]["on_time"]["months"][1]["median"] = "high"
    broken["clauses"]["iri"]["direction"] = "up"
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(broken))
    result = _cli(city_a, "import-benchmark", str(path))
    assert result.exit_code == 1
    assert "$.clauses.on_time.months[1].median: 'high' is not of type 'number'" in result.output
    assert "$.clauses.iri.direction: 'up' is not one of ['higher', 'lower']" in result.output
    with city_a.app_context():
        assert db.session.scalars(select(PeerBenchmark).where(PeerBenchmark.city_name == "Brokenville")).first() is None

    client = _signed_in(city_a)
    token = client.csrf_token("/benchmark/")
    with path.open("rb") as handle:
        response = client.post("/benchmark/peer-files/import", data={"csrf_token": token, "file": (handle, "broken.json")},
                               content_type="multipart/form-data")
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 400
    assert "broken.json was refused; nothing was stored." in page
    assert "$.clauses.on_time.months[1].median" in page


def test_finance_downloads_the_file_from_the_category_page(cities):
    city_a, _b = cities
    client = _signed_in(city_a)
    with city_a.app_context():
        category_id = db.session.scalars(select(Contract.category_id).where(Contract.number == "PW-2025-101")).one()
    assert "Download benchmark file" in client.get(f"/categories/{category_id}").get_data(as_text=True)
    token = client.csrf_token(f"/categories/{category_id}")
    response = client.post("/benchmark/asphalt-resurfacing/export", data={
        "csrf_token": token, "city": "Ashford", "vendors": "named", "from": "2026-01", "to": "2026-10"})
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].endswith("benchmark_asphalt-resurfacing_2026-01_2026-10.json")
    doc = json.loads(response.get_data(as_text=True))
    assert doc["city"]["name"] == "Ashford" and doc["range"] == {"from": "2026-01", "to": "2026-10"}
    assert "Harbor Paving Co" in {v["label"] for v in doc["vendors"]}
    manager = _signed_in(city_a, "manager@demo.city")
    refused = manager.post("/benchmark/asphalt-resurfacing/export",
                           data={"csrf_token": manager.csrf_token("/benchmark/"), "city": "Ashford"})
    assert refused.status_code == 403
