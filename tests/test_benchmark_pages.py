"""The benchmark pages on every database (issue 16): finance uploads a peer's file and reads the comparison."""
from __future__ import annotations

import html
import io
import json

import pytest
from sqlalchemy import func, select

from models import AuditEvent, PeerBenchmark, Role, db

from .factories import (
    TEST_PASSWORD,
    CategoryFactory,
    ClauseResultFactory,
    ContractFactory,
    OutcomeClauseFactory,
    UserFactory,
)
from .test_benchmark_rules import minimal_file


@pytest.fixture
def our_city(app):
    """Two asphalt contracts whose pci_after was 88 and 92 in 2026-01: our median 90."""
    category = CategoryFactory(slug="asphalt-resurfacing", name="Asphalt resurfacing")
    for value in (88.0, 92.0):
        clause = OutcomeClauseFactory(key="pci_after", contract=ContractFactory(category=category))
        ClauseResultFactory(clause=clause, period="2026-01", value=value)
    db.session.commit()
    return category


def _sign_in(client, role: Role):
    user = UserFactory(role=role)
    db.session.commit()
    assert client.sign_in(user.email, TEST_PASSWORD).status_code == 302
    return user


def _upload(client, document: dict, name: str = "riverton.json"):
    token = client.csrf_token("/benchmark/")
    data = {"csrf_token": token, "file": (io.BytesIO(json.dumps(document).encode()), name)}
    return client.post("/benchmark/peer-files/import", data=data, content_type="multipart/form-data", follow_redirects=True)


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_finance_uploads_a_peer_file_and_reads_both_cities_side_by_side(client, our_city):
    _sign_in(client, Role.FINANCE)
    page = html.unescape(_upload(client, minimal_file()).get_data(as_text=True))
    assert "Imported Riverton's asphalt-resurfacing benchmark exported 2026-11-02 08:00 UTC." in page
    assert "Asphalt resurfacing: our city against peers" in page  # redirected to the comparison
    page = html.unescape(client.get("/benchmark/asphalt-resurfacing?from=2026-01&to=2026-03").get_data(as_text=True))
    row = page.split('<th scope="row">2026-01</th>')[1].split("</tr>")[0]
    assert "90.00" in row and "88.50" in row  # ours, then Riverton's
    assert "86.00–90.00; 4 contracts" in row
    assert "$1,250.00" in page  # Riverton's unit price

    again = html.unescape(_upload(client, minimal_file()).get_data(as_text=True))
    assert "was already imported; nothing changed." in again
    db.session.expire_all()
    assert _count(PeerBenchmark) == 1
    assert db.session.scalar(select(func.count()).where(AuditEvent.action == "benchmark_added")) == 1


def test_a_bad_range_is_named_and_the_default_months_shown(client, our_city):
    _sign_in(client, Role.CONTRACT_MANAGER)
    page = client.get("/benchmark/asphalt-resurfacing?from=2026-13&to=2026-03").get_data(as_text=True)
    assert "from: &#39;2026-13&#39; is not a month; write it as YYYY-MM" in page
    assert 'value="2026-13"' in page  # what was typed is kept


def test_only_finance_and_admin_upload_and_vendor_users_never_see_peers(client, our_city):
    _sign_in(client, Role.CONTRACT_MANAGER)
    assert client.get("/benchmark/asphalt-resurfacing").status_code == 200
    token = client.csrf_token("/benchmark/")
    refused = client.post("/benchmark/peer-files/import", data={"csrf_token": token}, content_type="multipart/form-data")
    assert refused.status_code == 403
    vendor = client.application.test_client()
    _sign_in(vendor, Role.VENDOR)
    assert vendor.get("/benchmark/").status_code == 404
    assert vendor.get("/benchmark/asphalt-resurfacing").status_code == 404


def test_a_file_for_a_category_we_do_not_have_is_stored_and_says_so(client, our_city):
    _sign_in(client, Role.ADMIN)
    document = minimal_file(category={"slug": "snow-removal", "name": "Snow removal", "unit": "route"})
    page = html.unescape(_upload(client, document).get_data(as_text=True))
    assert "We have no category 'snow-removal'" in page
    assert _count(PeerBenchmark) == 1


def test_an_upload_without_a_file_asks_for_one(client, our_city):
    _sign_in(client, Role.FINANCE)
    response = client.post("/benchmark/peer-files/import", data={"csrf_token": client.csrf_token("/benchmark/")},
                           content_type="multipart/form-data")
    assert response.status_code == 400
    assert "choose a peer city&#39;s benchmark file (.json) to upload." in response.get_data(as_text=True)


def test_a_refused_export_names_the_field_and_keeps_what_was_typed(client, our_city):
    _sign_in(client, Role.FINANCE)
    path = f"/categories/{our_city.id}"
    response = client.post("/benchmark/asphalt-resurfacing/export", data={
        "csrf_token": client.csrf_token(path), "city": "Ashford", "from": "2026-7", "to": "2026-10",
        "vendors": "named"})
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 400
    assert "Not exported: from: '2026-7' is not a month; write it as YYYY-MM, e.g. 2026-03." in page
    assert 'value="Ashford"' in page and 'value="2026-7"' in page and '<option value="named" selected>' in page
    assert db.session.scalar(select(func.count()).where(AuditEvent.action == "benchmark_exported")) == 0


def test_the_commands_refuse_an_unknown_category_a_bad_month_and_a_missing_file(cli, our_city, tmp_path):
    unknown = cli.invoke(args=["export-benchmark", "snow-removal", "--city", "Ashford"])
    assert unknown.exit_code == 1 and "No category with slug 'snow-removal'; nothing was exported." in unknown.output
    bad = cli.invoke(args=["export-benchmark", "asphalt-resurfacing", "--city", "Ashford", "--from", "2026-10",
                           "--to", "2026-01"])
    assert bad.exit_code == 1 and "from 2026-10 comes after to 2026-01" in bad.output
    assert cli.invoke(args=["export-benchmark", "asphalt-resurfacing"]).exit_code == 2  # --city is required
    missing = cli.invoke(args=["import-benchmark", str(tmp_path / "nowhere.json")])
    assert missing.exit_code == 2
    good = cli.invoke(args=["export-benchmark", "asphalt-resurfacing", "--city", "Ashford", "--from", "2026-01",
                            "--to", "2026-01"])
    assert good.exit_code == 0
    assert json.loads(good.output)["clauses"]["pci_after"]["months"] == [
        {"period": "2026-01", "median": 90.0, "p25": 89.0, "p75": 91.0, "min": 88.0, "max": 92.0,
         "contracts": 2, "observations": 20}]
