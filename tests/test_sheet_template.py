"""The performance sheet template and the marked-up sheet handed back (SPEC §5): what Excel and the
importer rely on is in the file, and a user's own sheet comes back with every problem shown on it."""
from __future__ import annotations

from datetime import date
from io import BytesIO
from pathlib import Path

import openpyxl
import pytest
from openpyxl.comments import Comment
from openpyxl.styles import Font
from python_calamine import CalamineWorkbook

from imports.markup import CellMark, mark_up_sheet
from imports.template import TemplateColumn, write_template
from scoring.periods import period_bounds

COLUMNS = [
    TemplateColumn("work_order_id", "Work order", "id", "The city's work order number", required=True),
    TemplateColumn("completed_on", "Completed on", "date", "Day the segment was finished", required=True),
    TemplateColumn("street", "Street", "text", "Street and block"),
    TemplateColumn("iri", "Roughness", "number", "Ride roughness after paving", "in/mi", 0, 400),
    TemplateColumn("lane_miles", "Lane-miles", "number", "Lane-miles paved", "lane-mile", valid_min=0),
    TemplateColumn("complaints", "Complaints", "number", "Resident complaints in 30 days"),
    TemplateColumn("signed_off", "Signed off", "yes_no", "Inspector signed the segment off"),
]
KEYS = [column.key for column in COLUMNS]
ERROR_FILL, WARNING_FILL = "FFC7CE", "FFEB9C"


def template_bytes(period: str = "2026-02") -> bytes:
    first_day, last_day = period_bounds(period)
    return write_template(contract_label="PW-2026-014 Harbor Paving", period=period, first_day=first_day,
                          last_day=last_day, columns=COLUMNS, notes=["Work unit: lane-mile."])


def open_bytes(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(BytesIO(data))


def validations_by_column(sheet) -> dict[str, object]:
    """Column letter -> its data validation, checking each covers rows 2..1001 of one column."""
    found = {}
    for validation in sheet.data_validations.dataValidation:
        ranges = str(validation.sqref).split()
        assert len(ranges) == 1
        letter = ranges[0].split(":")[0].rstrip("0123456789")
        assert ranges[0] == f"{letter}2:{letter}1001"
        found[letter] = validation
    return found


# --------------------------------------------------------------------------------------------
# The template
# --------------------------------------------------------------------------------------------

def test_data_sheet_comes_first_with_the_keys_as_a_bold_frozen_header():
    workbook = open_bytes(template_bytes())
    assert workbook.sheetnames == ["Data", "Instructions"]
    sheet = workbook.worksheets[0]
    assert [cell.value for cell in sheet[1]] == KEYS
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.max_row == 1  # no empty cells written below the header


def test_column_formats_keep_identifiers_as_text_and_dates_as_iso():
    sheet = open_bytes(template_bytes())["Data"]
    assert sheet.column_dimensions["A"].number_format == "@"
    assert sheet.column_dimensions["B"].number_format == "yyyy-mm-dd"


def test_column_widths_fit_the_header_and_typical_values():
    sheet = open_bytes(template_bytes())["Data"]
    for index, key in enumerate(KEYS):
        assert sheet.column_dimensions[chr(ord("A") + index)].width >= len(key)
    assert sheet.column_dimensions["C"].width >= 20  # free text gets room


def test_numeric_columns_validate_their_range_and_name_it_in_the_error():
    found = validations_by_column(open_bytes(template_bytes())["Data"])
    iri, lane_miles, complaints = found["D"], found["E"], found["F"]
    assert (iri.type, iri.operator, iri.formula1, iri.formula2) == ("decimal", "between", "0", "400")
    assert "iri" in iri.error and "0 to 400" in iri.error
    assert (lane_miles.type, lane_miles.operator, lane_miles.formula1) == ("decimal", "greaterThanOrEqual", "0")
    assert "lane_miles" in lane_miles.error and "at least 0" in lane_miles.error
    assert complaints.type == "decimal"  # no bounds: any number
    assert all(validation.showErrorMessage and validation.allowBlank for validation in (iri, lane_miles, complaints))


def test_yes_no_column_offers_a_yes_no_list():
    yes_no = validations_by_column(open_bytes(template_bytes())["Data"])["G"]
    assert yes_no.type == "list"
    assert yes_no.formula1 == '"yes,no"'


@pytest.mark.parametrize("period, first, last", [("2026-02", "2026-02-01", "2026-02-28"),
                                                 ("2028-02", "2028-02-01", "2028-02-29"),
                                                 ("2026-12", "2026-12-01", "2026-12-31")])
def test_date_column_accepts_only_days_of_the_period(period, first, last):
    dates = validations_by_column(open_bytes(template_bytes(period))["Data"])["B"]
    assert (dates.type, dates.operator) == ("date", "between")
    serial_day = openpyxl.utils.datetime.from_excel
    assert serial_day(int(dates.formula1)).date().isoformat() == first
    assert serial_day(int(dates.formula2)).date().isoformat() == last
    assert first in dates.error and last in dates.error


def test_text_and_id_columns_carry_no_validation():
    found = validations_by_column(open_bytes(template_bytes())["Data"])
    assert set(found) == {"B", "D", "E", "F", "G"}


def test_instructions_name_the_contract_period_rules_and_every_column():
    sheet = open_bytes(template_bytes())["Instructions"]
    rows = [[value for value in row] for row in sheet.iter_rows(values_only=True)]
    text = "\n".join(str(value) for row in rows for value in row if value is not None)
    assert "PW-2026-014 Harbor Paving" in rows[0][0] and "2026-02" in rows[0][0]
    for phrase in ("one row per unit of work", "2026-02-01", "2026-02-28", "never zero", "95%", "0.95",
                   "yes, y, true, 1, x", "no, n, false, 0", "Work unit: lane-mile."):
        assert phrase in text
    table_start = next(index for index, row in enumerate(rows) if row[0] == "Column")
    assert rows[table_start][:5] == ["Column", "What it means", "Unit", "Valid values", "Required"]
    table = {row[0]: row for row in rows[table_start + 1:] if row[0]}
    assert list(table) == KEYS
    for column in COLUMNS:
        assert table[column.key][1] == column.description
        assert table[column.key][4] == ("yes" if column.required else "no")
    assert table["iri"][2] == "in/mi" and "0 to 400" in table["iri"][3]


def test_template_is_deterministic_and_small():
    assert template_bytes() == template_bytes()
    assert len(template_bytes()) < 20_000


def test_calamine_reads_the_data_sheet_first(tmp_path):
    path = tmp_path / "template.xlsx"
    path.write_bytes(template_bytes())
    workbook = CalamineWorkbook.from_path(str(path))
    assert workbook.sheet_names[0] == "Data"
    assert workbook.get_sheet_by_index(0).to_python()[0] == KEYS


def test_template_refuses_an_unknown_kind_a_repeated_key_and_reversed_days():
    days = {"first_day": date(2026, 2, 1), "last_day": date(2026, 2, 28)}
    with pytest.raises(ValueError):
        write_template(contract_label="x", period="2026-02", columns=[TemplateColumn("a", "A", "money", "")], **days)
    with pytest.raises(ValueError):
        write_template(contract_label="x", period="2026-02", columns=[COLUMNS[0], COLUMNS[0]], **days)
    with pytest.raises(ValueError):
        write_template(contract_label="x", period="2026-02", columns=COLUMNS,
                       first_day=date(2026, 2, 28), last_day=date(2026, 2, 1))


# --------------------------------------------------------------------------------------------
# The marked-up sheet
# --------------------------------------------------------------------------------------------

def users_workbook(path: Path) -> Path:
    """A messy sheet: a title row, the header on row 3, a merged note, a formula and a second sheet."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "March data"
    sheet["A1"] = "Harbor Paving - March"
    sheet["A1"].font = Font(bold=True, size=16)
    sheet.merge_cells("A1:D1")
    sheet.append([])
    sheet.append(["work_order_id", "completed_on", "iri", "signed_off"])
    sheet.append(["00123", "2026-03-04", 88, "yes"])
    sheet.append(["00124", "2026-04-01", 450, "maybe"])
    sheet.append(["00125", "2026-03-09", "=C4+1", "no"])
    sheet.merge_cells("C7:D8")
    sheet["C7"] = "see note"
    sheet["B4"].comment = Comment("checked by phone", "Dana")
    other = workbook.create_sheet("Notes")
    other["A1"] = "keep me"
    workbook.save(path)
    return path


MARKS = [
    CellMark(row=5, column=1, message="2026-04-01 is outside the period 2026-03"),
    CellMark(row=5, column=2, message="450 is outside the valid range 0 to 400"),
    CellMark(row=5, column=2, message="far from this contract's history", severity="warning"),
    CellMark(row=5, column=3, message="'maybe' is not yes or no"),
    CellMark(row=4, column=1, message="dated on a weekend", severity="warning"),
    CellMark(row=3, column=-1, message="missing required column 'complaints'"),
    CellMark(row=8, column=3, message="cell inside a merged range"),
]


def marked_xlsx(tmp_path, marks=MARKS) -> openpyxl.Workbook:
    source = users_workbook(tmp_path / "march.xlsx")
    return open_bytes(mark_up_sheet(source, "xlsx", marks, header_row=3))


def fill_of(cell) -> str:
    return cell.fill.fgColor.rgb[-6:] if cell.fill.patternType == "solid" else ""


def test_marked_cells_are_filled_by_severity_and_commented(tmp_path):
    sheet = marked_xlsx(tmp_path).worksheets[0]
    assert fill_of(sheet["D5"]) == ERROR_FILL
    assert "'maybe' is not yes or no" in sheet["D5"].comment.text
    assert sheet["D5"].comment.author == "Outcome tracker"
    assert fill_of(sheet["B5"]) == ERROR_FILL
    assert fill_of(sheet["A4"]) == "" and fill_of(sheet["C4"]) == ""  # unmarked cells untouched


def test_a_warning_only_cell_is_yellow_and_keeps_the_users_comment(tmp_path):
    sheet = marked_xlsx(tmp_path).worksheets[0]
    assert fill_of(sheet["B4"]) == WARNING_FILL
    assert "Warning: dated on a weekend" in sheet["B4"].comment.text
    assert "checked by phone" in sheet["B4"].comment.text


def test_two_marks_on_one_cell_join_and_the_error_colour_wins(tmp_path):
    cell = marked_xlsx(tmp_path).worksheets[0]["C5"]
    assert fill_of(cell) == ERROR_FILL
    assert "450 is outside the valid range 0 to 400" in cell.comment.text
    assert "far from this contract's history" in cell.comment.text


def test_a_whole_sheet_mark_lands_on_the_first_header_cell(tmp_path):
    cell = marked_xlsx(tmp_path).worksheets[0]["A3"]
    assert fill_of(cell) == ERROR_FILL
    assert "missing required column 'complaints'" in cell.comment.text


def test_a_mark_inside_a_merged_range_goes_on_its_top_left_cell(tmp_path):
    sheet = marked_xlsx(tmp_path).worksheets[0]
    assert fill_of(sheet["C7"]) == ERROR_FILL
    assert "cell inside a merged range" in sheet["C7"].comment.text
    assert "C7:D8" in {str(merged) for merged in sheet.merged_cells.ranges}


def test_problems_sheet_lists_every_mark(tmp_path):
    workbook = marked_xlsx(tmp_path)
    assert workbook.sheetnames == ["March data", "Notes", "Problems"]
    rows = list(workbook["Problems"].iter_rows(values_only=True))
    assert rows[0] == ("Row", "Column", "Header", "Severity", "Message")
    listed = {(row, column, header, severity, message) for row, column, header, severity, message in rows[1:]}
    assert listed == {
        (3, None, None, "error", "missing required column 'complaints'"),
        (4, "B", "completed_on", "warning", "dated on a weekend"),
        (5, "B", "completed_on", "error", "2026-04-01 is outside the period 2026-03"),
        (5, "C", "iri", "error", "450 is outside the valid range 0 to 400"),
        (5, "C", "iri", "warning", "far from this contract's history"),
        (5, "D", "signed_off", "error", "'maybe' is not yes or no"),
        (8, "D", "signed_off", "error", "cell inside a merged range"),
    }
    assert [row[0] for row in rows[1:]] == sorted(row[0] for row in rows[1:])


def test_the_users_values_formulas_formatting_and_sheets_are_kept(tmp_path):
    workbook = marked_xlsx(tmp_path)
    sheet = workbook.worksheets[0]
    assert [[cell.value for cell in row] for row in sheet.iter_rows(min_row=3, max_row=6)] == [
        ["work_order_id", "completed_on", "iri", "signed_off"],
        ["00123", "2026-03-04", 88, "yes"],
        ["00124", "2026-04-01", 450, "maybe"],
        ["00125", "2026-03-09", "=C4+1", "no"],  # the formula stays a formula, never evaluated
    ]
    assert sheet["A1"].value == "Harbor Paving - March" and sheet["A1"].font.bold
    assert workbook["Notes"]["A1"].value == "keep me"


def test_marking_a_marked_sheet_again_replaces_the_old_marks(tmp_path):
    first = mark_up_sheet(users_workbook(tmp_path / "march.xlsx"), "xlsx", MARKS, header_row=3)
    again_path = tmp_path / "march-marked.xlsx"
    again_path.write_bytes(first)
    workbook = open_bytes(mark_up_sheet(again_path, "xlsx", [MARKS[3]], header_row=3))
    sheet = workbook.worksheets[0]
    assert fill_of(sheet["C5"]) == "" and sheet["C5"].comment is None
    assert fill_of(sheet["D5"]) == ERROR_FILL
    assert sheet["B4"].comment.text == "checked by phone"  # the user's own comment is given back
    assert workbook.sheetnames.count("Problems") == 1
    assert len(list(workbook["Problems"].iter_rows())) == 2


def test_a_semicolon_csv_with_bom_comes_back_as_xlsx_with_text_cells(tmp_path):
    source = tmp_path / "march.csv"
    source.write_bytes("\ufeffwork_order_id;completed_on;iri;note\r\n"
                       "00123;2026-03-04;1,5;=1+2\r\n"
                       "00124;2026-04-01;450;\"a; b\"\r\n".encode("utf-8"))
    marks = [CellMark(row=3, column=2, message="450 is outside the valid range 0 to 400"),
             CellMark(row=3, column=2, message="far from history", severity="warning"),
             CellMark(row=1, column=-1, message="missing required column 'signed_off'")]
    workbook = open_bytes(mark_up_sheet(source, "csv", marks, header_row=1))
    sheet = workbook.worksheets[0]
    assert [[cell.value for cell in row] for row in sheet.iter_rows(max_row=3)] == [
        ["work_order_id", "completed_on", "iri", "note"],
        ["00123", "2026-03-04", "1,5", "=1+2"],
        ["00124", "2026-04-01", "450", "a; b"],
    ]
    assert sheet["D2"].data_type == "s"  # "=1+2" is text, not a formula
    assert fill_of(sheet["C3"]) == ERROR_FILL
    assert "450 is outside" in sheet["C3"].comment.text and "far from history" in sheet["C3"].comment.text
    assert fill_of(sheet["A1"]) == ERROR_FILL and "signed_off" in sheet["A1"].comment.text
    problems = list(workbook["Problems"].iter_rows(min_row=2, values_only=True))
    assert [(row[0], row[1], row[2]) for row in problems] == [(1, None, None), (3, "C", "iri"), (3, "C", "iri")]


def test_a_comma_csv_without_bom_is_read_in_place(tmp_path):
    source = tmp_path / "march.csv"
    source.write_text('work_order_id,iri\n00123,"1,234"\n', encoding="utf-8")
    sheet = open_bytes(mark_up_sheet(source, "csv", [CellMark(2, 1, "too rough")], header_row=1)).worksheets[0]
    assert sheet["A2"].value == "00123" and sheet["B2"].value == "1,234"
    assert "too rough" in sheet["B2"].comment.text


def test_refuses_other_file_kinds_and_impossible_marks(tmp_path):
    source = users_workbook(tmp_path / "march.xlsx")
    with pytest.raises(ValueError):
        mark_up_sheet(source, "xls", [], header_row=1)
    with pytest.raises(ValueError):
        mark_up_sheet(source, "xlsx", [CellMark(0, 1, "row 0")], header_row=1)
    with pytest.raises(ValueError):
        mark_up_sheet(source, "xlsx", [CellMark(2, 1, "odd", severity="fatal")], header_row=1)
