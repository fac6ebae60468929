"""The monthly performance sheet template (SPEC §5): a "Data" sheet to fill and an "Instructions" sheet.

The header cells are the column keys exactly, because the importer matches on them.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from io import BytesIO
from zipfile import ZIP_DEFLATED, ZipFile, ZipInfo

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

COLUMN_KINDS = ("id", "date", "text", "number", "yes_no")
VALIDATED_ROWS = 1000  # data rows (2..1001) that carry Excel data validation
DATE_FORMAT = "yyyy-mm-dd"
TEXT_FORMAT = "@"
YES_WORDS = ("yes", "y", "true", "1", "x")
NO_WORDS = ("no", "n", "false", "0")
# Typical cell widths (characters) per kind, so values fit even when the header is short.
TYPICAL_WIDTH = {"id": 16, "date": 12, "text": 24, "number": 12, "yes_no": 8}
MAX_WIDTH = 50
# Fixed document timestamps and zip entry times keep the same inputs giving the same bytes.
FIXED_PROPERTIES_TIME = datetime(2000, 1, 1)
FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
# Excel refuses to open a file whose validation texts exceed these lengths.
EXCEL_TITLE_LIMIT = 32
EXCEL_PROMPT_LIMIT = 255
EXCEL_ERROR_LIMIT = 225


@dataclass(frozen=True)
class TemplateColumn:
    """One column of the data sheet: its header key, what kind of value it holds and its limits."""

    key: str
    header: str
    kind: str  # 'id' | 'date' | 'text' | 'number' | 'yes_no'
    description: str
    unit: str = ""
    valid_min: float | None = None
    valid_max: float | None = None
    required: bool = False


def write_template(*, contract_label: str, period: str, first_day: date, last_day: date,
                   columns: list[TemplateColumn], notes: Sequence[str] = ()) -> bytes:
    """The template as .xlsx bytes; the data sheet comes first so a reader taking sheet 1 gets the data.

    `first_day` and `last_day` bound the period's work dates (the caller knows the calendar).
    """
    _check_columns(columns)
    if not first_day <= last_day:
        raise ValueError(f"period {period}: first day {first_day} is after last day {last_day}")
    workbook = Workbook()
    data_sheet = workbook.active
    data_sheet.title = "Data"
    _fill_data_sheet(data_sheet, columns, first_day, last_day)
    instructions = workbook.create_sheet("Instructions")
    _fill_instructions(instructions, contract_label, period, columns, list(notes), first_day, last_day)
    return _deterministic_bytes(workbook)


def _check_columns(columns: list[TemplateColumn]) -> None:
    if not columns:
        raise ValueError("a template needs at least one column")
    seen: set[str] = set()
    for column in columns:
        if column.kind not in COLUMN_KINDS:
            raise ValueError(f"column '{column.key}': kind '{column.kind}' is not one of {', '.join(COLUMN_KINDS)}")
        if column.key in seen:
            raise ValueError(f"column '{column.key}' appears twice")
        seen.add(column.key)


def _fill_data_sheet(sheet: Worksheet, columns: list[TemplateColumn], first_day: date, last_day: date) -> None:
    """Header row only; formats and validation live on whole columns so no empty cells are written."""
    bold = Font(bold=True)
    for index, column in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=index, value=column.key)
        cell.font = bold
        letter = get_column_letter(index)
        dimension = sheet.column_dimensions[letter]
        dimension.width = min(max(len(column.key) + 2, TYPICAL_WIDTH[column.kind]), MAX_WIDTH)
        if column.kind == "id":
            dimension.number_format = TEXT_FORMAT  # leading zeros survive
        elif column.kind == "date":
            dimension.number_format = DATE_FORMAT
        validation = _validation_for(column, first_day, last_day)
        if validation is not None:
            validation.add(f"{letter}2:{letter}{VALIDATED_ROWS + 1}")
            sheet.add_data_validation(validation)
    sheet.freeze_panes = "A2"


def _validation_for(column: TemplateColumn, first_day: date, last_day: date) -> DataValidation | None:
    if column.kind == "number":
        return _number_validation(column)
    if column.kind == "yes_no":
        # A warning, not a stop: the other accepted spellings (y, x, 1 ...) may still be typed.
        return _validation(column, type="list", formula1='"yes,no"', errorStyle="warning",
                           error=f"{column.key}: {_yes_no_text()}.")
    if column.kind == "date":
        return _validation(column, type="date", operator="between",
                           formula1=str(int(to_excel(first_day))), formula2=str(int(to_excel(last_day))),
                           error=f"{column.key}: a date from {first_day.isoformat()} to {last_day.isoformat()}.")
    return None


def _number_validation(column: TemplateColumn) -> DataValidation:
    low, high = column.valid_min, column.valid_max
    error = f"{column.key}: {_range_text(column)}."
    if low is not None and high is not None:
        return _validation(column, type="decimal", operator="between",
                           formula1=_number(low), formula2=_number(high), error=error)
    if low is not None:
        return _validation(column, type="decimal", operator="greaterThanOrEqual", formula1=_number(low), error=error)
    if high is not None:
        return _validation(column, type="decimal", operator="lessThanOrEqual", formula1=_number(high), error=error)
    return _validation(column, type="decimal", operator="between", formula1="-1E+307", formula2="1E+307", error=error)


def _validation(column: TemplateColumn, *, error: str, **rule) -> DataValidation:
    """A rule that allows blanks (empty is missing) and explains itself when typing and on a bad value."""
    return DataValidation(
        allow_blank=True,
        showErrorMessage=True,
        errorTitle=_clip(f"Check {column.key}", EXCEL_TITLE_LIMIT),
        error=_clip(error, EXCEL_ERROR_LIMIT),
        showInputMessage=True,
        promptTitle=_clip(column.header or column.key, EXCEL_TITLE_LIMIT),
        prompt=_clip(column.description, EXCEL_PROMPT_LIMIT),
        **rule,
    )


def _fill_instructions(sheet: Worksheet, contract_label: str, period: str, columns: list[TemplateColumn],
                       notes: list[str], first_day: date, last_day: date) -> None:
    sheet.append([f"Performance sheet: {contract_label}, period {period}"])
    sheet["A1"].font = Font(bold=True, size=14)
    for line in _how_to_fill(period, first_day, last_day) + notes:
        sheet.append([line])
    sheet.append([])
    sheet.append(["Column", "What it means", "Unit", "Valid values", "Required"])
    table_header_row = sheet.max_row
    for cell in sheet[table_header_row]:
        cell.font = Font(bold=True)
    for column in columns:
        sheet.append([column.key, column.description, column.unit, _valid_values_text(column, first_day, last_day),
                      "yes" if column.required else "no"])
    for row in sheet.iter_rows(min_row=table_header_row + 1):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    for letter, width in zip("ABCDE", (28, 60, 14, 36, 10), strict=False):
        sheet.column_dimensions[letter].width = width


def _how_to_fill(period: str, first_day: date, last_day: date) -> list[str]:
    return [
        "Fill the Data sheet: one row per unit of work; keep the header row as it is.",
        f"The date must be inside the period {period}: from {first_day.isoformat()} to {last_day.isoformat()}.",
        "Leave a cell empty when it was not measured: an empty cell is missing, never zero.",
        f"Yes/no columns accept {', '.join(YES_WORDS)} for yes and {', '.join(NO_WORDS)} for no.",
        "Percentages may be written 95% or 0.95.",
        "Save as .xlsx (or .csv) and upload it; the check lists every problem before anything is stored.",
    ]


def _valid_values_text(column: TemplateColumn, first_day: date, last_day: date) -> str:
    if column.kind == "id":
        return "text, one row per unit of work (leading zeros are kept)"
    if column.kind == "date":
        return f"a date from {first_day.isoformat()} to {last_day.isoformat()}, written yyyy-mm-dd"
    if column.kind == "number":
        return _range_text(column)
    if column.kind == "yes_no":
        return _yes_no_text()
    return "any text"


def _range_text(column: TemplateColumn) -> str:
    low, high = column.valid_min, column.valid_max
    if low is not None and high is not None:
        return f"a number from {_number(low)} to {_number(high)}"
    if low is not None:
        return f"a number of at least {_number(low)}"
    if high is not None:
        return f"a number of at most {_number(high)}"
    return "any number"


def _yes_no_text() -> str:
    return f"yes or no (also {', '.join(YES_WORDS[1:])} / {', '.join(NO_WORDS[1:])})"


def _number(value: float) -> str:
    """A bound as Excel and people write it: 100, not 100.0."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _deterministic_bytes(workbook: Workbook) -> bytes:
    """Save with fixed document and zip entry times, so the same inputs give the same bytes."""
    workbook.properties.created = FIXED_PROPERTIES_TIME
    workbook.properties.modified = FIXED_PROPERTIES_TIME
    saved = BytesIO()
    ExcelWriter(workbook, ZipFile(saved, "w", ZIP_DEFLATED)).save()  # save() closes the archive
    fixed = BytesIO()
    with ZipFile(saved) as source, ZipFile(fixed, "w", ZIP_DEFLATED) as target:
        for name in source.namelist():
            target.writestr(ZipInfo(name, date_time=FIXED_ZIP_TIME), source.read(name), compress_type=ZIP_DEFLATED)
    return fixed.getvalue()
