"""The events that tell people something, called from the paths where they happen."""
from __future__ import annotations

from models import Contract, Upload, User, db

from .recipients import vendor_users
from .services import notify

MONTH_COMMITTED = "month_committed"


def month_committed(upload: Upload, actor: User | None) -> None:
    """SPEC §8: the vendor's users are told when a month of theirs is committed (web, job, command line)."""
    contract = db.session.get(Contract, upload.contract_id)
    users = vendor_users(contract.vendor_id)
    if not users:
        return
    notify(users, MONTH_COMMITTED, f"{contract.number} {upload.period} scores committed",
           f"The city committed {upload.row_count:,} rows for {contract.number} ({contract.title}), "
           f"{upload.period}, and scored the month. The month is provisional during its review window: you can "
           "comment on it or dispute a result until the window closes.",
           f"/contracts/{contract.id}/scorecard", dedupe_key=f"month-committed:{upload.id}", actor=actor)
