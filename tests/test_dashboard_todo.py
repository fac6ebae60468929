"""Each role's dashboard is a to-do list (issue 15): the items a city built with the factories produces, the
links that lead to the fix, and the renewal summary's figures."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from html import unescape

import pytest

from contracts_app import formatting
from contracts_app.rankings.standings import category_ranking
from models import (
    ActionPlan,
    ActionPlanMilestone,
    Dispute,
    DisputeStatus,
    PlanReason,
    PlanStatus,
    Role,
    SignInThrottle,
    UploadStatus,
    db,
    today,
    utcnow,
)

from .factories import (
    TEST_PASSWORD,
    CategoryFactory,
    ContractAssignmentFactory,
    ContractFactory,
    ContractPeriodScoreFactory,
    RecommendationFactory,
    UploadFactory,
    UserFactory,
    VendorFactory,
)
from .test_payments import clause, commit, rows


def at(day: date, time_machine) -> None:
    time_machine.move_to(datetime(day.year, day.month, day.day, 9, 0, tzinfo=UTC), tick=True)


def signed_in(app, user):
    client = app.test_client()
    assert client.sign_in(user.email, TEST_PASSWORD).status_code == 302
    return client


def items(client) -> list[dict]:
    """The to-do items of the dashboard: kind, text and link."""
    html = client.get("/").get_data(as_text=True)
    found = []
    for kind, body in re.findall(r'<li class="list-group-item" data-testid="todo-item" data-kind="([^"]*)">(.*?)</li>',
                                 html, re.S):
        link = unescape(re.search(r'href="([^"]+)" data-testid="todo-link"', body).group(1))
        found.append({"kind": kind, "text": re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", body))).strip(),
                      "link": link})
    return found


def text_of(response) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))))


def scored_contract(number: str, category=None, vendor=None, **kwargs):
    contract = ContractFactory(number=number, category=category or CategoryFactory(), vendor=vendor or VendorFactory(),
                               **kwargs)
    clause(contract, "a", 100, "2", "3")
    return contract


# ------------------------------------------------------------------------------------------- contract manager

def test_a_missing_month_is_due_then_overdue_and_links_to_its_upload_form(app, time_machine):
    at(date(2026, 3, 5), time_machine)
    contract = scored_contract("PW-TD-001")
    manager = ContractAssignmentFactory(contract=contract).user
    commit(contract, "2026-01", rows("2026-01", {"a": [92, 95]}))

    client = signed_in(app, manager)
    listed = [i for i in items(client) if i["kind"] in ("due", "overdue")]
    # 2026-01 is committed; 2026-02 is due 10 days after it ends (2026-03-10); 2026-03 has not finished.
    assert [(i["kind"], i["text"].split(":")[0]) for i in listed] == [("due", "due PW-TD-001 2026-02")]
    assert "due 2026-03-10, in 5 days" in listed[0]["text"]

    page = client.get(listed[0]["link"])
    assert page.status_code == 200
    assert re.search(r'<option[^>]*selected[^>]*value="2026-02"|<option[^>]*value="2026-02"[^>]*selected',
                     page.get_data(as_text=True).split('name="period"', 1)[1].split("</select>", 1)[0])

    at(date(2026, 3, 15), time_machine)
    client = signed_in(app, manager)
    listed = [i for i in items(client) if i["kind"] in ("due", "overdue")]
    assert [(i["kind"], i["text"].split(":")[0]) for i in listed] == [("overdue", "overdue PW-TD-001 2026-02")]
    assert "due 2026-03-10, 5 days ago" in listed[0]["text"]


def test_the_manager_sees_staged_sheets_open_disputes_and_milestones_to_mark(app, time_machine):
    at(date(2026, 3, 5), time_machine)
    contract = scored_contract("PW-TD-002")
    other = scored_contract("PW-TD-003")  # not assigned: nothing of it is listed
    manager = ContractAssignmentFactory(contract=contract).user
    commit(contract, "2026-01", rows("2026-01", {"a": [92, 95]}))
    committed = db.session.scalars(db.select(db.text("id")).select_from(db.text("uploads"))).first()
    staged = UploadFactory(contract=contract, period="2026-02", status=UploadStatus.STAGED)
    UploadFactory(contract=other, period="2026-02", status=UploadStatus.STAGED)
    db.session.add(Dispute(contract_id=contract.id, period="2026-01", upload_id=committed, reason="rows miscounted"))
    plan = ActionPlan(contract_id=contract.id, reason=PlanReason.OTHER, outcome_required="PCI back above 90",
                      opened_on=today())
    plan.milestones = [ActionPlanMilestone(position=1, description="Re-inspect Maple Ave", due_on=today()),
                       ActionPlanMilestone(position=2, description="Later step", due_on=today() + timedelta(days=30))]
    db.session.add(plan)
    db.session.commit()

    client = signed_in(app, manager)
    listed = items(client)
    kinds = {i["kind"]: i for i in listed}
    assert kinds["staged"]["text"].startswith("staged PW-TD-002 2026-02: sheet staged")
    assert "A sheet is staged for it" in kinds["due"]["text"]
    assert "PW-TD-003" not in " ".join(i["text"] for i in listed)
    assert "1 open dispute" in kinds["dispute"]["text"]
    assert [i["text"] for i in listed if i["kind"] == "milestone"] == [
        next(i["text"] for i in listed if "Re-inspect Maple Ave" in i["text"])]  # the later step is not due yet

    assert kinds["staged"]["link"] == f"/uploads/{staged.id}"
    assert client.get(kinds["staged"]["link"]).status_code == 200
    month = client.get(kinds["dispute"]["link"])
    assert month.status_code == 200 and "rows miscounted" in text_of(month)
    plan_page = client.get(kinds["milestone"]["link"])
    assert plan_page.status_code == 200 and "Re-inspect Maple Ave" in text_of(plan_page)


# ------------------------------------------------------------------------------------------------- finance

def test_a_scored_month_without_invoice_is_listed_until_the_invoice_is_entered(app, time_machine):
    at(date(2026, 3, 5), time_machine)
    contract = scored_contract("PW-TD-010")
    commit(contract, "2026-01", rows("2026-01", {"a": [92, 95]}))
    finance = UserFactory(role=Role.FINANCE)
    db.session.commit()
    client = signed_in(app, finance)

    invoice = [i for i in items(client) if i["kind"] == "invoice"]
    assert [i["text"].split(" (")[0] for i in invoice] == ["invoice 2026-01: 1 scored contract without an invoice"]
    page = client.get(invoice[0]["link"])
    assert page.status_code == 200
    assert invoice[0]["link"].endswith(f"#contract-{contract.id}")
    assert f'id="amount-{contract.id}"' in page.get_data(as_text=True)  # the invoice form of that month

    response = client.post_form("/payments/invoice", {"contract_id": contract.id, "period": "2026-01",
                                                      "amount": "10000"}, token_from="/payments/?period=2026-01")
    assert response.status_code == 302
    assert [i for i in items(client) if i["kind"] == "invoice"] == []


def test_a_draft_is_listed_for_every_finance_user_but_its_drafter(app, time_machine):
    at(date(2026, 3, 5), time_machine)
    drafter, other = UserFactory(role=Role.FINANCE), UserFactory(role=Role.FINANCE)
    draft = RecommendationFactory(created_by_id=drafter.id, target_period="2026-04")
    db.session.commit()

    assert [i for i in items(signed_in(app, drafter)) if i["kind"] == "approval"] == []
    client = signed_in(app, other)
    listed = [i for i in items(client) if i["kind"] == "approval"]
    assert len(listed) == 1 and f"draft recommendation #{draft.id}" in listed[0]["text"]
    assert f"by {drafter.email}" in listed[0]["text"]
    page = client.get(listed[0]["link"])
    assert page.status_code == 200 and "Approve" in text_of(page)


def test_self_approval_allowed_lists_the_drafters_own_draft(app, time_machine):
    at(date(2026, 3, 5), time_machine)
    drafter = UserFactory(role=Role.FINANCE)
    RecommendationFactory(created_by_id=drafter.id)
    db.session.commit()
    app.config["ALLOW_SELF_APPROVAL"] = True
    try:
        assert len([i for i in items(signed_in(app, drafter)) if i["kind"] == "approval"]) == 1
    finally:
        app.config["ALLOW_SELF_APPROVAL"] = False


def test_a_vendor_newly_on_probation_is_listed_and_one_already_on_it_is_not(app, time_machine):
    at(date(2026, 4, 5), time_machine)
    category = CategoryFactory(name="Pothole repair")
    newly = ContractFactory(vendor=VendorFactory(name="Newly Paving"), category=category)
    already = ContractFactory(vendor=VendorFactory(name="Already Paving"), category=category)
    fine = ContractFactory(vendor=VendorFactory(name="Fine Paving"), category=category)
    for period, (a, b, c) in {"2026-01": (80, 40, 90), "2026-02": (40, 40, 90), "2026-03": (45, 30, 90)}.items():
        ContractPeriodScoreFactory(contract=newly, period=period, composite=a, observations=20)
        ContractPeriodScoreFactory(contract=already, period=period, composite=b, observations=20)
        ContractPeriodScoreFactory(contract=fine, period=period, composite=c, observations=20)
    finance = UserFactory(role=Role.FINANCE)
    db.session.commit()

    client = signed_in(app, finance)
    listed = [i for i in items(client) if i["kind"] == "probation"]
    assert [i["text"] for i in listed] == [
        "probation Newly Paving entered probation in Pothole repair at 2026-03 its composite was below 50 in its "
        "two most recent scored months; it was not on probation the month before See the rankings"]
    page = client.get(listed[0]["link"])
    assert page.status_code == 200 and "Newly Paving" in text_of(page) and "2026-03" in listed[0]["link"]


# --------------------------------------------------------------------------------------------- procurement

def test_a_contract_ending_in_100_days_is_listed_and_one_in_200_is_not(app, time_machine):
    at(date(2026, 6, 1), time_machine)
    soon = ContractFactory(number="PW-TD-100", start_date=date(2025, 1, 1), end_date=today() + timedelta(days=100))
    ContractFactory(number="PW-TD-200", start_date=date(2025, 1, 1), end_date=today() + timedelta(days=200))
    procurement = UserFactory(role=Role.PROCUREMENT)
    db.session.commit()

    client = signed_in(app, procurement)
    listed = items(client)
    assert [i["text"].split(" ")[1] for i in listed] == ["PW-TD-100"]
    assert "in 100 days" in listed[0]["text"]
    assert listed[0]["link"] == f"/contracts/{soon.id}/renewal"
    page = client.get(listed[0]["link"])
    assert page.status_code == 200 and "Renewal summary · PW-TD-100" in text_of(page)


def test_with_nothing_waiting_the_dashboard_says_so(app, time_machine):
    at(date(2026, 6, 1), time_machine)
    procurement = UserFactory(role=Role.PROCUREMENT)
    db.session.commit()
    page = text_of(signed_in(app, procurement).get("/"))
    assert "Nothing is waiting for you" in page
    assert "No active contract ends within 120 days." in page


# ------------------------------------------------------------------------------------------------- admin

def test_the_admin_sees_accounts_to_fix_and_recent_failed_sign_ins(app, time_machine):
    at(date(2026, 6, 1), time_machine)
    admin = UserFactory(role=Role.ADMIN)
    temporary = UserFactory(role=Role.PROCUREMENT, email="temp@city.test", must_change_password=True)
    UserFactory(role=Role.FINANCE, email="nomfa@city.test", totp_secret=None)
    UserFactory(role=Role.PROCUREMENT, email="gone@city.test", is_enabled=False)
    UserFactory(role=Role.PROCUREMENT, email="fine@city.test")
    db.session.add(SignInThrottle(kind="account", key="temp@city.test", failures=6, last_failure_at=utcnow(),
                                  locked_until=utcnow() + timedelta(minutes=15)))
    db.session.add(SignInThrottle(kind="address", key="203.0.113.9", failures=2,
                                  last_failure_at=utcnow() - timedelta(hours=30)))
    db.session.commit()

    client = signed_in(app, admin)
    listed = items(client)
    texts = " | ".join(i["text"] for i in listed)
    assert "temp@city.test (procurement officer) must change a temporary password" in texts
    assert "nomfa@city.test (finance) not enrolled in two-step sign-in" in texts
    assert "gone@city.test (procurement officer) deactivated" in texts
    assert "fine@city.test" not in texts
    locked = [i for i in listed if i["kind"] == "locked"]
    assert len(locked) == 1 and "account temp@city.test: 6 failed sign-ins" in locked[0]["text"]
    assert "203.0.113.9" not in texts  # 30 hours ago
    assert locked[0]["link"] == f"/admin/users/{temporary.id}"
    page = client.get(locked[0]["link"])
    assert page.status_code == 200 and "temp@city.test" in text_of(page)


# ------------------------------------------------------------------------------------------ renewal summary

@pytest.fixture
def renewal_city(app, time_machine):
    at(date(2026, 5, 15), time_machine)
    category = CategoryFactory(name="Street resurfacing")
    ours = ContractFactory(number="PW-TD-300", category=category, vendor=VendorFactory(name="Ours Paving"),
                           start_date=date(2026, 1, 1), end_date=date(2026, 8, 31))
    rival = ContractFactory(category=category, vendor=VendorFactory(name="Rival Paving"))
    money = {"2026-01": ("10000.00", "200.00", "0.00"), "2026-02": ("12000.00", "0.00", "360.00"),
             "2026-03": ("8000.00", "160.00", "0.00")}
    for period, composite in {"2026-01": 82.0, "2026-02": 61.0, "2026-03": 77.0}.items():
        invoice, bonus, penalty = (Decimal(x) for x in money[period])
        ContractPeriodScoreFactory(contract=ours, period=period, composite=composite, coverage=1.0, observations=20,
                                   invoice_amount=invoice, bonus=bonus, penalty=penalty, net=bonus - penalty)
        UploadFactory(contract=ours, period=period, status=UploadStatus.COMMITTED, committed_at=utcnow(),
                      review_closes_at=utcnow() - timedelta(days=1))
        ContractPeriodScoreFactory(contract=rival, period=period, composite=composite + 10, observations=30)
    upload_03 = UploadFactory(contract=ours, period="2026-03", status=UploadStatus.SUPERSEDED)
    db.session.add_all([
        Dispute(contract_id=ours.id, period="2026-03", upload_id=upload_03.id, reason="crew logged twice"),
        Dispute(contract_id=ours.id, period="2026-02", upload_id=upload_03.id, reason="weather",
                status=DisputeStatus.REJECTED, resolution="no evidence"),
        ActionPlan(contract_id=ours.id, reason=PlanReason.FAILED_CLAUSE, outcome_required="Smoothness back",
                   opened_on=date(2026, 3, 1), status=PlanStatus.COMPLETED, closing_note="met in April"),
    ])
    db.session.commit()
    return ours


def test_the_renewal_summary_adds_up_the_term(app, renewal_city):
    procurement = UserFactory(role=Role.PROCUREMENT)
    db.session.commit()
    client = signed_in(app, procurement)
    assert f'href="/contracts/{renewal_city.id}/renewal"' in client.get(f"/contracts/{renewal_city.id}").get_data(
        as_text=True)  # the contract page leads to it too
    page = client.get(f"/contracts/{renewal_city.id}/renewal")
    assert page.status_code == 200
    text = text_of(page)
    html = page.get_data(as_text=True)

    def cell(testid: str) -> str:
        return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", "", re.search(
            rf'data-testid="{testid}">(.*?)</', html, re.S).group(1)))).strip()

    # 2026-04 ended and has no sheet: shown as unknown, not zero.
    assert "1 month has no committed sheet (2026-04)" in text
    # Invoiced 10,000 + 12,000 + 8,000; 2026-03 is disputed: its +160.00 is on hold, not in the payable bonus.
    assert cell("invoiced") == "$30,000.00"
    assert cell("bonus") == "$200.00"
    assert cell("penalty") == "$360.00"
    assert cell("held") == "+$160.00"
    # Term average weighted by observations (20 each): (82 + 61 + 77) / 3 = 73.3.
    assert cell("term-average") == "73.3"
    assert (cell("disputes-opened"), cell("disputes-upheld"), cell("disputes-rejected"), cell("disputes-open")) == (
        "2", "0", "1", "1")
    assert "crew logged twice" in text and "completed" in text and "met in April" in text
    # The standing at the category's latest month, from the rankings services.
    ours = next(r for r in category_ranking(renewal_city.category, "2026-03").rankings
                if r.vendor.name == "Ours Paving")
    assert cell("vendor-score") == formatting.score(ours.score)
    assert cell("rank") .startswith(f"{ours.rank} of 2")
    low, high = ours.interval
    assert cell("interval").startswith(f"{formatting.score(low)} to {formatting.score(high)}")
    assert "ends on 2026-08-31, in 108 days" in text


def test_the_renewal_summary_is_for_procurement_finance_and_admin_only(app, renewal_city):
    for role, status in ((Role.FINANCE, 200), (Role.ADMIN, 200), (Role.CONTRACT_MANAGER, 403)):
        user = UserFactory(role=role)
        db.session.commit()
        assert signed_in(app, user).get(f"/contracts/{renewal_city.id}/renewal").status_code == status
    admin = UserFactory(role=Role.ADMIN)
    db.session.commit()
    assert signed_in(app, admin).get("/contracts/999999/renewal").status_code == 404
