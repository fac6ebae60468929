"""What happens when a vendor comments on a month, opens a dispute, or a dispute is resolved (SPEC §8).

Each event writes its audit entry and tells the people who must act (contracts_app/notifications/events.py):
a comment or a dispute goes to the contract's managers, a resolution to the vendor's users.
"""
from __future__ import annotations

from models import Dispute, DisputeEvidence, MonthComment, User

from ..audit import record_event, snapshot
from ..notifications import events as notify_events


def comment_added(comment: MonthComment, contract_number: str, actor: User) -> None:
    record_event("month_commented", comment, after=snapshot(comment), actor=actor,
                 summary=f"{contract_number} {comment.period}: comment by {actor.email}")
    notify_events.month_commented(comment, actor)


def dispute_opened(dispute: Dispute, contract_number: str, actor: User, evidence: list[DisputeEvidence]) -> None:
    after = {**snapshot(dispute), "evidence": [{"filename": e.filename, "sha256": e.sha256, "size": e.size}
                                               for e in evidence]}
    record_event("dispute_opened", dispute, after=after, actor=actor,
                 summary=f"{contract_number} {dispute.period}: dispute #{dispute.id} opened by {actor.email}")
    notify_events.dispute_opened(dispute, actor)


def dispute_resolved(dispute: Dispute, contract_number: str, before: dict, actor: User | None) -> None:
    how = "upheld, month superseded" if dispute.corrected_upload_id else "rejected"
    record_event("dispute_resolved", dispute, before=before, after=snapshot(dispute), actor=actor,
                 summary=f"{contract_number} {dispute.period}: dispute #{dispute.id} {how}: {dispute.resolution}")
    notify_events.dispute_resolved(dispute, actor)
