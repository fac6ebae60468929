"""The check's reading of numbers (SPEC §5): read as written, percents only when explicit, separators per
file, far-from-history warnings by robust statistics, and rows with errors kept out of the preview."""
from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from imports.check import ClauseColumn, SheetSpec, check_sheet, history_stats
from imports.limits import SheetLimits
from imports.reader import read_sheet
from tests import sheet_fixtures as fx

SPEC = SheetSpec(
    row_key="work_order_id", date_column="completed_on", context_columns=("street",),
    clauses=(
        ClauseColumn(key="pci_after", label="PCI after", aggregation="mean", unit="PCI", valid_min=0, valid_max=100),
        ClauseColumn(key="on_time_pct", label="Share on time", aggregation="mean", unit="%", valid_min=0,
                     valid_max=100),
        ClauseColumn(key="cost_growth", label="Cost growth", aggregation="mean", unit="%", valid_min=-100,
                     valid_max=1000),
        ClauseColumn(key="complaints", label="Complaints", aggregation="sum", unit="count", valid_min=0),
    ),
)
HEADERS = ["work_order_id", "completed_on", "street", "pci_after", "on_time_pct", "cost_growth", "complaints"]


def check(path, kind="xlsx", spec=SPEC, history=None):
    raw = read_sheet(path, kind, spec.known_columns(), spec.required()[:2], SheetLimits())
    return check_sheet(raw, spec, "2026-03", history=history)


def values(report, key):
    return report.rows.column(key)


def messages(problems):
    return [f"{p.row} {p.header} {p.value!r}: {p.message}" for p in problems]


# --- percents -----------------------------------------------------------------------------------

def test_percent_formatted_cells_read_as_the_percent_excel_shows(tmp_path):
    rows = [["WO-1", date(2026, 3, 2), "Main St", 91, 0.953, 0.032, 0],
            ["WO-2", date(2026, 3, 3), "Elm St", 88, 0.875, 1.5, 2],
            ["WO-3", date(2026, 3, 4), "Oak Ave", 0.9, 1, -0.01, 1]]
    path = fx.write_formatted_xlsx(tmp_path, HEADERS, rows, {4: "0.0%", 5: "0.0%", 3: '0.00" pts"'})
    report = check(path)
    assert report.ok, messages(report.errors)
    assert values(report, "on_time_pct") == pytest.approx([95.3, 87.5, 100.0])
    assert values(report, "cost_growth") == pytest.approx([3.2, 150.0, -1.0])  # 150 % growth, not 1.5 %
    # a custom format without a percent sign shows the number as written
    assert values(report, "pci_after") == pytest.approx([91, 88, 0.9])
    assert report.maybe_fractions == []


def test_custom_percent_formats_count_and_a_quoted_percent_sign_does_not(tmp_path):
    rows = [["WO-1", date(2026, 3, 2), "Main St", 91, 0.9, 0.5, 0],
            ["WO-2", date(2026, 3, 3), "Elm St", 88, 0.8, 0.25, 1]]
    path = fx.write_formatted_xlsx(tmp_path, HEADERS, rows, {4: "0.00%;[Red]-0.00%", 5: '0.0"%"'})
    report = check(path)
    assert values(report, "on_time_pct") == pytest.approx([90.0, 80.0])
    assert values(report, "cost_growth") == pytest.approx([0.5, 0.25])


def test_plain_percent_points_in_a_percent_column_are_read_as_written_with_a_warning(tmp_path):
    """Cost growth of 0.8 % on a one-project sheet was read as 80 %."""
    path = fx.write_plain_xlsx(tmp_path, ["work_order_id", "completed_on", "street", "cost_growth"],
                               [["PID-108337", date(2026, 3, 20), "US-33", 0.8]])
    spec = SheetSpec(row_key="work_order_id", date_column="completed_on", context_columns=("street",),
                     clauses=(SPEC.clauses[2],))
    report = check(path, spec=spec)
    assert values(report, "cost_growth") == [0.8]
    assert report.maybe_fractions == ["cost_growth"]


def test_a_column_with_an_explicit_percent_gets_no_fraction_warning(tmp_path):
    path = fx.write_csv(tmp_path, ["work_order_id", "completed_on", "cost_growth"],
                        [["WO-1", "2026-03-02", "0.5%"], ["WO-2", "2026-03-03", "0.25"]])
    spec = SheetSpec(row_key="work_order_id", date_column="completed_on", context_columns=(),
                     clauses=(SPEC.clauses[2],))
    report = check(path, "csv", spec=spec)
    assert values(report, "cost_growth") == [0.5, 0.25]
    assert report.maybe_fractions == []


def test_text_percent_reads_as_its_points_in_every_column(tmp_path):
    path = fx.write_csv(tmp_path, HEADERS, [["WO-1", "2026-03-02", "Main St", "91%", "95%", "3.2", "2"]])
    report = check(path, "csv")
    assert report.ok, messages(report.errors)
    assert values(report, "pci_after") == [91.0]
    assert values(report, "on_time_pct") == [95.0]
    assert values(report, "cost_growth") == [3.2]


# --- separators per file ------------------------------------------------------------------------

def _one_column_csv(tmp_path, cells, delimiter):
    rows = [[f"WO-{n}", "2026-03-02", "Main St", cell] for n, cell in enumerate(cells)]
    path = fx.write_csv(tmp_path, ["work_order_id", "completed_on", "street", "cost_growth"], rows,
                        delimiter=delimiter)
    spec = SheetSpec(row_key="work_order_id", date_column="completed_on", context_columns=("street",),
                     clauses=(ClauseColumn(key="cost_growth", label="Cost growth", aggregation="sum", unit="$"),))
    return check(path, "csv", spec=spec)


def test_semicolon_csv_reads_decimal_commas(tmp_path):
    report = _one_column_csv(tmp_path, ["0,125", "1.234,5", "1 234,5", "1,234", "-3", "12", "1.234", "95%"], ";")
    assert report.ok, messages(report.errors)
    assert values(report, "cost_growth") == pytest.approx([0.125, 1234.5, 1234.5, 1.234, -3, 12, 1234, 95])


def test_comma_csv_reads_decimal_points(tmp_path):
    report = _one_column_csv(tmp_path, ["0.125", "1,234.5", "1,234", "1 234.5", "12", "-0.5", "$1,200"], ",")
    assert report.ok, messages(report.errors)
    assert values(report, "cost_growth") == pytest.approx([0.125, 1234.5, 1234, 1234.5, 12, -0.5, 1200])


@pytest.mark.parametrize("delimiter, cell", [
    (";", "12.5"), (";", "1.23"), (";", "1,234.5"), (";", "0.125"), (";", "1.234.5,6"),
    (",", "0,125"), (",", "1.234.5"), (",", "1,23,4"), (",", "12,5"), (",", "1.234,5"),
])
def test_a_number_that_does_not_fit_the_files_separators_is_an_error_naming_the_cell(tmp_path, delimiter, cell):
    report = _one_column_csv(tmp_path, ["7", cell], delimiter)
    assert [(p.row, p.header, p.value) for p in report.errors] == [(3, "cost_growth", cell)]
    message = report.errors[0].message
    assert ("decimal comma" in message) if delimiter == ";" else ("decimal point" in message)


# --- far from history ---------------------------------------------------------------------------

def test_far_from_history_is_one_warning_per_column_with_a_robust_range_inside_the_valid_range(tmp_path):
    rng = np.random.default_rng(3)
    history = {"pci_after": history_stats(rng.normal(89.5, 3.5, 400).clip(0, 100)),
               "complaints": history_stats(rng.poisson(0.3, 400).astype(float))}
    pci = [88, 91, 12, 90, 15, 87, 20, 93, 11, 89, 14, 92, 13, 90, 18]
    complaints = [0, 0, 1, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0]
    rows = [[f"WO-{n}", date(2026, 3, 2 + n), "Main St", pci[n], 95, 1.5, complaints[n]] for n in range(15)]
    report = check(fx.write_plain_xlsx(tmp_path, HEADERS, rows), history=history)
    assert report.ok, messages(report.errors)
    far = [w for w in report.warnings if "history" in w.message]
    assert [w.header for w in far] == ["pci_after", "complaints"], messages(far)
    pci_warning = far[0].message
    assert pci_warning.startswith("7 rows of pci_after are far from this contract's history (usually ")
    assert "rows 4, 6, 8, 10, 12, 14, 16; check them" in pci_warning
    low, high = (float(x) for x in pci_warning.split("usually ")[1].split(")")[0].split(" to "))
    assert 75 <= low < 89 < high <= 100
    assert far[1].message.startswith("1 row of complaints is far from this contract's history (usually 0 to ")
    assert "row 9;" in far[1].message


def test_values_already_outside_the_valid_range_are_errors_not_history_warnings(tmp_path):
    history = {"pci_after": history_stats(np.linspace(84, 95, 100))}
    rows = [[f"WO-{n}", date(2026, 3, 2), "Main St", value, 95, 1.5, 0] for n, value in enumerate([90, 150, 91])]
    report = check(fx.write_plain_xlsx(tmp_path, HEADERS, rows), history=history)
    assert [(p.row, p.header) for p in report.errors] == [(3, "pci_after")]
    assert not [w for w in report.warnings if "history" in w.message]


# --- the preview uses only rows that passed -------------------------------------------------------

def test_rows_with_errors_are_left_out_of_what_the_preview_scores(tmp_path):
    rows = [[f"WO-{n}", date(2026, 3, 2), "Main St", 90, 95, 1.5, 0] for n in range(15)]
    rows[3][3] = 150  # outside 0..100
    rows[7][6] = "lots"  # not a number
    report = check(fx.write_plain_xlsx(tmp_path, HEADERS, rows))
    assert len(report.rows) == 15 and report.rows.left_out == {3, 7}
    assert len(report.rows.passed("pci_after")) == 13
    assert report.to_dict()["rows_left_out"] == 2


def _percent_workbook(tmp_path):
    rows = [["WO-1", date(2026, 3, 2), "Main St", 91, 0.953, 0.032, 0],
            ["WO-2", date(2026, 3, 3), "Elm St", 88, 0.875, 1.5, 2]]
    return fx.write_formatted_xlsx(tmp_path, HEADERS, rows, {4: "0.0%", 5: "0.0%"})


@pytest.mark.parametrize("change", [
    pytest.param(lambda xml: fx.re.sub(rb"<(/?)(?=[a-zA-Z])", rb"<\1x:", xml).replace(b'xmlns="', b'xmlns:x="', 1),
                 id="prefixed tags"),
    pytest.param(lambda xml: fx.re.sub(rb'<c r="([A-Z]+[0-9]+)" s="([0-9]+)"', rb'<c s="\2" r="\1"', xml),
                 id="style before reference"),
])
def test_percent_formats_are_found_however_the_xml_is_written(tmp_path, change):
    path = fx.rewrite_part(_percent_workbook(tmp_path), fx.SHEET_PART, change)
    report = check(path)
    assert values(report, "on_time_pct") == pytest.approx([95.3, 87.5])
    assert values(report, "cost_growth") == pytest.approx([3.2, 150.0])


def test_a_row_style_is_not_a_cell_format(tmp_path):
    """<row s="N" customFormat="1"> formats the row's empty cells; a cell with its own style keeps it."""
    path = _percent_workbook(tmp_path)
    with fx.zipfile.ZipFile(path) as archive:
        styles = archive.read("xl/styles.xml")
    percent_style = styles.split(b"<cellXfs")[1].split(b"<xf ").index(
        next(x for x in styles.split(b"<cellXfs")[1].split(b"<xf ") if b'numFmtId="164"' in x)) - 1

    def change(xml: bytes) -> bytes:
        xml = xml.replace(b'<row r="2">', b'<row r="2" s="%d" customFormat="1">' % percent_style)
        return fx.re.sub(rb'(<c r="E3") s="[0-9]+"', rb"\1", xml)  # E3 loses its percent format
    report = check(fx.rewrite_part(path, fx.SHEET_PART, change))
    assert values(report, "on_time_pct") == pytest.approx([95.3, 0.875])
    assert values(report, "pci_after") == [91, 88]


# --- no Python work per cell on a clean sheet (its speed is measured by bench/import_bench.py) ----------

def test_a_clean_sheet_is_checked_without_python_calls_per_row():
    """The common case (keys, dates, numbers from calamine, yes/no text) goes column at a time: ten times
    the rows add no Python calls worth the name. A count from the profiler hook, not a time."""
    from imports.reader import ColumnMatch, RawSheet
    from tests.test_sheet_reader import python_calls

    spec = SheetSpec(row_key="work_order_id", date_column="completed_on", context_columns=("street",), clauses=(
        SPEC.clauses[0], SPEC.clauses[3],
        ClauseColumn(key="on_time", label="On time", aggregation="percent_true", unit="%")))
    headers = ["work_order_id", "completed_on", "street", "pci_after", "complaints", "on_time"]

    def raw(count):
        rows = [(n + 2, [f"WO-{n}", date(2026, 3, 1 + n % 31), f"Street {n % 40}", 70.0 + n % 30, float(n % 3),
                         "yes" if n % 7 else "no"]) for n in range(count)]
        return RawSheet(sheet_name="Data", header_row=1, columns=[ColumnMatch(i, h, h) for i, h in enumerate(headers)],
                        rows=rows)

    small, large = raw(1_000), raw(11_000)
    check_sheet(small, spec, "2026-03")
    extra_calls = python_calls(lambda: check_sheet(large, spec, "2026-03")) - python_calls(
        lambda: check_sheet(small, spec, "2026-03"))
    assert extra_calls < 500, extra_calls  # one call per row would add 10,000
    report = check_sheet(large, spec, "2026-03")
    assert report.ok and len(report.rows) == 11_000
    assert report.rows.context["street"][:2] == ["Street 0", "Street 1"]
    assert report.rows.column("on_time")[:8] == [False, True, True, True, True, True, True, False]
