"""A vendor user sees its own vendor and nothing of another (SPEC §1), proved over every route of the app.

Two vendors, A and B, each with a contract in the same category, committed months, rows, a sheet file and
payments. Signed in as A's vendor user, every rule of `app.url_map` is requested (GET and POST, with a valid
CSRF token), its URL variables filled with B's ids and then with A's: nothing of B (name, contract number,
row keys, file names) may appear in any answer; every page not opened to vendors answers 404 (or 403); A's
own pages answer 200 and show A's data.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from contracts_app.api.tokens import create_token
from models import ActionPlan, ActionPlanMilestone, Dispute, DisputeEvidence, Job, Notification, Role, today, utcnow
from models.action_plans import PlanReason
from tests.factories import (
    TEST_PASSWORD,
    CategoryFactory,
    ClauseResultFactory,
    ClauseTemplateFactory,
    ContractFactory,
    ContractPeriodScoreFactory,
    ObservationFactory,
    OutcomeClauseFactory,
    RecommendationFactory,
    RecommendationLineFactory,
    UploadFactory,
    UserFactory,
    VendorFactory,
)

SKIPPED_ENDPOINTS = {"static", "bootstrap.static"}
# Public to everyone, signed in or not (and showing no vendor's data): not city pages.
PUBLIC_ENDPOINTS = {"health.healthz", "health.readyz", "auth.sign_in", "auth_sso.start", "auth_sso.callback",
                    # The public scorecards (issue 16): only published categories; this walk's category is not.
                    "public.index", "public.category", "public.contract", "public.download", "public.dictionary",
                    "public.dictionary_file"}
# Sign-out would end the walk's own session; it is the same for every user (tests/test_access.py).
NOT_WALKED = {"auth.sign_out"}
MONTHS = ["2026-01", "2026-02", "2026-03"]


@dataclass
class Side:
    """One vendor's world: what its user may see (A) or must never see (B)."""

    vendor: object
    user: object
    contract: object
    clause: object
    upload: object
    observation: object
    row_keys: list
    recommendation: object
    job: object
    filename: str
    plan: object
    milestone: object
    notification: object
    dispute: object
    evidence: object
    api_token: object = None

    def url_values(self, template, manager) -> dict:
        return {
            "contract_id": self.contract.id, "vendor_id": self.vendor.id, "category_id": self.contract.category_id,
            "clause_id": self.clause.id, "template_id": template.id, "upload_id": self.upload.id,
            "recommendation_id": self.recommendation.id,
            "user_id": self.user.id, "period": self.upload.period, "key": self.clause.key, "job_id": self.job.id,
            "plan_id": self.plan.id, "milestone_id": self.milestone.id, "notification_id": self.notification.id,
            "dispute_id": self.dispute.id, "evidence_id": self.evidence.id,
            # The monthly meeting (city staff only): the sign-in wall answers 404 before any id is looked up.
            "category_slug": "asphalt-resurfacing", "item_id": self.milestone.id, "packet_id": self.job.id,
            "slug": "asphalt-resurfacing", "kind": "results", "fmt": "csv",
            "token_id": self.api_token.id,
        }

    def secrets(self) -> list[str]:
        return [self.vendor.name, self.contract.number, self.filename, self.evidence.filename, *self.row_keys]


def _side(app, session, category, manager, *, letter: str, name: str, number: str, composite: float) -> Side:
    vendor = VendorFactory(name=name)
    user = UserFactory(role=Role.VENDOR, vendor=vendor, email=f"staff@{letter.lower()}-vendor.test")
    contract = ContractFactory(vendor=vendor, category=category, number=number, title=f"Resurfacing, region {letter}")
    clause = OutcomeClauseFactory(contract=contract)
    folder = Path(app.config["UPLOAD_FOLDER"])
    folder.mkdir(parents=True, exist_ok=True)
    row_keys = []
    upload = observation = None
    for index, period in enumerate(MONTHS):
        filename = f"{letter.lower()}-sheet-{period}-confidential.xlsx"
        workbook = openpyxl.Workbook()
        workbook.active.append(["work_order_id", clause.key])
        workbook.save(folder / filename)
        upload = UploadFactory(contract=contract, period=period, filename=filename, stored_name=filename,
                               committed_at=utcnow(), uploaded_by=manager, row_count=12,
                               report={"kind": "xlsx", "header_row": 1})
        for row in range(12):
            key = f"WO-{letter}{index}{row:03d}"
            row_keys.append(key)
            observation = ObservationFactory(upload=upload, row_key=key, values={clause.key: composite})
        ClauseResultFactory(clause=clause, period=period, value=composite, attainment=composite, observations=12)
        ContractPeriodScoreFactory(contract=contract, period=period, composite=composite, observations=12,
                                   invoice_amount=Decimal("10000.00"), bonus=Decimal("250.00"),
                                   penalty=Decimal("0.00"), net=Decimal("250.00"))
    recommendation = RecommendationFactory(category=category)
    RecommendationLineFactory(recommendation=recommendation, vendor=vendor)
    job = Job(kind="commit_upload", idempotency_key=f"isolation-{letter}", payload={"upload_id": upload.id},
              created_by=manager)
    session.add(job)
    plan = ActionPlan(contract=contract, reason=PlanReason.FAILED_CLAUSE, source_period=MONTHS[-1],
                      clause_keys=[clause.key], outcome_required=f"{contract.number}: back above the minimum",
                      opened_on=today(), opened_by=manager)
    milestone = ActionPlanMilestone(plan=plan, position=1, description=f"{name} crew retrained", due_on=today())
    notification = Notification(user=user, kind="month_committed", subject=f"{contract.number} {MONTHS[-1]} committed",
                                body=f"{name}: the month is committed", link_path="/vendor-portal/")
    session.add_all([plan, milestone, notification])
    evidence_name = f"{letter.lower()}-evidence-confidential.pdf"
    (folder / evidence_name).write_bytes(b"%PDF-1.4\n" + name.encode() + b"\n%%EOF\n")
    dispute = Dispute(contract_id=contract.id, period=upload.period, upload_id=upload.id, clause_keys=[clause.key],
                      row_keys=row_keys[-2:], reason=f"{name} disputes {contract.number}", opened_by_id=user.id)
    session.add(dispute)
    session.flush()
    evidence = DisputeEvidence(dispute_id=dispute.id, filename=evidence_name, stored_name=evidence_name,
                               sha256="e" * 64, size=20, kind="pdf")
    session.add(evidence)
    session.flush()
    api_token = create_token(user, f"{name} dashboard", "read", "30").token
    return Side(vendor, user, contract, clause, upload, observation, row_keys, recommendation, job,
                upload.filename, plan, milestone, notification, dispute, evidence, api_token)


@pytest.fixture
def sides(app, session):
    category = CategoryFactory(name="Asphalt resurfacing", slug="asphalt-resurfacing")
    manager = UserFactory(role=Role.CONTRACT_MANAGER, email="manager@city.test", name="Morgan Manager")
    a = _side(app, session, category, manager, letter="A", name="Alder Paving Co", number="PW-A-101", composite=81.0)
    b = _side(app, session, category, manager, letter="B", name="Birchwood Asphalt LLC", number="PW-B-202",
              composite=64.0)
    template = ClauseTemplateFactory(category=category)
    return a, b, template, manager


def _rules(app):
    return [rule for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule)
            if rule.endpoint not in SKIPPED_ENDPOINTS | NOT_WALKED]


def _open_to_vendors(app, endpoint: str) -> bool:
    return bool(getattr(app.view_functions[endpoint], "open_to_vendors", False))


def _signed_in(app, user):
    client = app.test_client()
    assert client.sign_in(user.email, TEST_PASSWORD).status_code == 302
    return client


def test_a_vendor_user_sees_nothing_of_another_vendor_on_any_route(app, sides):
    a, b, template, manager = sides
    client = _signed_in(app, a.user)
    token = client.csrf_token("/auth/account")
    leaks, wrongly_open, own_not_shown = [], [], []
    walked = 0
    for rule in _rules(app):
        if any(arg not in a.url_values(template, manager) for arg in rule.arguments):
            leaks.append(f"{rule.endpoint} takes {sorted(rule.arguments)}: add its variables to Side.url_values")
            continue
        for side in (b, a):
            _domain, path = rule.build(side.url_values(template, manager), append_unknown=False)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                kwargs = {"data": {"csrf_token": token}} if method == "POST" else {}
                response = client.open(path, method=method, **kwargs)
                walked += 1
                body = response.get_data(as_text=True)
                shown = [secret for secret in b.secrets() if secret in body]
                if shown:
                    leaks.append(f"{method} {path} ({response.status_code}) shows B's {shown[:3]}")
                location = response.headers.get("Location", "")
                if any(secret in location for secret in b.secrets()):
                    leaks.append(f"{method} {path} redirects to {location}")
                city_only = not (_open_to_vendors(app, rule.endpoint) or rule.endpoint.startswith("auth.")
                                 or rule.endpoint in PUBLIC_ENDPOINTS)
                # The JSON API takes tokens only: a session (of anyone) gets 401 there; its description is public.
                closed = (401,) if rule.endpoint.startswith("api.") else (403, 404)
                if rule.endpoint == "api.openapi":
                    closed = (200,)
                if city_only and rule.endpoint != "dashboard.index" and response.status_code not in closed:
                    wrongly_open.append(f"{method} {path}: city page answered {response.status_code}")
                if _open_to_vendors(app, rule.endpoint) and method == "GET":
                    expected = 200 if side is a or not rule.arguments else 404
                    if response.status_code != expected:
                        own_not_shown.append(f"GET {path}: got {response.status_code}, expected {expected}")
                    elif side is a and a.contract.number not in body and a.vendor.name not in body:  # a page, or a file
                        own_not_shown.append(f"GET {path}: does not show A's contract {a.contract.number}")
    assert walked > 150
    assert not leaks, "B's data reached A's vendor user:\n" + "\n".join(leaks)
    assert not wrongly_open, "city pages open to a vendor user:\n" + "\n".join(wrongly_open)
    assert not own_not_shown, "A's own pages:\n" + "\n".join(own_not_shown)


def test_the_routes_open_to_vendors_are_exactly_these(app):
    """Opening a page to vendors is a decision: this list changes with it, in review."""
    opened = {endpoint for endpoint, view in app.view_functions.items() if getattr(view, "open_to_vendors", False)}
    assert opened == {"vendor_portal.home", "vendor_portal.contract", "scorecards.scorecard", "scorecards.drilldown",
                      "notifications.index", "notifications.read_all", "notifications.read_one",
                      "action_plans.index", "action_plans.show", "action_plans.answer",
                      "disputes.month", "disputes.comment", "disputes.open_", "disputes.evidence",
                      # the user's own API tokens; the API itself (token only) confines a vendor's token to its vendor
                      "api_tokens.index", "api_tokens.create", "api_tokens.revoke"}


def test_a_vendor_user_lands_on_its_own_contracts_with_scores_payments_and_rank(app, sides):
    a, b, _template, _manager = sides
    client = _signed_in(app, a.user)
    home = client.get("/", follow_redirects=True)
    text = home.get_data(as_text=True)
    assert home.request.path == "/vendor-portal/"
    assert "Alder Paving Co" in text and "PW-A-101" in text and "81.0" in text
    assert "Your rank" in text and "1 of 2" in text
    assert "64.0" in text, "the other vendor's score is shown, without its name"
    assert "Birchwood" not in text and "PW-B-202" not in text

    contract = client.get(f"/vendor-portal/contracts/{a.contract.id}").get_data(as_text=True)
    for shown in ("2026-03", a.filename, "$10,000.00", "$250.00", "+$250.00"):
        assert shown in contract, shown

    drill = client.get(f"/contracts/{a.contract.id}/scorecard/2026-03/{a.clause.key}").get_data(as_text=True)
    assert a.row_keys[-1] in drill and "Your contracts" in drill
    assert f'href="/contracts/{a.contract.id}"' not in drill, "no link to the city's contract page"


def test_a_vendor_users_sign_in_is_audited_with_it_as_the_actor(app, sides, session):
    from sqlalchemy import select

    from models import AuditEvent

    a, _b, _template, _manager = sides
    _signed_in(app, a.user)
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "sign_in")).all()
    assert [(e.actor, e.user_id) for e in events] == [(a.user.email, a.user.id)]


def test_a_vendor_user_reaches_another_vendors_scorecard_by_no_address(app, sides):
    a, b, _template, _manager = sides
    client = _signed_in(app, a.user)
    for path in (f"/contracts/{b.contract.id}/scorecard", f"/contracts/{b.contract.id}/scorecard/2026-01/{b.clause.key}",
                 f"/vendor-portal/contracts/{b.contract.id}", f"/contracts/{b.contract.id}", "/rankings/",
                 "/payments/", f"/uploads/{b.upload.id}", "/vendors/"):
        assert client.get(path).status_code == 404, path


def test_city_users_still_see_every_vendor_on_the_scorecard_but_not_the_vendor_portal(app, sides):
    a, b, _template, manager = sides
    client = _signed_in(app, manager)
    assert client.get(f"/contracts/{b.contract.id}/scorecard").status_code == 200
    refused = client.get("/vendor-portal/")
    assert refused.status_code == 403 and "needs the <strong>vendor</strong> role" in refused.get_data(as_text=True).lower()


def test_create_user_with_role_vendor_needs_a_vendor(cli, session):
    refused = cli.invoke(args=["create-user", "sam@harbor-paving.example", "--role", "vendor", "--password-stdin"],
                         input="Correct-Horse-Battery-9\n")
    assert refused.exit_code in (1, 2)
    assert "--vendor" in refused.stderr and "vendor" in refused.stderr


def test_the_users_page_makes_a_vendor_user_only_with_its_vendor(app, session):
    from sqlalchemy import select
    from sqlalchemy.orm import joinedload

    from models import AuditEvent, User

    VendorFactory(name="Harbor Paving Co")
    admin = UserFactory(role=Role.ADMIN, email="ada.admin@springfield.gov")
    client = _signed_in(app, admin)
    typed = {"email": "sam@harbor-paving.example", "name": "Sam Site", "role": "vendor",
             "password": "zebra-copper-lantern", "vendor": ""}
    refused = client.post_form("/admin/users/new", typed)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 200
    vendor_field = html.split('for="vendor"')[1].split('class="mb-3"')[0]
    assert "is-invalid" in vendor_field and "choose the vendor they work for" in vendor_field
    assert 'value="sam@harbor-paving.example"' in html, "the form keeps what was typed"
    assert session.scalars(select(User).where(User.email == "sam@harbor-paving.example")).first() is None

    done = client.post_form("/admin/users/new", {**typed, "vendor": "Harbor Paving Co"})
    assert done.status_code == 302
    user = session.scalars(select(User).where(User.email == "sam@harbor-paving.example")
                           .options(joinedload(User.vendor))).one()
    assert user.role is Role.VENDOR and user.vendor.name == "Harbor Paving Co"
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "user_created")).all()[-1]
    assert "Harbor Paving Co" in event.summary and event.actor == admin.email
