"""Plain language and safer defaults (issue 15): the glossary and its hints, sign-in autocomplete, the month a
picker starts on, the vendors offered for a new contract, allocations in rank order, and the next steps after
a commit."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from html import unescape
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from contracts_app.recommendations.order import in_rank_order
from models import Contract, Role, UploadStatus, db

from .factories import (
    TEST_PASSWORD,
    CategoryFactory,
    ContractAssignmentFactory,
    ContractFactory,
    UploadFactory,
    UserFactory,
    VendorFactory,
)


def _sign_in(client, role: Role):
    user = UserFactory(role=role)
    assert client.sign_in(user.email, TEST_PASSWORD).status_code == 302
    return user


def _input(html: str, name: str) -> str:
    match = re.search(rf'<input[^>]*\bname="{name}"[^>]*>', html)
    assert match, f"no input {name}"
    return match.group(0)


# --- the glossary ----------------------------------------------------------------------------------

GLOSSARY_WORDS = ["Composite", "Coverage", "Attainment", "γ (gamma)", "Floor share", "Trial vendor",
                  "Insufficient data", "Probation", "Shrunk score (θ)", "90 % interval", "Provisional month",
                  "Final month"]


def test_glossary_explains_every_word_and_is_linked_from_every_page(client):
    _sign_in(client, Role.CONTRACT_MANAGER)
    html = client.get("/glossary/").get_data(as_text=True)
    for word in GLOSSARY_WORDS:
        assert f">{word}</dt>" in unescape(html), word
    assert 'id="gamma"' in html and "(score/100)^γ" in unescape(html)
    dashboard = client.get("/").get_data(as_text=True)
    assert 'href="/glossary/"' in dashboard  # the footer of every page


def test_rankings_and_reallocation_pages_link_their_words_to_the_glossary(client):
    _sign_in(client, Role.FINANCE)
    rankings = client.get("/rankings/").get_data(as_text=True)
    assert 'href="/glossary/#probation"' in rankings and 'href="/glossary/#shrunk-score"' in rankings
    assert '<abbr title="' in rankings
    reallocation = client.get("/recommendations/new").get_data(as_text=True)
    for slug in ("floor-share", "gamma", "trial-vendor"):
        assert f'href="/glossary/#{slug}"' in reallocation, slug


# --- sign-in fields tell password managers what they hold ----------------------------------------------

def test_sign_in_and_password_fields_carry_autocomplete(client):
    sign_in = client.get("/auth/sign-in").get_data(as_text=True)
    assert 'autocomplete="username"' in _input(sign_in, "email")
    assert 'autocomplete="current-password"' in _input(sign_in, "password")
    user = UserFactory(role=Role.PROCUREMENT)
    step = client.post("/auth/sign-in", data={"email": user.email, "password": TEST_PASSWORD,
                                              "csrf_token": client.csrf_token()})
    assert step.status_code == 302
    change = client.get("/auth/password").get_data(as_text=True)
    assert 'autocomplete="current-password"' in _input(change, "current_password")
    assert 'autocomplete="new-password"' in _input(change, "new_password")
    assert 'autocomplete="new-password"' in _input(change, "confirm")


def test_two_step_code_field_is_a_one_time_code(client):
    user = UserFactory(role=Role.ADMIN)
    page = client.sign_in(user.email, TEST_PASSWORD, complete_mfa=False)
    html = client.get(page.headers["Location"]).get_data(as_text=True)
    assert 'autocomplete="one-time-code"' in _input(html, "code")


# --- month pickers start on a finished month -----------------------------------------------------------

def _selected(html: str, select_id: str) -> str | None:
    block = html.split(f'id="{select_id}"', 1)[1].split("</select>", 1)[0]
    match = re.search(r'<option[^>]*value="(\d{4}-\d{2})"[^>]*selected|<option[^>]*selected[^>]*value="(\d{4}-\d{2})"',
                      block)
    return (match.group(1) or match.group(2)) if match else None


@pytest.mark.parametrize(("today", "expected"), [
    (datetime(2026, 11, 15, 9, 0, tzinfo=UTC), "2026-10"),  # November is running: October is the month due
    (datetime(2026, 3, 1, 0, 30, tzinfo=UTC), "2026-02"),
    (datetime(2026, 1, 20, 9, 0, tzinfo=UTC), "2026-01"),  # the term's first month: nothing finished yet
])
def test_sheet_month_pickers_start_on_the_latest_finished_month(client, time_machine, today, expected):
    time_machine.move_to(today, tick=True)
    contract = ContractFactory(start_date=date(2026, 1, 1), end_date=date(2026, 12, 31))
    user = ContractAssignmentFactory(contract=contract).user
    assert client.sign_in(user.email, TEST_PASSWORD).status_code == 302
    html = client.get(f"/contracts/{contract.id}/sheets").get_data(as_text=True)
    assert _selected(html, "template-period") == expected
    assert _selected(html, "period") == expected


# --- a new contract offers its category's vendors -------------------------------------------------------

def _vendor_options(html: str) -> list[str]:
    block = html.split('id="vendor_id"', 1)[1].split("</select>", 1)[0]
    return [unescape(label) for label in re.findall(r"<option[^>]*>([^<]*)</option>", block)]


def test_new_contract_offers_only_the_chosen_categorys_vendors(client):
    _sign_in(client, Role.PROCUREMENT)
    asphalt, lights = CategoryFactory(name="Asphalt"), CategoryFactory(name="Lights")
    paver, electrician = VendorFactory(name="Paver Co"), VendorFactory(name="Spark Ltd")
    VendorFactory(name="Fresh Start Inc")  # no contract anywhere yet: offered for its first one
    ContractFactory(vendor=paver, category=asphalt)
    ContractFactory(vendor=electrician, category=lights)

    first = client.get("/contracts/new").get_data(as_text=True)
    assert 'id="vendor_id"' not in first and "Show its vendors" in first  # the category comes first

    html = client.get(f"/contracts/new?category={asphalt.id}").get_data(as_text=True)
    assert _vendor_options(html) == ["Fresh Start Inc (no contract yet)", "Paver Co"]
    everyone = client.get(f"/contracts/new?category={asphalt.id}&vendors=all").get_data(as_text=True)
    assert set(_vendor_options(everyone)) == {"Fresh Start Inc", "Paver Co", "Spark Ltd"}
    assert 'name="every_vendor" type="hidden" value="1"' in everyone


def test_a_vendor_outside_the_category_is_refused_with_a_reason_unless_every_vendor_was_asked_for(client):
    _sign_in(client, Role.PROCUREMENT)
    asphalt, lights = CategoryFactory(name="Asphalt"), CategoryFactory(name="Lights")
    electrician = VendorFactory(name="Spark Ltd")
    ContractFactory(vendor=electrician, category=lights)
    data = {"number": "PW-2026-901", "title": "Resurfacing", "vendor_id": electrician.id, "category_id": asphalt.id,
            "start_date": "2026-01-01", "end_date": "2026-12-31", "value": "1000", "incentive_cap": "5",
            "penalty_cap": "10"}
    refused = client.post_form("/contracts/new", data, token_from=f"/contracts/new?category={asphalt.id}")
    html = unescape(refused.get_data(as_text=True))
    assert "That vendor has no contract in Asphalt." in html
    assert 'value="PW-2026-901"' in html  # what was typed is kept
    assert db.session.scalars(select(Contract).where(Contract.number == "PW-2026-901")).first() is None

    accepted = client.post_form("/contracts/new", {**data, "every_vendor": "1"},
                                token_from=f"/contracts/new?category={asphalt.id}")
    assert accepted.status_code == 302
    assert db.session.scalars(select(Contract).where(Contract.number == "PW-2026-901")).one().vendor_id == electrician.id


# --- allocations in rank order ---------------------------------------------------------------------------

def test_allocation_lines_are_listed_in_rank_order():
    line = lambda name, rank, share, probation=False: SimpleNamespace(  # noqa: E731
        name=name, rank=rank, share=Decimal(share), probation=probation)
    lines = [line("Alpha", 3, "0.2"), line("Bravo", None, "0.1"), line("Charlie", 1, "0.4"),
             line("Delta", None, "0", probation=True), line("Echo", 2, "0.3")]
    assert [x.name for x in in_rank_order(lines)] == ["Charlie", "Echo", "Alpha", "Bravo", "Delta"]


# --- after a commit, the upload page says what comes next ------------------------------------------------------

def test_a_committed_upload_links_to_the_scorecard_and_rankings_and_names_the_payments_step(client):
    contract = ContractFactory()
    user = ContractAssignmentFactory(contract=contract).user
    upload = UploadFactory(contract=contract, period="2026-03", row_count=120)
    staged = UploadFactory(contract=contract, period="2026-04", status=UploadStatus.STAGED)
    assert client.sign_in(user.email, TEST_PASSWORD).status_code == 302
    html = unescape(client.get(f"/uploads/{upload.id}").get_data(as_text=True))
    steps = html.split('data-testid="next-steps"', 1)[1].split("</div>", 1)[0]
    assert "2026-03 is committed: 120 rows are stored" in steps
    assert f'href="/contracts/{contract.id}/scorecard"' in steps
    assert f'href="/rankings/?category={contract.category.slug}&period=2026-03"' in steps
    assert "invoice on the Payments page" in steps
    assert 'data-testid="next-steps"' not in client.get(f"/uploads/{staged.id}").get_data(as_text=True)
