"""Uploaded sheets (SPEC §5): hostile files are refused before parsing with a message naming the problem,
and messy real-world sheets are read as the user sees them in Excel."""
from __future__ import annotations

import string
import subprocess
import sys
import textwrap
import zipfile
from datetime import date
from pathlib import Path

import defusedxml.ElementTree
import openpyxl
import openpyxl.xml
import openpyxl.xml.functions
import pytest
from defusedxml import DefusedXmlException
from hypothesis import given
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from imports.limits import SheetLimits, SheetRefused, inspect_upload
from imports.reader import ColumnMatch, RawSheet, normalise_header, read_sheet
from tests import sheet_fixtures as fx

LIMITS = SheetLimits()
SPELLINGS = {  # header spelling (aliases included) -> column key, as a contract's sheet spec gives them
    "work_order_id": "work_order_id", "WO #": "work_order_id", "completed_on": "completed_on",
    "pci_after": "pci_after", "PCI": "pci_after", "roughness": "roughness", "street": "street",
    "on_time": "on_time", "cost": "cost", "crew": "crew",
}
KNOWN = {normalise_header(spelling): key for spelling, key in SPELLINGS.items()}
REQUIRED = ["work_order_id", "completed_on"]


def refusal(path: Path, filename: str | None = None, limits: SheetLimits = LIMITS) -> str:
    with pytest.raises(SheetRefused) as refused:
        inspect_upload(path, filename or path.name, limits)
    return str(refused.value)


def read(path: Path, kind: str = "xlsx", limits: SheetLimits = LIMITS) -> RawSheet:
    return read_sheet(path, kind, KNOWN, REQUIRED, limits)


def read_refusal(path: Path, kind: str = "xlsx", limits: SheetLimits = LIMITS) -> str:
    with pytest.raises(SheetRefused) as refused:
        read(path, kind, limits)
    return str(refused.value)


def cells_by_row(sheet: RawSheet) -> dict[int, list]:
    return dict(sheet.rows)


# --- inspect_upload: what is refused before any parsing -----------------------------------------

def test_ordinary_workbook_and_csv_pass_inspection(tmp_path):
    assert inspect_upload(fx.small_workbook(tmp_path), "March.XLSX", LIMITS) == "xlsx"
    assert inspect_upload(fx.write_messy_csv(tmp_path), "march.csv", LIMITS) == "csv"


@pytest.mark.parametrize("write, expected", [
    (lambda folder: fx.write_zip_bomb(folder), ["zip bomb", "1,029 times to 210 MB", "100:1", "over 10 MB"]),
    (lambda folder: fx.write_zip_bomb(folder, uncompressed_mb=50), ["zip bomb", "to 50 MB", "100:1"]),
    (lambda folder: fx.write_many_entries_xlsx(folder), ["3,009 parts", "the limit is 1,000"]),
    (lambda folder: fx.write_png_as_xlsx(folder), ["named .xlsx but is not an Excel workbook", "PNG image",
                                                    "Accepted file types: .xlsx", ".csv"]),
    (lambda folder: fx.write_xlsm(folder), ["(.xlsm) are not accepted", "save as .xlsx"]),
    (lambda folder: fx.write_truncated_xlsx(folder), ["damaged or incomplete", "save it again"]),
    (lambda folder: fx.write_encrypted_xlsx(folder),
     ["password-protected (encrypted) workbook: remove the password and save again"]),
    (lambda folder: fx.write_huge_dimension_xlsx(folder), ["Sheet 'Data' declares 1,048,576 rows (A1:XFD1048576)",
                                                           "the limit is 200,000 rows"]),
    (lambda folder: fx.write_huge_dimension_xlsx(folder, reference="A1:ZZ10"),
     ["declares 702 columns (A1:ZZ10)", "the limit is 200 columns"]),
    (lambda folder: fx.write_billion_laughs_xlsx(folder), ["xl/worksheets/sheet1.xml", "DTD", "<!DOCTYPE",
                                                           "was refused"]),
], ids=["zip-bomb-210MB", "zip-bomb-50MB", "thousands-of-entries", "png-named-xlsx", "xlsm", "truncated",
        "encrypted", "huge-dimension-rows", "huge-dimension-columns", "billion-laughs"])
def test_hostile_files_are_refused_with_the_problem_named(tmp_path, write, expected):
    path = write(tmp_path)
    message = refusal(path)
    for text in expected:
        assert text in message
    assert "Traceback" not in message


def test_zip_bomb_fixture_stays_small_on_disk(tmp_path):
    path = fx.write_zip_bomb(tmp_path)
    with zipfile.ZipFile(path) as archive:
        declared = sum(entry.file_size for entry in archive.infolist())
    assert declared > LIMITS.max_uncompressed_bytes
    assert path.stat().st_size < 512 * 1024


def test_file_over_the_upload_size_is_refused_naming_both_sizes(tmp_path):
    path = fx.small_workbook(tmp_path)
    message = refusal(path, limits=SheetLimits(max_bytes=1024))
    assert message.startswith("The file is ") and "the upload limit is 1 KB" in message


def test_workbook_too_big_once_uncompressed_is_refused(tmp_path):
    path = fx.write_plain_xlsx(tmp_path, ["work_order_id", "completed_on"],
                               [[f"WO-{n}", "2026-03-02"] for n in range(3000)])
    message = refusal(path, limits=SheetLimits(max_uncompressed_bytes=100_000))
    assert "once uncompressed; the limit is 97.7 KB" in message


@pytest.mark.parametrize("filename, expected", [
    ("march.xls", ["Excel 97-2003 workbooks (.xls) are not accepted", "Accepted file types: .xlsx", ".csv"]),
    ("march.ods", ["'.ods' files are not accepted", "Accepted file types: .xlsx"]),
    ("march", ["Files without an extension are not accepted", "Accepted file types"]),
    ("march.xlsm", ["save as .xlsx"]),
])
def test_types_other_than_xlsx_and_csv_are_refused_by_name(tmp_path, filename, expected):
    message = refusal(fx.small_workbook(tmp_path), filename)
    for text in expected:
        assert text in message


def test_extension_and_signature_must_agree(tmp_path):
    workbook = fx.small_workbook(tmp_path)
    assert "named .csv but is a zip archive" in refusal(workbook, "march.csv")
    text = fx.write_csv(tmp_path, ["work_order_id"], [["WO-1"]])
    assert "it looks like a text file; a CSV file must be named .csv" in refusal(text, "march.xlsx")
    plain_zip = tmp_path / "plain.xlsx"
    with zipfile.ZipFile(plain_zip, "w") as archive:
        archive.writestr("readme.txt", "hello")
    assert "zip archive but not an Excel workbook" in refusal(plain_zip)


def test_old_xls_renamed_xlsx_is_told_apart_from_an_encrypted_workbook(tmp_path):
    path = tmp_path / "old.xlsx"
    path.write_bytes(fx.OLE_SIGNATURE + bytes(504) + "Workbook".encode("utf-16-le") + bytes(1024))
    assert "Excel 97-2003 workbook (.xls) renamed .xlsx" in refusal(path)


def test_renamed_macro_workbook_is_refused(tmp_path):
    path = fx.small_workbook(tmp_path)
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("xl/vbaProject.bin", b"\x00" * 16)
    assert "contains macros" in refusal(path) and "save as .xlsx" in refusal(path)


def test_empty_file_is_refused(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    assert "The file is empty" in refusal(path)


@pytest.mark.parametrize("data, expected", [
    ("work_order_id,completed_on\r\nWO-1,2026-03-02\r\n".encode("utf-16"), "UTF-16"),
    ("work_order_id;street\r\nWO-1;Stra\u00dfe\r\n".encode("cp1252"), "byte 0xDF on line 2 is not valid UTF-8"),
    (b"work_order_id\r\nWO-1\x00\r\n", "NUL bytes"),
])
def test_csv_must_be_utf8_text(tmp_path, data, expected):
    path = tmp_path / "sheet.csv"
    path.write_bytes(data)
    message = refusal(path)
    assert expected in message
    if "UTF" in expected:
        assert "CSV UTF-8" in message


def test_xml_part_starting_with_a_long_comment_is_refused(tmp_path):
    path = fx.rewrite_part(fx.small_workbook(tmp_path), "xl/styles.xml",
                           lambda xml: b"<!--" + b" " * 70_000 + b"--><!DOCTYPE x []>" + xml)
    assert "does not start like an Excel XML part" in refusal(path)


def test_openpyxl_parses_with_defusedxml():
    assert openpyxl.xml.DEFUSEDXML is True
    assert openpyxl.xml.functions.iterparse is defusedxml.ElementTree.iterparse


def test_openpyxl_does_not_expand_entities(tmp_path):
    path = fx.write_billion_laughs_xlsx(tmp_path)
    with pytest.raises(Exception) as raised:
        openpyxl.load_workbook(path)
    causes, error = [], raised.value
    while error is not None:
        causes.append(error)
        error = error.__cause__ or error.__context__
    assert any(isinstance(cause, DefusedXmlException) for cause in causes)


# --- read_sheet: messy sheets read as the user sees them --------------------------------------

@pytest.fixture
def messy(tmp_path) -> RawSheet:
    return read(fx.write_messy_xlsx(tmp_path))


def test_header_is_found_under_titles_and_a_note(messy):
    assert messy.sheet_name == "Data"
    assert messy.header_row == fx.MESSY_HEADER_ROW


def test_headers_match_after_normalising_and_through_aliases(messy):
    assert [(c.index, c.key) for c in messy.columns] == [
        (1, "work_order_id"), (2, "completed_on"), (3, "pci_after"), (4, "roughness"), (5, "street"),
        (6, "on_time"), (7, "cost"), (8, "crew"), (11, None)]
    assert messy.columns[0] == ColumnMatch(index=1, header="  Work Order ID ", key="work_order_id")
    assert messy.columns[-1].header == "Remarks"


def test_header_merged_over_two_columns_names_the_first_only(messy):
    indexes = [c.index for c in messy.columns]
    assert 8 in indexes and 9 not in indexes  # "Crew" is merged over I5:J5


def test_blank_rows_and_the_note_below_are_dropped(messy):
    assert [number for number, _ in messy.rows] == [6, 7, 8, 10, 11]
    assert messy.notes == [(13, fx.MESSY_NOTE_BELOW)]


def test_blank_columns_stay_empty_and_unlabelled(messy):
    labelled = {c.index for c in messy.columns}
    for _, cells in messy.rows:
        assert cells[0] is None and cells[10] is None
    assert 0 not in labelled and 10 not in labelled


def test_merged_data_cell_is_repeated_into_every_row_of_its_range(messy):
    rows = cells_by_row(messy)
    assert [rows[n][5] for n in (6, 7, 8, 10)] == ["Main St", "Main St", "Main St", "Elm St"]


def test_values_stay_as_stored_for_the_check_to_convert(messy):
    rows = cells_by_row(messy)
    assert rows[7][1] == "00123"  # a text ID keeps its zeros
    assert [rows[n][2] for n in (6, 7, 8, 10, 11)] == [
        date(2026, 3, 2), float(fx.excel_serial(date(2026, 3, 4))), "2026-03-05", "03/05/2026", "5 Mar 2026"]
    assert [rows[n][6] for n in (6, 7)] == ["95%", 0.95]
    assert [rows[n][7] for n in (7, 10)] == ["1,234.5", "2,000"]


def test_formula_reads_its_saved_result_and_one_without_is_reported(messy):
    rows = cells_by_row(messy)
    assert rows[8][3] == 92.0
    assert rows[10][3] is None
    assert messy.formula_without_value == {(10, 3)}


def test_error_values_are_kept_as_their_text(messy):
    assert cells_by_row(messy)[11][4] == "#N/A"


def test_header_below_row_20_is_refused_naming_what_is_missing(tmp_path):
    titles = [[f"Report line {n}"] for n in range(20)]
    path = fx.write_plain_xlsx(tmp_path, ["Work Order ID", "Completed On"], [["WO-1", "2026-03-02"]], above=titles)
    message = read_refusal(path)
    assert "work_order_id, completed_on" in message and "first 20 rows" in message


def test_missing_required_column_names_it_and_the_closest_row(tmp_path):
    path = fx.write_plain_xlsx(tmp_path, ["Work Order ID", "Street"], [["WO-1", "Main St"]], above=[["Title"]])
    message = read_refusal(path)
    assert message.startswith("Missing required column completed_on")
    assert "row 2" in message and "first 20 rows" in message


def test_header_row_is_the_one_matching_most_columns(tmp_path):
    above = [["Work order id", "notes"]]  # matches one column but lacks the date
    path = fx.write_plain_xlsx(tmp_path, ["WO #", "completed on", "Street"], [["WO-1", "2026-03-02", "Main"]],
                               above=above)
    sheet = read(path)
    assert sheet.header_row == 2 and [c.key for c in sheet.columns] == ["work_order_id", "completed_on", "street"]


def test_a_lone_identifier_below_the_data_stays_a_row(tmp_path):
    path = fx.write_plain_xlsx(tmp_path, ["work_order_id", "completed_on"],
                               [["WO-1", "2026-03-02"], ["WO-2", None], ["Checked by the inspector"]])
    sheet = read(path)
    assert [number for number, _ in sheet.rows] == [2, 3]
    assert sheet.notes == [(4, "Checked by the inspector")]


@pytest.mark.parametrize("limits, expected", [
    (SheetLimits(max_rows=50), "Sheet 'Data' uses 61 rows (its lowest cell is A61); the limit is 50 rows."),
    (SheetLimits(max_rows=1000), "uses 1,201 rows (its lowest cell is A1201); the limit is 1,000 rows."),
    (SheetLimits(max_columns=5), "Sheet 'Data' uses 8 columns (up to column H, cell H1); the limit is 5 columns."),
    (SheetLimits(max_columns=30), "uses 40 columns (up to column AN, cell AN1); the limit is 30 columns."),
])
def test_too_many_rows_or_columns_is_refused_naming_the_count_and_limit(tmp_path, limits, expected):
    width = 40 if limits.max_columns == 30 else 8
    rows = 1200 if limits.max_rows == 1000 else 60
    headers = ["work_order_id", "completed_on"] + [f"extra {n}" for n in range(width - 2)]
    path = fx.write_plain_xlsx(tmp_path, headers, [[f"WO-{n}", "2026-03-02"] + [1] * (width - 2)
                                                  for n in range(rows)])
    assert expected in read_refusal(path, limits=limits)


def test_cell_far_outside_the_limits_is_refused_before_calamine_allocates_it(tmp_path):
    """Calamine would try to allocate the whole empty rectangle and abort the process, so this runs in
    a child process: a regression shows as a failed test, not a dead test run."""
    path = fx.write_far_cell_xlsx(tmp_path)
    code = textwrap.dedent(f"""
        import resource
        resource.setrlimit(resource.RLIMIT_AS, (4 * 1024 ** 3, 4 * 1024 ** 3))
        from imports.limits import SheetLimits, SheetRefused
        from imports.reader import read_sheet
        try:
            read_sheet({str(path)!r}, "xlsx", {{"work_order_id": "work_order_id"}}, ["work_order_id"], SheetLimits())
        except SheetRefused as refused:
            print(refused)
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                            cwd=Path(__file__).resolve().parents[1])
    assert result.returncode == 0, result.stderr[-2000:]
    assert "uses 1,048,576 rows (its lowest cell is XFD1048576); the limit is 200,000 rows" in result.stdout


def test_far_column_is_refused(tmp_path):
    path = fx.write_far_cell_xlsx(tmp_path, reference="HZ3")
    assert "uses 234 columns (up to column HZ, cell HZ3); the limit is 200 columns." in read_refusal(path)


def test_reader_refuses_a_dtd_even_without_inspection(tmp_path):
    assert "DTD" in read_refusal(fx.write_billion_laughs_xlsx(tmp_path))


CRAFTED_ROWS = (  # cells as other programs write them: some without r="..", shared formulas, errors
    '<row r="1"><c r="A1" t="inlineStr"><is><t>work_order_id</t></is></c>'
    '<c r="B1" t="inlineStr"><is><t>completed_on</t></is></c><c r="C1" t="inlineStr"><is><t>PCI</t></is></c></row>'
    '<row r="2"><c t="inlineStr"><is><t>WO-1</t></is></c><c><v>46083</v></c><c><f>B2*0</f></c></row>'
    '<row r="3"><c r="A3" t="inlineStr"><is><t>WO-2</t></is></c><c r="B3"><v>46084</v></c>'
    '<c r="C3"><f t="shared" ref="C3:C4" si="0">B3/500</f><v>92.168</v></c></row>'
    '<row r="4"><c r="A4" t="inlineStr"><is><t>WO-3</t></is></c><c r="B4"><v>46085</v></c>'
    '<c r="C4"><f t="shared" si="0"/></c></row>'
    '<row r="5"><c r="A5" t="inlineStr"><is><t>WO-4</t></is></c><c r="B5" t="e"><v>#REF!</v></c>'
    '<c r="C5" t="str"><f>""</f><v></v></c></row>'
)


@pytest.mark.parametrize("sheet_data, prefixed", [
    (CRAFTED_ROWS, False),  # some cells without references: the parsed path
    (CRAFTED_ROWS, True),  # x:-prefixed tags: the parsed path
    (CRAFTED_ROWS.replace('<row r="2"><c t="inlineStr">', '<row r="2"><c r="A2" t="inlineStr">')
     .replace("<c><v>46083</v></c><c><f>", '<c r="B2"><v>46083</v></c><c r="C2"><f>'), False),  # the fast path
], ids=["cells-without-references", "prefixed-tags", "plain"])
def test_formulas_and_errors_are_found_however_the_xml_is_written(tmp_path, sheet_data, prefixed):
    path = fx.write_raw_sheet_xlsx(tmp_path, f"<sheetData>{sheet_data}</sheetData>", prefixed=prefixed)
    sheet = read(path)
    assert sheet.rows == [(2, ["WO-1", 46083.0, None]), (3, ["WO-2", 46084.0, 92.168]),
                          (4, ["WO-3", 46085.0, None]), (5, ["WO-4", "#REF!", None])]
    # C5 is a formula whose saved result is the empty text: it has a value
    assert sheet.formula_without_value == {(2, 2), (4, 2)}


# --- CSV ----------------------------------------------------------------------------------------

def test_csv_with_bom_semicolons_and_decimal_commas(tmp_path):
    sheet = read(fx.write_messy_csv(tmp_path), "csv")
    assert sheet.header_row == 3 and sheet.sheet_name == "messy"
    assert [(c.index, c.key) for c in sheet.columns] == [
        (0, "work_order_id"), (1, "completed_on"), (2, "pci_after"), (3, "roughness"), (4, "street"), (5, "on_time")]
    assert sheet.rows == [
        (4, ["00123", "2026-03-02", "91", "62,5", "Main St", "95%"]),
        (5, ["WO-1002", "03/05/2026", "88", "70", "Rue de l'\u00c9glise", "0,95"]),
        (7, ["WO-1003", "5 Mar 2026", "85", "1.234,5", "Oak; Ave", "100%"]),
    ]


def test_comma_csv_with_short_rows_quotes_and_a_note(tmp_path):
    path = fx.write_csv(tmp_path, ["WO #", "Completed On", "Street", "Cost ($)"],
                        [["WO-1", "2026-03-02", "Main St, north", "1,234.5"], ["WO-2", "2026-03-03"],
                         [], ["Prepared by J. Smith"]], above=["Monthly report"])
    sheet = read(path, "csv")
    assert sheet.header_row == 2
    assert sheet.rows == [(3, ["WO-1", "2026-03-02", "Main St, north", "1,234.5"]),
                          (4, ["WO-2", "2026-03-03", None, None])]
    assert sheet.notes == [(6, "Prepared by J. Smith")]


def test_csv_limits_name_the_count_found(tmp_path):
    path = fx.write_csv(tmp_path, ["work_order_id", "completed_on"], [[f"WO-{n}", "2026-03-02"] for n in range(30)])
    assert read_refusal(path, "csv", SheetLimits(max_rows=10)) == "The CSV has 31 rows; the limit is 10 rows."
    wide = fx.write_csv(tmp_path, ["work_order_id", "completed_on", "a", "b", "c"], [["WO-1", "2026-03-02", 1, 2, 3]],
                        filename="wide.csv")
    assert "The CSV has 5 columns (row 1); the limit is 3 columns." == read_refusal(wide, "csv",
                                                                                  SheetLimits(max_columns=3))


def test_csv_header_beyond_row_20_is_refused(tmp_path):
    path = fx.write_csv(tmp_path, ["work_order_id", "completed_on"], [["WO-1", "2026-03-02"]],
                        above=[f"line {n}" for n in range(25)])
    assert "first 20 rows" in read_refusal(path, "csv")


# --- header spelling ----------------------------------------------------------------------------

@pytest.mark.parametrize("written, normalised", [
    ("Work Order ID", "work_order_id"), (" year ", "year"), ("Completed-On", "completed_on"),
    ("PCI (0-100)", "pci"), ("Roughness (in/mi)", "roughness"), ("On Time (%)", "on_time"),
    ("Cost ($)", "cost"), ("Lane\u00admiles", "lanemiles"), ("\ufeffWork\u200b order", "work_order"),
    ("  STREET\u00a0NAME ", "street_name"), ("(blank)", "blank"), ("WO #", "wo"), ("", ""),
])
def test_normalise_header(written, normalised):
    assert normalise_header(written) == normalised


@given(st.text(alphabet=string.printable + "\u00ad\u00a0\u200b", max_size=40))
def test_normalised_headers_are_plain_and_stable(text):
    normalised = normalise_header(text)
    assert set(normalised) <= set(string.ascii_lowercase + string.digits + "_")
    assert not normalised.startswith("_") and not normalised.endswith("_") and "__" not in normalised
    assert normalise_header(normalised) == normalised


# --- no Python work per cell ------------------------------------------------------------------------
# The reader's speed is measured by bench/import_bench.py; what a unit test can hold without a clock is
# its shape: reading keeps calamine's cells as they are, with no Python function called per row or cell.

def python_calls(action) -> int:
    """How many Python functions (and builtins called from Python) `action` calls, counted by the profiler
    hook: a count, not a time, so a loaded machine cannot change it."""
    calls = 0

    def count(frame, event, arg):
        nonlocal calls
        if event in ("call", "c_call"):
            calls += 1

    sys.setprofile(count)
    try:
        action()
    finally:
        sys.setprofile(None)
    return calls


def plain_sheet(tmp_path: Path, rows: int) -> Path:
    headers = ["Work Order ID", "Completed On", "PCI", "Roughness", "Street", "Crew", "Cost", "On time"]
    data = [[f"WO-{n:06d}", date(2026, 3, 1 + n % 28), 80 + n % 20, 60.5, f"Street {n % 300}", "North", 1200.5,
             "yes"] for n in range(rows)]
    folder = tmp_path / str(rows)
    folder.mkdir()
    return fx.write_plain_xlsx(folder, headers, data, write_only=True)


def test_reading_calls_no_python_per_row_and_keeps_calamines_cells(tmp_path):
    """Replaces a timed test (timings belong in bench/): 20,000 more rows add no Python calls worth the name,
    and the cells are calamine's own values."""
    small, large = plain_sheet(tmp_path, 2_000), plain_sheet(tmp_path, 22_000)
    read(small)  # imports and caches warmed outside the count
    extra_calls = python_calls(lambda: read(large)) - python_calls(lambda: read(small))
    assert extra_calls < 2_000, extra_calls  # reading in chunks costs a few hundred; one call per row, 20,000
    sheet = read(large)
    bare = CalamineWorkbook.from_path(large).get_sheet_by_index(0).to_python(skip_empty_area=False)
    assert [cells for _, cells in sheet.rows] == bare[1:]
    assert [number for number, _ in sheet.rows] == list(range(2, 22_002))
