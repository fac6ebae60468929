"""Bulk mode: every sheet named CONTRACT-NUMBER_YYYY-MM.xlsx (or .csv) in a folder, each its own unit of work."""
from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from models import Contract, db

from ..unit_of_work import commit_now
from .flow import UploadRefused, import_path

SHEET_NAME_RE = re.compile(r"^(?P<number>.+)_(?P<period>\d{4}-\d{2})\.(xlsx|csv)$", re.IGNORECASE)


@dataclass
class BulkReport:
    counts: dict[str, int] = field(default_factory=lambda: {"committed": 0, "already imported": 0, "checked": 0})
    refused: list[str] = field(default_factory=list)

    def summary(self, total: int) -> str:
        counts = {**self.counts, "refused": len(self.refused)}
        return ", ".join(f"{n} {label}" for label, n in counts.items()) + f" of {total} sheets."


def sheets_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and SHEET_NAME_RE.match(p.name))


def import_sheets(files: Iterable[Path], *, commit: bool, report: BulkReport) -> Iterator[Path]:
    """Checks (and with `commit` stores) each sheet; a refused sheet keeps nothing and the others go on.

    Yields each path once done, so the caller can draw progress.
    """
    for path in files:
        match = SHEET_NAME_RE.match(path.name)
        if match is None:
            report.refused.append(f"{path.name}: not named CONTRACT-NUMBER_YYYY-MM.xlsx (or .csv)")
            yield path
            continue
        contract = db.session.scalars(select(Contract).where(Contract.number == match["number"])).first()
        if contract is None:
            report.refused.append(f"{path.name}: no contract numbered {match['number']}")
        else:
            _import_one(contract, match["period"], path, commit, report)
        yield path


def _import_one(contract: Contract, period: str, path: Path, commit: bool, report: BulkReport) -> None:
    try:
        result = import_path(contract, period, path, None, commit=commit)
    except UploadRefused as exc:
        db.session.rollback()
        report.refused.append(str(exc))
        return
    if result.report and result.report.get("error_count"):
        db.session.rollback()
        report.refused.append(f"{path.name}: {result.report['error_count']} errors (run import-sheet on it for the report)")
        return
    commit_now()
    key = "already imported" if result.already_imported else "committed" if result.committed else "checked"
    report.counts[key] += 1
