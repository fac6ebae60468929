"""Who may open what: one table over every route the app has, built from the URL map.

The table is not written by hand: every rule in `app.url_map` is checked, with the roles its view
declares through `role_required` (a view without `required_roles` is open to every signed-in role).
A new route is therefore covered the moment it is registered; if it takes a URL argument this file
does not know how to fill, the test fails and says which one to add to `URL_ARGUMENTS`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import openpyxl
import pytest

from contracts_app.api.tokens import create_token
from models import (
    ActionPlan,
    ActionPlanMilestone,
    Dispute,
    DisputeEvidence,
    Job,
    JobStatus,
    MeetingActionItem,
    Notification,
    PlanReason,
    Role,
    ServiceCategory,
    db,
)
from tests.factories import (
    TEST_PASSWORD,
    ClauseTemplateFactory,
    ContractAssignmentFactory,
    ContractFactory,
    OutcomeClauseFactory,
    RecommendationFactory,
    UploadFactory,
    UserFactory,
)

SKIPPED_ENDPOINTS = {"static", "bootstrap.static"}
PUBLIC_ENDPOINTS = {"auth.sign_in", "health.healthz", "health.readyz"}
# Public too, but not found while single sign-on is off (as here); with it on: tests/test_sso.py.
SSO_ENDPOINTS = {"auth_sso.start", "auth_sso.callback"}
SIGN_IN_PATH = "/auth/sign-in"
# The JSON API takes personal tokens only (tests/test_api.py): without one, signed in or not, every address
# answers 401 in JSON; its OpenAPI description is public.
API_PUBLIC_ENDPOINTS = {"api.openapi"}
# Confirm steps that only apply in one state of the contract (activate a draft, close an active one, reopen a closed
# one): in another state the allowed roles are sent back to the contract with a message (tests/test_confirm_and_reopen.py).
STATE_DEPENDENT_ENDPOINTS = {"contracts.activate", "contracts.close", "contracts.reopen"}
# Where one argument name takes other values on another route (a packet is .pdf/.docx, a public download .csv/.json).
ENDPOINT_ARGUMENTS = {"public.download": {"fmt": "csv", "kind": "results"}, "public.dictionary_file": {"fmt": "csv"}}

# How to fill each URL argument from the objects `world` creates. A route with an argument missing
# here makes the test fail: add a line, don't skip the route.
URL_ARGUMENTS = {
    "contract_id": lambda w: w.contract.id,
    "vendor_id": lambda w: w.contract.vendor_id,
    "category_id": lambda w: w.contract.category_id,
    "clause_id": lambda w: w.clause.id,
    "template_id": lambda w: w.template.id,
    "upload_id": lambda w: w.upload.id,
    "recommendation_id": lambda w: w.recommendation.id,
    "user_id": lambda w: w.users[Role.CONTRACT_MANAGER].id,
    "period": lambda w: w.upload.period,
    "key": lambda w: w.clause.key,  # /contracts/<contract_id>/clauses/<key>/...
    "job_id": lambda w: w.job.id,
    "plan_id": lambda w: w.plan.id,
    "milestone_id": lambda w: w.milestone.id,
    "notification_id": lambda w: w.notification.id,
    "dispute_id": lambda w: w.dispute.id,
    "evidence_id": lambda w: w.evidence.id,
    "category_slug": lambda w: w.contract.category.slug,
    "item_id": lambda w: w.action_item.id,
    "packet_id": lambda w: w.packet.id,
    "fmt": lambda w: "pdf",
    "token_id": lambda w: create_token(w.users[Role.CONTRACT_MANAGER], "access walk", "read", "5").token.id,
    "slug": lambda w: db.session.get(ServiceCategory, w.contract.category_id).slug,  # /benchmark/<slug>, /public/<slug>
    "kind": lambda w: "results",  # /public/<slug>/results.csv
}

# Pages of one person's object: its creator (the world's contract manager) and admins get 200, every
# other signed-in role 404 (the object is not theirs to know of).
CREATOR_ONLY_ENDPOINTS = {"jobs.show", "jobs.state"}


# Routes that need a query string to answer 200 to the right role.
QUERY_STRINGS = {
    "uploads.template": "?period=2026-01",
    "payments.export": "?period=2026-01",  # without it: the latest month with committed data, if any
    # The world's only category has no scored month yet, so the exports need the month named.
    "rankings.export_xlsx": "?period=2026-01&window=6",
    "rankings.export_csv": "?period=2026-01&window=6",
}


@dataclass
class World:
    users: dict
    contract: object
    clause: object
    template: object
    upload: object
    recommendation: object
    job: object
    plan: object
    milestone: object
    notification: object
    dispute: object
    evidence: object
    action_item: object
    packet: object


@pytest.fixture
def world(app, session) -> World:
    contract = ContractFactory()
    users = {role: UserFactory(role=role, email=f"{role.value}@city.test",
                               vendor=contract.vendor if role == Role.VENDOR else None) for role in Role}
    ContractAssignmentFactory(user=users[Role.CONTRACT_MANAGER], contract=contract)
    clause = OutcomeClauseFactory(contract=contract)
    template = ClauseTemplateFactory(category=contract.category)
    folder = Path(app.config["UPLOAD_FOLDER"])
    folder.mkdir(parents=True, exist_ok=True)
    workbook = openpyxl.Workbook()
    workbook.active.append(["work_order_id"])
    workbook.save(folder / "access-test.xlsx")
    upload = UploadFactory(contract=contract, stored_name="access-test.xlsx", report={"kind": "xlsx", "header_row": 1})
    recommendation = RecommendationFactory(category=contract.category)
    job = Job(kind="commit_upload", idempotency_key="access-test", payload={"upload_id": upload.id},
              created_by=users[Role.CONTRACT_MANAGER])
    session.add(job)
    plan = ActionPlan(contract_id=contract.id, reason=PlanReason.FAILED_CLAUSE, clause_keys=[clause.key],
                      outcome_required="Back to target", opened_on=date(2026, 2, 1),
                      opened_by_id=users[Role.CONTRACT_MANAGER].id)
    session.add(plan)
    session.flush()
    milestone = ActionPlanMilestone(plan_id=plan.id, position=1, description="Fix it", due_on=date(2026, 3, 1))
    notification = Notification(user_id=users[Role.VENDOR].id, kind="test", subject="Told", body="Body",
                                link_path=f"/action-plans/{plan.id}")
    session.add_all([milestone, notification])
    (folder / "access-evidence.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    dispute = Dispute(contract_id=contract.id, period=upload.period, upload_id=upload.id, reason="access test",
                      clause_keys=[clause.key], row_keys=[])
    session.add(dispute)
    session.flush()
    evidence = DisputeEvidence(dispute_id=dispute.id, filename="evidence.pdf", stored_name="access-evidence.pdf",
                               sha256="e" * 64, size=14, kind="pdf")
    session.add(evidence)
    action_item = MeetingActionItem(category_id=contract.category_id, period=upload.period, text="Call the vendor",
                                    owner_name="Vendor representative", due_on=date(2026, 3, 1))
    (folder / "meeting-packets").mkdir(exist_ok=True)
    (folder / "meeting-packets" / "access-packet.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    packet = Job(kind="meeting_packet", idempotency_key="access-packet", status=JobStatus.SUCCEEDED,
                 payload={"category_id": contract.category_id, "period": upload.period},
                 result={"category_slug": contract.category.slug, "period": upload.period, "pdf": "access-packet.pdf"},
                 created_by=users[Role.FINANCE])
    session.add_all([action_item, packet])
    session.flush()  # the password set after the factory's own flush must reach the database too
    return World(users, contract, clause, template, upload, recommendation, job, plan, milestone, notification,
                 dispute, evidence, action_item, packet)


def _routes(app):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint in SKIPPED_ENDPOINTS:
            continue
        view = app.view_functions[rule.endpoint]
        allowed = tuple(getattr(view, "required_roles", tuple(Role)))
        yield rule, allowed


def _build_path(rule, world) -> tuple[str | None, str | None]:
    """(path, None), or (None, why it can't be built)."""
    unknown = sorted(arg for arg in rule.arguments if arg not in URL_ARGUMENTS)
    if unknown:
        return None, (
            f"{rule.endpoint} ({rule.rule}) takes URL argument(s) {unknown} that test_access.py cannot fill; "
            "add them to URL_ARGUMENTS so the route's access rules are tested"
        )
    values = {arg: URL_ARGUMENTS[arg](world) for arg in rule.arguments}
    values.update(ENDPOINT_ARGUMENTS.get(rule.endpoint, {}))
    _domain, path = rule.build(values, append_unknown=False)
    return path + QUERY_STRINGS.get(rule.endpoint, ""), None


def _text(response) -> str:
    html = response.get_data(as_text=True)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def _signed_in_clients(app, world) -> dict:
    clients = {}
    for role, user in world.users.items():
        client = app.test_client()
        response = client.sign_in(user.email, TEST_PASSWORD)
        assert response.status_code == 302, f"{role.value} could not sign in"
        clients[role] = client
    return clients


def _is_sign_in_redirect(response, expected_next: str | None = None) -> bool:
    if response.status_code != 302:
        return False
    location = urlsplit(response.headers["Location"])
    if location.path != SIGN_IN_PATH:
        return False
    if expected_next is None:
        return True
    return parse_qs(location.query).get("next") == [expected_next]


def test_every_route_lets_in_exactly_the_roles_it_names(app, client, world):
    clients = _signed_in_clients(app, world)
    problems: list[str] = []
    checked: set[str] = set()

    for rule, allowed in _routes(app):
        if "GET" not in rule.methods:
            continue  # POST-only routes: see test_post_routes_*
        path, why_not = _build_path(rule, world)
        if path is None:
            problems.append(why_not)
            continue
        checked.add(rule.endpoint)

        if rule.endpoint.startswith("api."):
            expected_status = 200 if rule.endpoint in API_PUBLIC_ENDPOINTS else 401
            for who, who_client in [("anonymous", client), *((r.value, c) for r, c in clients.items())]:
                response = who_client.get(path)
                if response.status_code != expected_status or not response.is_json:
                    problems.append(f"{who} GET {path} (token-only API): got {response.status_code} "
                                    f"{response.content_type}, expected {expected_status} JSON")
            continue

        if rule.endpoint.startswith("public."):
            # The public scorecards (tests/test_public_scorecards.py) are the same for everyone, signed in or not, and
            # never behind the sign-in wall; a category not published is not found.
            for who, who_client in [("anonymous", client), *((r.value, c) for r, c in clients.items())]:
                response = who_client.get(path)
                if response.status_code not in (200, 404):
                    problems.append(f"{who} GET {path} (public scorecard): got {response.status_code}, expected 200 or 404")
            continue

        anonymous = client.get(path)
        if rule.endpoint in SSO_ENDPOINTS:
            if anonymous.status_code != 404:
                problems.append(f"anonymous GET {path}: single sign-on is off, got {anonymous.status_code}, expected 404")
            continue
        if rule.endpoint in PUBLIC_ENDPOINTS:
            if anonymous.status_code != 200:
                problems.append(f"anonymous GET {path}: public page answered {anonymous.status_code}, expected 200")
        elif not _is_sign_in_redirect(anonymous, expected_next=path):
            problems.append(
                f"anonymous GET {path}: got {anonymous.status_code} {anonymous.headers.get('Location')}, "
                f"expected 302 to {SIGN_IN_PATH}?next={path}"
            )

        if rule.endpoint == "auth.sign_in":
            continue  # signed-in users are sent on to the dashboard; see test_auth.py

        needed = " or ".join(role.label for role in allowed)
        for role, role_client in clients.items():
            if role == Role.VENDOR:
                continue  # vendors: tests/test_vendor_isolation.py walks every route as a vendor user
            response = role_client.get(path)
            if rule.endpoint in CREATOR_ONLY_ENDPOINTS:
                expected = 200 if role in (Role.ADMIN, Role.CONTRACT_MANAGER) else 404
                if response.status_code != expected:
                    problems.append(f"{role.value} GET {path}: got {response.status_code}, expected {expected}")
                continue
            if role in allowed:
                ok = (200, 302) if rule.endpoint in STATE_DEPENDENT_ENDPOINTS else (200,)
                if response.status_code not in ok:
                    problems.append(f"{role.value} GET {path}: got {response.status_code}, expected 200")
            elif response.status_code != 403:
                problems.append(f"{role.value} GET {path}: got {response.status_code}, expected 403")
            elif f"This page needs the {needed} role" not in _text(response):
                problems.append(f"{role.value} GET {path}: the 403 page does not name the {needed} role")

    # The table really was built from the app: the routes that exist today are all in it.
    expected = {
        "auth.sign_in", "health.healthz", "dashboard.index", "vendors.index", "vendors.detail",
        "contracts.index", "contracts.detail", "admin.users", "admin.new_user", "admin.audit",
    }
    assert expected <= checked, f"routes missing from the access table: {sorted(expected - checked)}"
    assert not problems, "access problems:\n" + "\n".join(problems)


def test_admin_pages_are_admin_only_and_other_pages_open_to_all_roles(app):
    """The declared roles themselves, so loosening a guard by accident is noticed."""
    roles = {rule.endpoint: set(allowed) for rule, allowed in _routes(app)}
    for endpoint in ("admin.users", "admin.new_user", "admin.audit"):
        assert roles[endpoint] == {Role.ADMIN}, endpoint
    for endpoint in ("dashboard.index", "vendors.index", "vendors.detail", "contracts.index", "contracts.detail"):
        assert roles[endpoint] == set(Role), endpoint


def test_post_routes_need_sign_in_a_csrf_token_and_the_right_role(app, client, world):
    """Every route that accepts POST: refused without CSRF token, sign-in, or the role it names."""
    clients = _signed_in_clients(app, world)
    tokens = {role: c.csrf_token("/auth/account") for role, c in clients.items()}
    anonymous_token = client.csrf_token(SIGN_IN_PATH)
    problems: list[str] = []
    post_rules = [(rule, allowed) for rule, allowed in _routes(app) if "POST" in rule.methods]
    assert any(rule.endpoint == "auth.sign_out" for rule, _ in post_rules)

    for rule, allowed in post_rules:
        path, why_not = _build_path(rule, world)
        if path is None:
            problems.append(why_not)
            continue
        if rule.endpoint in PUBLIC_ENDPOINTS:
            continue  # sign-in itself: see test_auth.py

        without_token = clients[allowed[0]].post(path, data={})
        if without_token.status_code != 400:
            problems.append(f"{allowed[0].value} POST {path} without CSRF token: got {without_token.status_code}")

        anonymous = client.post(path, data={"csrf_token": anonymous_token})
        if not _is_sign_in_redirect(anonymous):
            problems.append(f"anonymous POST {path}: got {anonymous.status_code}, expected 302 to sign-in")

        for role, role_client in clients.items():
            if role in allowed:
                continue
            response = role_client.post(path, data={"csrf_token": tokens[role]})
            # A vendor user is answered 404 wherever the view is not open to vendors (security.open_to_vendors).
            closed = role == Role.VENDOR and not getattr(app.view_functions[rule.endpoint], "open_to_vendors", False)
            expected = 404 if closed else 403
            if response.status_code != expected:
                problems.append(f"{role.value} POST {path}: got {response.status_code}, expected {expected}")

        if "GET" not in rule.methods:
            # POST-only (e.g. sign-out): the right role gets a real answer, not an error, and a
            # GET does not perform the action.
            # A client and a user of its own, as the action (sign-out) ends every session of that user.
            role = allowed[0]
            own = app.test_client()
            own_user = UserFactory(role=role) if rule.endpoint == "auth.sign_out" else world.users[role]
            own.sign_in(own_user.email, TEST_PASSWORD)
            if own.get(path).status_code != 405:
                problems.append(f"GET {path} on a POST-only route did not answer 405")
            response = own.post(path, data={"csrf_token": own.csrf_token("/auth/account")})
            refused = (
                response.status_code == 403
                or response.status_code >= 500
                or _is_sign_in_redirect(response, expected_next=path)
            )
            if refused or (response.status_code == 400 and "security token" in _text(response)):
                problems.append(f"{role.value} POST {path} with a valid token: got {response.status_code}")

    assert not problems, "POST access problems:\n" + "\n".join(problems)


def test_sign_out_is_post_only_and_ends_the_session(app, world):
    client = app.test_client()
    client.sign_in(world.users[Role.FINANCE].email, TEST_PASSWORD)

    assert client.get("/auth/sign-out").status_code == 405
    assert client.get("/").status_code == 200, "a GET to the sign-out address must not sign the user out"

    response = client.post("/auth/sign-out", data={"csrf_token": client.csrf_token("/")})
    assert _is_sign_in_redirect(response)
    assert "You are signed out." in _text(client.get(SIGN_IN_PATH))
    assert _is_sign_in_redirect(client.get("/contracts/"), expected_next="/contracts/")


def test_every_unknown_url_argument_is_reported_not_skipped(app, world):
    """The guard itself: a route with an argument the table can't fill is a failure, not a pass."""
    from werkzeug.routing import Map, Rule

    rule = Rule("/widgets/<int:widget_id>", endpoint="widgets.detail")
    Map([rule])
    path, why_not = _build_path(rule, world)
    assert path is None
    assert "widget_id" in why_not and "URL_ARGUMENTS" in why_not
