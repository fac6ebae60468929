"""Committed rows are stored exactly as checked, on SQLite (executemany) and PostgreSQL (COPY) alike."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from contracts_app.uploads.storing import commit_rows
from imports.check import CheckedRows
from models import Observation, db
from tests.factories import ContractFactory, OutcomeClauseFactory

AWKWARD_KEYS = ["WO-1", "tab\there", "line\nbreak", "back\\slash", "quote\"d", "ünïcødé €", r"\N", "00123"]


def test_awkward_text_survives_the_bulk_insert(app):
    contract = ContractFactory(start_date=date(2026, 1, 1), end_date=date(2026, 12, 31))
    OutcomeClauseFactory(contract=contract, key="pci_after", effective_from="2026-01")
    n = len(AWKWARD_KEYS)
    rows = CheckedRows(
        row_numbers=list(range(2, n + 2)), row_keys=AWKWARD_KEYS, work_dates=[date(2026, 3, 5)] * (n - 1) + [None],
        values={"pci_after": [91.25, None, 0.1, -3.0, 1e-7, 88.0, 100.0, 12345678.125]},
        context={"street": ["Maple\tAve", "a\\b", None, "\\N", "日本", "x\ny", "", "O'Brien"]},
    )
    outcome = commit_rows(contract, "2026-03", rows, filename="awkward.xlsx", sha256="a" * 64)
    db.session.flush()
    stored = db.session.scalars(select(Observation).where(Observation.upload_id == outcome.upload.id)
                                .order_by(Observation.row_number)).all()
    assert [o.row_key for o in stored] == AWKWARD_KEYS
    assert [o.values["pci_after"] for o in stored] == rows.values["pci_after"]
    assert [o.context["street"] for o in stored] == rows.context["street"]
    assert [o.work_date for o in stored] == rows.work_dates
    assert [o.row_number for o in stored] == rows.row_numbers


def test_text_that_looks_like_formatting_or_copy_markers_is_stored_as_written(app):
    """PostgreSQL's COPY text is formatted column at a time: %-signs, a lone backslash-period and the NULL
    marker are data, and a row whose only escape is in its JSON still gets it."""
    contract = ContractFactory(start_date=date(2026, 1, 1), end_date=date(2026, 12, 31))
    OutcomeClauseFactory(contract=contract, key="pci_after", effective_from="2026-01")
    keys = ["%s", "\\.", "100%", "%(x)s", "\\N", "plain"]
    rows = CheckedRows(
        row_numbers=list(range(2, 8)), row_keys=keys, work_dates=[date(2026, 3, 5)] * 6,
        values={"pci_after": [1.0, 2.0, None, 4.0, 5.0, 6.5]},
        context={"street": ["%d", "\\.", "tab\tonly in JSON", "\"quoted\"", None, "\u2028"]},
    )
    outcome = commit_rows(contract, "2026-03", rows, filename="marks.xlsx", sha256="b" * 64)
    db.session.flush()
    stored = db.session.scalars(select(Observation).where(Observation.upload_id == outcome.upload.id)
                                .order_by(Observation.row_number)).all()
    assert [o.row_key for o in stored] == keys
    assert [o.context["street"] for o in stored] == rows.context["street"]
    assert [o.values["pci_after"] for o in stored] == rows.values["pci_after"]


def test_copy_text_in_many_pieces_is_the_same_text_as_in_one(monkeypatch):
    """Each piece of COPY text builds its own JSON (the server stores one piece while the next is written): cut
    into pieces of 3 rows, the rows, their dates and their JSON stay aligned."""
    from types import SimpleNamespace

    from contracts_app.uploads import storing

    n = len(AWKWARD_KEYS)
    rows = CheckedRows(
        row_numbers=list(range(2, n + 2)), row_keys=AWKWARD_KEYS,
        work_dates=[date(2026, 3, day) for day in range(1, n)] + [None],
        values={"pci_after": [91.25, None, 0.1, -3.0, 1e-7, 88.0, 100.0, 12345678.125],
                "on_time": [True, False, None, True, True, False, True, None]},
        context={"street": ["Maple\tAve", "a\\b", None, "\\N", "日本", "x\ny", "", "O'Brien"]},
    )
    upload = SimpleNamespace(id=7, contract_id=3, period="2026-03")
    whole = "".join(storing.copy_text(upload, rows))
    monkeypatch.setattr(storing, "COPY_CHUNK_ROWS", 3)
    pieces = list(storing.copy_text(upload, rows))

    assert len(pieces) == 3 and "".join(pieces) == whole
    lines = whole.splitlines()
    assert len(lines) == n
    assert lines[3].split("\t")[3:6] == ["5", "back\\\\slash", "2026-03-04"]
    assert lines[-1].split("\t")[5:] == ["\\N", '{"pci_after":12345678.125,"on_time":null}', '{"street":"O\'Brien"}']
