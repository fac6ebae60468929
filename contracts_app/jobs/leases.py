"""The lease on a running job: its worker pulses; a job whose pulse stopped (worker killed, machine lost)
goes back to the queue as a new attempt, or fails once its attempts are spent. Queued jobs whose enqueue
was lost (queue down) are sent again. Run by every worker at start, every few seconds, and each minute."""
from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import or_, select, update

from models import Job, JobStatus, db, utcnow

from ..unit_of_work import commit_now
from .queue import enqueue, read_pulse

log = logging.getLogger(__name__)
RESEND_QUEUED_AFTER = timedelta(minutes=10)


def _last_sign_of_life(job: Job) -> float:
    pulse = read_pulse(job.id)
    seen = job.heartbeat_at.timestamp() if job.heartbeat_at else 0.0
    if pulse and pulse.get("attempt") == job.attempts:
        seen = max(seen, float(pulse.get("at", 0)))
    return seen


def requeue_abandoned() -> list[int]:
    """Re-queues jobs whose worker stopped; returns their ids."""
    config = current_app.config
    now = utcnow()
    lease = config["JOBS_LEASE_SECONDS"]
    requeued: list[int] = []
    running = db.session.scalars(select(Job).where(Job.status == JobStatus.RUNNING)).all()
    for job in running:
        silent = now.timestamp() - _last_sign_of_life(job)
        if silent < lease:
            continue
        spent = job.attempts >= config["JOBS_MAX_ATTEMPTS"]
        values = (dict(status=JobStatus.FAILED, finished_at=now,
                       message=f"The worker stopped during attempt {job.attempts} and no attempts are left. "
                               "Nothing was stored.")
                  if spent else
                  dict(status=JobStatus.QUEUED, enqueued_at=now,
                       message=f"The worker stopped during attempt {job.attempts} (no sign of life for "
                               f"{int(silent)} s); nothing of it was stored. Starting again."))
        moved = db.session.execute(
            update(Job).where(Job.id == job.id, Job.status == JobStatus.RUNNING, Job.attempts == job.attempts)
            .values(**values).execution_options(synchronize_session=False)).rowcount
        if moved and not spent:
            requeued.append(job.id)
        if moved:
            log.warning("job #%s: worker stopped during attempt %s; %s", job.id, job.attempts,
                        "failed" if spent else "re-queued")
    lost = db.session.scalars(select(Job.id).where(
        Job.status == JobStatus.QUEUED,
        or_(Job.enqueued_at.is_(None), Job.enqueued_at < now - RESEND_QUEUED_AFTER))).all()
    if lost:
        db.session.execute(update(Job).where(Job.id.in_(lost)).values(enqueued_at=now)
                           .execution_options(synchronize_session=False))
    commit_now()
    for job_id in [*requeued, *lost]:
        enqueue(job_id)  # a duplicate delivery is harmless: only one run can claim a queued job
    return [*requeued, *lost]
