"""Jobs on a schedule (queue.py registers them with Huey's crontab): stale staged sheets, milestone reminders,
the data calendar's reminders."""
from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from models import Upload, UploadStatus, db, utcnow

from ..audit import record_event, snapshot
from ..unit_of_work import commit_now

log = logging.getLogger(__name__)


def clean_stale_staged_files() -> int:
    """Staged sheets nobody committed within STAGED_UPLOAD_MAX_AGE_DAYS: file deleted, upload discarded."""
    from ..uploads.flow import staged_path

    cutoff = utcnow() - timedelta(days=current_app.config["STAGED_UPLOAD_MAX_AGE_DAYS"])
    stale = db.session.scalars(select(Upload).options(joinedload(Upload.contract))
                               .where(Upload.status == UploadStatus.STAGED, Upload.uploaded_at < cutoff)).all()
    for upload in stale:
        before = snapshot(upload, exclude=("report",))
        upload.status = UploadStatus.REJECTED
        if upload.stored_name:
            staged_path(upload).unlink(missing_ok=True)
        db.session.flush()
        record_event("upload_expired", upload, before=before, after=snapshot(upload, exclude=("report",)),
                     summary=f"{upload.contract.number} {upload.period}: {upload.filename} staged more than "
                             f"{current_app.config['STAGED_UPLOAD_MAX_AGE_DAYS']} days, discarded")
    commit_now()
    if stale:
        log.info("discarded %s stale staged uploads", len(stale))
    return len(stale)


def remind_milestones_due() -> int:
    """Daily: pending action-plan milestones coming due, told once per milestone and day (README "Notifications")."""
    from ..action_plans.reminders import remind_milestones_due as remind

    written = remind()
    commit_now()
    if written:
        log.info("sent %s milestone reminders", written)
    return written


def send_reminders() -> int:
    """Daily: overdue sheets to their contract managers, closing review windows to vendor users (README
    "Data calendar and reminders"); once per person, kind and day however often it runs."""
    from ..data_calendar.reminders import send_reminders as send

    sent = len(send())
    commit_now()
    if sent:
        log.info("sent %s data reminders", sent)
    return sent
