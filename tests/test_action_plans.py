"""Corrective action plans (SPEC §9): opened by the assigned contract manager, answered by the vendor's users,
milestones marked met or missed, closed as completed or failed; with clear refusals."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from models import (
    ActionPlan,
    ActionPlanMilestone,
    AuditEvent,
    ClauseStatus,
    MilestoneStatus,
    Notification,
    PlanStatus,
    Role,
    db,
    today,
)

from .factories import (
    TEST_PASSWORD,
    ClauseResultFactory,
    ContractAssignmentFactory,
    ContractFactory,
    ContractPeriodScoreFactory,
    OutcomeClauseFactory,
    UserFactory,
    VendorFactory,
)


@pytest.fixture
def world(app):
    vendor = VendorFactory(name="Harbor Paving Co")
    contract = ContractFactory(number="PW-2026-014", vendor=vendor)
    clause = OutcomeClauseFactory(contract=contract, key="pci_after", label="Pavement condition after resurfacing")
    ContractPeriodScoreFactory(contract=contract, period="2026-03", composite=40.0)
    ClauseResultFactory(clause=clause, period="2026-03", value=70.0, attainment=0.0, status=ClauseStatus.FAILED)
    manager = UserFactory(role=Role.CONTRACT_MANAGER, email="manager@city.test", name="Maria Manager")
    ContractAssignmentFactory(user=manager, contract=contract)
    vendor_user = UserFactory(role=Role.VENDOR, vendor=vendor, email="ops@harbor.test")
    other_vendor_user = UserFactory(role=Role.VENDOR, vendor=VendorFactory(name="Other Co"), email="ops@other.test")
    return {"vendor": vendor, "contract": contract, "clause": clause, "manager": manager,
            "vendor_user": vendor_user, "other_vendor_user": other_vendor_user}


def day(offset: int) -> str:
    return (today() + timedelta(days=offset)).isoformat()


def plan_form(**overrides) -> dict:
    data = {"reason": "failed_clause", "source_period": "2026-03", "clauses": ["pci_after"],
            "outcome_required": "Mean PCI after resurfacing of 90 or more, two months running.",
            "milestones-0-description": "Re-train crews on compaction", "milestones-0-due_on": day(14),
            "milestones-1-description": "Resurface the failed segments again", "milestones-1-due_on": day(45)}
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def open_plan_through_form(client, contract, **overrides):
    path = f"/contracts/{contract.id}/action-plans/new?clause=pci_after&period=2026-03"
    return client.post_form(f"/contracts/{contract.id}/action-plans/new", plan_form(**overrides), token_from=path)


def the_plan() -> ActionPlan:
    return db.session.scalars(select(ActionPlan)).one()


def milestones() -> list[ActionPlanMilestone]:
    return list(db.session.scalars(select(ActionPlanMilestone).order_by(ActionPlanMilestone.position)))


def test_the_scorecard_links_a_failed_clause_to_a_new_plan_for_the_assigned_manager_only(client, world):
    contract = world["contract"]
    client.sign_in("manager@city.test", TEST_PASSWORD)
    page = client.get(f"/contracts/{contract.id}/scorecard").get_data(as_text=True)
    link = f"/contracts/{contract.id}/action-plans/new?clause=pci_after&amp;period=2026-03"
    assert link in page and "Open action plan" in page
    form = client.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert re.search(r'<input checked[^>]*value="pci_after"', form), "the failed clause is ticked"
    assert "Opened from a failed clause in 2026-03" in form

    finance = UserFactory(role=Role.FINANCE)
    other = client.application.test_client()
    other.sign_in(finance.email, TEST_PASSWORD)
    assert "Open action plan" not in other.get(f"/contracts/{contract.id}/scorecard").get_data(as_text=True)


def test_a_manager_opens_a_plan_and_the_vendor_users_are_told(client, world):
    client.sign_in("manager@city.test", TEST_PASSWORD)
    response = open_plan_through_form(client, world["contract"])
    assert response.status_code == 302
    plan = the_plan()
    assert response.location == f"/action-plans/{plan.id}"
    assert plan.status == PlanStatus.OPEN and plan.clause_keys == ["pci_after"] and plan.source_period == "2026-03"
    assert [(m.position, m.description, m.due_on.isoformat(), m.status) for m in milestones()] == [
        (1, "Re-train crews on compaction", day(14), MilestoneStatus.PENDING),
        (2, "Resurface the failed segments again", day(45), MilestoneStatus.PENDING)]
    page = client.get(response.location).get_data(as_text=True)
    assert "Mean PCI after resurfacing of 90 or more" in page and "Pavement condition after resurfacing" in page
    told = db.session.scalars(select(Notification).where(Notification.kind == "action_plan_opened")).all()
    assert [n.user_id for n in told] == [world["vendor_user"].id]
    assert told[0].link_path == f"/action-plans/{plan.id}"
    opened = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "action_plan_opened")).one()
    assert opened.actor == "manager@city.test" and len(opened.after["milestones"]) == 2

    # Shown on the contract page and on the vendor's page.
    for path in (f"/contracts/{world['contract'].id}", f"/vendors/{world['vendor'].id}"):
        assert f'href="/action-plans/{plan.id}"' in client.get(path).get_data(as_text=True), path


@pytest.mark.parametrize(("overrides", "message"), [
    ({"clauses": None}, "Choose at least one clause the plan is about."),
    ({"outcome_required": "  "}, "Say what outcome the vendor must reach"),
    ({"milestones-0-description": "", "milestones-0-due_on": "", "milestones-1-description": "",
      "milestones-1-due_on": ""}, "Give at least one milestone: what the vendor is to do, and its due date."),
    ({"milestones-1-due_on": ""}, "Milestone 2: give its due date."),
    ({"milestones-0-description": ""}, "Milestone 1: say what is to be done by"),
    ({"milestones-1-due_on": "31/12/2026"}, "Milestone 2: &#39;31/12/2026&#39; is not a date; write it as YYYY-MM-DD"),
    ({"milestones-0-due_on": "TODAY"}, "must be after the day the plan is opened"),
])
def test_opening_refuses_unclear_plans_with_a_message_and_keeps_what_was_typed(client, world, overrides, message):
    if overrides.get("milestones-0-due_on") == "TODAY":
        overrides = {"milestones-0-due_on": day(0)}
    client.sign_in("manager@city.test", TEST_PASSWORD)
    response = open_plan_through_form(client, world["contract"], **overrides)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in page, page[page.find("invalid-feedback") - 300:][:900]
    assert "Nothing was stored" in page or "alert-danger" in page
    typed = plan_form(**overrides)  # the form keeps what was typed
    kept = typed.get("milestones-1-description") or typed["outcome_required"]
    assert kept in page
    assert db.session.scalar(select(func.count(ActionPlan.id))) == 0
    assert db.session.scalar(select(func.count(Notification.id))) == 0


def test_a_manager_not_assigned_to_the_contract_gets_a_403(client, world):
    stranger = UserFactory(role=Role.CONTRACT_MANAGER, email="stranger@city.test")
    client.sign_in(stranger.email, TEST_PASSWORD)
    response = open_plan_through_form(client, world["contract"])
    assert response.status_code == 403
    assert "You are not assigned to contract PW-2026-014" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(ActionPlan.id))) == 0


def opened_plan(app, world) -> ActionPlan:
    manager = app.test_client()
    manager.sign_in("manager@city.test", TEST_PASSWORD)
    assert open_plan_through_form(manager, world["contract"]).status_code == 302
    return the_plan()


def test_the_vendor_user_answers_a_milestone_and_the_managers_are_told(app, client, world):
    plan = opened_plan(app, world)
    first = milestones()[0]
    client.sign_in("ops@harbor.test", TEST_PASSWORD)
    listing = client.get("/action-plans/").get_data(as_text=True)
    assert f"/action-plans/{plan.id}" in listing
    path = f"/action-plans/{plan.id}"
    empty = client.post_form(f"{path}/milestones/{first.id}/answer", {"answer": "  "}, token_from=path)
    assert empty.status_code == 200 and "Milestone 1: write your answer" in empty.get_data(as_text=True)
    response = client.post_form(f"{path}/milestones/{first.id}/answer",
                                {"answer": "Crews re-trained on 3 June; roller logs attached to the May sheet."},
                                token_from=path)
    assert response.status_code == 302
    db.session.expire_all()
    answered = milestones()[0]
    assert answered.vendor_answer.startswith("Crews re-trained") and answered.answered_by_id == world["vendor_user"].id
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "action_plan_answered")).one()
    assert event.actor == "ops@harbor.test" and event.after["vendor_answer"].startswith("Crews re-trained")
    told = db.session.scalars(select(Notification).where(Notification.kind == "action_plan_answered")).all()
    assert [n.user_id for n in told] == [world["manager"].id]
    assert "Crews re-trained" in client.get(path).get_data(as_text=True)


def test_a_vendor_user_cannot_see_or_answer_another_vendors_plan(app, client, world):
    plan = opened_plan(app, world)
    first = milestones()[0]
    client.sign_in("ops@other.test", TEST_PASSWORD)
    path = f"/action-plans/{plan.id}"
    assert client.get(path).status_code == 404
    token = client.csrf_token("/notifications/")
    response = client.post(f"{path}/milestones/{first.id}/answer", data={"answer": "not ours", "csrf_token": token})
    assert response.status_code == 404
    assert f"/action-plans/{plan.id}" not in client.get("/action-plans/").get_data(as_text=True)
    db.session.expire_all()
    assert milestones()[0].vendor_answer is None
    # Nor can a vendor reach the city's pages or mark a milestone.
    assert client.get(f"/contracts/{world['contract'].id}").status_code == 404
    assert client.post(f"{path}/milestones/{first.id}/mark", data={"outcome": "met", "csrf_token": token}
                       ).status_code == 404


def test_marking_milestones_and_closing_as_completed(app, client, world):
    plan = opened_plan(app, world)
    first, second = milestones()
    client.sign_in("manager@city.test", TEST_PASSWORD)
    path = f"/action-plans/{plan.id}"
    nothing = client.post_form(f"{path}/milestones/{first.id}/mark", {"outcome": ""}, token_from=path)
    assert "Milestone 1: choose met or missed." in nothing.get_data(as_text=True)
    assert client.post_form(f"{path}/milestones/{first.id}/mark", {"outcome": "met", "note": "Logs checked."},
                            token_from=path).status_code == 302
    early = client.post_form(f"{path}/close", {"outcome": "completed", "note": "Done."}, token_from=path)
    assert "A plan completes when every milestone is met; not met: milestone 2 (pending)" in early.get_data(as_text=True)
    assert client.post_form(f"{path}/milestones/{second.id}/mark", {"outcome": "met"},
                            token_from=path).status_code == 302
    again = client.post_form(f"{path}/milestones/{second.id}/mark", {"outcome": "missed"}, token_from=path)
    assert "Milestone 2 is already marked met" in again.get_data(as_text=True)
    no_note = client.post_form(f"{path}/close", {"outcome": "completed", "note": ""}, token_from=path)
    assert "Write a closing note" in no_note.get_data(as_text=True)
    done = client.post_form(f"{path}/close", {"outcome": "completed", "note": "PCI 92 in May and June."},
                            token_from=path)
    assert done.status_code == 302
    db.session.expire_all()
    plan = the_plan()
    assert plan.status == PlanStatus.COMPLETED and plan.closing_note == "PCI 92 in May and June."
    assert [m.status for m in milestones()] == [MilestoneStatus.MET, MilestoneStatus.MET]
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("action_plan_%"))).all()
    assert actions.count("action_plan_milestone_marked") == 2 and "action_plan_closed" in actions
    page = client.get(path).get_data(as_text=True)
    assert "completed" in page and "PCI 92 in May and June." in page and 'data-testid="close-form"' not in page
    kinds = db.session.scalars(select(Notification.kind).where(Notification.user_id == world["vendor_user"].id)).all()
    assert kinds.count("action_plan_marked") == 2 and "action_plan_closed" in kinds


def test_a_missed_milestone_and_a_plan_closed_as_failed_stop_further_answers(app, client, world):
    plan = opened_plan(app, world)
    first, second = milestones()
    client.sign_in("manager@city.test", TEST_PASSWORD)
    path = f"/action-plans/{plan.id}"
    assert client.post_form(f"{path}/milestones/{first.id}/mark", {"outcome": "missed", "note": "No logs."},
                            token_from=path).status_code == 302
    assert client.post_form(f"{path}/close", {"outcome": "failed", "note": "Milestone 1 missed; see the penalty."},
                            token_from=path).status_code == 302
    db.session.expire_all()
    assert the_plan().status == PlanStatus.FAILED and milestones()[0].status == MilestoneStatus.MISSED

    vendor = app.test_client()
    vendor.sign_in("ops@harbor.test", TEST_PASSWORD)
    late = vendor.post_form(f"{path}/milestones/{second.id}/answer", {"answer": "We will do it."}, token_from=path)
    assert "This plan was closed as failed" in late.get_data(as_text=True)
    db.session.expire_all()
    assert milestones()[1].vendor_answer is None


def test_a_vendor_on_probation_gets_an_open_plan_link_on_its_page(client, world):
    contract = world["contract"]
    ContractPeriodScoreFactory(contract=contract, period="2026-04", composite=35.0)  # 2026-03 and 2026-04 below 50
    client.sign_in("manager@city.test", TEST_PASSWORD)
    page = client.get(f"/vendors/{world['vendor'].id}").get_data(as_text=True)
    assert ">probation<" in page
    link = f"/contracts/{contract.id}/action-plans/new?reason=probation&amp;period=2026-04"
    assert link in page and "Open action plan on PW-2026-014" in page
    form = client.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert "Opened because the vendor is on probation (as of 2026-04)." in form
    response = open_plan_through_form(client, contract, reason="probation", source_period="2026-04")
    assert response.status_code == 302
    assert "because of probation (2026-04)" in client.get(response.location).get_data(as_text=True)
