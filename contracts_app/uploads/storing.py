"""Storing a checked sheet's rows as observations: the one commit path for uploads and the demo."""
from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import islice, repeat
from pathlib import Path

import orjson
from flask import current_app
from sqlalchemy import select

from imports.check import CheckedRows
from imports.reader import collector_paused
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

    PostgreSQL gets them through COPY (psycopg 3) as text streamed in pieces (copy_text), SQLite through one
    executemany; the ORM's bulk path would spend most of its time building parameters. The JSON of each
    row is built column at a time (json_objects), never through a dict per row. COPY's pieces are sent by
    psycopg's queued writer, a thread of its own, so the next piece is formatted while the server stores one.
    """
    if not len(rows):
        return
    connection = db.session.connection()
    dialect = connection.dialect
    names = ", ".join(dialect.identifier_preparer.quote(name) for name in OBSERVATION_COLUMNS)
    with collector_paused():
        if dialect.name == "postgresql":
            from psycopg.copy import QueuedLibpqWriter  # psycopg only where PostgreSQL is used

            driver = connection.connection.driver_connection
            with driver.cursor() as cursor, cursor.copy(f"COPY observations ({names}) FROM STDIN",
                                                        writer=QueuedLibpqWriter(cursor)) as copy:
                for chunk in copy_text(upload, rows):
                    copy.write(chunk)
            return
        marks = ", ".join("?" * len(OBSERVATION_COLUMNS))
        connection.exec_driver_sql(f"INSERT INTO observations ({names}) VALUES ({marks})",
                                   list(observation_rows(upload, rows)))


def _iso_days(work_dates: list, empty: str | None) -> Iterator:
    """Each work date as YYYY-MM-DD (`empty` for none); a month has about 31 distinct dates."""
    days: dict = {day: day.isoformat() for day in set(work_dates) if day is not None}
    days[None] = empty
    return map(days.__getitem__, work_dates)


def observation_rows(upload: Upload, rows: CheckedRows) -> Iterator[tuple]:
    """One tuple per row in OBSERVATION_COLUMNS order, values and context as JSON text, zipped in C."""
    count = len(rows)
    return zip(repeat(upload.id, count), repeat(upload.contract_id), repeat(upload.period), rows.row_numbers,
               rows.row_keys, _iso_days(rows.work_dates, None), json_objects(rows.values, count),
               json_objects(rows.context, count))


COPY_CHUNK_ROWS = 10_000  # rows per piece of COPY text: about 1.5 MB, so no text of the whole sheet is built
COPY_SPECIAL = ("\\", "\t", "\n", "\r")
COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_text(upload: Upload, rows: CheckedRows) -> Iterator[str]:
    """The rows in COPY's text format, in pieces of COPY_CHUNK_ROWS rows, each line formatted in C. Each piece's
    JSON is built with the piece, so the server stores the first while the rest are still being written."""
    line = "\t".join([str(upload.id), str(upload.contract_id), copy_escaped([upload.period])[0].replace("%", "%%"),
                      *["%s"] * 5]) + "\n"
    days = _iso_days(rows.work_dates, "\\N")
    for start in range(0, len(rows), COPY_CHUNK_ROWS):
        piece = slice(start, start + COPY_CHUNK_ROWS)
        count = len(rows.row_numbers[piece])
        values = {key: column[piece] for key, column in rows.values.items()}
        context = {key: column[piece] for key, column in rows.context.items()}
        yield "".join(map(line.__mod__, zip(rows.row_numbers[piece], copy_escaped(rows.row_keys[piece]),
                                            islice(days, count), copy_escaped(json_objects(values, count)),
                                            copy_escaped(json_objects(context, count)), strict=True)))


def copy_escaped(column: list[str]) -> list[str]:
    """Text fields for COPY: backslash, tab, newline and carriage return escaped. One scan of the joined column
    finds whether any field needs it (row keys and numbers' JSON never do)."""
    joined = "\x00".join(column)
    if not any(special in joined for special in COPY_SPECIAL):
        return column
    return [field.translate(COPY_ESCAPES) for field in column]


PLAIN_JSON_KINDS = frozenset({float, int, bool, type(None)})  # their JSON text never holds a comma
TEXT_KINDS = frozenset({str, type(None)})


def json_objects(columns: Mapping[str, Sequence], count: int) -> list[str]:
    """Each row's {column: cell} as the JSON text orjson.dumps would write for that dict, column at a time."""
    if not columns:
        return ["{}"] * count
    template = "{" + ",".join(orjson.dumps(name).decode().replace("%", "%%") + ":%s" for name in columns) + "}"
    return list(map(template.__mod__, zip(*(json_cells(column) for column in columns.values()), strict=False)))


def json_cells(column: Sequence) -> list[str]:
    """Each cell of a column as JSON text: numbers, booleans and nulls in one orjson call, split at the commas;
    text by its distinct values; anything else cell by cell."""
    if not len(column):
        return []
    kinds = set(map(type, column))
    if kinds <= PLAIN_JSON_KINDS:
        return orjson.dumps(list(column)).decode()[1:-1].split(",")
    if kinds <= TEXT_KINDS:
        text = {cell: orjson.dumps(cell).decode() for cell in set(column)}
        return list(map(text.__getitem__, column))
    return [orjson.dumps(cell).decode() for cell in column]


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
