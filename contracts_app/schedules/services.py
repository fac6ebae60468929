"""The clause schedule of a contract: the outcome clauses in force in a period, with their contract
language, for attachment to the signed contract (as a printable page or a Word document)."""
from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import selectinload

from contracts_app.contracts.clause_language import (
    clause_language,
    clause_measure,
    format_number,
    format_percent,
    target_phrase,
    value_with_unit,
)
from models import Contract, OutcomeClause, db
from models import today as utc_today
from scoring.periods import is_period, period_of, period_range

DOCX_MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TABLE_HEADINGS = ("Clause", "Measure", "Target", "Minimum", "Weight", "Incentive", "Penalty")
# Characters XML (and so Word) cannot hold; typed or pasted language may carry them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class PeriodRefused(ValueError):
    """The period asked for is not a month, or not one of the contract's term."""


@dataclass(frozen=True)
class ScheduleClause:
    number: int
    key: str
    label: str
    effective_from: str
    measure: str
    target: str
    minimum: str
    weight: str
    incentive: str
    penalty: str
    language: str

    @property
    def language_lines(self) -> list[str]:
        return self.language.split("\n")


@dataclass(frozen=True)
class Schedule:
    contract: Contract
    period: str
    periods: list[str]
    clauses: list[ScheduleClause]
    total_weight: str
    incentive_cap: str
    penalty_cap: str

    @property
    def term(self) -> str:
        return f"{self.contract.start_date.isoformat()} to {self.contract.end_date.isoformat()}"

    @property
    def filename(self) -> str:
        return f"{safe_filename_part(self.contract.number)}-clause-schedule.docx"


def safe_filename_part(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.") or "contract"


def clean_text(text: str | None) -> str:
    """One form of a clause's text for the page and the document alike: \\n line ends, no characters
    Word cannot store, no blank lines at the ends."""
    lines = _NOT_XML.sub("", text or "").splitlines()
    return "\n".join(line.rstrip() for line in lines).strip("\n")


def schedule_period(contract: Contract, requested: str | None, today: date | None = None) -> str:
    """The requested period, or today's month clamped into the contract's term."""
    first, last = period_of(contract.start_date), period_of(contract.end_date)
    if requested:
        if not is_period(requested):
            raise PeriodRefused(f"'{requested}' is not a period; write it as YYYY-MM, e.g. {first}")
        if not first <= requested <= last:
            raise PeriodRefused(
                f"{requested} is outside the term of contract {contract.number} ({first} to {last})"
            )
        return requested
    current = period_of(today or utc_today())
    return min(max(current, first), last)


def clause_text(clause: OutcomeClause, contract: Contract) -> str:
    """The stored contract language when there is some, else the language written from the terms."""
    if clause.language and clause.language.strip():
        return clean_text(clause.language)
    return clean_text(
        clause_language(
            clause.plain_terms(),
            work_unit=contract.category.unit,
            incentive_cap=contract.incentive_cap,
            penalty_cap=contract.penalty_cap,
        )
    )


def _schedule_clause(number: int, clause: OutcomeClause, contract: Contract) -> ScheduleClause:
    terms = clause.plain_terms()
    minimum = value_with_unit(terms, clause.minimum)
    return ScheduleClause(
        number=number,
        key=clause.key,
        label=clean_text(clause.label),
        effective_from=clause.effective_from,
        measure=clean_text(clause_measure(terms)),
        target=clean_text(target_phrase(terms)),
        minimum=clean_text(minimum),
        weight=format_number(clause.weight, "—"),
        incentive=format_percent(clause.incentive_pct, "—"),
        penalty=format_percent(clause.penalty_pct, "—"),
        language=clause_text(clause, contract),
    )


def build_schedule(contract_id: int, requested_period: str | None = None, today: date | None = None) -> Schedule | None:
    """The schedule of the contract's clauses in force in the period; None for an unknown contract.

    Raises PeriodRefused for a period that is not a month of the contract's term.
    """
    contract = db.session.get(
        Contract,
        contract_id,
        options=[selectinload(Contract.clauses), selectinload(Contract.vendor), selectinload(Contract.category)],
    )
    if contract is None:
        return None
    period = schedule_period(contract, requested_period, today)
    in_force = contract.clauses_in_force(period)
    clauses = [_schedule_clause(n, clause, contract) for n, clause in enumerate(in_force, start=1)]
    return Schedule(
        contract=contract,
        period=period,
        periods=period_range(period_of(contract.start_date), period_of(contract.end_date)),
        clauses=clauses,
        total_weight=format_number(sum((c.weight for c in in_force), Decimal("0"))),
        incentive_cap=format_percent(contract.incentive_cap, "—"),
        penalty_cap=format_percent(contract.penalty_cap, "—"),
    )


def caps_sentence(schedule: Schedule) -> str:
    return (
        f"Incentives earned under all clauses together in a month are capped at {schedule.incentive_cap} "
        f"of that month's invoice; penalties under all clauses together are capped at "
        f"{schedule.penalty_cap} of that month's invoice."
    )


def schedule_docx(schedule: Schedule) -> bytes:
    """The schedule as a Word document: title, contract, table of clauses, language, payment caps."""
    from docx import Document  # python-docx loads only when a schedule is downloaded
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    contract = schedule.contract
    document = Document()
    document.core_properties.title = f"Schedule of outcome clauses, contract {contract.number}"
    document.core_properties.subject = contract.title
    document.styles["Normal"].font.size = Pt(10)

    document.add_heading("Schedule of outcome clauses", level=0)
    details = document.add_table(rows=0, cols=2)
    details.style = "Table Grid"
    for name, value in (
        ("Contract", f"{contract.number} · {contract.title}"),
        ("Vendor", contract.vendor.name),
        ("Service category", f"{contract.category.name} (work unit: {contract.category.unit})"),
        ("Term", schedule.term),
        ("Clauses in force in", schedule.period),
    ):
        cells = details.add_row().cells
        cells[0].text, cells[1].text = name, value
        cells[0].paragraphs[0].runs[0].bold = True

    document.add_heading("Outcome clauses", level=1)
    if schedule.clauses:
        table = document.add_table(rows=1, cols=len(TABLE_HEADINGS))
        table.style = "Table Grid"
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        for cell, heading in zip(table.rows[0].cells, TABLE_HEADINGS, strict=False):
            cell.text = heading
            cell.paragraphs[0].runs[0].bold = True
        for clause in schedule.clauses:
            values = (
                f"{clause.number}. {clause.label}", clause.measure, clause.target, clause.minimum,
                clause.weight, clause.incentive, clause.penalty,
            )
            cells = table.add_row().cells
            for index, (cell, value) in enumerate(zip(cells, values, strict=False)):
                cell.text = value
                if index >= 4:
                    cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
        total = table.add_row().cells
        total[0].text = "Total weight"
        total[4].text = schedule.total_weight
        total[4].paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    else:
        document.add_paragraph(f"No outcome clauses are in force in {schedule.period}.")

    document.add_heading("Contract language", level=1)
    for clause in schedule.clauses:
        paragraph = document.add_paragraph(style="List Number")
        lead = paragraph.add_run(f"{clause.label} (column {clause.key}, in force from {clause.effective_from}).")
        lead.bold = True
        paragraph.add_run().add_break()
        paragraph.add_run(clause.language)

    document.add_heading("Payment caps", level=1)
    document.add_paragraph(caps_sentence(schedule))

    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
