"""Creating jobs (once per idempotency key) and sending them to the queue once their row is committed."""
from __future__ import annotations

import logging

from flask_sqlalchemy.session import Session
from sqlalchemy import event, select

from models import Job, JobStatus, Role, User, db, utcnow

from ..audit import record_event, snapshot

log = logging.getLogger(__name__)
PENDING = "jobs_to_enqueue"


def find_by_key(key: str) -> Job | None:
    return db.session.scalars(select(Job).where(Job.idempotency_key == key)).first()


def start_job(kind: str, key: str, payload: dict, actor: User | None, *, total: int = 0,
              message: str = "Waiting for a worker") -> Job:
    """The job of this key: a new one, the one already queued, running or done, or a failed one started again.

    The job goes to the queue only when the caller's transaction commits (a worker must find its row).
    """
    job = find_by_key(key)
    if job is not None and job.status != JobStatus.FAILED:
        return job
    if job is None:
        job = Job(kind=kind, idempotency_key=key, payload=payload, created_by_id=actor.id if actor else None,
                  progress_total=total, status=JobStatus.QUEUED, attempts=0, message=message)
        db.session.add(job)
        event_name = "job_queued"
    else:
        job.status, job.attempts, job.message, job.result = JobStatus.QUEUED, 0, message, None
        job.payload, job.progress_done, job.progress_total = payload, 0, total
        job.started_at = job.finished_at = None
        event_name = "job_requeued"
    job.enqueued_at = utcnow()
    db.session.flush()
    record_event(event_name, job, after=snapshot(job), actor=actor, summary=f"{kind} job #{job.id} queued ({key})")
    enqueue_after_commit(job.id)
    return job


def enqueue_after_commit(job_id: int, delay: float | None = None) -> None:
    db.session.info.setdefault(PENDING, []).append((job_id, delay))


def can_see(job: Job, user: User) -> bool:
    return user.role == Role.ADMIN or (job.created_by_id is not None and job.created_by_id == user.id)


@event.listens_for(Session, "after_commit")
def _enqueue_committed(session) -> None:
    pending = session.info.pop(PENDING, None)
    if not pending:
        return
    from .queue import enqueue

    for job_id, delay in pending:
        try:
            enqueue(job_id, delay)
        except Exception:  # the queue is down: the lease watcher sends it again later
            log.exception("job #%s could not be queued; it is retried by the lease watcher", job_id)


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session) -> None:
    session.info.pop(PENDING, None)
