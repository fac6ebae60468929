"""What happens when a vendor comments on a month, opens a dispute, or a dispute is resolved (SPEC §8).

Today each event only writes its audit entry. This is the one place the notifications of SPEC §9 (email and
in-app, built on the `plans` branch) are to be connected at merge: telling the vendor's users and the
contract's managers that a dispute was opened or resolved.
"""
from __future__ import annotations

from models import Dispute, DisputeEvidence, MonthComment, User

from ..audit import record_event, snapshot


def comment_added(comment: MonthComment, contract_number: str, actor: User) -> None:
    record_event("month_commented", comment, after=snapshot(comment), actor=actor,
                 summary=f"{contract_number} {comment.period}: comment by {actor.email}")


def dispute_opened(dispute: Dispute, contract_number: str, actor: User, evidence: list[DisputeEvidence]) -> None:
    after = {**snapshot(dispute), "evidence": [{"filename": e.filename, "sha256": e.sha256, "size": e.size}
                                               for e in evidence]}
    record_event("dispute_opened", dispute, after=after, actor=actor,
                 summary=f"{contract_number} {dispute.period}: dispute #{dispute.id} opened by {actor.email}")


def dispute_resolved(dispute: Dispute, contract_number: str, before: dict, actor: User | None) -> None:
    how = "upheld, month superseded" if dispute.corrected_upload_id else "rejected"
    record_event("dispute_resolved", dispute, before=before, after=snapshot(dispute), actor=actor,
                 summary=f"{contract_number} {dispute.period}: dispute #{dispute.id} {how}: {dispute.resolution}")
