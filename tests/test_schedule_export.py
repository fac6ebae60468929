"""The clause schedule of a contract: printable page and Word document (contracts_app/schedules)."""
from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from html import unescape

import docx
import pytest

from contracts_app.contracts.clause_language import clause_language
from contracts_app.schedules.services import PeriodRefused, schedule_period
from models import Aggregation, Direction, Role
from tests.factories import TEST_PASSWORD, ContractFactory, OutcomeClauseFactory, UserFactory

DOCX_MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PERIOD = "2026-06"
STORED_LANGUAGE = (
    "The Contractor shall complete each work order by its scheduled date & report it “on time” in the sheet.\n"
    "Orders delayed by the City's own instruction count as on time <when documented>."
)
LANGUAGE_RE = re.compile(r'<p[^>]*data-testid="clause-language" data-clause-key="([^"]+)"[^>]*>(.*?)</p>', re.S)


@dataclass
class World:
    contract: object
    pci_v1: object
    pci_v2: object
    on_time: object
    later: object
    retired_v2: object
    user: object


@pytest.fixture
def world(session) -> World:
    contract = ContractFactory(number="PW-2026-777", incentive_cap=Decimal("5.00"), penalty_cap=Decimal("10.00"))
    pci_v1 = OutcomeClauseFactory(contract=contract, key="pci_after", effective_from="2026-01", weight=Decimal("60"),
                                  target=Decimal("90"), minimum=Decimal("80"))
    pci_v2 = OutcomeClauseFactory(contract=contract, key="pci_after", effective_from="2026-04", weight=Decimal("60"),
                                  target=Decimal("92"), minimum=Decimal("85"), amendment_reason="Raised after year one")
    on_time = OutcomeClauseFactory(contract=contract, key="on_time", label="Work orders completed on time", unit="%",
                                   aggregation=Aggregation.PERCENT_TRUE, effective_from="2026-01",
                                   weight=Decimal("40"), target=Decimal("95"), minimum=Decimal("80"),
                                   valid_min=None, valid_max=None, language=STORED_LANGUAGE)
    # Not in force in PERIOD: it starts later.
    later = OutcomeClauseFactory(contract=contract, key="defects", label="Defects per lane-mile",
                                 aggregation=Aggregation.RATIO, denominator="lane_miles", direction=Direction.LOWER,
                                 target=Decimal("0.5"), minimum=Decimal("2"), weight=Decimal("10"),
                                 effective_from="2026-09")
    # Retired by an amendment before PERIOD.
    OutcomeClauseFactory(contract=contract, key="complaints", label="Resident complaints", effective_from="2026-01",
                         weight=Decimal("10"))
    retired_v2 = OutcomeClauseFactory(contract=contract, key="complaints", label="Resident complaints",
                                      effective_from="2026-03", weight=Decimal("10"), retired=True)
    user = UserFactory(role=Role.CONTRACT_MANAGER)
    session.flush()
    return World(contract, pci_v1, pci_v2, on_time, later, retired_v2, user)


@pytest.fixture
def signed_in(client, world):
    response = client.sign_in(world.user.email, TEST_PASSWORD)
    assert response.status_code == 302
    return client


def generated(clause, contract) -> str:
    return clause_language(clause.plain_terms(), work_unit=contract.category.unit,
                           incentive_cap=contract.incentive_cap, penalty_cap=contract.penalty_cap)


def page_languages(html: str) -> dict[str, str]:
    """Each clause's language as the page shows it (line breaks as newlines)."""
    return {key: unescape(re.sub(r"<br\s*/?>", "\n", body)) for key, body in LANGUAGE_RE.findall(html)}


def document_languages(document) -> dict[str, str]:
    """Each clause's language from the numbered paragraphs: a bold lead naming the column, then the text."""
    out = {}
    for paragraph in document.paragraphs:
        if paragraph.style.name != "List Number":
            continue
        lead = paragraph.runs[0]
        assert lead.bold
        key = re.search(r"\(column (\S+), in force from \d{4}-\d{2}\)", lead.text).group(1)
        out[key] = paragraph.runs[-1].text
    return out


def get_document(client, contract_id: int, period: str | None = PERIOD):
    query = f"?period={period}" if period else ""
    response = client.get(f"/contracts/{contract_id}/schedule.docx{query}")
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response, docx.Document(io.BytesIO(response.data))


def test_word_document_holds_the_clauses_in_force_with_the_pages_language(signed_in, world):
    page = signed_in.get(f"/contracts/{world.contract.id}/schedule?period={PERIOD}")
    assert page.status_code == 200
    shown = page_languages(page.get_data(as_text=True))

    response, document = get_document(signed_in, world.contract.id)
    in_document = document_languages(document)

    # Exactly the versions in force: the amendment of pci_after, on_time; not the later or retired ones.
    assert list(in_document) == ["pci_after", "on_time"]  # by weight, as in force
    assert in_document == shown
    assert in_document["pci_after"] == generated(world.pci_v2, world.contract)
    assert "at least 92 PCI; the minimum is 85 PCI" in in_document["pci_after"]
    assert in_document["pci_after"] != generated(world.pci_v1, world.contract)
    assert in_document["on_time"] == STORED_LANGUAGE

    everything = "\n".join(p.text for p in document.paragraphs)
    everything += "\n".join(cell.text for table in document.tables for row in table.rows for cell in row.cells)
    assert "at least 90 PCI" not in everything  # the superseded version's target
    assert "Defects per lane-mile" not in everything and "defects" not in in_document
    assert "Resident complaints" not in everything


def test_word_document_has_title_contract_table_and_caps(signed_in, world):
    response, document = get_document(signed_in, world.contract.id)
    assert response.mimetype == DOCX_MIMETYPE
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert "filename=PW-2026-777-clause-schedule.docx" in disposition

    assert document.paragraphs[0].text == "Schedule of outcome clauses"
    details = {row.cells[0].text: row.cells[1].text for row in document.tables[0].rows}
    assert details["Contract"] == f"PW-2026-777 · {world.contract.title}"
    assert details["Vendor"] == world.contract.vendor.name
    assert details["Term"] == "2026-01-01 to 2026-12-31"
    assert details["Clauses in force in"] == PERIOD

    rows = [[cell.text for cell in row.cells] for row in document.tables[1].rows]
    assert rows[0] == ["Clause", "Measure", "Target", "Minimum", "Weight", "Incentive", "Penalty"]
    assert rows[1] == ["1. Pavement condition after resurfacing", "average of “pci_after”; higher is better",
                       "at least 92 PCI", "85 PCI", "60", "1 %", "2 %"]
    assert rows[2] == ["2. Work orders completed on time", "% of rows answered yes in “on_time”; higher is better",
                       "at least 95 %", "80 %", "40", "1 %", "2 %"]
    assert rows[3][0] == "Total weight" and rows[3][4] == "100"

    caps = document.paragraphs[-1].text
    assert caps == (
        "Incentives earned under all clauses together in a month are capped at 5 % of that month's invoice; "
        "penalties under all clauses together are capped at 10 % of that month's invoice."
    )


def test_html_page_lists_each_clause_with_its_language_and_a_download_button(signed_in, world):
    response = signed_in.get(f"/contracts/{world.contract.id}/schedule?period={PERIOD}")
    html = response.get_data(as_text=True)
    text = unescape(html)
    assert "Schedule of outcome clauses" in html
    assert "PW-2026-777" in html and world.contract.vendor.name in text
    assert page_languages(html) == {
        "pci_after": generated(world.pci_v2, world.contract),
        "on_time": STORED_LANGUAGE,
    }
    assert "&lt;when documented&gt;" in html  # stored language is escaped, not markup
    assert f'href="/contracts/{world.contract.id}/schedule.docx?period={PERIOD}"' in html
    assert "Download Word document" in html
    assert "Print" in html
    assert "capped at 5 % of that month's invoice" in text
    # The strict CSP allows no inline script or style.
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert " style=" not in html and "<style" not in html


def test_period_chooses_the_versions_in_force(signed_in, world):
    schedule = signed_in.get(f"/contracts/{world.contract.id}/schedule?period=2026-02")
    before_amendment = page_languages(schedule.get_data(as_text=True))
    assert set(before_amendment) == {"pci_after", "on_time", "complaints"}
    assert before_amendment["pci_after"] == generated(world.pci_v1, world.contract)

    _, document = get_document(signed_in, world.contract.id, "2026-10")
    assert set(document_languages(document)) == {"pci_after", "on_time", "defects"}


def test_default_period_is_todays_month_clamped_into_the_term(signed_in, session):
    past = ContractFactory(start_date=date(2020, 1, 1), end_date=date(2020, 12, 31))
    future = ContractFactory(start_date=date(2090, 3, 1), end_date=date(2091, 2, 28))
    session.flush()
    past_page = signed_in.get(f"/contracts/{past.id}/schedule").get_data(as_text=True)
    assert re.search(r'data-testid="schedule-period">2020-12<', past_page)
    future_page = signed_in.get(f"/contracts/{future.id}/schedule").get_data(as_text=True)
    assert re.search(r'data-testid="schedule-period">2090-03<', future_page)
    _, document = get_document(signed_in, past.id, None)
    assert {r.cells[0].text: r.cells[1].text for r in document.tables[0].rows}["Clauses in force in"] == "2020-12"


def test_schedule_period_rules(world):
    contract = world.contract
    assert schedule_period(contract, None, today=date(2026, 6, 15)) == "2026-06"
    assert schedule_period(contract, None, today=date(2025, 6, 15)) == "2026-01"
    assert schedule_period(contract, None, today=date(2027, 6, 15)) == "2026-12"
    assert schedule_period(contract, "2026-03") == "2026-03"
    for bad in ("2026-13", "June", "2027-01", "2025-12"):
        with pytest.raises(PeriodRefused):
            schedule_period(contract, bad)


@pytest.mark.parametrize("query, message", [
    ("?period=2026-13", "is not a period"),
    ("?period=2027-02", "is outside the term of contract PW-2026-777 (2026-01 to 2026-12)"),
])
def test_bad_period_is_refused_with_a_reason(signed_in, world, query, message):
    for suffix in ("schedule", "schedule.docx"):
        response = signed_in.get(f"/contracts/{world.contract.id}/{suffix}{query}")
        assert response.status_code == 400
        assert message in unescape(response.get_data(as_text=True))


def test_unknown_contract_is_404(signed_in, world):
    assert signed_in.get("/contracts/999999/schedule").status_code == 404
    assert signed_in.get("/contracts/999999/schedule.docx").status_code == 404


def test_contract_without_clauses_in_force(signed_in, session):
    contract = ContractFactory()
    session.flush()
    html = signed_in.get(f"/contracts/{contract.id}/schedule?period=2026-05").get_data(as_text=True)
    assert "No outcome clauses are in force in 2026-05." in html
    _, document = get_document(signed_in, contract.id, "2026-05")
    assert "No outcome clauses are in force in 2026-05." in [p.text for p in document.paragraphs]


def test_language_with_characters_word_cannot_hold_is_cleaned_the_same_way_on_both(signed_in, world, session):
    world.on_time.language = "Line one\x0b with a control character.\r\nLine two.  \n\n"
    session.flush()
    shown = page_languages(signed_in.get(f"/contracts/{world.contract.id}/schedule?period={PERIOD}").get_data(as_text=True))
    _, document = get_document(signed_in, world.contract.id)
    assert shown["on_time"] == "Line one with a control character.\nLine two."
    assert document_languages(document)["on_time"] == shown["on_time"]


@pytest.mark.parametrize("role", [r for r in Role if r != Role.VENDOR])  # vendors: test_vendor_users_wait.py
def test_every_signed_in_role_may_read_the_schedule(client, world, session, role):
    user = UserFactory(role=role)
    session.flush()
    assert client.sign_in(user.email, TEST_PASSWORD).status_code == 302
    assert client.get(f"/contracts/{world.contract.id}/schedule").status_code == 200
    assert client.get(f"/contracts/{world.contract.id}/schedule.docx").status_code == 200


def test_anonymous_is_sent_to_sign_in(client, world):
    response = client.get(f"/contracts/{world.contract.id}/schedule.docx")
    assert response.status_code == 302 and "/auth/sign-in" in response.headers["Location"]
