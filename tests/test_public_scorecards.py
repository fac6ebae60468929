"""Public scorecards (issue 16): published categories open to anyone, built only from final months (SPEC §8)."""
from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, select

from contracts_app.public.dictionary import DICTIONARY
from contracts_app.public.services import RANKING_COLUMNS, RESULT_COLUMNS, ROW_COLUMNS
from models import AuditEvent, ClauseStatus, Dispute, DisputeStatus, Role, ServiceCategory, db

from .factories import (
    TEST_PASSWORD,
    CategoryFactory,
    ClauseResultFactory,
    ContractFactory,
    ContractPeriodScoreFactory,
    ObservationFactory,
    OutcomeClauseFactory,
    UploadFactory,
    UserFactory,
    VendorFactory,
)

NOW = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)
MONTHS = ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05"]
PROVISIONAL = ("PW-PUB-A", "2026-05")  # the window is still open
DISPUTED = ("PW-PUB-B", "2026-04")  # the window closed, but a dispute is open
NOT_FINAL_VALUE = 12.345  # the clause value of both months that are not final: it must never appear


@pytest.fixture(autouse=True)
def _june_2026(time_machine):
    time_machine.move_to(NOW, tick=False)


def _month(contract, clause, period: str, composite: float, value: float, closes_at: datetime):
    upload = UploadFactory(contract=contract, period=period, committed_at=closes_at - timedelta(days=14),
                           review_closes_at=closes_at, row_count=12)
    for n in range(12):
        ObservationFactory(upload=upload, row_key=f"{contract.number}-{period}-{n}",
                           values={"pci_after": value},
                           context={"street": "Maple Ave", "resident": "Jane Roe"})
    ClauseResultFactory(clause=clause, contract=contract, period=period, value=value, attainment=composite,
                        status=ClauseStatus.MET if composite >= 90 else ClauseStatus.PARTIAL, observations=12)
    ContractPeriodScoreFactory(contract=contract, period=period, composite=composite, coverage=1.0, observations=12)
    return upload


@pytest.fixture
def city(app):
    """Two vendors in a published category; A's May is provisional, B's April is disputed, the rest final."""
    category = CategoryFactory(slug="asphalt", name="Asphalt resurfacing", context_columns=["street", "resident"],
                               published_at=NOW - timedelta(days=1), publish_context_columns=[])
    contracts = {}
    for number, vendor_name, base in (("PW-PUB-A", "Apex Paving", 90.0), ("PW-PUB-B", "Bluestone Roads", 70.0)):
        contract = ContractFactory(number=number, category=category, vendor=VendorFactory(name=vendor_name))
        clause = OutcomeClauseFactory(contract=contract, key="pci_after", label="PCI after resurfacing")
        contracts[number] = contract
        for i, period in enumerate(MONTHS):
            not_final = (number, period) in (PROVISIONAL, DISPUTED)
            closes = NOW + timedelta(days=5) if (number, period) == PROVISIONAL else NOW - timedelta(days=20)
            upload = _month(contract, clause, period, 11.0 if not_final else base + i,
                            NOT_FINAL_VALUE if not_final else 80.0 + i, closes)
            if (number, period) == DISPUTED:
                db.session.add(Dispute(contract_id=contract.id, period=period, upload_id=upload.id,
                                       status=DisputeStatus.OPEN, reason="Readings taken before rolling."))
    db.session.flush()
    return category, contracts


def _add_vendor(category, number: str, name: str, base: float, provisional: str | None = None):
    contract = ContractFactory(number=number, category=category, vendor=VendorFactory(name=name))
    clause = OutcomeClauseFactory(contract=contract, key="pci_after", label="PCI after resurfacing")
    for i, period in enumerate(MONTHS):
        closes = NOW + timedelta(days=5) if period == provisional else NOW - timedelta(days=20)
        _month(contract, clause, period, base + i, 80.0 + i, closes)
    return contract


def _signed_in(app, role=Role.ADMIN):
    user = UserFactory(role=role)
    client = app.test_client()
    assert client.sign_in(user.email, TEST_PASSWORD).status_code == 302
    return client, user


def _csv(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_an_unpublished_or_unknown_category_is_not_found(app, client, city):
    category, _ = city
    category.published_at = None
    db.session.flush()
    for path in ("/public/asphalt/", "/public/asphalt/results.csv", "/public/asphalt/rankings.json",
                 "/public/asphalt/rows.csv", "/public/nowhere/", "/public/nowhere/results.json"):
        assert client.get(path).status_code == 404, path
    assert "Asphalt resurfacing" not in client.get("/public/").get_data(as_text=True)


def test_anyone_reads_a_published_category_without_signing_in_or_getting_a_cookie(client, city):
    category, contracts = city
    index = client.get("/public/")
    assert index.status_code == 200 and "Asphalt resurfacing" in index.get_data(as_text=True)
    page = client.get("/public/asphalt/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Set-Cookie" not in page.headers and "Set-Cookie" not in index.headers
    assert "Apex Paving" in html and "Bluestone Roads" in html
    assert 'data-testid="interval-chart"' in html and "<svg" in html  # the staff page's interval chart
    assert "2 months are still under review and not shown" in html
    assert "Sign out" not in html and "/auth/sign-in" not in html  # its own base, no staff nav


def test_months_not_final_never_appear_in_pages(client, city):
    _, contracts = city
    html = client.get("/public/asphalt/").get_data(as_text=True)
    assert "11.0" not in html  # the composite of both months not final
    # A's latest final month is April (May is provisional); B's is May (its April is disputed).
    assert "latest 93.0 (2026-04)" in html and "latest 74.0 (2026-05)" in html
    a = client.get(f"/public/asphalt/contracts/{contracts['PW-PUB-A'].id}").get_data(as_text=True)
    b = client.get(f"/public/asphalt/contracts/{contracts['PW-PUB-B'].id}").get_data(as_text=True)
    assert "2026-04 · composite 93.0" in a and "2026-05 · composite" not in a
    assert "2026-05 · composite 74.0" in b and "2026-04 · composite" not in b
    for page in (a, b):
        assert "12.35" not in page and "1 month is still under review and not shown" in page


def test_months_not_final_never_appear_in_downloads(client, city):
    results = _csv(client.get("/public/asphalt/results.csv"))
    months = {(r["contract"], r["period"]) for r in results}
    assert len(months) == 8 and PROVISIONAL not in months and DISPUTED not in months
    rows = _csv(client.get("/public/asphalt/rows.csv"))
    assert {(r["contract"], r["period"]) for r in rows} == months and len(rows) == 8 * 12
    for path in ("/public/asphalt/results.json", "/public/asphalt/rows.json", "/public/asphalt/rankings.json"):
        body = client.get(path).get_data(as_text=True)
        assert str(NOT_FINAL_VALUE) not in body and '"composite": 11.0' not in body
        assert json.loads(body)["months_under_review_not_shown"] == 2
    rankings = json.loads(client.get("/public/asphalt/rankings.json").get_data(as_text=True))["rows"]
    by_vendor = {r["vendor"]: r for r in rankings}
    assert by_vendor["Apex Paving"]["scored_periods"] == 4 and by_vendor["Bluestone Roads"]["scored_periods"] == 4
    assert by_vendor["Apex Paving"]["score"] == pytest.approx((90 + 91 + 92 + 93) / 4)


def test_downloads_parse_with_the_dictionarys_columns(client, city):
    documented = {(e.file, e.column) for e in DICTIONARY}
    results = client.get("/public/asphalt/results.csv")
    assert results.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in results.headers["Content-Disposition"]
    rows = _csv(results)
    assert list(rows[0]) == RESULT_COLUMNS and all(("results", c) in documented for c in RESULT_COLUMNS)
    first = rows[0]
    assert (first["contract"], first["vendor"], first["period"], first["clause_key"]) == \
        ("PW-PUB-A", "Apex Paving", "2026-01", "pci_after")
    assert float(first["value"]) == 80.0 and float(first["composite"]) == 90.0 and first["status"] == "met"
    ranking = _csv(client.get("/public/asphalt/rankings.csv"))
    assert list(ranking[0]) == RANKING_COLUMNS and all(("rankings", c) in documented for c in RANKING_COLUMNS)
    as_json = json.loads(client.get("/public/asphalt/results.json").get_data(as_text=True))
    assert as_json["columns"] == RESULT_COLUMNS and len(as_json["rows"]) == 8
    assert all(("rows", c) in documented for c in ROW_COLUMNS)
    dictionary = _csv(client.get("/public/dictionary.csv"))
    assert list(dictionary[0]) == ["file", "column", "meaning", "unit", "computed", "documented_in"]
    assert {(d["file"], d["column"]) for d in dictionary} == documented
    assert all(d["meaning"] and d["unit"] and d["computed"] for d in dictionary)
    assert len(json.loads(client.get("/public/dictionary.json").get_data(as_text=True))["columns"]) == len(DICTIONARY)
    page = client.get("/public/dictionary").get_data(as_text=True)
    assert "interval_low" in page and "How it is computed" in page


def test_context_columns_are_published_only_when_listed(client, city):
    category, _ = city
    rows = client.get("/public/asphalt/rows.csv").get_data(as_text=True)
    assert "Maple Ave" not in rows and "Jane Roe" not in rows and "street" not in rows
    category.publish_context_columns = ["street"]
    db.session.flush()
    from contracts_app.rankings.cache import rendered_rankings

    rendered_rankings.clear()  # the data changed without a commit here: a request would have bumped the version
    listed = _csv(client.get("/public/asphalt/rows.csv"))
    assert list(listed[0]) == [*ROW_COLUMNS, "pci_after", "street"] and listed[0]["street"] == "Maple Ave"
    for path in ("/public/asphalt/rows.csv", "/public/asphalt/rows.json", "/public/asphalt/results.csv",
                 "/public/asphalt/results.json", "/public/asphalt/rankings.csv"):
        body = client.get(path).get_data(as_text=True)
        assert "Jane Roe" not in body and "resident" not in body, path


def test_pages_are_cacheable_with_an_etag_and_answer_304(app, city):
    client, _ = _signed_in(app)
    anonymous = app.test_client()
    first = anonymous.get("/public/asphalt/")
    assert first.headers["Cache-Control"] == "public, max-age=300"
    etag = first.headers["ETag"]
    again = anonymous.get("/public/asphalt/", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.headers["ETag"] == etag and not again.get_data()
    assert anonymous.get("/public/asphalt/results.csv").headers["Cache-Control"] == "public, max-age=300"
    # A change of data (here: a published column) gives a new ETag, so the old copy is not reused.
    category = db.session.scalar(select(ServiceCategory).where(ServiceCategory.slug == "asphalt"))
    token = client.csrf_token(f"/categories/{category.id}")
    client.post(f"/categories/{category.id}/publishing",
                data={"action": "save", "publish_context_columns": "street", "csrf_token": token})
    changed = anonymous.get("/public/asphalt/", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert anonymous.get("/public/asphalt/").headers["ETag"] == changed.headers["ETag"]


def test_a_month_turning_final_changes_the_page_and_its_etag(client, city, time_machine):
    before = client.get("/public/asphalt/")
    assert "latest 93.0 (2026-04)" in before.get_data(as_text=True)
    time_machine.move_to(NOW + timedelta(days=6), tick=False)  # A's May window has closed: no write at all
    after = client.get("/public/asphalt/", headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200 and after.headers["ETag"] != before.headers["ETag"]
    html = after.get_data(as_text=True)
    assert "latest 11.0 (2026-05)" in html and "1 month is still under review and not shown" in html


def test_an_admin_publishes_and_unpublishes_and_both_are_audited(app):
    category = CategoryFactory(slug="potholes", name="Pothole repair", context_columns=["street", "resident"])
    admin, user = _signed_in(app)
    detail = admin.get(f"/categories/{category.id}").get_data(as_text=True)
    assert "Not published" in detail and "Publish scorecard" in detail
    token = admin.csrf_token(f"/categories/{category.id}")
    response = admin.post(f"/categories/{category.id}/publishing",
                          data={"action": "publish", "publish_context_columns": ["street"], "csrf_token": token})
    assert response.status_code == 302
    page = admin.get(f"/categories/{category.id}").get_data(as_text=True)
    assert "Published" in page and user.email in page and "/public/potholes/" in page
    assert app.test_client().get("/public/potholes/").status_code == 200
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "category_published")).one()
    assert event.user_id == user.id and event.before["published_at"] is None
    assert event.after["published_by_id"] == user.id and event.after["publish_context_columns"] == ["street"]
    assert event.after["published_at"] == NOW.isoformat()

    token = admin.csrf_token(f"/categories/{category.id}")
    admin.post(f"/categories/{category.id}/publishing", data={"action": "unpublish", "csrf_token": token})
    assert app.test_client().get("/public/potholes/").status_code == 404
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "category_unpublished")).one()
    assert event.user_id == user.id and event.after["published_at"] is None


def test_an_unknown_context_column_is_refused_and_nothing_changes(app):
    category = CategoryFactory(slug="sweeping", context_columns=["street"])
    admin, _ = _signed_in(app)
    token = admin.csrf_token(f"/categories/{category.id}")
    page = admin.post(f"/categories/{category.id}/publishing", follow_redirects=True,
                      data={"action": "publish", "publish_context_columns": ["resident"], "csrf_token": token})
    assert "Nothing was changed: &#39;resident&#39; is not a context column" in page.get_data(as_text=True)
    assert app.test_client().get("/public/sweeping/").status_code == 404
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("category_%publish%"))).first() is None


@pytest.mark.parametrize("role", [Role.PROCUREMENT, Role.FINANCE, Role.CONTRACT_MANAGER])
def test_only_an_admin_may_publish(app, role):
    category = CategoryFactory(slug=f"only-admin-{role.value}")
    client, _ = _signed_in(app, role)
    assert "Publish scorecard" not in client.get(f"/categories/{category.id}").get_data(as_text=True)
    token = client.csrf_token(f"/categories/{category.id}")
    response = client.post(f"/categories/{category.id}/publishing", data={"action": "publish", "csrf_token": token})
    assert response.status_code == 403
    assert app.test_client().get(f"/public/only-admin-{role.value}/").status_code == 404


# What each ran when written: the data version and next window (2), the category (1), the final scope (5: contracts,
# the months' reviews, the hidden count, the latest final month), then the page's own reads.
PUBLIC_BOUNDS = {"/public/": 3, "/public/asphalt/": 12, "contract": 8, "/public/asphalt/results.csv": 9,
                 "/public/asphalt/rankings.json": 11, "/public/asphalt/rows.csv": 9}


def _statements(client, path: str) -> int:
    from contracts_app.rankings.cache import rendered_rankings

    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT")):
            statements.append(statement)

    rendered_rankings.clear()  # measured as built, not as cached
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert client.get(path).status_code == 200, path
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(statements)


def test_public_pages_run_the_same_few_statements_however_many_vendors_and_months(client, city):
    category, contracts = city
    paths = {name: name for name in PUBLIC_BOUNDS}
    paths["contract"] = f"/public/asphalt/contracts/{contracts['PW-PUB-A'].id}"
    small = {name: _statements(client, path) for name, path in paths.items()}
    for n in range(4):
        _add_vendor(category, f"PW-PUB-X{n}", f"Extra Vendor {n}", 60.0 + n, provisional="2026-03" if n % 2 else None)
    db.session.flush()
    large = {name: _statements(client, path) for name, path in paths.items()}
    assert large == small
    assert all(small[name] <= bound for name, bound in PUBLIC_BOUNDS.items()), sorted(small.items())
