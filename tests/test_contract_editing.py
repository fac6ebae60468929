"""Procurement drafts contracts and clauses, activates, amends and closes them (issue: contracts and clauses)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from models import AuditEvent, Contract, ContractStatus, OutcomeClause, Role, db

from .factories import (
    TEST_PASSWORD,
    CategoryFactory,
    ClauseTemplateFactory,
    ContractFactory,
    OutcomeClauseFactory,
    UserFactory,
    VendorFactory,
)

VALID_CLAUSE = {
    "key": "pci_after", "label": "Pavement condition after resurfacing", "unit": "PCI", "direction": "higher",
    "aggregation": "mean", "curve": "linear", "target": "90", "minimum": "80", "weight": "100",
    "incentive_pct": "1", "penalty_pct": "2", "valid_min": "0", "valid_max": "100", "aliases": "PCI, Pavement condition",
    "row_standard": "", "row_direction": "", "denominator": "", "scale": "1", "cap": "1",
}


@pytest.fixture
def officer(client):
    user = UserFactory(role=Role.PROCUREMENT)
    assert client.sign_in(user.email, TEST_PASSWORD).status_code == 302
    return user


def _events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def _contract_form(vendor, category, **overrides) -> dict:
    data = {"number": "PW-2026-200", "title": "Resurfacing, east region", "vendor_id": vendor.id,
            "category_id": category.id, "start_date": "2026-01-01", "end_date": "2026-12-31", "value": "1500000",
            "capacity": "30", "incentive_cap": "5", "penalty_cap": "10"}
    return {**data, **overrides}


def test_officer_drafts_a_contract(client, officer):
    vendor, category = VendorFactory(), CategoryFactory()
    response = client.post_form("/contracts/new", _contract_form(vendor, category))
    assert response.status_code == 302
    contract = db.session.scalars(select(Contract).where(Contract.number == "PW-2026-200")).one()
    assert contract.status == ContractStatus.DRAFT
    assert contract.value == Decimal("1500000.00")
    assert contract.vendor_id == vendor.id
    [event] = _events("contract_created")
    assert event.after["number"] == "PW-2026-200" and event.user_id == officer.id


def test_contract_form_errors_keep_what_was_typed(client, officer):
    existing = ContractFactory(number="PW-2026-200")
    data = _contract_form(VendorFactory(), CategoryFactory(), title="Typed title kept", end_date="2025-06-30")
    response = client.post_form("/contracts/new", data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "The end date must not be before the start date." in html
    assert 'value="Typed title kept"' in html
    response = client.post_form("/contracts/new", {**data, "end_date": "2026-12-31"})
    assert "already used by another contract" in response.get_data(as_text=True)
    assert db.session.scalars(select(Contract).where(Contract.number == "PW-2026-200")).all() == [existing]


def test_clause_added_to_a_draft_gets_generated_language(client, officer):
    contract = ContractFactory(status=ContractStatus.DRAFT)
    response = client.post_form(f"/contracts/{contract.id}/clauses/new", VALID_CLAUSE)
    assert response.status_code == 302
    clause = db.session.scalars(select(OutcomeClause).where(OutcomeClause.contract_id == contract.id)).one()
    assert clause.effective_from == "2026-01"
    assert clause.aliases == ["PCI", "Pavement condition"]
    assert "90" in clause.language and "80" in clause.language
    assert _events("clause_created")[0].after["key"] == "pci_after"


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"minimum": "95"}, "minimum", "must be below the target 90"),
        ({"direction": "lower"}, "minimum", "must be above the target 90"),
        ({"minimum": ""}, "minimum", "is required for the linear curve"),
        ({"aggregation": "ratio"}, "denominator", "is required for the ratio aggregation"),
        ({"aggregation": "percent_meeting"}, "row_standard", "is required for percent_meeting"),
        ({"target": "120"}, "target", "above the valid range maximum 100"),
        ({"curve": "ratio", "target": "0", "minimum": ""}, "target", "must be more than 0 for the ratio curve"),
        ({"key": "PCI After"}, "key", "lower-case letters"),
    ],
)
def test_invalid_clause_is_refused_next_to_its_field(client, officer, changes, field, message):
    contract = ContractFactory(status=ContractStatus.DRAFT)
    data = {**VALID_CLAUSE, **changes, "label": "Label the officer typed"}
    response = client.post_form(f"/contracts/{contract.id}/clauses/new", data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in html
    # The message sits in the invalid-feedback block of the field it is about.
    field_block = html.split(f'id="{field}"', 1)[1].split('class="mb-3"', 1)[0]
    assert message in field_block
    assert 'value="Label the officer typed"' in html
    assert db.session.scalars(select(OutcomeClause).where(OutcomeClause.contract_id == contract.id)).all() == []


def test_activation_requires_weights_summing_to_100(client, officer):
    contract = ContractFactory(status=ContractStatus.DRAFT)
    OutcomeClauseFactory(contract=contract, key="pci_after", weight=Decimal("60"))
    OutcomeClauseFactory(contract=contract, key="iri", weight=Decimal("30"))
    response = client.post_form(f"/contracts/{contract.id}/activate", {"confirm": "y"}, token_from=f"/contracts/{contract.id}",
                                follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "sum to 90, not 100" in html
    db.session.refresh(contract)
    assert contract.status == ContractStatus.DRAFT
    OutcomeClauseFactory(contract=contract, key="on_time", weight=Decimal("10"), aggregation="percent_true",
                         valid_min=None, valid_max=None)
    response = client.post_form(f"/contracts/{contract.id}/activate", {"confirm": "y"}, token_from=f"/contracts/{contract.id}",
                                follow_redirects=True)
    assert "is active" in response.get_data(as_text=True)
    db.session.refresh(contract)
    assert contract.status == ContractStatus.ACTIVE
    assert _events("contract_activated")[0].before["status"] == "draft"


def test_activation_names_the_invalid_clause_and_field(client, officer):
    contract = ContractFactory(status=ContractStatus.DRAFT)
    OutcomeClauseFactory(contract=contract, key="defects", aggregation="ratio", denominator=None,
                         direction="lower", target=Decimal("0.5"), minimum=Decimal("2"))
    response = client.post_form(f"/contracts/{contract.id}/activate", {"confirm": "y"}, token_from=f"/contracts/{contract.id}",
                                follow_redirects=True)
    assert "Clause defects, field denominator" in response.get_data(as_text=True)
    db.session.refresh(contract)
    assert contract.status == ContractStatus.DRAFT


def test_contract_without_clauses_cannot_be_activated(client, officer):
    contract = ContractFactory(status=ContractStatus.DRAFT)
    response = client.post_form(f"/contracts/{contract.id}/activate", {"confirm": "y"}, token_from=f"/contracts/{contract.id}",
                                follow_redirects=True)
    assert "Add the outcome clauses before activating" in response.get_data(as_text=True)


def _active_with_clause(**clause):
    contract = ContractFactory(status=ContractStatus.ACTIVE, start_date=date(2026, 1, 1))
    OutcomeClauseFactory(contract=contract, key="pci_after", weight=Decimal("100"), target=Decimal("90"),
                         minimum=Decimal("80"), **clause)
    return contract


def test_amendment_from_march_leaves_january_and_february_as_they_were(client, officer):
    contract = _active_with_clause()
    data = {**VALID_CLAUSE, "target": "92", "minimum": "85", "effective_from": "2026-03",
            "reason": "Council raised the standard"}
    response = client.post_form(f"/contracts/{contract.id}/clauses/pci_after/edit", data)
    assert response.status_code == 302
    db.session.expire_all()
    contract = db.session.scalars(select(Contract).where(Contract.id == contract.id)
                                  .options(selectinload(Contract.clauses))).one()
    for period in ("2026-01", "2026-02"):
        [clause] = contract.clauses_in_force(period)
        assert (clause.target, clause.minimum, clause.effective_from) == (Decimal("90"), Decimal("80"), "2026-01")
    for period in ("2026-03", "2026-12"):
        [clause] = contract.clauses_in_force(period)
        assert (clause.target, clause.minimum) == (Decimal("92"), Decimal("85"))
        assert clause.amendment_reason == "Council raised the standard"
    [event] = _events("clause_amended")
    assert event.before["target"] == "90" and event.after["target"] == "92"
    page = client.get(f"/contracts/{contract.id}").get_data(as_text=True)
    assert "Council raised the standard" in page and "2026-03" in page


def test_several_amendments_each_rule_their_own_months(client, officer):
    contract = _active_with_clause()
    url = f"/contracts/{contract.id}/clauses/pci_after/edit"
    for effective, target in (("2026-04", "91"), ("2026-09", "93")):
        data = {**VALID_CLAUSE, "target": target, "effective_from": effective, "reason": f"step to {target}"}
        assert client.post_form(url, data).status_code == 302
    db.session.expire_all()
    contract = db.session.scalars(select(Contract).where(Contract.id == contract.id)
                                  .options(selectinload(Contract.clauses))).one()
    targets = {p: contract.clauses_in_force(p)[0].target for p in ("2026-03", "2026-04", "2026-08", "2026-09", "2026-12")}
    assert targets == {"2026-03": Decimal("90"), "2026-04": Decimal("91"), "2026-08": Decimal("91"),
                       "2026-09": Decimal("93"), "2026-12": Decimal("93")}


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"effective_from": "", "reason": "x"}, "Give the first month the amendment is in force"),
        ({"effective_from": "2026-05", "reason": ""}, "Say why the clause is amended"),
        ({"effective_from": "2026-01", "reason": "x"}, "Must be after 2026-01"),
        ({"effective_from": "2027-02", "reason": "x"}, "outside the contract term"),
    ],
)
def test_amendment_needs_a_month_inside_the_term_and_a_reason(client, officer, changes, message):
    contract = _active_with_clause()
    data = {**VALID_CLAUSE, "target": "92", **changes}
    response = client.post_form(f"/contracts/{contract.id}/clauses/pci_after/edit", data)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert len(db.session.scalars(select(OutcomeClause).where(OutcomeClause.contract_id == contract.id)).all()) == 1


def test_clause_started_from_a_library_template_and_adjusted(client, officer):
    contract = ContractFactory(status=ContractStatus.DRAFT)
    template = ClauseTemplateFactory(category=contract.category, key="on_time", label="Completed on schedule",
                                     aggregation="percent_true", target=Decimal("95"), minimum=Decimal("80"),
                                     valid_min=None, valid_max=None, weight=Decimal("20"))
    page = client.get(f"/contracts/{contract.id}/clauses/new?template={template.id}").get_data(as_text=True)
    assert 'value="Completed on schedule"' in page and 'value="95' in page
    data = {**VALID_CLAUSE, "key": "on_time", "label": "Completed on schedule", "aggregation": "percent_true",
            "target": "97", "minimum": "85", "valid_min": "", "valid_max": "", "weight": "20"}
    assert client.post_form(f"/contracts/{contract.id}/clauses/new?template={template.id}", data).status_code == 302
    clause = db.session.scalars(select(OutcomeClause).where(OutcomeClause.contract_id == contract.id)).one()
    assert clause.target == Decimal("97")
    db.session.refresh(template)
    assert template.target == Decimal("95")  # the library template itself is untouched


def test_live_preview_returns_the_language_the_clause_would_get(client, officer):
    contract = ContractFactory(status=ContractStatus.DRAFT)
    token = client.csrf_token(f"/contracts/{contract.id}/clauses/new")
    first = client.post(f"/contracts/{contract.id}/clauses/preview", data={**VALID_CLAUSE, "csrf_token": token}).get_json()
    second = client.post(f"/contracts/{contract.id}/clauses/preview",
                         data={**VALID_CLAUSE, "target": "93", "csrf_token": token}).get_json()
    assert "90" in first["language"] and "93" in second["language"]
    assert first["problems"] == []
    wrong = client.post(f"/contracts/{contract.id}/clauses/preview",
                        data={**VALID_CLAUSE, "minimum": "95", "csrf_token": token}).get_json()
    assert any("minimum" in p for p in wrong["problems"])
    # The saved clause carries exactly the previewed text.
    client.post_form(f"/contracts/{contract.id}/clauses/new", {**VALID_CLAUSE, "target": "93"})
    clause = db.session.scalars(select(OutcomeClause).where(OutcomeClause.contract_id == contract.id)).one()
    assert clause.language == second["language"]


def test_close_an_active_contract_and_nothing_changes_after(client, officer):
    contract = _active_with_clause()
    response = client.post_form(f"/contracts/{contract.id}/close", {"confirm": "y"}, token_from=f"/contracts/{contract.id}",
                                follow_redirects=True)
    assert "is closed" in response.get_data(as_text=True)
    db.session.refresh(contract)
    assert contract.status == ContractStatus.CLOSED
    assert client.get(f"/contracts/{contract.id}/clauses/pci_after/edit").status_code == 404


def test_number_vendor_and_category_are_locked_once_active(client, officer):
    contract = _active_with_clause()
    other_vendor = VendorFactory()
    data = _contract_form(other_vendor, contract.category, number=contract.number)
    response = client.post_form(f"/contracts/{contract.id}/edit", data)
    assert "Cannot change once the contract is active" in response.get_data(as_text=True)
    db.session.refresh(contract)
    assert contract.vendor_id != other_vendor.id


def test_finance_cannot_draft_or_amend(client):
    user = UserFactory(role=Role.FINANCE)
    client.sign_in(user.email, TEST_PASSWORD)
    contract = _active_with_clause()
    assert client.get("/contracts/new").status_code == 403
    assert client.get(f"/contracts/{contract.id}/clauses/pci_after/edit").status_code == 403
