"""The month's adjustments as .xlsx: money as numbers (2-decimal format), text cells injection-safe."""
from __future__ import annotations

from imports.export import add_sheet, new_workbook, workbook_bytes

from .. import formatting
from .services import ADJUSTED, AWAITING_INVOICE, NO_SHEET, AdjustmentLine, PeriodAdjustments

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MONEY_FORMAT = "#,##0.00"
PERCENT_FORMAT = "0.00"  # percent columns hold percents (5 means 5 %), as the contracts are written
SCORE_FORMAT = "0.0"

ADJUSTMENT_HEADER = [
    "Contract", "Vendor", "Category", "Status", "Invoice", "Composite", "Coverage (%)",
    "Incentives earned (%)", "Incentive cap (%)", "Bonus", "Penalties incurred (%)", "Penalty cap (%)",
    "Penalty", "Net", "Met clauses (incentive %)", "Failed clauses (penalty %)", "Cap note", "Review (SPEC §8)",
    "Payment",
]
MONEY_COLUMNS = (4, 9, 12, 13)
PERCENT_COLUMNS = (7, 8, 10, 11)
COVERAGE_FORMAT = "0.0"  # tenths, rounded down like every page: an incomplete month never reads 100
CLAUSE_HEADER = ["Contract", "Clause key", "Clause", "Status", "Incentive (%)", "Penalty (%)", "Effect"]

STATUS_TEXT = {
    ADJUSTED: "adjusted",
    AWAITING_INVOICE: "invoice not entered",
    NO_SHEET: "no committed sheet: no adjustment",
}


def _causes(causes) -> str:
    return "; ".join(f"{c.key} ({c.percent})" for c in causes)


def _line_row(line: AdjustmentLine) -> list:
    scored = line.has_sheet
    coverage = formatting.coverage_percent(line.coverage) if scored else None  # as the pages show it
    return [
        line.contract.number, line.contract.vendor.name, line.contract.category.name, STATUS_TEXT[line.state],
        line.invoice, line.composite if scored else None, coverage,
        line.incentive_pct if scored else None, line.incentive_cap, line.bonus,
        line.penalty_pct if scored else None, line.penalty_cap, line.penalty, line.net,
        _causes(line.met), _causes(line.failed), "; ".join(line.cap_notes()),
        formatting.review_mark(line.review) if scored else "", line.payment_text,
    ]


def _clause_rows(adjustments: PeriodAdjustments):
    for line in adjustments.lines:
        number = line.contract.number
        pending = "" if line.adjusted else ", once the invoice is entered"
        for cause in line.met:
            yield [number, cause.key, cause.label, "met", cause.pct, None, "bonus" + pending]
        for cause in line.failed:
            yield [number, cause.key, cause.label, "failed", None, cause.pct, "penalty" + pending]
        for cause in line.partial:
            yield [number, cause.key, cause.label, "partial", None, None, "nothing (partly met)"]
        for cause in line.no_value:
            yield [number, cause.key, cause.label, "no data", None, None, "nothing (no value this month)"]


def adjustments_xlsx(adjustments: PeriodAdjustments) -> bytes:
    rows = [_line_row(line) for line in adjustments.lines]
    blank = [None] * len(ADJUSTMENT_HEADER)
    totals = list(blank)
    totals[0] = "Total payable" if adjustments.held_lines else "Total"
    totals[3] = f"{len(adjustments.payable_lines)} adjusted and payable of {len(adjustments.lines)}"
    totals[4] = adjustments.total_invoices
    totals[9] = adjustments.payable_bonus
    totals[12] = adjustments.payable_penalty
    totals[13] = adjustments.payable_net
    held = []
    if adjustments.held_lines:
        held = list(blank)
        held[0] = f"Total {formatting.ON_HOLD}, not payable"
        held[3] = f"{len(adjustments.held_lines)} on hold"
        held[9] = adjustments.held_bonus
        held[12] = adjustments.held_penalty
        held[13] = adjustments.held_net
        held = [held]
    formats = {c: MONEY_FORMAT for c in MONEY_COLUMNS} | {c: PERCENT_FORMAT for c in PERCENT_COLUMNS} | {
        5: SCORE_FORMAT, 6: COVERAGE_FORMAT}
    workbook = new_workbook()
    add_sheet(workbook, f"Adjustments {adjustments.period}", ADJUSTMENT_HEADER, rows + [blank, totals] + held,
              number_formats=formats)
    add_sheet(workbook, "Causing clauses", CLAUSE_HEADER, list(_clause_rows(adjustments)),
              number_formats={4: PERCENT_FORMAT, 5: PERCENT_FORMAT})
    return workbook_bytes(workbook)


def export_filename(adjustments: PeriodAdjustments) -> str:
    suffix = f"_{adjustments.category.slug}" if adjustments.category is not None else ""
    return f"payment-adjustments_{adjustments.period}{suffix}.xlsx"
