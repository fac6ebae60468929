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
