"""Activating and closing a contract need a confirm step with a ticked box; an admin can reopen a closed one
(issue 15: confirmation for irreversible actions)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from models import AuditEvent, ContractStatus, Role, db

from .factories import TEST_PASSWORD, ContractFactory, OutcomeClauseFactory, UserFactory


def _signed_in(client, role: Role):
    user = UserFactory(role=role)
    assert client.sign_in(user.email, TEST_PASSWORD).status_code == 302
    return user


def _contract(status: ContractStatus):
    contract = ContractFactory(status=status, start_date=date(2026, 1, 1))
    OutcomeClauseFactory(contract=contract, key="pci_after", weight=Decimal("100"), target=Decimal("90"),
                         minimum=Decimal("80"))
    return contract


@pytest.mark.parametrize(("action", "status", "button"), [
    ("activate", ContractStatus.DRAFT, "Activate contract"),
    ("close", ContractStatus.ACTIVE, "Close contract"),
])
def test_confirm_page_says_what_happens_and_refuses_without_the_box(client, action, status, button):
    _signed_in(client, Role.PROCUREMENT)
    contract = _contract(status)
    page = client.get(f"/contracts/{contract.id}/{action}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "cannot be undone" in html
    assert f'value="{button}"' in html  # the confirm button names the change
    assert 'type="checkbox"' in html and "required" in html

    refused = client.post_form(f"/contracts/{contract.id}/{action}", {})
    assert refused.status_code == 400
    assert "Tick the box to confirm; nothing was changed." in refused.get_data(as_text=True)
    db.session.refresh(contract)
    assert contract.status == status

    done = client.post_form(f"/contracts/{contract.id}/{action}", {"confirm": "y"})
    assert done.status_code == 302
    db.session.refresh(contract)
    assert contract.status == (ContractStatus.ACTIVE if action == "activate" else ContractStatus.CLOSED)


def test_contract_page_opens_the_confirm_step_instead_of_changing_at_once(client):
    _signed_in(client, Role.PROCUREMENT)
    contract = _contract(ContractStatus.ACTIVE)
    html = client.get(f"/contracts/{contract.id}").get_data(as_text=True)
    assert f'href="/contracts/{contract.id}/close">Close contract…</a>' in html
    assert f'<form method="post" action="/contracts/{contract.id}/close">' not in html


def test_activation_problems_are_shown_before_asking_to_confirm(client):
    _signed_in(client, Role.PROCUREMENT)
    contract = ContractFactory(status=ContractStatus.DRAFT)
    html = client.get(f"/contracts/{contract.id}/activate").get_data(as_text=True)
    assert "cannot be activated yet" in html
    assert "Add the outcome clauses before activating" in html
    assert 'type="checkbox"' not in html


def test_admin_reopens_a_closed_contract_with_a_reason_and_it_is_audited(client):
    admin = _signed_in(client, Role.ADMIN)
    contract = _contract(ContractStatus.CLOSED)
    detail = client.get(f"/contracts/{contract.id}").get_data(as_text=True)
    assert "Reopen contract…" in detail

    no_reason = client.post_form(f"/contracts/{contract.id}/reopen", {"confirm": "y", "reason": "  "})
    assert no_reason.status_code == 400
    assert "Say why the contract is reopened." in no_reason.get_data(as_text=True)
    no_box = client.post_form(f"/contracts/{contract.id}/reopen", {"reason": "Closed by mistake"})
    assert no_box.status_code == 400
    db.session.refresh(contract)
    assert contract.status == ContractStatus.CLOSED

    done = client.post_form(f"/contracts/{contract.id}/reopen", {"confirm": "y", "reason": "Closed by mistake"},
                            follow_redirects=True)
    assert "is reopened and active again" in done.get_data(as_text=True)
    db.session.refresh(contract)
    assert contract.status == ContractStatus.ACTIVE
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "contract_reopened")).all()
    assert event.user_id == admin.id
    assert event.before["status"] == "closed" and event.after["status"] == "active"
    assert event.after["reason"] == "Closed by mistake"
    assert "Closed by mistake" in event.summary


def test_only_an_admin_reopens(client):
    _signed_in(client, Role.PROCUREMENT)
    contract = _contract(ContractStatus.CLOSED)
    assert client.get(f"/contracts/{contract.id}/reopen").status_code == 403
    assert "Reopen contract" not in client.get(f"/contracts/{contract.id}").get_data(as_text=True)
    db.session.refresh(contract)
    assert contract.status == ContractStatus.CLOSED


@pytest.mark.parametrize("action", ["reset_password", "reset_mfa"])
def test_an_admin_reset_needs_the_box_ticked(client, action):
    _signed_in(client, Role.ADMIN)
    user = UserFactory(role=Role.FINANCE)
    hash_before, secret_before = user.password_hash, user.totp_secret
    refused = client.post_form(f"/admin/users/{user.id}", {"action": action}, follow_redirects=True)
    assert "Not changed: tick the box to confirm the reset; nothing was changed." in refused.get_data(as_text=True)
    db.session.refresh(user)
    assert (user.password_hash, user.totp_secret) == (hash_before, secret_before)
    resets = select(AuditEvent).where(AuditEvent.object_id == str(user.id),
                                      AuditEvent.action.in_(["password_reset", "mfa_reset"]))
    assert not db.session.scalars(resets).all()
    done = client.post_form(f"/admin/users/{user.id}", {"action": action, "confirm": "y"}, follow_redirects=True)
    assert done.status_code == 200
    db.session.refresh(user)
    assert (user.password_hash, user.totp_secret) != (hash_before, secret_before)
    assert len(db.session.scalars(resets).all()) == 1
