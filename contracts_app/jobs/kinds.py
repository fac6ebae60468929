"""What each kind of job does. A kind works in the session's transaction and never commits: the runner
commits its work together with the job's outcome, so a run is all or nothing."""
from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import event

from models import Contract, Job, Upload, UploadStatus, User, db

from .progress import Progress

COMMIT_UPLOAD = "commit_upload"
RECOMPUTE = "recompute"
SEND_EMAIL = "send_email"
MEETING_PACKET = "meeting_packet"


class JobRefused(ValueError):
    """The work cannot be done as asked (bad input); the message says why. Not retried."""


@dataclass(frozen=True)
class JobOutcome:
    message: str
    result: dict = field(default_factory=dict)


@contextmanager
def _watch_rows_stored(progress: Progress, rows: int):
    """Moves the progress on when the observations INSERT starts and ends (one executemany)."""
    connection = db.session.connection()
    hold = current_app.config["JOBS_TEST_HOLD_AFTER_STORING_SECONDS"]

    def before(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("INSERT INTO observations"):
            progress.set(1, message=f"Storing {rows:,} rows")

    def after(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("INSERT INTO observations"):
            progress.set(2, message=f"Stored {rows:,} rows; scoring the month")
            if hold:
                time.sleep(hold)

    event.listen(connection, "before_cursor_execute", before)
    event.listen(connection, "after_cursor_execute", after)
    try:
        yield
    finally:
        event.remove(connection, "before_cursor_execute", before)
        event.remove(connection, "after_cursor_execute", after)


def commit_upload(job: Job, progress: Progress) -> JobOutcome:
    from ..uploads.flow import UploadRefused, commit_staged

    upload = db.session.get(Upload, job.payload["upload_id"])
    if upload is None:
        raise JobRefused("The upload no longer exists; upload the sheet again.")
    result = {"upload_id": upload.id, "contract_id": upload.contract_id, "period": upload.period}
    if upload.status == UploadStatus.COMMITTED:  # an earlier attempt committed it: nothing to do twice
        return JobOutcome(f"Already committed: {upload.row_count:,} rows for {upload.period}. Nothing changed.",
                          {**result, "rows": upload.row_count, "already": True})
    rows = upload.row_count
    progress.set(0, 3, f"Checking {rows:,} rows again")
    with _watch_rows_stored(progress, rows):
        try:
            actor = db.session.get(User, job.created_by_id) if job.created_by_id else None
            outcome = commit_staged(upload, actor, job.payload.get("reason"))
        except UploadRefused as exc:
            raise JobRefused(f"Not committed: {exc}") from None
    committed = outcome.upload
    result = {**result, "upload_id": committed.id, "rows": committed.row_count}
    if outcome.already_imported:
        return JobOutcome("Already imported: this exact file is the month's committed data. Nothing changed.",
                          {**result, "already": True})
    if outcome.replaced is not None:
        return JobOutcome(f"Committed {committed.row_count:,} rows for {committed.period}, replacing "
                          f"{outcome.replaced.filename} (kept, readable, marked superseded).", result)
    return JobOutcome(f"Committed {committed.row_count:,} rows for {committed.period}.", result)


def recompute(job: Job, progress: Progress) -> JobOutcome:
    from ..stored_scores.recompute import periods_with_data, recompute_period

    contract = db.session.get(Contract, job.payload["contract_id"])
    if contract is None:
        raise JobRefused("The contract no longer exists.")
    since = job.payload["since"]
    periods = periods_with_data(contract, since)
    progress.set(0, len(periods), f"Recomputing {len(periods)} months from {since}")
    for number, period in enumerate(periods, start=1):
        recompute_period(contract, period)
        progress.set(number, message=f"Recomputed {period} ({number} of {len(periods)})")
    return JobOutcome(f"Recomputed {contract.number}'s scores for {len(periods)} months from {since}.",
                      {"contract_id": contract.id, "periods": periods})


def send_email(job: Job, progress: Progress) -> JobOutcome:
    """One notification's email; an SMTP failure raises, so the job is tried again (JOBS_MAX_ATTEMPTS)."""
    from ..notifications.email import send_notification_email

    notification_id = job.payload["notification_id"]
    message = send_notification_email(notification_id, job.payload.get("base_url", ""))
    return JobOutcome(message, {"notification_id": notification_id})


def meeting_packet(job: Job, progress: Progress) -> JobOutcome:
    """A category's monthly meeting packet, as a PDF and a Word document (contracts_app/meetings)."""
    from ..meetings.packet_job import build_packet

    try:
        message, result = build_packet(job, progress)
    except LookupError as exc:
        raise JobRefused(str(exc)) from None
    return JobOutcome(message, result)


KINDS: dict[str, Callable[[Job, Progress], JobOutcome]] = {COMMIT_UPLOAD: commit_upload, RECOMPUTE: recompute,
                                                           SEND_EMAIL: send_email, MEETING_PACKET: meeting_packet}
