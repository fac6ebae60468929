"""At most one approved allocation per category and target period (SPEC §4), in the app and in the database."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from contracts_app.demo.seed import seed_demo
from models import AuditEvent, Recommendation, RecommendationStatus, Role, db, utcnow

from .test_recommendations import save_draft, sign_in


@pytest.fixture
def demo(app):
    seed_demo()
    db.session.commit()


def _approve(client, draft):
    token = client.csrf_token(f"/recommendations/{draft.id}")
    return client.post(f"/recommendations/{draft.id}/approve", data={"csrf_token": token}, follow_redirects=True)


def test_a_second_approval_for_the_same_category_and_month_is_refused_with_who_and_when(client, demo, monkeypatch):
    monkeypatch.setitem(client.application.config, "ALLOW_SELF_APPROVAL", True)  # one finance user drafts both
    sign_in(client, Role.FINANCE)
    first, second = save_draft(client), save_draft(client)
    assert "can no longer change" in _approve(client, first).get_data(as_text=True)
    db.session.expire_all()
    approved = db.session.scalars(select(Recommendation).where(Recommendation.id == first.id)
                                  .options(joinedload(Recommendation.approved_by))).one()

    page = _approve(client, second).get_data(as_text=True)
    assert (f"Not approved: An allocation for Asphalt resurfacing 2026-11 was already approved on "
            f"{approved.approved_at:%Y-%m-%d %H:%M} UTC by {approved.approved_by.email}; only one can stand.") in page
    db.session.expire_all()
    assert db.session.get(Recommendation, second.id).status == RecommendationStatus.DRAFT
    approvals = select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "recommendation_approved")
    assert db.session.scalar(approvals) == 1


def test_the_database_refuses_a_second_approved_allocation_whatever_the_code_path(session, client, demo):
    sign_in(client, Role.FINANCE)
    first, second, third = save_draft(client), save_draft(client), save_draft(client)
    first.status, first.approved_at = RecommendationStatus.APPROVED, utcnow()
    session.flush()
    with pytest.raises(IntegrityError):
        with session.begin_nested():
            second.status, second.approved_at = RecommendationStatus.APPROVED, utcnow()
    session.refresh(second)
    assert second.status == RecommendationStatus.DRAFT
    third.target_period = "2026-12"  # another month may have its own approved allocation
    third.status, third.approved_at = RecommendationStatus.APPROVED, utcnow()
    session.flush()
