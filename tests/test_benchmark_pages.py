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
