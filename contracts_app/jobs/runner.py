"""Runs one job: claim it (attempt n), do its work in one transaction, record the outcome fenced by n.

A worker killed mid-way leaves its transaction uncommitted (nothing half-written) and the row 'running'
with a pulse that stops; leases.py re-queues it and the next attempt starts from scratch.
"""
from __future__ import annotations

import logging

from flask import current_app
from sqlalchemy import update

from models import Job, JobStatus, db, utcnow

from ..transactions import writing
from ..unit_of_work import commit_now
from .kinds import KINDS, JobOutcome, JobRefused
from .progress import Progress, Pulse
from .queue import queue_of

log = logging.getLogger(__name__)


def claim(job_id: int) -> int | None:
    """Marks a queued job running and returns its attempt number; None when it is not queued (any more)."""
    now = utcnow()
    attempt = db.session.execute(
        update(Job).where(Job.id == job_id, Job.status == JobStatus.QUEUED)
        .values(status=JobStatus.RUNNING, attempts=Job.attempts + 1, started_at=now, heartbeat_at=now,
                finished_at=None)
        .returning(Job.attempts)
    ).scalar()
    commit_now()
    return attempt


def _fenced(job_id: int, attempt: int, **values) -> bool:
    """Writes the outcome only if this run still owns the job (no retry took it over)."""
    result = db.session.execute(
        update(Job).where(Job.id == job_id, Job.attempts == attempt, Job.status == JobStatus.RUNNING)
        .values(**values).execution_options(synchronize_session=False))
    return result.rowcount == 1


def run_job(job_id: int) -> None:
    with writing():  # a job is there to write: on SQLite its transactions wait for the write lock
        _claim_and_run(job_id)


def _claim_and_run(job_id: int) -> None:
    attempt = claim(job_id)
    if attempt is None:
        log.info("job #%s is not queued; nothing to do", job_id)
        return
    job = db.session.get(Job, job_id)
    config = current_app.config
    progress = Progress(job_id=job_id, attempt=attempt, total=job.progress_total,
                        message=f"Started (attempt {attempt})")
    pulse = Pulse(queue_of(current_app), progress, config["JOBS_PULSE_SECONDS"])
    pulse.start()
    try:
        _run(job, attempt, progress)
    finally:
        pulse.stop()


def _run(job: Job, attempt: int, progress: Progress) -> None:
    job_id, kind = job.id, KINDS[job.kind]
    try:
        outcome: JobOutcome = kind(job, progress)
    except JobRefused as exc:
        # The work refused (bad input): no retry; what the refusal itself recorded (a refreshed report) is kept.
        if _fenced(job_id, attempt, status=JobStatus.FAILED, message=str(exc), finished_at=utcnow()):
            commit_now()
            log.info("job #%s (%s) refused: %s", job_id, job.kind, exc)
        else:
            db.session.rollback()
        return
    except Exception as exc:
        db.session.rollback()
        _failed_attempt(job_id, attempt, exc)
        raise
    total = progress.total or 1
    if _fenced(job_id, attempt, status=JobStatus.SUCCEEDED, message=outcome.message, result=outcome.result,
               progress_done=total, progress_total=total, finished_at=utcnow()):
        commit_now()
        log.info("job #%s (%s) succeeded on attempt %s: %s", job_id, job.kind, attempt, outcome.message)
    else:
        log.warning("job #%s attempt %s was taken over by a retry; its work is rolled back", job_id, attempt)
        db.session.rollback()


def _failed_attempt(job_id: int, attempt: int, exc: Exception) -> None:
    """An unexpected error: queued again while attempts remain (Huey re-delivers it), else failed."""
    config = current_app.config
    log.exception("job #%s attempt %s failed", job_id, attempt)
    reason = f"{type(exc).__name__}: {exc}"[:500]
    if attempt < config["JOBS_MAX_ATTEMPTS"]:
        values = dict(status=JobStatus.QUEUED, enqueued_at=utcnow(),
                      message=f"Attempt {attempt} failed ({reason}); it is tried again shortly.")
    else:
        values = dict(status=JobStatus.FAILED, finished_at=utcnow(),
                      message=f"Failed after {attempt} attempts: {reason}. Nothing was stored.")
    if _fenced(job_id, attempt, **values):
        commit_now()
    else:
        db.session.rollback()
