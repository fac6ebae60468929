"""The vendor's say on a committed month (SPEC §8): comments, disputes with evidence, and their resolution.

A vendor user comments and disputes only while the month's review window is open. A contract manager assigned
to the contract, or finance, rejects a dispute with a reason, or upholds it by committing a corrected sheet
through the uploads' supersede flow; that commit links the sheet to the dispute and starts a new window.
"""
from __future__ import annotations

import hashlib
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from imports.evidence import EvidenceRefused, inspect_evidence
from imports.limits import megabytes
from models import (
    ClauseResult,
    Contract,
    ContractPeriodScore,
    Dispute,
    DisputeEvidence,
    DisputeStatus,
    MonthComment,
    Observation,
    Role,
    Upload,
    UploadStatus,
    User,
    db,
    utcnow,
)

from ..audit import snapshot
from ..uploads.access import is_assigned
from . import events
from .review import MonthReview, month_review

COMMENT_MAX = 4000
REASON_MAX = 4000
MAX_ROW_KEYS = 500
MAX_EVIDENCE_FILES = 10


class DisputeRefused(ValueError):
    """The request cannot be taken; str(error) says why and what to do. Nothing was stored."""


@dataclass(frozen=True)
class MonthRecord:
    """Everything the month review page shows."""

    contract: Contract
    period: str
    upload: Upload | None
    review: MonthReview
    score: ContractPeriodScore | None
    results: list[ClauseResult]
    comments: list[MonthComment]
    disputes: list[Dispute]


# --- who may do what -------------------------------------------------------------------------------

def is_vendor_of(user: User, contract: Contract) -> bool:
    return user.role == Role.VENDOR and user.vendor_id is not None and user.vendor_id == contract.vendor_id


def can_resolve(user: User, contract: Contract) -> bool:
    """Finance, or a contract manager assigned to the contract."""
    return user.role == Role.FINANCE or (user.role == Role.CONTRACT_MANAGER and is_assigned(user, contract))


# --- reading -----------------------------------------------------------------------------------------

def contract_for_review(contract_id: int) -> Contract | None:
    """A contract with what the review page and the dispute checks read: its vendor's name, its category."""
    return db.session.scalars(select(Contract).where(Contract.id == contract_id)
                              .options(joinedload(Contract.vendor), joinedload(Contract.category))).first()


def month_record(contract: Contract, period: str) -> MonthRecord:
    from ..uploads.storing import find_committed  # the sheet machinery (numpy, calamine) loads on use

    upload = find_committed(contract, period)
    score = db.session.scalars(select(ContractPeriodScore).where(
        ContractPeriodScore.contract_id == contract.id, ContractPeriodScore.period == period)).first()
    results = list(db.session.scalars(
        select(ClauseResult).options(selectinload(ClauseResult.clause))
        .where(ClauseResult.contract_id == contract.id, ClauseResult.period == period)
        .order_by(ClauseResult.clause_key)))
    comments = list(db.session.scalars(
        select(MonthComment).options(selectinload(MonthComment.author))
        .where(MonthComment.contract_id == contract.id, MonthComment.period == period).order_by(MonthComment.id)))
    disputes = list(db.session.scalars(
        select(Dispute).options(selectinload(Dispute.evidence), selectinload(Dispute.opened_by),
                                selectinload(Dispute.resolved_by), selectinload(Dispute.corrected_upload))
        .where(Dispute.contract_id == contract.id, Dispute.period == period).order_by(Dispute.id)))
    return MonthRecord(contract=contract, period=period, upload=upload, review=month_review(contract.id, period),
                       score=score, results=results, comments=comments, disputes=disputes)


def dispute_of(dispute_id: int) -> Dispute | None:
    return db.session.scalars(
        select(Dispute).options(selectinload(Dispute.evidence), selectinload(Dispute.contract),
                                selectinload(Dispute.corrected_upload))
        .where(Dispute.id == dispute_id)).first()


def evidence_path(evidence: DisputeEvidence) -> Path:
    from ..uploads.flow import upload_folder

    return upload_folder() / evidence.stored_name


# --- the vendor: comment and dispute -----------------------------------------------------------------

def _window_open_upload(contract: Contract, period: str, actor: User) -> Upload:
    from ..uploads.storing import find_committed

    if not is_vendor_of(actor, contract):
        raise DisputeRefused(f"Only users of {contract.vendor.name} comment on or dispute {contract.number}'s months.")
    upload = find_committed(contract, period)
    if upload is None:
        raise DisputeRefused(f"{contract.number} has no committed data for {period}; there is nothing to review.")
    closes_at = upload.review_closes_at
    if closes_at is None or utcnow() >= closes_at:
        when = f" on {closes_at:%Y-%m-%d %H:%M} UTC" if closes_at else ""
        raise DisputeRefused(f"The review window of {contract.number} {period} closed{when}; comments and disputes "
                             "can no longer be opened. Ask the contract manager if something is wrong.")
    return upload


def add_comment(contract: Contract, period: str, body: str, actor: User) -> MonthComment:
    upload = _window_open_upload(contract, period, actor)
    text = (body or "").strip()
    if not text:
        raise DisputeRefused("Write the comment first.")
    if len(text) > COMMENT_MAX:
        raise DisputeRefused(f"The comment is {len(text):,} characters; the limit is {COMMENT_MAX:,}.")
    comment = MonthComment(contract_id=contract.id, period=period, upload_id=upload.id, author_id=actor.id, body=text)
    db.session.add(comment)
    db.session.flush()
    events.comment_added(comment, contract.number, actor)
    return comment


def split_row_keys(text: str | None) -> list[str]:
    seen: dict[str, None] = {}
    for part in (text or "").replace(",", "\n").splitlines():
        if part.strip():
            seen.setdefault(part.strip(), None)
    return list(seen)


@dataclass(frozen=True)
class EvidenceUpload:
    filename: str
    stream: BinaryIO


def _save_evidence(upload: EvidenceUpload, max_bytes: int) -> tuple[Path, str, int, str]:
    """Saves one file under a generated name; refuses it (and removes it) past the size limit or when its
    content is not its type. Returns the path, sha256, size and kind."""
    from ..uploads.flow import limits_from_config, upload_folder

    filename = os.path.basename(upload.filename or "evidence")[:255]
    path = upload_folder() / f"evidence-{uuid.uuid4().hex}{Path(filename).suffix.lower()[:6]}"
    digest = hashlib.sha256()
    size = 0
    try:
        with open(path, "wb") as handle:
            while chunk := upload.stream.read(1024 * 1024):
                size += len(chunk)
                if size > max_bytes:
                    raise EvidenceRefused(f"{filename}: the file is larger than the limit for an evidence file, "
                                          f"{megabytes(max_bytes)}.")
                digest.update(chunk)
                handle.write(chunk)
        kind = inspect_evidence(path, filename, max_bytes, limits_from_config())
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path, digest.hexdigest(), size, kind


def open_dispute(contract: Contract, period: str, *, clause_keys: list[str], row_keys_text: str, reason: str,
                 files: list[EvidenceUpload], actor: User) -> Dispute:
    """A dispute on clause results and/or rows of the month's committed data, with its evidence files.
    Any refused file refuses the whole dispute, naming the file; nothing is stored."""
    upload = _window_open_upload(contract, period, actor)
    reason = (reason or "").strip()
    problems = []
    known_clauses = set(db.session.scalars(select(ClauseResult.clause_key).where(
        ClauseResult.contract_id == contract.id, ClauseResult.period == period)))
    clause_keys = [key for key in dict.fromkeys(clause_keys or []) if key]
    unknown = [key for key in clause_keys if key not in known_clauses]
    if unknown:
        problems.append(f"No clause result {', '.join(unknown)} in {period}.")
    row_keys = split_row_keys(row_keys_text)
    if len(row_keys) > MAX_ROW_KEYS:
        problems.append(f"{len(row_keys):,} rows listed; dispute at most {MAX_ROW_KEYS} rows at once.")
    elif row_keys:
        found = set(db.session.scalars(select(Observation.row_key).where(
            Observation.upload_id == upload.id, Observation.row_key.in_(row_keys))))
        missing = [key for key in row_keys if key not in found]
        if missing:
            shown = ", ".join(missing[:10]) + (f" and {len(missing) - 10} more" if len(missing) > 10 else "")
            problems.append(f"Row {shown} is not in {contract.number}'s {period} data ({contract.category.row_key}).")
    if not clause_keys and not row_keys:
        problems.append("Choose at least one clause result or list at least one row to dispute.")
    if not reason:
        problems.append("Say why the result is wrong (the reason).")
    elif len(reason) > REASON_MAX:
        problems.append(f"The reason is {len(reason):,} characters; the limit is {REASON_MAX:,}.")
    files = [f for f in files if f.filename]
    if len(files) > MAX_EVIDENCE_FILES:
        problems.append(f"{len(files)} evidence files; attach at most {MAX_EVIDENCE_FILES}.")
    if problems:
        raise DisputeRefused(" ".join(problems))
    saved: list[tuple[str, Path, str, int, str]] = []
    max_bytes = current_app.config["DISPUTE_EVIDENCE_MAX_BYTES"]
    try:
        for item in files:
            path, sha256, size, kind = _save_evidence(item, max_bytes)
            saved.append((os.path.basename(item.filename)[:255], path, sha256, size, kind))
    except EvidenceRefused as exc:
        for _, path, *_rest in saved:
            path.unlink(missing_ok=True)
        raise DisputeRefused(f"{exc} Nothing was stored; attach a file within the limit and open the dispute again.") \
            from None
    dispute = Dispute(contract_id=contract.id, period=period, upload_id=upload.id, status=DisputeStatus.OPEN,
                      clause_keys=clause_keys, row_keys=row_keys, reason=reason, opened_by_id=actor.id,
                      opened_at=utcnow())
    db.session.add(dispute)
    db.session.flush()
    evidence = [DisputeEvidence(dispute_id=dispute.id, filename=filename, stored_name=path.name, sha256=sha256,
                                size=size, kind=kind) for filename, path, sha256, size, kind in saved]
    db.session.add_all(evidence)
    db.session.flush()
    events.dispute_opened(dispute, contract.number, actor, evidence)
    return dispute


# --- the city: resolve -------------------------------------------------------------------------------

def _open_for_resolution(dispute: Dispute, actor: User) -> Contract:
    contract = dispute.contract
    if not can_resolve(actor, contract):
        raise DisputeRefused(f"Only finance or a contract manager assigned to {contract.number} resolves its disputes.")
    if dispute.status != DisputeStatus.OPEN:
        raise DisputeRefused(f"Dispute #{dispute.id} was already {dispute.status.value}; nothing changed.")
    return contract


def reject_dispute(dispute: Dispute, reason: str, actor: User) -> None:
    contract = _open_for_resolution(dispute, actor)
    reason = (reason or "").strip()
    if not reason:
        raise DisputeRefused("Write why the dispute is rejected; the vendor reads it.")
    if len(reason) > REASON_MAX:
        raise DisputeRefused(f"The reason is {len(reason):,} characters; the limit is {REASON_MAX:,}.")
    before = snapshot(dispute)
    dispute.status = DisputeStatus.REJECTED
    dispute.resolution = reason
    dispute.resolved_by_id = actor.id
    dispute.resolved_at = utcnow()
    db.session.flush()
    events.dispute_resolved(dispute, contract.number, before, actor)


def correction_reason(dispute: Dispute) -> str:
    """The supersede reason a corrected sheet is committed with, pre-filled from the dispute."""
    return f"Dispute #{dispute.id} upheld: {dispute.reason}"[:2000]


def stage_correction(dispute: Dispute, filename: str, stream: BinaryIO, actor: User) -> Upload | None:
    """Stages the corrected sheet for the dispute's month and links it to the dispute; committing it (the
    supersede flow) upholds the dispute. None when the file is the month's committed data already."""
    from ..uploads.flow import limits_from_config, stage_upload

    _open_for_resolution(dispute, actor)
    contract = dispute.contract
    outcome = stage_upload(contract, dispute.period, filename, stream, actor, limits_from_config())
    if outcome.upload is None:
        raise DisputeRefused("This exact file is already the month's committed data; upload the corrected sheet.")
    before = snapshot(dispute)
    dispute.corrected_upload_id = outcome.upload.id
    db.session.flush()
    from ..audit import record_event

    record_event("dispute_correction_staged", dispute, before=before, after=snapshot(dispute), actor=actor,
                 summary=f"{contract.number} {dispute.period}: corrected sheet {filename} staged for dispute "
                         f"#{dispute.id}")
    return outcome.upload


def staged_correction(dispute: Dispute) -> Upload | None:
    upload = dispute.corrected_upload
    return upload if upload is not None and upload.status == UploadStatus.STAGED else None
