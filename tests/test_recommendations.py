"""Work reallocation for finance: recommend, what-if, save a draft, approve once, export (SPEC §4)."""
from __future__ import annotations

import io
import json
import re
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from contracts_app.demo.seed import seed_demo
from models import AuditEvent, Recommendation, RecommendationLine, RecommendationStatus, Role, User, db

QUERY = "/recommendations/new?category=asphalt-resurfacing&period=2026-11&volume=80&window=6&floor=0.1&gamma=2"


@pytest.fixture
def demo(app):
    seed_demo()
    db.session.commit()


def sign_in(client, role: Role):
    email = db.session.scalars(select(User.email).where(User.role == role)).first()
    assert client.sign_in(email, "demo-outcomes").status_code == 302


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def save_draft(client) -> Recommendation:
    page = client.get(QUERY).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    data = dict(category="asphalt-resurfacing", period="2026-11", volume="80", window="6", floor="0.1", gamma="2",
                csrf_token=token)
    response = client.post("/recommendations/drafts", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return db.session.scalars(select(Recommendation).order_by(Recommendation.id.desc()).options(
        selectinload(Recommendation.lines).joinedload(RecommendationLine.vendor))).first()


def test_recommendation_favours_the_excellent_vendor_and_zeroes_probation(client, demo):
    sign_in(client, Role.FINANCE)
    page = client.get(QUERY).get_data(as_text=True)
    table = page.split('data-testid="recommendation"', 1)[1].split("</table>", 1)[0]
    rows = {m.group(1).strip(): m.group(2) for m in re.finditer(
        r"<tr>\s*<td>([^<]+?)(?:\s*<span[^>]*>[^<]*</span>)*</td>.*?fw-semibold\">([\d.,]+)</td>", table, re.S)}
    assert rows["Summit Road Works"] == "0.00"
    volumes = {name: Decimal(v.replace(",", "")) for name, v in rows.items()}
    assert volumes["Harbor Paving Co"] == max(volumes.values())
    assert sum(volumes.values()) == Decimal("80.00")
    assert "On probation: no work this period" in page


def test_what_if_shows_a_second_table_and_keeps_the_first(client, demo):
    sign_in(client, Role.FINANCE)
    page = client.get(QUERY + "&what_if_gamma=1&what_if_floor=0.2").get_data(as_text=True)
    assert 'data-testid="recommendation"' in page and 'data-testid="what-if"' in page
    assert "What if: floor 20" in page


def test_bad_inputs_are_named_and_kept(client, demo):
    sign_in(client, Role.FINANCE)
    page = client.get("/recommendations/new?category=asphalt-resurfacing&period=2026-13&volume=-5&window=6"
                      "&floor=0.1&gamma=2").get_data(as_text=True)
    assert "Write the month as YYYY-MM" in page and 'value="2026-13"' in page
    assert 'data-testid="recommendation"' not in page


def test_save_approve_once_and_history(client, demo, monkeypatch):
    monkeypatch.setitem(client.application.config, "ALLOW_SELF_APPROVAL", True)  # a one-person office (SPEC §8)
    sign_in(client, Role.FINANCE)
    draft = save_draft(client)
    assert draft.status == RecommendationStatus.DRAFT and len(draft.lines) == 4
    token = client.csrf_token(f"/recommendations/{draft.id}")
    done = client.post(f"/recommendations/{draft.id}/approve", data={"csrf_token": token}, follow_redirects=True)
    assert "can no longer change" in done.get_data(as_text=True)
    db.session.expire_all()
    approved = db.session.scalars(select(Recommendation).where(Recommendation.id == draft.id)
                                  .options(joinedload(Recommendation.approved_by))).one()
    first_time = approved.approved_at
    assert approved.status == RecommendationStatus.APPROVED and approved.approved_by.role == Role.FINANCE
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "recommendation_approved")).all()
    assert len(events) == 1 and events[0].after["status"] == "approved"
    again = client.post(f"/recommendations/{draft.id}/approve", data={"csrf_token": token}, follow_redirects=True)
    assert "Already approved" in again.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Recommendation, draft.id).approved_at == first_time
    assert len(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "recommendation_approved")).all()) == 1
    history = client.get("/recommendations/").get_data(as_text=True)
    assert "Approved" in history and "2026-11" in history


def test_non_finance_cannot_approve_and_nothing_changes(client, demo):
    sign_in(client, Role.FINANCE)
    draft = save_draft(client)
    client.post("/auth/sign-out", data={"csrf_token": client.csrf_token("/")})
    sign_in(client, Role.PROCUREMENT)
    token = client.csrf_token("/")
    assert client.post(f"/recommendations/{draft.id}/approve", data={"csrf_token": token}).status_code == 403
    db.session.expire_all()
    assert db.session.get(Recommendation, draft.id).status == RecommendationStatus.DRAFT


def test_export_reads_back_with_inputs_table_and_method(client, demo):
    sign_in(client, Role.FINANCE)
    draft = save_draft(client)
    response = client.get(f"/recommendations/{draft.id}/export.xlsx")
    workbook = openpyxl.load_workbook(io.BytesIO(response.data))
    assert workbook.sheetnames == ["Inputs", "Allocation", "Method"]
    inputs = {row[0]: row[1] for row in workbook["Inputs"].iter_rows(min_row=2, values_only=True)}
    assert inputs["Target month"] == "2026-11" and inputs["Status"] == "draft"
    lines = {row[0]: row for row in workbook["Allocation"].iter_rows(min_row=2, values_only=True)}
    stored = {line.vendor.name: line for line in draft.lines}
    assert set(lines) == set(stored)
    for name, row in lines.items():
        assert Decimal(str(row[6])) == stored[name].volume
        assert row[12] == stored[name].reason
    assert "largest remainder" in " ".join(str(r[0]) for r in workbook["Method"].iter_rows(values_only=True))


def test_recommend_command_json_uses_spec_names(cli, demo):
    result = cli.invoke(args=["recommend", "asphalt-resurfacing", "--period", "2026-11", "--volume", "80",
                              "--format", "json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    line = payload["records"][0]
    assert {"score", "rank", "insufficient_data", "probation", "share", "volume"} <= set(line)
    assert sum(Decimal(v["volume"]) for v in payload["records"]) == Decimal("80.00")
    assert cli.invoke(args=["recommend", "asphalt-resurfacing", "--period", "2026-11", "--volume", "10.005"]).exit_code == 1
    assert cli.invoke(args=["recommend", "nope", "--period", "2026-11", "--volume", "5"]).exit_code == 1
    assert cli.invoke(args=["recommend", "asphalt-resurfacing", "--volume", "5"]).exit_code == 2
    assert count(Recommendation) == 0 and count(RecommendationLine) == 0
