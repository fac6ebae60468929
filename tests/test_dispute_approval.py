"""Approving a recommendation whose vendor scores include a disputed month names those months and needs an
explicit confirmation (SPEC §8); its lines and export mark the months not final."""
from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from html import unescape

import openpyxl
import pytest
from sqlalchemy import select

from contracts_app.disputes.services import open_dispute
from models import AuditEvent, RecommendationStatus, Role, db

from .disputes_support import commit_month, make_contract, make_manager, make_vendor_user
from .factories import TEST_PASSWORD, ContractFactory, RecommendationFactory, RecommendationLineFactory, UserFactory

NOW = datetime(2026, 4, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _april_2026(time_machine):
    time_machine.move_to(NOW, tick=True)


@pytest.fixture
def draft(app, tmp_path):
    """A draft for 2026-04 over the category of PW-2026-400 (March disputed) and PW-2026-401 (March provisional)."""
    disputed = make_contract("PW-2026-400")
    commit_month(disputed, tmp_path, make_manager(disputed), name="a.xlsx")
    other = ContractFactory(category=disputed.category, number="PW-2026-401")
    commit_month(other, tmp_path, make_manager(other), name="b.xlsx")
    open_dispute(disputed, "2026-03", clause_keys=["pci_after"], row_keys_text="", reason="Wrong gauge.", files=[],
                 actor=make_vendor_user(disputed))
    recommendation = RecommendationFactory(category=disputed.category, target_period="2026-04", window_months=6,
                                           created_by=UserFactory(role=Role.FINANCE))
    RecommendationLineFactory(recommendation=recommendation, vendor=disputed.vendor)
    RecommendationLineFactory(recommendation=recommendation, vendor=other.vendor)
    return recommendation


def approver(app):
    client = app.test_client()
    client.sign_in(UserFactory(role=Role.FINANCE).email, TEST_PASSWORD)
    return client


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def test_the_approval_names_the_disputed_months_and_is_refused_without_the_confirmation(app, draft):
    client = approver(app)
    url = f"/recommendations/{draft.id}"
    page = text_of(client.get(url).get_data(as_text=True))
    assert "The vendor scores include disputed months: PW-2026-400 2026-03 . Their scores may still change." in page
    assert "I approve with these months disputed" in page
    assert "score rests on months not final: PW-2026-400 2026-03 (disputed)" in page
    assert "score rests on months not final: PW-2026-401 2026-03" in page

    refused = client.post_form(f"{url}/approve", {}, token_from=url, follow_redirects=True)
    assert ("Not approved: the vendor scores include disputed months: PW-2026-400 2026-03."
            in text_of(refused.get_data(as_text=True)))
    db.session.refresh(draft)
    assert draft.status == RecommendationStatus.DRAFT
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "recommendation_approved")) is None

    client.post_form(f"{url}/approve", {"confirm_disputed": "y"}, token_from=url)
    db.session.refresh(draft)
    assert draft.status == RecommendationStatus.APPROVED
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "recommendation_approved")).one()
    assert "confirmed with disputed months PW-2026-400 2026-03" in event.summary
    assert event.after["disputed_months_confirmed"] == ["PW-2026-400 2026-03"]


def test_the_export_marks_the_months_not_final(app, draft):
    data = approver(app).get(f"/recommendations/{draft.id}/export.xlsx").data
    sheet = openpyxl.load_workbook(io.BytesIO(data))["Allocation"]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    column = rows[0].index("Months not final (SPEC §8)")
    assert sorted(row[column] for row in rows[1:]) == ["PW-2026-400 2026-03 disputed", "PW-2026-401 2026-03 provisional"]


def test_without_a_disputed_month_nothing_more_is_asked(app, tmp_path):
    contract = make_contract("PW-2026-402")
    commit_month(contract, tmp_path, make_manager(contract))
    recommendation = RecommendationFactory(category=contract.category, target_period="2026-04", window_months=6,
                                           created_by=UserFactory(role=Role.FINANCE))
    RecommendationLineFactory(recommendation=recommendation, vendor=contract.vendor)
    client = approver(app)
    url = f"/recommendations/{recommendation.id}"
    assert "disputed" not in text_of(client.get(url).get_data(as_text=True))
    done = client.post_form(f"{url}/approve", {}, token_from=url, follow_redirects=True)
    assert "Approved by" in done.get_data(as_text=True), text_of(done.get_data(as_text=True))[-1500:]
    db.session.refresh(recommendation)
    assert recommendation.status == RecommendationStatus.APPROVED


def test_a_new_recommendation_marks_the_lines_whose_score_rests_on_months_not_final(app, draft):
    category = draft.category
    page = approver(app).get(f"/recommendations/new?category={category.slug}&period=2026-04&volume=100&window=6"
                             "&floor=0.1&gamma=2&basis=score")
    text = text_of(page.get_data(as_text=True))
    assert page.status_code == 200
    assert "score rests on months not final: PW-2026-400 2026-03 (disputed)" in text
    assert "score rests on months not final: PW-2026-401 2026-03" in text
