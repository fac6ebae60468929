"""The worksheet XML scanner: the fast byte path and the careful parsed path must tell the same story.

Before calamine reads an .xlsx, imports/worksheet_xml.py scans the sheet's XML for three things a user notices:
formulas saved without a result (their cells are reported), error cells such as #N/A (reported with the
error), and cells placed beyond the row or column limit (the upload is refused, naming the cell). The fast
path (`_scan_bytes`) tests bytes in bulk; when the XML is unusual it must hand over to the parsed path
(`_scan_parsed`) by returning None, never give a different answer. Hypothesis writes the worksheets.
"""
from __future__ import annotations

import io
import re
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imports import worksheet_xml as scanner
from imports.limits import SheetLimits, SheetRefused, column_letters

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
