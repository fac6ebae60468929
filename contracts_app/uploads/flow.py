"""The monthly sheet flow: stage a file, check it, preview its scores, commit or supersede, discard, mark it up."""
from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
from flask import current_app
from sqlalchemy import select

from imports.check import CheckedRows, CheckReport, ClauseColumn, HistoryStats, Problem, SheetSpec, check_sheet, history_stats
from imports.limits import SheetLimits, SheetRefused, inspect_upload
from imports.markup import CellMark, mark_up_sheet
from imports.reader import collector_paused, read_sheet
from imports.template import TemplateColumn, write_template
from models import Aggregation, Contract, ContractStatus, Observation, Upload, UploadStatus, User, db, today
from scoring.clause_score import score_clause
from scoring.periods import is_period, period_bounds, period_of, period_range

from ..audit import record_event, snapshot
from ..loading import load_related
from ..transactions import lock_contract_period
from .storing import CommitOutcome, commit_rows, committed_by, find_committed

KEY_CHUNK = 5000
HISTORY_PERIODS = 12
HISTORY_SAMPLE = 20_000  # earlier rows read for the far-from-history check: an even spread when there are more


class UploadRefused(ValueError):
    """The sheet cannot go further; the message says why and what to do."""


@dataclass(frozen=True)
class StageOutcome:
    upload: Upload | None
    already_imported: Upload | None = None


def limits_from_config() -> SheetLimits:
    config = current_app.config
    return SheetLimits(
        max_bytes=config["MAX_CONTENT_LENGTH"], max_rows=config["UPLOAD_MAX_ROWS"],
        max_columns=config["UPLOAD_MAX_COLUMNS"], max_uncompressed_bytes=config["UPLOAD_MAX_UNCOMPRESSED_BYTES"],
        max_zip_entries=config["UPLOAD_MAX_ZIP_ENTRIES"],
    )


def upload_folder() -> Path:
    folder = Path(current_app.config["UPLOAD_FOLDER"])
    folder.mkdir(parents=True, exist_ok=True)
    return folder


# --- what a contract's sheet looks like ---------------------------------------------------------

def _number(value) -> float | None:
    return None if value is None else float(value)


def sheet_spec(contract: Contract, period: str) -> SheetSpec:
    load_related([contract], Contract.category, Contract.clauses)
    category = contract.category
    clauses = tuple(
        ClauseColumn(key=c.key, label=c.label, aggregation=c.aggregation.value, unit=c.unit or "",
                     valid_min=_number(c.valid_min), valid_max=_number(c.valid_max), aliases=tuple(c.aliases or ()),
                     denominator=c.denominator)
        for c in contract.clauses_in_force(period)
    )
    return SheetSpec(row_key=category.row_key, date_column=category.date_column,
                     context_columns=tuple(category.context_columns or ()), clauses=clauses)


def template_columns(contract: Contract, period: str) -> list[TemplateColumn]:
    spec = sheet_spec(contract, period)
    columns = [
        TemplateColumn(key=spec.row_key, header=spec.row_key, kind="id", required=True,
                       description="Identifies one unit of work (one row); unique, never reused in another month."),
        TemplateColumn(key=spec.date_column, header=spec.date_column, kind="date", required=True,
                       description=f"The date the work was done, inside {period}."),
    ]
    columns += [TemplateColumn(key=c, header=c, kind="text", description="Context, kept with the row.")
                for c in spec.context_columns]
    for clause in spec.clauses:
        columns.append(TemplateColumn(
            key=clause.key, header=clause.key, kind="yes_no" if clause.yes_no else "number", required=True,
            description=clause.label, unit=clause.unit, valid_min=clause.valid_min, valid_max=clause.valid_max))
    columns += [TemplateColumn(key=d, header=d, kind="number", required=True, valid_min=0,
                               description="Divides a ratio clause's column (e.g. lane-miles of the work).")
                for d in spec.denominators]
    return columns


def template_bytes(contract: Contract, period: str) -> bytes:
    first_day, last_day = period_bounds(period)
    load_related([contract], Contract.vendor)
    return write_template(contract_label=f"{contract.number} {contract.title} ({contract.vendor.name})",
                          period=period, first_day=first_day, last_day=last_day,
                          columns=template_columns(contract, period))


# --- the check ----------------------------------------------------------------------------------

def committed_elsewhere(contract: Contract, period: str) -> Callable[[set[str]], Mapping[str, str]]:
    """Row keys of this sheet already committed for the contract in another period, with that upload."""

    def committed_in_other_periods():
        return (select(Observation.row_key)
                .join(Upload, Upload.id == Observation.upload_id)
                .where(Upload.contract_id == contract.id, Upload.status == UploadStatus.COMMITTED,
                       Upload.period != period))

    def lookup(keys: set[str]) -> dict[str, str]:
        # One pass over the contract's earlier keys (index-only, upload by upload) beats 100,000 bound parameters.
        hits = sorted(keys.intersection(db.session.scalars(committed_in_other_periods())))
        found: dict[str, str] = {}
        for start in range(0, len(hits), KEY_CHUNK):
            rows = db.session.execute(
                select(Observation.row_key, Upload.id, Upload.period, Upload.filename)
                .join(Upload, Upload.id == Observation.upload_id)
                .where(Upload.contract_id == contract.id, Observation.row_key.in_(hits[start:start + KEY_CHUNK]),
                       Upload.status == UploadStatus.COMMITTED, Upload.period != period)
            ).all()
            for key, upload_id, upload_period, filename in rows:
                found[key] = f"upload #{upload_id} ({filename}, {upload_period})"
        return found

    return lookup


def value_history(contract: Contract, period: str, spec: SheetSpec) -> dict[str, HistoryStats | None]:
    """Median, robust spread and usual range of each numeric clause's values in the contract's last 12
    committed months: one query for the months, one for the values (every k-th row past HISTORY_SAMPLE)."""
    months = db.session.execute(
        select(Upload.period, Upload.row_count).where(Upload.contract_id == contract.id,
                                                      Upload.status == UploadStatus.COMMITTED, Upload.period < period)
        .order_by(Upload.period.desc()).limit(HISTORY_PERIODS)
    ).all()
    keys = [clause.key for clause in spec.clauses if not clause.yes_no]
    if not months or not keys:
        return {}
    stride = max(1, -(-sum(count or 0 for _, count in months) // HISTORY_SAMPLE))
    query = (select(*(Observation.values[key].as_float() for key in keys))
             .join(Upload, Upload.id == Observation.upload_id)
             .where(Upload.contract_id == contract.id, Upload.period.in_([p for p, _ in months]),
                    Upload.status == UploadStatus.COMMITTED))
    if stride > 1:
        query = query.where(Observation.row_number % stride == 0)
    rows = db.session.execute(query.limit(2 * HISTORY_SAMPLE)).all()
    return {key: history_stats([row[i] for row in rows]) for i, key in enumerate(keys)}


def check_file(contract: Contract, period: str, path: Path, kind: str, limits: SheetLimits) -> CheckReport:
    spec = sheet_spec(contract, period)
    raw = read_sheet(path, kind, spec.known_columns(), spec.required()[:2], limits)
    report = check_sheet(raw, spec, period, committed_elsewhere=committed_elsewhere(contract, period),
                         history=value_history(contract, period, spec))
    _warn_fractions(contract, period, report)
    return report


def _score_line(outcome) -> str:
    def number(value, places):
        return "—" if value is None else f"{round(value, places):g}"
    return f"value {number(outcome.value, 4)}, attainment {number(outcome.attainment, 1)}, {outcome.status}"


def _warn_fractions(contract: Contract, period: str, report: CheckReport) -> None:
    """A % column whose numbers all lie within ±1 may hold fractions (0.95 for 95 %): it is read as written,
    and the warning shows what the clause would score read either way, so the user can tell."""
    clauses = {clause.key: clause for clause in contract.clauses_in_force(period)}
    headers = {match.key: match for match in report.columns if match.key}
    for key in report.maybe_fractions:
        clause = clauses.get(key)
        if clause is None:
            continue
        terms = clause.plain_terms()
        values = np.asarray(report.rows.passed_floats(key), dtype=float)
        denominators = report.rows.passed_floats(clause.denominator) if clause.aggregation == Aggregation.RATIO else None
        written = score_clause(values, terms, denominators)
        scaled = score_clause(values * 100, terms, denominators)
        match = headers.get(key)
        header = match.header if match else key
        report.warnings.append(Problem(
            row=None, column=match.index if match else -1, header=header, value="",
            message=f"every number in {header} lies between -1 and 1 and none is written as a percent, so the column "
                    f"may hold fractions (0.95 meaning 95 %). Numbers are read as written. Read as written: "
                    f"{_score_line(written)}; read as percents (x100): {_score_line(scaled)}. If they are fractions, "
                    "format the cells as percentages in Excel or write them as 95% and upload again"))


def clause_preview(contract: Contract, period: str, rows: CheckedRows) -> list[dict]:
    """What each clause in force would get from the rows that passed the check, by the scoring method of
    SPEC §3 (rows with an error are left out, as they would not be stored)."""
    out = []
    for clause in contract.clauses_in_force(period):
        terms = clause.plain_terms()
        values = rows.passed_floats(clause.key)
        denominators = rows.passed_floats(clause.denominator) if clause.aggregation == Aggregation.RATIO else None
        outcome = score_clause(values, terms, denominators)
        out.append({"key": clause.key, "label": clause.label, "unit": clause.unit, "value": outcome.value,
                    "attainment": outcome.attainment, "status": outcome.status, "rows": outcome.observations,
                    "target": float(clause.target), "minimum": _number(clause.minimum),
                    "direction": clause.direction.value})
    return out


# --- staging, committing ------------------------------------------------------------------------

def _save_stream(stream: BinaryIO, suffix: str, limits: SheetLimits) -> tuple[Path, str]:
    folder = upload_folder()
    path = folder / f"{uuid.uuid4().hex}{suffix}"
    digest = hashlib.sha256()
    size = 0
    with open(path, "wb") as handle:
        while chunk := stream.read(1024 * 1024):
            size += len(chunk)
            if size > limits.max_bytes:
                handle.close()
                path.unlink(missing_ok=True)
                raise UploadRefused(f"The file is larger than the upload limit of {limits.max_bytes // (1024 * 1024)} MB; "
                                    "nothing was stored.")
            digest.update(chunk)
            handle.write(chunk)
    return path, digest.hexdigest()


def upload_months(contract: Contract) -> list[str]:
    """The months a sheet can be uploaded for, latest first: the contract's term up to today."""
    last = min(contract.end_date, today())
    if last < contract.start_date:
        return []
    return list(reversed(period_range(contract.start_date.strftime("%Y-%m"), period_of(last))))


def default_upload_month(months: list[str]) -> str | None:
    """The month a picker starts on: the latest one that has ended, since this month's sheet is not due yet."""
    current = period_of(today())
    finished = [month for month in months if month < current]
    return finished[0] if finished else (months[0] if months else None)


def check_period(contract: Contract, period: str) -> None:
    if not is_period(period or ""):
        raise UploadRefused(f"'{period}' is not a month: write it as YYYY-MM, e.g. 2026-03.")
    if contract.status == ContractStatus.DRAFT:
        raise UploadRefused(f"{contract.number} is still a draft: sheets are uploaded once it is active.")
    if not contract.covers(period):
        raise UploadRefused(f"{period} is outside {contract.number}'s term ({contract.start_date:%Y-%m} to "
                            f"{contract.end_date:%Y-%m}).")


@collector_paused()  # a sheet's million cells, checked and stored, hold no cycles: see collector_paused
def stage_upload(contract: Contract, period: str, filename: str, stream: BinaryIO, actor: User | None,
                 limits: SheetLimits) -> StageOutcome:
    """Saves the file under a generated name, checks it, and records a staged upload with its report.

    Refused files leave nothing behind; the same file already committed for the period changes nothing.
    """
    check_period(contract, period)
    filename = os.path.basename(filename or "sheet")[:255]
    path, sha256 = _save_stream(stream, Path(filename).suffix.lower()[:10], limits)
    try:
        kind = inspect_upload(path, filename, limits)
        existing = find_committed(contract, period)
        if existing is not None and existing.sha256 == sha256:
            path.unlink(missing_ok=True)
            return StageOutcome(upload=None, already_imported=existing)
        report = check_file(contract, period, path, kind, limits)
    except SheetRefused as exc:
        path.unlink(missing_ok=True)
        raise UploadRefused(f"{filename}: {exc}") from None
    except Exception:
        path.unlink(missing_ok=True)
        raise
    summary = report.to_dict()
    summary["kind"] = kind
    summary["preview"] = clause_preview(contract, period, report.rows)
    upload = Upload(contract_id=contract.id, period=period, filename=filename, sha256=sha256, stored_name=path.name,
                    status=UploadStatus.STAGED, row_count=len(report.rows), report=summary,
                    uploaded_by_id=actor.id if actor else None)
    try:
        db.session.add(upload)
        db.session.flush()
    except Exception:
        path.unlink(missing_ok=True)  # no row points at it: don't leave it behind
        raise
    record_event("upload_staged", upload, after=snapshot(upload, exclude=("report",)), actor=actor,
                 summary=f"{contract.number} {period}: {filename} checked, {summary['error_count']} errors, "
                         f"{summary['warning_count']} warnings")
    return StageOutcome(upload=upload)


def staged_path(upload: Upload) -> Path:
    if not upload.stored_name:
        raise UploadRefused("The file of this upload is not kept on the server; upload the sheet again.")
    return upload_folder() / upload.stored_name


class AlreadyDone(UploadRefused):
    """Someone else committed this sheet, or another one for its month, first; nothing changed."""


def _at(upload: Upload) -> str:
    return f" at {upload.committed_at:%Y-%m-%d %H:%M} UTC" if upload.committed_at else ""


def _not_committable(upload: Upload) -> UploadRefused:
    if upload.status == UploadStatus.COMMITTED:
        return AlreadyDone(f"Already committed by {committed_by(upload)}{_at(upload)}; nothing changed.")
    if upload.status == UploadStatus.REPLACED:
        winner = db.session.get(Upload, upload.superseded_by_id) if upload.superseded_by_id else None
        if winner is not None:
            return AlreadyDone(
                f"{upload.period} was committed by {committed_by(winner)}{_at(winner)} "
                f"from upload #{winner.id} ({winner.filename}); this sheet was not committed and nothing changed. "
                "To use it instead, upload it again and replace that month's data with a reason.")
    return UploadRefused(f"This upload is {upload.status.value}; only a checked, staged sheet can be committed.")


@collector_paused()
def commit_staged(upload: Upload, actor: User | None, reason: str | None = None) -> CommitOutcome:
    """Checks the staged file again (from disk, so any worker can commit) and commits it all or nothing.

    Takes the contract-and-month lock first and then reads the upload again: of two commits at once,
    the second sees what the first did and changes nothing.
    """
    lock_contract_period(upload.contract_id, upload.period)
    db.session.refresh(upload)
    if upload.status != UploadStatus.STAGED:
        raise _not_committable(upload)
    path = staged_path(upload)
    if not path.exists():
        raise UploadRefused("The staged file is no longer on the server; upload the sheet again.")
    contract = db.session.get(Contract, upload.contract_id)
    limits = limits_from_config()
    try:
        report = check_file(contract, upload.period, path, upload.report.get("kind", "xlsx"), limits)
    except SheetRefused as exc:
        raise UploadRefused(str(exc)) from None
    if not report.ok:
        summary = report.to_dict()
        upload.report = {**upload.report, **summary}
        raise UploadRefused(f"The sheet has {len(report.errors)} errors; nothing was committed. Fix them and upload again.")
    try:
        return commit_rows(contract, upload.period, report.rows, filename=upload.filename, sha256=upload.sha256,
                           actor=actor, staged=upload, supersede_reason=reason)
    except ValueError as exc:
        raise UploadRefused(str(exc)) from None


def discard_staged(upload: Upload, actor: User | None) -> None:
    if upload.status != UploadStatus.STAGED:
        raise UploadRefused(f"This upload is {upload.status.value}; only a staged sheet can be discarded.")
    before = snapshot(upload, exclude=("report",))
    upload.status = UploadStatus.REJECTED
    db.session.flush()
    if upload.stored_name:
        staged_path(upload).unlink(missing_ok=True)
    record_event("upload_discarded", upload, before=before, after=snapshot(upload, exclude=("report",)), actor=actor,
                 summary=f"{upload.contract.number} {upload.period}: {upload.filename} discarded")


def marked_up_bytes(upload: Upload) -> bytes:
    """The user's own sheet back, every problem cell highlighted with a comment saying what is wrong."""
    path = staged_path(upload)
    if not path.exists():
        raise UploadRefused("The file is no longer on the server.")
    report = upload.report
    marks = [CellMark(row=p["row"] or report.get("header_row", 1), column=p["column"], message=p["message"],
                      severity=severity)
             for severity, key in (("error", "errors"), ("warning", "warnings")) for p in report.get(key, [])]
    return mark_up_sheet(path, report.get("kind", "xlsx"), marks, header_row=report.get("header_row", 1))


# --- from a file on disk (command line, demo) --------------------------------------------------

@dataclass(frozen=True)
class PathImport:
    report: dict | None  # the check's summary (with the clause preview); None when already imported
    committed: Upload | None = None
    already_imported: Upload | None = None
    replaced: Upload | None = None


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


@collector_paused()
def import_path(contract: Contract, period: str, path: Path, actor: User | None, *, commit: bool,
                reason: str | None = None, limits: SheetLimits | None = None) -> PathImport:
    """Checks a sheet on disk and, when asked and clean, commits it: the same rules as the web flow."""
    limits = limits or limits_from_config()
    check_period(contract, period)
    if path.stat().st_size > limits.max_bytes:
        raise UploadRefused(f"{path.name}: larger than the upload limit of {limits.max_bytes // (1024 * 1024)} MB.")
    sha256 = _file_sha256(path)
    if commit:
        lock_contract_period(contract.id, period)
    try:
        kind = inspect_upload(path, path.name, limits)
        existing = find_committed(contract, period)
        if existing is not None and existing.sha256 == sha256:
            return PathImport(report=None, already_imported=existing)
        report = check_file(contract, period, path, kind, limits)
    except SheetRefused as exc:
        raise UploadRefused(f"{path.name}: {exc}") from None
    summary = {**report.to_dict(), "kind": kind, "preview": clause_preview(contract, period, report.rows)}
    if not commit or not report.ok:
        return PathImport(report=summary)
    if existing is not None and not (reason or "").strip():
        raise UploadRefused(f"{contract.number} already has committed data for {period} ({existing.filename}); "
                            "to replace it, give --replace with --reason.")
    stored = upload_folder() / f"{uuid.uuid4().hex}{path.suffix.lower()[:10]}"
    shutil.copyfile(path, stored)
    staged = Upload(contract_id=contract.id, period=period, filename=path.name[:255], sha256=sha256,
                    stored_name=stored.name, status=UploadStatus.STAGED, report=summary,
                    uploaded_by_id=actor.id if actor else None)
    db.session.add(staged)
    outcome = commit_rows(contract, period, report.rows, filename=path.name, sha256=sha256, actor=actor,
                          report=summary, staged=staged, supersede_reason=reason)
    return PathImport(report=summary, committed=outcome.upload, replaced=outcome.replaced)
