"""How `import-sheet` prints a check report: readable text, or JSON with SPEC's field names."""
from __future__ import annotations

import json

from imports.check import column_letter

from .flow import PathImport


def _columns(report: dict) -> list[dict]:
    """The header mapping: sheet column letter, header as written, column key (None: ignored)."""
    return [{"column": column_letter(c["index"]), "header": c["header"], "key": c["key"]}
            for c in report.get("columns", [])]


def _left_out(count: int) -> str:
    return f"{count:,} row{'s' if count != 1 else ''} left out because of errors"


def as_json(contract_number: str, period: str, result: PathImport) -> str:
    report = result.report or {}
    payload = {
        "contract": contract_number,
        "period": period,
        "status": ("already_imported" if result.already_imported else "committed" if result.committed
                   else "refused" if report.get("error_count") else "checked"),
        "sheet": report.get("sheet_name"),
        "header_row": report.get("header_row"),
        "columns": _columns(report),
        "rows": report.get("row_count", result.already_imported.row_count if result.already_imported else 0),
        "rows_left_out": report.get("rows_left_out", 0),
        "error_count": report.get("error_count", 0),
        "warning_count": report.get("warning_count", 0),
        "errors": report.get("errors", []),
        "warnings": report.get("warnings", []),
        "clauses": [
            {"key": c["key"], "value": c["value"], "attainment": c["attainment"], "status": c["status"],
             "observations": c["rows"]}
            for c in report.get("preview", [])
        ],
    }
    if result.committed is not None:
        payload["upload_id"] = result.committed.id
    if result.replaced is not None:
        payload["replaced_upload_id"] = result.replaced.id
    return json.dumps(payload, indent=2)


def _fmt(value, places: int = 2) -> str:
    return "—" if value is None else f"{value:,.{places}f}"


def as_text(contract_number: str, period: str, result: PathImport) -> str:
    if result.already_imported is not None:
        done = result.already_imported
        return (f"{contract_number} {period}: already imported (upload #{done.id}, {done.filename}, "
                f"committed {done.committed_at:%Y-%m-%d %H:%M} UTC). Nothing changed.")
    report = result.report or {}
    lines = [f"{contract_number} {period}: {report.get('row_count', 0):,} rows, header on row "
             f"{report.get('header_row')} of sheet '{report.get('sheet_name', '')}'; "
             f"{report.get('error_count', 0)} errors, {report.get('warning_count', 0)} warnings."]
    mapping = _columns(report)
    if mapping:
        lines.append("Columns: " + ", ".join(
            f"{c['column']} '{c['header']}' -> {c['key']}" if c["key"] else f"{c['column']} '{c['header']}' (ignored)"
            for c in mapping))
    for kind in ("errors", "warnings"):
        problems = report.get(kind, [])
        if problems:
            lines.append(f"{kind.capitalize()}:")
            for p in problems:
                where = f"row {p['row']}" if p["row"] else "sheet"
                value = f", value '{p['value']}'" if p["value"] else ""
                lines.append(f"  {where}, column {p['header']}{value}: {p['message']}")
            shown, total = len(problems), report.get(f"{kind[:-1]}_count", len(problems))
            if total > shown:
                lines.append(f"  … and {total - shown} more")
    if report.get("preview"):
        left_out = report.get("rows_left_out", 0)
        lines.append(f"Clauses (from the rows that passed the check; {_left_out(left_out)}):" if left_out
                     else "Clauses:")
        for c in report["preview"]:
            lines.append(f"  {c['key']:<22} value {_fmt(c['value']):>10}  attainment {_fmt(c['attainment'], 1):>6}  "
                         f"{c['status']}  ({c['rows']} rows)")
    if result.committed is not None:
        replaced = f", replacing upload #{result.replaced.id}" if result.replaced else ""
        lines.append(f"Committed as upload #{result.committed.id}{replaced}.")
    elif not report.get("error_count"):
        lines.append("Checked only; run again with --commit to store it.")
    return "\n".join(lines)
