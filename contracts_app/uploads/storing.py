"""Storing a checked sheet's rows as observations: the one commit path for uploads and the demo."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import orjson
from flask import current_app
from sqlalchemy import select

from imports.check import CheckedRows
from models import AuditEvent, Contract, Upload, UploadStatus, User, db, utcnow

from ..audit import record_event, snapshot
from ..disputes.linking import start_window, uphold_on_commit
from ..notifications import events as notify_events
from ..stored_scores.recompute import recompute_period
from ..transactions import lock_contract_period, remove_after_commit

__all__ = ["CommitOutcome", "CheckedRows", "commit_rows", "committed_by", "find_committed"]


@dataclass(frozen=True)
class CommitOutcome:
    upload: Upload
    already_imported: bool
    replaced: Upload | None = None


class SupersedeNeedsReason(ValueError):
    """The period already has committed data and no reason was given to replace it."""


def find_committed(contract: Contract, period: str) -> Upload | None:
    """The month's committed upload as the database has it now (not as this session last saw it)."""
    return db.session.scalars(
        select(Upload).where(
            Upload.contract_id == contract.id, Upload.period == period, Upload.status == UploadStatus.COMMITTED
        ).execution_options(populate_existing=True)
    ).first()


def committed_by(upload: Upload) -> str:
    """Who committed an upload, from the audit trail (the person who staged it may be someone else)."""
    actor = db.session.scalars(
        select(AuditEvent.actor).where(AuditEvent.action == "upload_committed", AuditEvent.object_type == "Upload",
                                       AuditEvent.object_id == str(upload.id)).order_by(AuditEvent.id)
    ).first()
    if actor:
        return actor
    email = db.session.scalar(select(User.email).where(User.id == upload.uploaded_by_id)) if upload.uploaded_by_id else None
    return email or "system"


def _replace_other_staged(upload: Upload, contract: Contract, actor: User | None) -> None:
    """Other sheets staged for the same month can no longer be committed: marked replaced, their files removed."""
    others = db.session.scalars(
        select(Upload).where(Upload.contract_id == upload.contract_id, Upload.period == upload.period,
                             Upload.status == UploadStatus.STAGED, Upload.id != upload.id)
        .execution_options(populate_existing=True)
    ).all()
    folder = Path(current_app.config["UPLOAD_FOLDER"])
    for other in others:
        before = snapshot(other, exclude=("report",))
        other.status = UploadStatus.REPLACED
        other.superseded_by_id = upload.id
        if other.stored_name:
            remove_after_commit(folder / other.stored_name)
            other.stored_name = None
        record_event("upload_replaced", other, before=before, after=snapshot(other, exclude=("report",)), actor=actor,
                     summary=f"{contract.number} {upload.period}: staged {other.filename} replaced by "
                             f"upload #{upload.id} ({upload.filename}), committed first")


OBSERVATION_COLUMNS = ("upload_id", "contract_id", "period", "row_number", "row_key", "work_date", "values", "context")


def _insert_observations(upload: Upload, rows: CheckedRows) -> None:
    """Observations straight to the driver: 100,000 rows must store in about the time the database takes.

    PostgreSQL gets them through COPY (psycopg 3), SQLite through one executemany; the ORM's bulk path
    would spend most of its time building parameters. JSON is encoded by orjson.
    """
    if not len(rows):
        return
    connection = db.session.connection()
    dialect = connection.dialect
    names = ", ".join(dialect.identifier_preparer.quote(name) for name in OBSERVATION_COLUMNS)
    upload_id, contract_id, period = upload.id, upload.contract_id, upload.period
    if dialect.name == "postgresql":
        driver = connection.connection.driver_connection
        with driver.cursor() as cursor, cursor.copy(f"COPY observations ({names}) FROM STDIN") as copy:
            for number, key, work_date, values, context in rows.records():
                copy.write_row((upload_id, contract_id, period, number, key, work_date,
                                orjson.dumps(values).decode(), orjson.dumps(context).decode()))
        return
    marks = ", ".join("?" * len(OBSERVATION_COLUMNS))
    parameters = [
        (upload_id, contract_id, period, number, key, _iso_day(work_date), orjson.dumps(values).decode(),
         orjson.dumps(context).decode())
        for number, key, work_date, values, context in rows.records()
    ]
    connection.exec_driver_sql(f"INSERT INTO observations ({names}) VALUES ({marks})", parameters)


def _iso_day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def commit_rows(
    contract: Contract,
    period: str,
    rows: CheckedRows,
    *,
    filename: str,
    sha256: str,
    actor: User | None = None,
    report: dict | None = None,
    staged: Upload | None = None,
    supersede_reason: str | None = None,
) -> CommitOutcome:
    """Stores one period's checked rows as its committed upload, in the caller's transaction.

    The same file (sha256) already committed for this contract and period changes nothing. Other data
    already committed for the period is replaced only with a reason; the old upload stays readable.
    Other sheets staged for the period become 'replaced'. Waits for any other change to the same
    contract and month to finish first, so the loser of a race reads what the winner committed.
    """
    lock_contract_period(contract.id, period)
    existing = find_committed(contract, period)
    if existing is not None and existing.sha256 == sha256:
        return CommitOutcome(existing, already_imported=True)
    if existing is not None and not (supersede_reason or "").strip():
        raise SupersedeNeedsReason(
            f"{contract.number} already has committed data for {period} ({existing.filename}); "
            "replacing it needs a reason"
        )
    upload = staged or Upload(contract_id=contract.id, period=period, filename=filename, sha256=sha256)
    if staged is None:
        db.session.add(upload)
    upload.report = report or upload.report or {}
    upload.row_count = len(rows)
    upload.uploaded_by_id = upload.uploaded_by_id or (actor.id if actor else None)
    if existing is not None:
        before = snapshot(existing, exclude=("report",))
        existing.status = UploadStatus.SUPERSEDED
        existing.supersede_reason = supersede_reason.strip()
        db.session.flush()  # the old one leaves 'committed' before the new one enters it
        upload.status = UploadStatus.COMMITTED
        upload.committed_at = utcnow()
        start_window(upload, contract)
        db.session.flush()
        existing.superseded_by_id = upload.id
        record_event("upload_superseded", existing, before=before, after=snapshot(existing, exclude=("report",)),
                     actor=actor, summary=f"{contract.number} {period}: {existing.filename} replaced by {filename}: "
                                          f"{supersede_reason.strip()}")
    else:
        upload.status = UploadStatus.COMMITTED
        upload.committed_at = utcnow()
        start_window(upload, contract)
        db.session.flush()
    _replace_other_staged(upload, contract, actor)
    _insert_observations(upload, rows)
    recompute_period(contract, period, committed=rows)
    uphold_on_commit(upload, contract, actor, supersede_reason)
    record_event(
        "upload_committed", upload, after=snapshot(upload, exclude=("report",)), actor=actor,
        summary=f"{contract.number} {period}: {len(rows)} rows from {filename}",
    )
    notify_events.month_committed(upload, actor)
    return CommitOutcome(upload, already_imported=False, replaced=existing)
