"""The jobs other features start: one idempotency key per piece of work, so a second click is the same job."""
from __future__ import annotations

from flask import current_app

from models import Contract, Job, OutcomeClause, ServiceCategory, Upload, User

from .kinds import COMMIT_UPLOAD, MEETING_PACKET, RECOMPUTE
from .services import find_by_key, start_job


def start_commit_job(upload: Upload, actor: User, reason: str | None) -> Job:
    """A big staged sheet's commit, keyed by the upload: pressing Commit twice queues it once."""
    return start_job(COMMIT_UPLOAD, f"commit-upload:{upload.id}", {"upload_id": upload.id, "reason": reason},
                     actor, total=3, message=f"Waiting for a worker to commit {upload.row_count:,} rows")


def commit_job_of(upload: Upload) -> Job | None:
    return find_by_key(f"commit-upload:{upload.id}")


def recompute_after_amendment(contract: Contract, clause: OutcomeClause, since: str, actor: User) -> Job | None:
    """Recomputes inline when few months are affected; as a job (keyed by the amendment) when many are."""
    from ..stored_scores.recompute import periods_with_data, recompute_from

    periods = periods_with_data(contract, since)
    if len(periods) < current_app.config["JOBS_RECOMPUTE_PERIODS_THRESHOLD"]:
        recompute_from(contract, since)
        return None
    return start_job(RECOMPUTE, f"recompute:{contract.id}:clause-{clause.id}",
                     {"contract_id": contract.id, "since": since}, actor, total=len(periods),
                     message=f"Waiting for a worker to recompute {len(periods)} months from {since}")


def start_packet_job(category: ServiceCategory, period: str, actor: User) -> Job:
    """A meeting packet, keyed by the data version: pressing twice on the same data is one job; after any
    change (an action item recorded, a month committed) a new packet is made."""
    from ..meetings.packet_job import packet_key_prefix
    from ..rankings.cache import data_version

    version = "-".join(str(part) for part in data_version())
    return start_job(MEETING_PACKET, f"{packet_key_prefix(category, period)}{version}",
                     {"category_id": category.id, "period": period}, actor, total=4,
                     message=f"Waiting for a worker to make the {category.name} packet for {period}")
