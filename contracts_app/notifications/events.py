"""The events that tell people something, called from the paths where they happen."""
from __future__ import annotations

from models import Contract, Dispute, MonthComment, Upload, User, db

from .recipients import contract_managers, vendor_users
from .services import notify

MONTH_COMMITTED = "month_committed"
DISPUTE_OPENED = "dispute_opened"
DISPUTE_RESOLVED = "dispute_resolved"
MONTH_COMMENTED = "month_commented"


def _month_path(contract_id: int, period: str) -> str:
    return f"/contracts/{contract_id}/months/{period}"


def month_committed(upload: Upload, actor: User | None) -> None:
    """SPEC §8: the vendor's users are told when a month of theirs is committed (web, job, command line)."""
    contract = db.session.get(Contract, upload.contract_id)
    users = vendor_users(contract.vendor_id)
    if not users:
        return
    closes = (f" until {upload.review_closes_at:%Y-%m-%d %H:%M} UTC" if upload.review_closes_at is not None
              else " until its review window closes")
    notify(users, MONTH_COMMITTED, f"{contract.number} {upload.period} scores committed",
           f"The city committed {upload.row_count:,} rows for {contract.number} ({contract.title}), "
           f"{upload.period}, and scored the month (see /contracts/{contract.id}/scorecard). The month is "
           f"provisional: you can comment on it or dispute a result{closes}.",
           _month_path(contract.id, upload.period), dedupe_key=f"month-committed:{upload.id}", actor=actor)


def dispute_opened(dispute: Dispute, actor: User) -> None:
    """SPEC §8 / issue 14: the contract's managers are told a vendor disputes a month, so they resolve it."""
    contract = db.session.get(Contract, dispute.contract_id)
    what = ", ".join(dispute.clause_keys or []) or "rows"
    notify(contract_managers(contract.id), DISPUTE_OPENED,
           f"{contract.number} {dispute.period}: the vendor disputes {what}",
           f"{actor.name or actor.email} opened dispute #{dispute.id} on {contract.number}, {dispute.period}: "
           f"{dispute.reason}\nThe month's bonus and penalty are on hold until you uphold or reject it.",
           _month_path(contract.id, dispute.period), dedupe_key=f"dispute-opened:{dispute.id}", actor=actor)


def dispute_resolved(dispute: Dispute, actor: User | None) -> None:
    """The vendor's users are told how their dispute ended."""
    contract = db.session.get(Contract, dispute.contract_id)
    how = ("upheld: the month was superseded with corrected data, which starts a new review window"
           if dispute.corrected_upload_id else "rejected")
    notify(vendor_users(contract.vendor_id), DISPUTE_RESOLVED,
           f"{contract.number} {dispute.period}: dispute #{dispute.id} {how.split(':')[0]}",
           f"Your dispute #{dispute.id} on {contract.number}, {dispute.period}, was {how}."
           + (f"\nReason: {dispute.resolution}" if dispute.resolution else ""),
           _month_path(contract.id, dispute.period), dedupe_key=f"dispute-resolved:{dispute.id}", actor=actor)


def month_commented(comment: MonthComment, actor: User) -> None:
    """A vendor's comment on a month reaches the contract's managers."""
    contract = db.session.get(Contract, comment.contract_id)
    notify(contract_managers(contract.id), MONTH_COMMENTED,
           f"{contract.number} {comment.period}: the vendor commented",
           f"{actor.name or actor.email} commented on {contract.number}, {comment.period}: {comment.body}",
           _month_path(contract.id, comment.period), dedupe_key=f"month-commented:{comment.id}", actor=actor)
