"""The review window, the vendor's comments and disputes, and their resolution (SPEC §8)."""
from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, func, select

from contracts_app.disputes.review import ReviewState, month_review, month_reviews, review_state
from models import (
    AuditEvent,
    Dispute,
    DisputeEvidence,
    DisputeStatus,
    MonthComment,
    Notification,
    Role,
    Upload,
    UploadStatus,
    db,
)

from .disputes_support import PDF, commit_month, make_contract, make_manager, make_vendor_user, write_sheet
from .factories import TEST_PASSWORD, UserFactory, VendorFactory
from .notification_support import job_queue, run_queued, smtp  # noqa: F401

NOW = datetime(2026, 4, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _april_2026(time_machine):
    time_machine.move_to(NOW, tick=True)


@pytest.fixture
def month(app, tmp_path):
    contract = make_contract()
    manager = make_manager(contract)
    upload = commit_month(contract, tmp_path, manager)
    return contract, manager, upload


def signed_in(app, user):
    client = app.test_client()
    assert client.sign_in(user.email, TEST_PASSWORD).status_code == 302
    return client


def dispute_form(client, contract, period="2026-03", files=(), **fields):
    url = f"/contracts/{contract.id}/months/{period}"
    data = {"csrf_token": client.csrf_token(url), "reason": "The PCI readings of WO-001 were taken before rolling.",
            "row_keys": "", **fields}
    if files:
        data["evidence"] = [(io.BytesIO(content), name) for name, content in files]
    return client.post(f"{url}/disputes", data=data, content_type="multipart/form-data")


def test_review_state_is_one_rule():
    closes = NOW + timedelta(days=3)
    assert review_state(closes, 0, NOW) == ReviewState.PROVISIONAL
    assert review_state(closes, 1, NOW) == ReviewState.DISPUTED
    assert review_state(closes, 1, NOW + timedelta(days=10)) == ReviewState.DISPUTED
    assert review_state(closes, 0, closes) == ReviewState.FINAL
    assert review_state(None, 0, NOW) == ReviewState.FINAL


def test_a_commit_opens_the_window_for_the_categorys_review_days(month, time_machine):
    contract, _, upload = month
    assert upload.review_closes_at == upload.committed_at + timedelta(days=14)
    review = month_review(contract.id, "2026-03")
    assert review.state == ReviewState.PROVISIONAL and review.window_open
    time_machine.move_to(NOW + timedelta(days=15), tick=True)
    assert month_review(contract.id, "2026-03").state == ReviewState.FINAL


def test_review_days_are_edited_on_the_category_form_and_checked(client, app):
    admin = UserFactory(role=Role.ADMIN)
    contract = make_contract()
    category = contract.category
    client = signed_in(app, admin)
    url = f"/categories/{category.id}/edit"
    fields = {"name": category.name, "slug": category.slug, "unit": category.unit, "row_key": category.row_key,
              "date_column": category.date_column, "context_columns": "street"}
    refused = client.post_form(url, {**fields, "review_days": "200"})
    assert refused.status_code == 200
    assert "between 1 and 90 days" in refused.get_data(as_text=True)
    assert 'value="200"' in refused.get_data(as_text=True)
    saved = client.post_form(url, {**fields, "review_days": "30"})
    assert saved.status_code == 302
    db.session.refresh(category)
    assert category.review_days == 30


def test_the_vendor_comments_and_disputes_with_evidence_and_the_month_is_disputed(app, month):
    contract, manager, upload = month
    vendor_user = make_vendor_user(contract)
    vendor = signed_in(app, vendor_user)
    page = vendor.get(f"/contracts/{contract.id}/months/2026-03")
    assert page.status_code == 200
    assert "The review window is open until" in page.get_data(as_text=True)

    vendor.post_form(f"/contracts/{contract.id}/months/2026-03/comments", {"body": "Rain on the 12th."},
                     token_from=f"/contracts/{contract.id}/months/2026-03")
    response = dispute_form(vendor, contract, clause_keys="pci_after", row_keys="WO-001, WO-002",
                            files=[("readings.pdf", PDF)])
    assert response.status_code == 302
    dispute = db.session.scalars(select(Dispute)).one()
    assert dispute.clause_keys == ["pci_after"] and dispute.row_keys == ["WO-001", "WO-002"]
    assert dispute.opened_by_id == vendor_user.id
    assert month_review(contract.id, "2026-03").state == ReviewState.DISPUTED
    evidence = db.session.scalars(select(DisputeEvidence)).one()
    assert evidence.filename == "readings.pdf" and evidence.stored_name != "readings.pdf" and len(evidence.sha256) == 64

    shown = vendor.get(f"/contracts/{contract.id}/months/2026-03").get_data(as_text=True)
    assert "Rain on the 12th." in shown and "readings.pdf" in shown and "on hold" in shown
    download = f"/disputes/{dispute.id}/evidence/{evidence.id}"
    assert vendor.get(download).data == PDF
    assert signed_in(app, UserFactory(role=Role.FINANCE)).get(download).data == PDF
    other_vendor = UserFactory(role=Role.VENDOR, vendor=VendorFactory(), email="other@vendor.test")
    outsider = signed_in(app, other_vendor)
    assert outsider.get(download).status_code == 404
    assert outsider.get(f"/contracts/{contract.id}/months/2026-03").status_code == 404

    actors = dict(db.session.execute(select(AuditEvent.action, AuditEvent.actor).where(
        AuditEvent.action.in_(["dispute_opened", "month_commented"]))).all())
    assert actors == {"dispute_opened": vendor_user.email, "month_commented": vendor_user.email}
    opened = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "dispute_opened")).one()
    assert opened.after["evidence"] == [{"filename": "readings.pdf", "sha256": evidence.sha256, "size": len(PDF)}]


@pytest.mark.parametrize(("name", "content", "message"), [
    ("readings.pdf", b"just some text pretending", "readings.pdf: the file is named .pdf but is not a PDF document"),
    ("photo.png", PDF, "photo.png: the file is named .png but is not a PNG image"),
    ("notes.docx", b"PK\x03\x04", "notes.docx: files .docx are not accepted as evidence"),
    ("big.pdf", PDF + b"0" * 3000, "big.pdf: the file is larger than the limit for an evidence file, 2 KB"),
])
def test_bad_evidence_is_refused_naming_the_file_and_nothing_is_stored(app, month, name, content, message):
    app.config["DISPUTE_EVIDENCE_MAX_BYTES"] = 2048
    try:
        contract, _, _ = month
        vendor = signed_in(app, make_vendor_user(contract))
        folder = Path(app.config["UPLOAD_FOLDER"])
        before = set(folder.iterdir()) if folder.exists() else set()
        response = dispute_form(vendor, contract, clause_keys="pci_after", files=[("good.pdf", PDF), (name, content)])
        assert response.status_code == 422
        assert message in response.get_data(as_text=True)
        assert "The PCI readings of WO-001" in response.get_data(as_text=True)  # the form keeps what was typed
        assert db.session.scalar(select(func.count(Dispute.id))) == 0
        assert set(folder.iterdir()) == before
    finally:
        app.config["DISPUTE_EVIDENCE_MAX_BYTES"] = 10 * 1024 * 1024


def test_a_dispute_needs_a_known_clause_or_row_and_a_reason(app, month):
    contract, _, _ = month
    vendor = signed_in(app, make_vendor_user(contract))
    response = dispute_form(vendor, contract, row_keys="WO-999", reason="")
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Row WO-999 is not in PW-2026-400&#39;s 2026-03 data" in text
    assert "Say why the result is wrong" in text
    assert db.session.scalar(select(func.count(Dispute.id))) == 0


def test_after_the_window_no_dispute_can_be_opened(app, month, time_machine):
    contract, _, upload = month
    vendor_user = make_vendor_user(contract)
    time_machine.move_to(NOW + timedelta(days=20), tick=True)
    vendor = signed_in(app, vendor_user)
    page = vendor.get(f"/contracts/{contract.id}/months/2026-03").get_data(as_text=True)
    assert f"The review window closed on <strong>{upload.review_closes_at:%Y-%m-%d %H:%M} UTC" in page
    assert "Open the dispute" not in page
    response = dispute_form(vendor, contract, clause_keys="pci_after")
    assert response.status_code == 422
    assert "can no longer be opened" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Dispute.id))) == 0


def test_city_users_cannot_dispute(app, month):
    contract, manager, _ = month
    response = dispute_form(signed_in(app, manager), contract, clause_keys="pci_after")
    assert response.status_code == 403


def open_one(app, contract):
    vendor = signed_in(app, make_vendor_user(contract))
    assert dispute_form(vendor, contract, clause_keys="pci_after").status_code == 302
    return db.session.scalars(select(Dispute)).one()


def test_rejecting_needs_a_written_reason_and_a_resolver(app, month):
    contract, manager, _ = month
    dispute = open_one(app, contract)
    page = f"/contracts/{contract.id}/months/2026-03"
    stranger = signed_in(app, make_manager(make_contract("PW-2026-401")))
    stranger.post_form(f"/disputes/{dispute.id}/reject", {"reason": "no"}, token_from=page)
    finance = signed_in(app, UserFactory(role=Role.FINANCE))
    empty = finance.post_form(f"/disputes/{dispute.id}/reject", {"reason": "  "}, token_from=page,
                              follow_redirects=True)
    assert "Write why the dispute is rejected" in empty.get_data(as_text=True)
    db.session.refresh(dispute)
    assert dispute.status == DisputeStatus.OPEN
    finance.post_form(f"/disputes/{dispute.id}/reject", {"reason": "Readings match the lab report."}, token_from=page)
    db.session.refresh(dispute)
    assert dispute.status == DisputeStatus.REJECTED and dispute.resolution == "Readings match the lab report."
    assert month_review(contract.id, "2026-03").state == ReviewState.PROVISIONAL
    shown = signed_in(app, make_vendor_user(contract, "b@vendor.test")).get(page).get_data(as_text=True)
    assert "Readings match the lab report." in shown


def test_upholding_supersedes_the_month_links_the_sheet_and_starts_a_new_window(app, month, tmp_path, time_machine):
    contract, manager, old = month
    dispute = open_one(app, contract)
    time_machine.move_to(NOW + timedelta(days=5), tick=True)
    client = signed_in(app, manager)
    url = f"/disputes/{dispute.id}/uphold"
    corrected = write_sheet(tmp_path / "march-corrected.xlsx", pci=92)
    with open(corrected, "rb") as handle:
        staged = client.post(url, data={"csrf_token": client.csrf_token(url), "sheet": (handle, corrected.name)},
                             content_type="multipart/form-data")
    assert staged.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert f"Dispute #{dispute.id} upheld: The PCI readings" in page  # the reason, pre-filled
    client.post_form(f"{url}/commit", {"reason": f"Dispute #{dispute.id} upheld: readings retaken."}, token_from=url)
    db.session.refresh(dispute)
    new = db.session.scalars(select(Upload).where(Upload.status == UploadStatus.COMMITTED)).one()
    assert dispute.status == DisputeStatus.UPHELD and dispute.corrected_upload_id == new.id
    db.session.refresh(old)
    assert old.status == UploadStatus.SUPERSEDED
    assert new.review_closes_at == new.committed_at + timedelta(days=14) > old.review_closes_at
    review = month_review(contract.id, "2026-03")
    assert review.state == ReviewState.PROVISIONAL
    resolved = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "dispute_resolved")).one()
    assert resolved.actor == manager.email and "upheld" in resolved.summary


def test_month_reviews_of_many_months_take_one_statement(app, tmp_path):
    manager = None
    contracts = []
    for n in range(4):
        contract = make_contract(f"PW-2026-5{n:02d}")
        manager = make_manager(contract)
        for period in ("2026-02", "2026-03"):
            commit_month(contract, tmp_path, manager, period=period, name=f"{n}-{period}.xlsx")
        contracts.append(contract)
    db.session.flush()
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    engine = db.session.get_bind()
    event.listen(engine, "before_cursor_execute", listener)
    try:
        reviews = month_reviews([c.id for c in contracts])
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert len(reviews) == 8 and all(r.state == ReviewState.PROVISIONAL for r in reviews.values())
    assert len(statements) == 1, statements  # windows and open disputes in one UNION ALL (issue 13)


def test_comments_stay_on_the_record(app, month):
    contract, _, upload = month
    vendor = signed_in(app, make_vendor_user(contract))
    vendor.post_form(f"/contracts/{contract.id}/months/2026-03/comments", {"body": "Crew logs attached later."},
                     token_from=f"/contracts/{contract.id}/months/2026-03")
    comment = db.session.scalars(select(MonthComment)).one()
    assert comment.upload_id == upload.id and comment.body == "Crew logs attached later."


def test_a_dispute_tells_the_managers_and_its_resolution_tells_the_vendor_by_email(app, month, smtp, job_queue):
    """Issue 14: a dispute opened reaches the contract's managers, its resolution the vendor's users, in the app
    and by email through a real SMTP server; each message links to the month's page."""
    contract, manager, _ = month
    manager.email = "manager@city.test"
    db.session.flush()
    vendor_user = make_vendor_user(contract, "crew@vendor.test")
    vendor = signed_in(app, vendor_user)
    assert dispute_form(vendor, contract, clause_keys="pci_after").status_code == 302
    dispute = db.session.scalars(select(Dispute)).one()
    run_queued(job_queue)
    month_path = f"/contracts/{contract.id}/months/2026-03"
    opened = [m for m in smtp.messages if "disputes pci_after" in m.subject]
    assert [m.recipients[0] for m in opened] == ["manager@city.test"]
    assert month_path in opened[0].body and "on hold" in opened[0].body
    assert db.session.scalars(select(Notification.user_id).where(Notification.kind == "dispute_opened")).all() \
        == [manager.id]

    finance = signed_in(app, UserFactory(role=Role.FINANCE))
    finance.post_form(f"/disputes/{dispute.id}/reject", {"reason": "Readings match the lab report."},
                      token_from=month_path)
    run_queued(job_queue)
    resolved = [m for m in smtp.messages if f"dispute #{dispute.id} rejected" in m.subject]
    assert [m.recipients[0] for m in resolved] == ["crew@vendor.test"]
    assert "Readings match the lab report." in resolved[0].body and month_path in resolved[0].body
