"""The read-only JSON API (issue 16): tokens, scoping per role and vendor, paging, months, ETags, errors."""
from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from sqlalchemy import event, select

from contracts_app.api.tokens import create_token
from models import ApiToken, AuditEvent, RecommendationStatus, Role, db, utcnow
from tests.factories import (
    TEST_PASSWORD,
    CategoryFactory,
    ClauseResultFactory,
    ContractFactory,
    ContractPeriodScoreFactory,
    OutcomeClauseFactory,
    RecommendationFactory,
    RecommendationLineFactory,
    UploadFactory,
    UserFactory,
    VendorFactory,
)

MONTHS = ("2026-01", "2026-02", "2026-03")


@pytest.fixture
def city(app):
    """Two vendors in one category, three scored months each; the last month of Acme's is provisional."""
    category = CategoryFactory(slug="asphalt", name="Asphalt resurfacing")
    acme, bravo = VendorFactory(name="Acme Paving"), VendorFactory(name="Bravo Roads")
    contracts = {}
    for vendor, number, composite in ((acme, "PW-A-1", 80.0), (bravo, "PW-B-1", 60.0)):
        contract = ContractFactory(number=number, vendor=vendor, category=category)
        clause = OutcomeClauseFactory(contract=contract, effective_from="2026-01")
        for i, period in enumerate(MONTHS):
            ContractPeriodScoreFactory(contract=contract, period=period, composite=composite + i, observations=40,
                                       invoice_amount=Decimal("1000.00"), bonus=Decimal("25.00"),
                                       net=Decimal("25.00"))
            ClauseResultFactory(clause=clause, contract=contract, period=period)
            UploadFactory(contract=contract, period=period,
                          review_closes_at=utcnow() + timedelta(days=5) if period == "2026-03" else
                          utcnow() - timedelta(days=30))
        contracts[number] = contract
    recommendation = RecommendationFactory(category=category, status=RecommendationStatus.APPROVED,
                                           approved_at=utcnow())
    RecommendationLineFactory(recommendation=recommendation, vendor=acme, rank=1)
    RecommendationLineFactory(recommendation=recommendation, vendor=bravo, rank=2)
    db.session.flush()
    return {"category": category, "acme": acme, "bravo": bravo, "contracts": contracts}


def token_for(role: Role, scope: str = "read", days: str = "30", **user) -> str:
    return create_token(UserFactory(role=role, **user), "BI", scope, days).secret


def get(client, path: str, token: str | None, **headers):
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return client.get(path, headers=headers)


def test_without_a_token_every_endpoint_answers_401_json(client, city):
    for path in ("/api/v1/categories", "/api/v1/scores", "/api/v1/payments", "/api/v1/rankings"):
        response = get(client, path, None)
        assert response.status_code == 401
        assert response.json["error"]["code"] == "unauthorized"
        assert "Bearer" in response.json["error"]["message"]


def test_a_signed_in_session_does_not_open_the_api(client, city):
    UserFactory(email="cm@city.test", role=Role.CONTRACT_MANAGER)
    client.sign_in("cm@city.test", TEST_PASSWORD)
    assert client.get("/contracts/").status_code == 200  # the session works on the pages
    assert client.get("/api/v1/contracts").status_code == 401  # and not on the API


def test_contracts_scores_and_rankings_for_city_staff(client, city):
    token = token_for(Role.CONTRACT_MANAGER)
    contracts = get(client, "/api/v1/contracts", token).json
    assert [c["number"] for c in contracts["data"]] == ["PW-A-1", "PW-B-1"]
    assert contracts["data"][0]["value"] == "2400000.00"
    assert contracts["data"][0]["clauses"][0]["versions"][0]["effective_from"] == "2026-01"
    scores = get(client, "/api/v1/scores?contract=PW-A-1", token).json["data"]
    assert [(s["period"], s["review"]) for s in scores] == [("2026-01", "final"), ("2026-02", "final"),
                                                           ("2026-03", "provisional")]
    assert scores[0]["clauses"][0]["status"] == "met" and scores[0]["composite"] == 80.0
    ranking = get(client, "/api/v1/rankings?category=asphalt&period=2026-03&window=3", token).json
    assert [(r["vendor"], r["rank"]) for r in ranking["data"]] == [("Acme Paving", 1), ("Bravo Roads", 2)]
    assert {"category_mean", "within_variance", "between_variance"} <= set(ranking["meta"])
    assert {"shrunk_score", "interval_low", "interval_high", "comparison", "rank_range"} <= set(ranking["data"][0])
    assert ranking["data"][0]["months_not_final"] == ["PW-A-1 2026-03"]


def test_a_vendor_token_sees_only_its_vendor_and_no_other_name(client, city):
    token = token_for(Role.VENDOR, vendor=city["acme"])
    bravo_contract = city["contracts"]["PW-B-1"]
    for path in ("/api/v1/categories", "/api/v1/vendors", "/api/v1/contracts", "/api/v1/scores",
                 "/api/v1/rankings?category=asphalt&period=2026-03&window=3"):
        response = get(client, path, token)
        assert response.status_code == 200, path
        text = response.get_data(as_text=True)
        assert "Bravo" not in text and "PW-B-1" not in text, path
    assert [v["name"] for v in get(client, "/api/v1/vendors", token).json["data"]] == ["Acme Paving"]
    ranking = get(client, "/api/v1/rankings?category=asphalt&period=2026-03&window=3", token).json["data"]
    assert [(r["vendor"], r["vendor_id"]) for r in ranking] == [("Acme Paving", city["acme"].id),
                                                                ("Another vendor", None)]
    other_category = ContractFactory(vendor=city["bravo"], number="PW-B-2").category
    assert get(client, f"/api/v1/rankings?category={other_category.slug}", token).status_code == 404
    assert get(client, "/api/v1/rankings", token).json["meta"]["inputs"]["category"] == "asphalt"
    assert get(client, f"/api/v1/contracts/{bravo_contract.id}", token).status_code == 404
    assert get(client, f"/api/v1/vendors/{city['bravo'].id}", token).status_code == 404
    assert get(client, "/api/v1/scores?contract=PW-B-1", token).json["data"] == []
    assert get(client, "/api/v1/recommendations", token).status_code == 404
    assert get(client, "/api/v1/payments", token).status_code == 404


def test_expired_and_revoked_tokens_get_401(client, city):
    user = UserFactory(role=Role.FINANCE)
    new = create_token(user, "Tableau", "read", "1")
    assert get(client, "/api/v1/vendors", new.secret).status_code == 200
    with time_machine.travel(utcnow() + timedelta(days=1, minutes=1)):
        expired = get(client, "/api/v1/vendors", new.secret)
    assert expired.status_code == 401 and "expired" in expired.json["error"]["message"]
    other = create_token(user, "Power BI", "read", "30")
    from contracts_app.api.tokens import revoke_token
    revoke_token(user, other.token.id)
    revoked = get(client, "/api/v1/vendors", other.secret)
    assert revoked.status_code == 401 and "revoked" in revoked.json["error"]["message"]
    assert get(client, "/api/v1/vendors", other.secret[:-2] + "xx").status_code == 401


def test_a_finance_token_sees_payments_and_a_contract_managers_does_not(client, city):
    finance = token_for(Role.FINANCE, "read:payments")
    response = get(client, "/api/v1/payments?period=2026-03", finance)
    assert response.status_code == 200
    lines = {line["contract"]: line for line in response.json["data"]}
    assert lines["PW-A-1"]["invoice"] == "1000.00" and lines["PW-A-1"]["net"] == "25.00"
    assert lines["PW-A-1"]["held"] is False and lines["PW-A-1"]["review"] == "provisional"
    assert get(client, "/api/v1/payments", token_for(Role.ADMIN, "read:payments")).status_code == 200
    refused = get(client, "/api/v1/payments", token_for(Role.CONTRACT_MANAGER))
    assert refused.status_code == 403 and refused.json["error"]["code"] == "forbidden"
    narrow = get(client, "/api/v1/payments", token_for(Role.FINANCE, "read"))
    assert narrow.status_code == 403 and "read:payments" in narrow.json["error"]["message"]
    with pytest.raises(ValueError, match="scope"):
        token_for(Role.CONTRACT_MANAGER, "read:payments")


def test_recommendations_are_finance_only_with_lines(client, city):
    data = get(client, "/api/v1/recommendations", token_for(Role.FINANCE)).json["data"]
    assert [line["vendor"] for line in data[0]["lines"]] == ["Acme Paving", "Bravo Roads"]
    assert get(client, "/api/v1/recommendations", token_for(Role.PROCUREMENT)).status_code == 403


def test_a_disabled_users_token_gets_401(client, city):
    user = UserFactory(role=Role.PROCUREMENT)
    secret = create_token(user, "BI", "read", "30").secret
    user.is_enabled = False
    db.session.flush()
    response = get(client, "/api/v1/contracts", secret)
    assert response.status_code == 401 and "disabled" in response.json["error"]["message"]


def _statements(client, path: str, token: str) -> int:
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT")):
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert get(client, path, token).status_code == 200, path
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(statements)


def test_the_number_of_queries_does_not_grow_with_the_data(client, city):
    token = token_for(Role.FINANCE, "read:payments")
    paths = ["/api/v1/contracts", "/api/v1/scores", "/api/v1/rankings?category=asphalt&period=2026-03",
             "/api/v1/recommendations", "/api/v1/payments?from=2026-02&to=2026-03"]
    get(client, "/api/v1/categories", token)  # the token's first use stamps its last-used time: not counted
    before = {path: _statements(client, path, token) for path in paths}
    for n in range(4):  # four more vendors, each with a contract, two clause versions and three scored months
        contract = ContractFactory(category=city["category"], number=f"PW-X-{n}")
        for effective_from in ("2026-01", "2026-03"):
            clause = OutcomeClauseFactory(contract=contract, effective_from=effective_from)
        for period in MONTHS:
            ContractPeriodScoreFactory(contract=contract, period=period, invoice_amount=Decimal("10.00"))
            ClauseResultFactory(clause=clause, contract=contract, period=period)
            UploadFactory(contract=contract, period=period, review_closes_at=utcnow())
    db.session.flush()
    after = {path: _statements(client, path, token) for path in paths}
    assert after == before


def test_pages_have_totals_and_next_links(client, city):
    token = token_for(Role.PROCUREMENT)
    first = get(client, "/api/v1/scores?per_page=4", token).json
    assert first["meta"]["total"] == 6 and first["meta"]["pages"] == 2 and len(first["data"]) == 4
    second = get(client, first["links"]["next"], token).json
    assert len(second["data"]) == 2 and second["links"]["next"] is None
    assert {s["period"] for s in first["data"] + second["data"]} == set(MONTHS)
    bad = get(client, "/api/v1/scores?per_page=500", token)
    assert bad.status_code == 400 and "per_page" in bad.json["error"]["message"]


def test_period_filters_and_bad_months_name_the_parameter(client, city):
    token = token_for(Role.PROCUREMENT)
    one = get(client, "/api/v1/scores?period=2026-02", token).json["data"]
    assert {s["period"] for s in one} == {"2026-02"}
    span = get(client, "/api/v1/scores?from=2026-02&to=2026-03", token).json["data"]
    assert {s["period"] for s in span} == {"2026-02", "2026-03"}
    for query, name in (("period=2026-13", "period"), ("from=March", "from"), ("to=2026-1", "to")):
        response = get(client, f"/api/v1/scores?{query}", token)
        assert response.status_code == 400 and f"'{name}'" in response.json["error"]["message"], query
    assert get(client, "/api/v1/rankings?category=asphalt&period=26-03", token).status_code == 400


def test_etag_answers_304_until_the_data_changes(client, city):
    token = token_for(Role.PROCUREMENT)
    first = get(client, "/api/v1/contracts", token)
    etag = first.headers["ETag"]
    assert etag.startswith('W/"')
    again = get(client, "/api/v1/contracts", token, **{"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    assert get(client, "/api/v1/contracts?per_page=1", token, **{"If-None-Match": etag}).status_code == 200
    VendorFactory(name="Charlie Civil")
    from contracts_app.unit_of_work import commit_now
    commit_now()  # a committed change bumps the data version
    assert get(client, "/api/v1/contracts", token, **{"If-None-Match": etag}).status_code == 200


def test_errors_are_json_never_html(client, city):
    token = token_for(Role.PROCUREMENT)
    missing = get(client, "/api/v1/nothing-here", token)
    assert missing.status_code == 404 and missing.json["error"]["code"] == "not_found"
    posted = client.post("/api/v1/contracts", headers={"Authorization": f"Bearer {token}"})
    assert posted.status_code == 405 and posted.is_json
    assert get(client, "/api/v1/contracts/999999", token).json["error"]["code"] == "not_found"
    assert get(client, "/api/v1/rankings?category=nope", token).status_code == 404


def test_openapi_document_describes_every_api_route(app, client):
    doc = client.get("/api/v1/openapi.json").json
    assert doc["openapi"].startswith("3.1")
    routes = {rule.rule.replace("<int:", "{").replace(">", "}") for rule in app.url_map.iter_rules()
              if rule.rule.startswith("/api/v1")}
    assert routes == set(doc["paths"])
    assert doc["components"]["securitySchemes"]["bearerToken"]["scheme"] == "bearer"


# --- the token page ------------------------------------------------------------------------------------

def create_on_page(client, form: dict):
    return client.post_form("/account/tokens/new", form, token_from="/account/tokens/")


def test_token_page_shows_the_token_once_stores_a_hash_and_revokes(client, app):
    user = UserFactory(email="fin@city.test", role=Role.FINANCE)
    client.sign_in("fin@city.test", TEST_PASSWORD)
    created = create_on_page(client, {"name": "Power BI", "scope": "read:payments", "days": "90"})
    assert created.status_code == 200
    html = created.get_data(as_text=True)
    secret = html.split('id="new-token-value" readonly value="')[1].split('"')[0]
    assert secret.startswith("ct_") and "shown only this once" in html
    assert created.headers["Cache-Control"] == "no-store"
    stored = db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)).one()
    assert stored.secret_hash == hashlib.sha256(secret.encode()).hexdigest() and secret not in json.dumps(
        [stored.name, stored.prefix, stored.secret_hash])
    assert secret not in client.get("/account/tokens/").get_data(as_text=True)  # never shown again
    assert get(client, "/api/v1/payments", secret).status_code == 200
    db.session.expire_all()
    assert db.session.get(ApiToken, stored.id).last_used_at is not None
    revoked = client.post_form(f"/account/tokens/{stored.id}/revoke", {}, token_from="/account/tokens/")
    assert revoked.status_code == 302
    assert get(client, "/api/v1/payments", secret).status_code == 401
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("api_token_%"))).all()
    assert sorted(actions) == ["api_token_created", "api_token_revoked"]


def test_token_form_refuses_bad_input_and_keeps_it(client, app):
    UserFactory(email="cm2@city.test", role=Role.CONTRACT_MANAGER)
    client.sign_in("cm2@city.test", TEST_PASSWORD)
    response = create_on_page(client, {"name": "Nightly", "scope": "read", "days": "400"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "from 1 to 365" in html and 'value="Nightly"' in html
    assert "read:payments" not in client.get("/account/tokens/").get_data(as_text=True)
    payments = create_on_page(client, {"name": "X", "scope": "read:payments", "days": "5"})
    assert payments.status_code == 400
    assert db.session.scalars(select(ApiToken)).all() == []


def test_a_user_cannot_revoke_anothers_token(client, app):
    other = create_token(UserFactory(role=Role.FINANCE), "Theirs", "read", "5")
    UserFactory(email="cm3@city.test", role=Role.CONTRACT_MANAGER)
    client.sign_in("cm3@city.test", TEST_PASSWORD)
    response = client.post_form(f"/account/tokens/{other.token.id}/revoke", {}, token_from="/account/tokens/")
    assert response.status_code == 404
    assert db.session.get(ApiToken, other.token.id).revoked_at is None
