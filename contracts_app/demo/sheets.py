"""Writes the demo's monthly performance sheets as real .xlsx files, as a contractor would send them."""
from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook

from models import Contract


def write_demo_sheet(path: Path, contract: Contract, rows: list[tuple]) -> Path:
    """rows: (row_key, work_date, values, context) from demo.rows; yes/no written as words."""
    category = contract.category
    value_keys = list(rows[0][2]) if rows else []
    context_keys = list(category.context_columns or [])
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Data")
    sheet.append([category.row_key, category.date_column, *context_keys, *value_keys])
    for row_key, work_date, values, context in rows:
        cells = [values[k] for k in value_keys]
        cells = ["yes" if v is True else "no" if v is False else v for v in cells]
        sheet.append([row_key, work_date, *(context.get(k) for k in context_keys), *cells])
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path
