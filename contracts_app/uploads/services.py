"""Storing a checked sheet's rows as observations: the one commit path for uploads and the demo."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import insert, select

from models import Contract, Observation, Upload, UploadStatus, User, db, utcnow

from ..audit import record_event, snapshot


@dataclass(frozen=True)
class SheetRow:
    """One checked data row: its Excel row number, key, work date, clause values and context."""

    row_number: int
    row_key: str
    work_date: date | None
    values: dict
    context: dict


@dataclass(frozen=True)
class CommitOutcome:
    upload: Upload
    already_imported: bool


def find_committed(contract: Contract, period: str) -> Upload | None:
    return db.session.scalars(
        select(Upload).where(
            Upload.contract_id == contract.id, Upload.period == period, Upload.status == UploadStatus.COMMITTED
        )
    ).first()


def commit_rows(
    contract: Contract,
    period: str,
    rows: list[SheetRow],
    *,
    filename: str,
    sha256: str,
    actor: User | None = None,
    report: dict | None = None,
) -> CommitOutcome:
    """Stores one period's rows as a committed upload, in the caller's transaction.

    The same file (sha256) already committed for this contract and period changes nothing.
    """
    existing = find_committed(contract, period)
    if existing is not None and existing.sha256 == sha256:
        return CommitOutcome(existing, already_imported=True)
    if existing is not None:
        raise ValueError(
            f"{contract.number} already has committed data for {period} "
            f"({existing.filename}); replace it with an explicit supersede"
        )
    upload = Upload(
        contract_id=contract.id,
        period=period,
        filename=filename,
        sha256=sha256,
        status=UploadStatus.COMMITTED,
        row_count=len(rows),
        report=report or {},
        uploaded_by_id=actor.id if actor else None,
        committed_at=utcnow(),
    )
    db.session.add(upload)
    db.session.flush()
    if rows:
        db.session.execute(
            insert(Observation),
            [
                {
                    "upload_id": upload.id,
                    "contract_id": contract.id,
                    "period": period,
                    "row_number": row.row_number,
                    "row_key": row.row_key,
                    "work_date": row.work_date,
                    "values": row.values,
                    "context": row.context,
                }
                for row in rows
            ],
        )
    record_event(
        "upload_committed",
        upload,
        after=snapshot(upload, exclude=("report",)),
        actor=actor,
        summary=f"{contract.number} {period}: {len(rows)} rows from {filename}",
    )
    return CommitOutcome(upload, already_imported=False)
