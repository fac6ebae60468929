"""What the one commit path of uploads (`uploads/storing.commit_rows`) does for the review window (SPEC §8):
start the committed data's window, and uphold the dispute a corrected sheet was staged for."""
from __future__ import annotations

from sqlalchemy import select

from models import Contract, Dispute, DisputeStatus, Upload, User, db, utcnow

from ..audit import snapshot
from . import events
from .review import window_closes_at


def start_window(upload: Upload, contract: Contract) -> None:
    """The review window of newly committed data: the category's review days from its commit."""
    if upload.committed_at is not None:
        upload.review_closes_at = window_closes_at(upload.committed_at, contract.category)


def uphold_on_commit(upload: Upload, contract: Contract, actor: User | None, reason: str | None) -> None:
    """An open dispute whose corrected sheet this is becomes upheld, linked to the sheet."""
    disputes = db.session.scalars(select(Dispute).where(Dispute.corrected_upload_id == upload.id,
                                                        Dispute.status == DisputeStatus.OPEN)).all()
    for dispute in disputes:
        before = snapshot(dispute)
        dispute.status = DisputeStatus.UPHELD
        dispute.resolution = (reason or "").strip() or f"Upheld: corrected data committed ({upload.filename})."
        dispute.resolved_by_id = actor.id if actor else None
        dispute.resolved_at = utcnow()
        db.session.flush()
        events.dispute_resolved(dispute, contract.number, before, actor)
