"""The worksheet XML scanner: the fast byte path and the careful parsed path must tell the same story.

Before calamine reads an .xlsx, imports/worksheet_xml.py scans the sheet's XML for three things a user notices:
formulas saved without a result (their cells are reported), error cells such as #N/A (reported with the
error), and cells placed beyond the row or column limit (the upload is refused, naming the cell). The fast
path (`_scan_bytes`) tests bytes in bulk; when the XML is unusual it must hand over to the parsed path
(`_scan_parsed`) by returning None, never give a different answer. Hypothesis writes the worksheets.
"""
from __future__ import annotations

import io
import os
import re
import struct
import threading
import zipfile
import zlib
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imports import worksheet_xml as scanner
from imports.limits import SheetLimits, SheetRefused, column_letters
from tests import sheet_fixtures as fx

NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
ERRORS = ["#N/A", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!"]
DEFAULT = SheetLimits()
SMALL = SheetLimits(max_rows=40, max_columns=6)
CELL_NAMED_RE = re.compile(r"\(its lowest cell is \w+\)|, cell \w+\)")


@dataclass(frozen=True)
class Cell:
    column: int  # 1-based
    with_ref: bool
    kind: str  # value type: n, s, str, b, e, inlineStr
    formula: str | None  # None: no formula; "" a shared formula's <f t="shared" si="0"/>
    value: str | None  # saved <v> text; None: no <v> at all; "" an empty <v/>


def _cell_xml(row: int, cell: Cell) -> str:
    attributes = f' r="{column_letters(cell.column)}{row}"' if cell.with_ref else ""
    if cell.kind != "n":
        attributes += f' t="{cell.kind}"'
    inner = ""
    if cell.formula is not None:
        inner += '<f t="shared" si="0"/>' if cell.formula == "" else f"<f>{cell.formula}</f>"
    if cell.kind == "inlineStr":
        inner += "<is><t>note &amp; text</t></is>"
    elif cell.value is not None:
        inner += "<v/>" if cell.value == "" else f"<v>{cell.value}</v>"
    return f"<c{attributes}/>" if not inner else f"<c{attributes}>{inner}</c>"


def worksheet_xml(rows: list[tuple[int, bool, list[Cell]]], *, root: str = "worksheet",
                  breaks: bool = False) -> bytes:
    """A worksheet part as Excel lays it out: dimension, sheetData, then merges after the data."""
    newline = "\n" if breaks else ""
    body = []
    for number, with_ref, cells in rows:
        row_attr = f' r="{number}"' if with_ref else ""
        body.append(f"<row{row_attr} spans=\"1:6\">{''.join(_cell_xml(number, cell) for cell in cells)}</row>")
    prefix, close = (root.split(":")[0] + ":", root) if ":" in root else ("", root)
    ns = NS.replace("xmlns=", f"xmlns:{prefix[:-1]}=") if prefix else NS
    text = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<{root} {ns}>'
            f'<{prefix}dimension ref="A1"/><{prefix}sheetData>{newline}' + newline.join(body)
            + f'{newline}</{prefix}sheetData><{prefix}mergeCells count="1"><{prefix}mergeCell ref="A1:B1"/>'
            f"</{prefix}mergeCells></{close}>")
    if prefix:  # every element of the part carries the prefix
        for tag in ("row", "c", "f", "v", "is", "t"):
            text = text.replace(f"<{tag}>", f"<{prefix}{tag}>").replace(f"<{tag} ", f"<{prefix}{tag} ") \
                .replace(f"<{tag}/>", f"<{prefix}{tag}/>").replace(f"</{tag}>", f"</{prefix}{tag}>")
    return text.encode("utf-8")


# Row numbers and columns near every edge the scanner tests: the small limits, the default limits
# (200,000 rows, 200 columns = GR), and Excel's own grid (1,048,576 rows, XFD = 16,384 columns).
near_rows, edge_rows = st.integers(1, 60), st.sampled_from([99_999, 199_999, 200_000, 200_001, 999_999, 1_048_576])
near_columns, edge_columns = st.integers(1, 8), st.sampled_from([26, 27, 199, 200, 201, 702, 703, 16_384])


@st.composite
def cells(draw, column: int, with_ref: bool) -> Cell:
    kind = draw(st.sampled_from(["n", "n", "n", "n", "s", "s", "str", "b", "e", "inlineStr"]))
    formula = draw(st.one_of(st.none(), st.none(), st.just(""),
                             st.sampled_from(["SUM(A1:A3)", "A1/B1", 'IF(A1&gt;0,"y","n")'])))
    if kind == "e":
        value = draw(st.one_of(st.sampled_from(ERRORS), st.just(""), st.none()))
    elif kind == "s":
        value = draw(st.one_of(st.integers(0, 500).map(str), st.none()))
    elif kind == "str":
        value = draw(st.sampled_from(["done", "", "a &lt; b", None]))
    elif kind == "inlineStr":
        value = None  # the text is in <is>, never in <v>
    else:
        value = draw(st.one_of(st.none(), st.just(""), st.sampled_from(["0", "95.5", "1", "-3E-2", "45000"])))
    return Cell(column, with_ref, kind, formula, value)


@st.composite
def sheets(draw, all_refs: bool = True, edges: bool = True):
    """Rows in ascending order, each with cells in ascending column order; with `edges`, now and then a
    row or column at one of the limits' edges (most sheets stay inside, so their findings are compared)."""
    row_numbers = st.one_of(near_rows, near_rows, near_rows, edge_rows) if edges else near_rows
    columns = st.one_of(near_columns, near_columns, near_columns, edge_columns) if edges else near_columns
    numbers = sorted(set(draw(st.lists(row_numbers, min_size=0, max_size=12))))
    rows = []
    for number in numbers:
        placed = sorted(set(draw(st.lists(columns, min_size=0, max_size=6))))
        row_cells = [draw(cells(column, True if all_refs else draw(st.booleans()))) for column in placed]
        rows.append((number, True if all_refs else draw(st.booleans()), row_cells))
    return rows


NO_PERCENT_STYLES = np.array([], dtype=np.int64)  # no cell is formatted as a percentage


def _outcome(scan, xml: bytes, limits: SheetLimits):
    """What the user would see: the refusal message, or the findings."""
    try:
        result = scan(io.BytesIO(xml), "Data", limits, NO_PERCENT_STYLES)
    except SheetRefused as refused:
        return ("refused", str(refused))
    if result is None:
        return None
    return ("read", result.formula_without_value, result.error_values)


def _same_answer(fast, parsed) -> bool:
    """The same findings, or a refusal naming the same count and limit (the cell named may be another
    cell at the same edge when cells are out of order)."""
    if fast[0] != parsed[0]:
        return False
    if fast[0] == "refused":
        return CELL_NAMED_RE.sub("", fast[1]) == CELL_NAMED_RE.sub("", parsed[1])
    return fast == parsed


@contextmanager
def chunk_size(size: int):
    """Small chunks make rows straddle the scanner's chunk boundaries."""
    saved = scanner.XML_CHUNK
    scanner.XML_CHUNK = size
    try:
        yield
    finally:
        scanner.XML_CHUNK = saved


def _expected(rows, limits: SheetLimits):
    """The findings worked out from the generated cells themselves, as a person reading the XML would."""
    formula_without_value, error_values = set(), {}
    furthest_row = furthest_column = 0
    for number, _, row_cells in rows:
        for cell in row_cells:
            furthest_row, furthest_column = max(furthest_row, number), max(furthest_column, cell.column)
            where = (number, cell.column - 1)
            if cell.kind == "e" and cell.value:
                error_values[where] = cell.value
            elif cell.formula is not None and (
                    cell.value is None or (cell.value == "" and cell.kind != "str")):
                formula_without_value.add(where)
    refused = furthest_row > limits.max_rows or furthest_column > limits.max_columns
    return refused, formula_without_value, error_values


SCAN_SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SCAN_SETTINGS
@given(rows=sheets(), limits=st.sampled_from([DEFAULT, SMALL]), chunk=st.sampled_from([64, 200, 1000, 4 * 1024 * 1024]),
       breaks=st.booleans())
def test_both_paths_find_the_same_formulas_errors_and_refusals(rows, limits, chunk, breaks):
    xml = worksheet_xml(rows, breaks=breaks)
    parsed = _outcome(scanner.scan_parsed, xml, limits)
    with chunk_size(chunk):
        fast = _outcome(scanner.scan_bytes, xml, limits)

    refused, formula_without_value, error_values = _expected(rows, limits)
    if refused:
        assert parsed[0] == "refused" and "the limit is" in parsed[1]
    else:
        assert parsed == ("read", formula_without_value, error_values)
    # Every cell here has a plain r="A1" reference: the fast path must answer, and answer the same.
    assert fast is not None or chunk < 200  # a tiny first chunk may not reach the root tag: it hands over
    if fast is not None:
        assert _same_answer(fast, parsed)


@SCAN_SETTINGS
@given(rows=sheets(edges=False), chunk=st.sampled_from([64, 128, 256, 4 * 1024 * 1024]))
def test_formulas_without_results_and_errors_are_found_in_every_chunk(rows, chunk):
    """Inside the limits, every formula saved without a result and every error cell is reported, by
    Excel row and 0-based column, however the XML falls across chunks."""
    xml = worksheet_xml(rows)
    _, formula_without_value, error_values = _expected(rows, DEFAULT)
    assert _outcome(scanner.scan_parsed, xml, DEFAULT) == ("read", formula_without_value, error_values)
    with chunk_size(chunk):
        fast = _outcome(scanner.scan_bytes, xml, DEFAULT)
    assert fast in (None, ("read", formula_without_value, error_values))
    if chunk >= 128:  # the root tag is in the first chunk: no reason to hand over
        assert fast is not None


@SCAN_SETTINGS
@given(rows=sheets(all_refs=False), limits=st.sampled_from([DEFAULT, SMALL]), chunk=st.sampled_from([64, 300, 4096]))
def test_cells_without_references_are_placed_by_the_parsed_path_and_never_guessed(rows, limits, chunk):
    """Cells (or rows) without r= are placed one after another, as Excel does; the byte path cannot see
    where such a cell lands, so it hands over instead of answering."""
    xml = worksheet_xml(rows)
    parsed = _outcome(scanner.scan_parsed, xml, limits)
    with chunk_size(chunk):
        fast = _outcome(scanner.scan_bytes, xml, limits)
    assert parsed is not None
    has_unreferenced = any(not cell.with_ref for _, _, row_cells in rows for cell in row_cells)
    if has_unreferenced:
        assert fast is None or fast == parsed or fast[0] == parsed[0] == "refused"
    elif fast is not None:
        assert _same_answer(fast, parsed)


@SCAN_SETTINGS
@given(rows=sheets(), limits=st.sampled_from([DEFAULT, SMALL]))
def test_a_prefixed_worksheet_goes_to_the_parsed_path(rows, limits):
    """`<x:worksheet>` with `<x:c>` cells is valid XML the byte tests do not recognise: None, then the parse."""
    xml = worksheet_xml(rows, root="x:worksheet")
    assert _outcome(scanner.scan_bytes, xml, limits) is None
    refused, formula_without_value, error_values = _expected(rows, limits)
    parsed = _outcome(scanner.scan_parsed, xml, limits)
    assert parsed[0] == ("refused" if refused else "read")
    if not refused:
        assert parsed == ("read", formula_without_value, error_values)


@settings(max_examples=100, deadline=None)
@given(attributes=st.sampled_from(['s="1" r="{ref}"', 'r="{ref}"  s="1"', ' r="{ref}"', 's="2" t="e" r="{ref}"']),
       column=st.one_of(near_columns, edge_columns), row=st.one_of(near_rows, edge_rows),
       limits=st.sampled_from([DEFAULT, SMALL]))
def test_unusual_attribute_layouts_hand_over_or_agree(attributes, column, row, limits):
    """Excel writes r= first; other writers put the style first or add spaces. The fast path must
    either agree with the parse or hand over, never miss a formula, an error or a far cell."""
    ref = f"{column_letters(column)}{row}"
    cell = f'<c {attributes.format(ref=ref)}><f>A1*2</f></c><c r="A{row}" t="e"><v>#N/A</v></c>'
    xml = (f'<?xml version="1.0"?><worksheet {NS}><sheetData><row r="{row}">{cell}</row></sheetData>'
           "</worksheet>").encode()
    parsed = _outcome(scanner.scan_parsed, xml, limits)
    fast = _outcome(scanner.scan_bytes, xml, limits)
    assert fast is None or _same_answer(fast, parsed)


def test_a_dtd_is_refused_by_both_paths():
    xml = (b'<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY big "x">]><worksheet ' + NS.encode()
           + b'><sheetData><row r="1"><c r="A1"><v>&big;</v></c></row></sheetData></worksheet>')
    for scan in (scanner.scan_bytes, scanner.scan_parsed):
        outcome = _outcome(scan, xml, DEFAULT)
        assert outcome[0] == "refused" and "DTD" in outcome[1]


def test_a_far_cell_is_named_in_the_refusal():
    rows = [(1, True, [Cell(1, True, "n", None, "1")]), (250_000, True, [Cell(3, True, "n", None, "2")])]
    xml = worksheet_xml(rows)
    for scan in (scanner.scan_bytes, scanner.scan_parsed):
        outcome = _outcome(scan, xml, DEFAULT)
        assert outcome == ("refused", "Sheet 'Data' uses 250,000 rows (its lowest cell is C250000); the limit is "
                                      "200,000 rows.")


# Valid XML that Excel does not write but other tools may: the byte path must hand over (None) or agree.
# The byte path used to answer wrongly for each of these; it now hands them over.
# A far cell it misses is the dangerous case: calamine would then allocate the whole empty rectangle.
MISREAD_LAYOUTS = {
    "single-quoted reference on a far cell": "<row r='300000'><c r='A300000'><v>1</v></c></row>",
    "single-quoted formula and error": "<row r='2'><c r='B2'><f>A1</f></c><c r='C2' t='e'><v>#N/A</v></c></row>",
    "newline before r= on a far cell": '<row r="300000"><c\nr="A300000"><f>A1</f></c></row>',
    "tab before r=": '<row r="2"><c\tr="B2"><f>A1</f></c></row>',
    "prefixed cells under an unprefixed root": '<x:row r="2"><x:c r="B2"><x:f>A1</x:f></x:c></x:row>',
    "a far cell inside a comment": '<!-- <c r="A900000"/> --><row r="2"><c r="B2"><v>1</v></c></row>',
    "an error value in CDATA": '<row r="2"><c r="B2" t="e"><v><![CDATA[#N/A]]></v></c></row>',
    "an error value with a character reference": '<row r="2"><c r="B2" t="e"><v>&#35;N/A</v></c></row>',
}


def _unusual_sheet(rows_xml: str) -> bytes:
    return (f'<?xml version="1.0"?><worksheet {NS} xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/'
            f'2006/main"><sheetData>{rows_xml}</sheetData></worksheet>').encode()


@pytest.mark.parametrize("layout", sorted(MISREAD_LAYOUTS))
def test_each_unusual_layout_is_handed_to_the_parsed_path(layout):
    xml = _unusual_sheet(MISREAD_LAYOUTS[layout])
    fast = _outcome(scanner.scan_bytes, xml, DEFAULT)
    assert fast is None or _same_answer(fast, _outcome(scanner.scan_parsed, xml, DEFAULT))


# --- the reading thread ------------------------------------------------------------------------------
# On a large sheet a thread decompresses the next chunks while the byte tests run on this one. It must
# change nothing the user sees: the same findings and refusals, a broken stream still reported as damaged,
# and an early stop (a refusal, or a hand-over to the parsed path) leaves no thread reading.

PREFETCH_THREAD = "worksheet-xml-prefetch"


def _prefetch_threads() -> list:
    return [thread for thread in threading.enumerate() if thread.name == PREFETCH_THREAD]


class RecordingStream(io.BytesIO):
    """A worksheet stream that notes which thread made each read, and can fail on a given read."""

    def __init__(self, xml: bytes, fail_at: int | None = None, error: Exception | None = None):
        super().__init__(xml)
        self.readers: list[str] = []
        self.fail_at, self.error = fail_at, error

    def read(self, size: int | None = -1) -> bytes:
        self.readers.append(threading.current_thread().name)
        if self.fail_at is not None and len(self.readers) == self.fail_at:
            raise self.error
        return super().read(size)


def _long_sheet(first_rows: str, rows: int = 2000) -> bytes:
    """`first_rows`, then many ordinary rows: far more than a few small chunks."""
    ordinary = "".join(f'<row r="{n}"><c r="A{n}"><v>{n}</v></c><c r="B{n}" t="e"><v>#N/A</v></c></row>'
                       for n in range(10, 10 + rows))
    return _unusual_sheet(first_rows + ordinary)


@contextmanager
def sequential_scan():
    """The scan as it ran before the reading thread: every chunk read by the calling thread."""
    saved = scanner._prefetched
    scanner._prefetched = lambda items, depth: items
    try:
        yield
    finally:
        scanner._prefetched = saved


@pytest.mark.parametrize("error", [zlib.error("invalid distance too far back"), EOFError(),
                                   zipfile.BadZipFile("Bad CRC-32")])
def test_an_error_while_reading_ahead_is_raised_as_the_sequential_scan_raised_it(error):
    xml = _long_sheet('<row r="2"><c r="B2"><v>1</v></c></row>')
    with chunk_size(1024):
        stream = RecordingStream(xml, fail_at=20, error=error)
        with pytest.raises(type(error)) as raised:
            scanner.scan_bytes(stream, "Data", DEFAULT, NO_PERCENT_STYLES)
    assert raised.value is error
    assert stream.readers[0] == threading.current_thread().name and stream.readers[-1] == PREFETCH_THREAD
    assert not _prefetch_threads()


def _crc_broken(path: Path) -> Path:
    """The workbook with a wrong checksum for its worksheet: zipfile notices only after the last chunk."""
    with zipfile.ZipFile(path) as archive:
        crc = struct.pack("<I", archive.getinfo(fx.SHEET_PART).CRC)
    data = path.read_bytes()
    assert data.count(crc) == 2  # the local header and the central directory
    path.write_bytes(data.replace(crc, struct.pack("<I", zlib.crc32(crc))))
    return path


def test_a_workbook_damaged_after_the_first_chunk_is_refused_as_damaged(tmp_path):
    rows = [[f"WO-{n}", n, n * 1.5] for n in range(3000)]
    path = _crc_broken(fx.write_plain_xlsx(tmp_path, ["work_order_id", "pci", "cost"], rows))
    with chunk_size(4096), pytest.raises(SheetRefused) as refused:
        scanner.scan_worksheet(path, 0, "Data", DEFAULT)
    assert str(refused.value) == scanner.DAMAGED
    assert not _prefetch_threads()


@pytest.mark.parametrize("first_rows, outcome", [
    ('<row r="2"><c r="ABCD2"><v>1</v></c></row>', "A cell reference lies beyond Excel's grid. "),
    ('<row r="2"><c r="B2"><v>1</v></c><!-- a note --></row>', None),
])
def test_an_early_stop_stops_the_reading_thread(first_rows, outcome):
    """A refusal or a hand-over in the first chunk: the thread stops within a read or two instead of
    decompressing the rest of the sheet, and is gone before the scan returns (the stream is then closed)."""
    xml = _long_sheet(first_rows)
    with chunk_size(1024):
        stream = RecordingStream(xml)
        if outcome is None:
            assert scanner.scan_bytes(stream, "Data", DEFAULT, NO_PERCENT_STYLES) is None
        else:
            with pytest.raises(SheetRefused, match=re.escape(outcome)) as refused:
                scanner.scan_bytes(stream, "Data", DEFAULT, NO_PERCENT_STYLES)
    assert not _prefetch_threads()  # even while the refusal (and so the scan's frame) is kept
    assert outcome is None or refused.value
    assert PREFETCH_THREAD in stream.readers and len(stream.readers) <= scanner.PREFETCH_DEPTH + 4
    assert len(xml) > 50 * 1024


def _open_files() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts open files through /proc")
def test_a_refused_workbook_leaves_no_thread_and_no_open_file(tmp_path):
    rows = "".join(f'<row r="{n}"><c r="A{n}"><v>{n}</v></c></row>' for n in range(3, 3000))
    path = fx.write_raw_sheet_xlsx(tmp_path, f'<sheetData><row r="2"><c r="ABCD2"><v>1</v></c></row>{rows}</sheetData>')
    before = _open_files()
    with chunk_size(1024), pytest.raises(SheetRefused, match="beyond Excel's grid") as refused:
        scanner.scan_worksheet(path, 0, "Data", DEFAULT)
    assert not _prefetch_threads() and _open_files() == before
    assert refused.value


def _findings(path: Path):
    """Everything scan_worksheet tells the reader, or its refusal."""
    try:
        found = scanner.scan_worksheet(path, 0, "Data", DEFAULT)
    except SheetRefused as refused:
        return ("refused", str(refused))
    percent = {column: rows.tolist() for column, rows in found.percent_cells(range(20)).items()}
    return ("read", found.formula_without_value, found.error_values, percent, found.decimal_comma)


def _many_rows(folder: Path) -> Path:
    rows = [[f"WO-{n}", n, f"=B{n + 2}*2" if n % 7 else None, 0.5 + n / 1000] for n in range(2500)]
    path = fx.write_formatted_xlsx(folder, ["work_order_id", "pci", "double", "on_time"], rows, {3: "0.0%"})
    return fx.set_cached_values(path, {"C3": "2"})


FIXTURES = {
    "small": fx.small_workbook,
    "messy": fx.write_messy_xlsx,
    "many rows, formulas and percentages": _many_rows,
    "a far cell": fx.write_far_cell_xlsx,
    "a huge dimension": fx.write_huge_dimension_xlsx,
    "a DTD": fx.write_billion_laughs_xlsx,
    "cut in half": fx.write_truncated_xlsx,
    "a prefixed sheet": lambda folder: fx.write_raw_sheet_xlsx(
        folder, '<sheetData><row r="1"><c r="A1"><f>B1</f></c></row></sheetData>', prefixed=True),
    "cells without references": lambda folder: fx.write_raw_sheet_xlsx(
        folder, "<sheetData>" + "".join(f"<row><c><v>{n}</v></c><c t=\"e\"><v>#N/A</v></c></row>"
                                        for n in range(900)) + "</sheetData>"),
    "a damaged checksum": lambda folder: _crc_broken(_many_rows(folder)),
}


@pytest.mark.parametrize("fixture", sorted(FIXTURES))
@pytest.mark.parametrize("chunk", [256, 4096, 4 * 1024 * 1024])
def test_the_reading_thread_finds_what_the_sequential_scan_found(tmp_path, fixture, chunk):
    path = FIXTURES[fixture](tmp_path)
    with chunk_size(chunk):
        with sequential_scan():
            expected = _findings(path)
        assert _findings(path) == expected
    assert not _prefetch_threads()
