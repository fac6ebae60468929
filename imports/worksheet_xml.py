"""The worksheet XML, scanned once as bytes before calamine reads the sheet: cells beyond the limits are
refused (calamine would allocate the whole empty rectangle), and it tells what calamine does not:
formulas saved without a result, error values, and which cells are formatted as percentages.
A careful parsed path handles anything the byte scanner does not recognise.
"""
from __future__ import annotations

import posixpath
import queue
import re
import sys
import threading
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import unescape

import numpy as np
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring, iterparse

from .limits import (
    DTD_RE,
    MAIN_NS,
    RELS_NS,
    SNIFF_BYTES,
    SheetLimits,
    SheetRefused,
    column_letters,
    column_number,
    sheet_parts,
)

XML_CHUNK = 1024 * 1024  # a segment and its numpy temporaries stay in cache: ~20 % cheaper than 4 MB
PREFETCH_DEPTH = 2  # segments decompressed ahead of the byte tests: memory stays a few XML_CHUNKs
REF_WINDOW = 12  # bytes read from each suspect cell reference: 3 letters, 7 digits, the closing quote
SEGMENT_PAD = b" " * 32  # lets the byte tests look a few bytes past the last cell (more than TAG_WINDOW)
DAMAGED = "The workbook is damaged and cannot be read; open it in Excel, save it again and upload the new file."
ROOT_RE = re.compile(rb"<([A-Za-z_][\w.-]*:)?worksheet[\s>]")
CELL_WITHOUT_REF_RE = re.compile(rb"<c(?: (?!r=)|/?>)")
REF_AT_RE = re.compile(rb'r="([A-Za-z]*)([0-9]*)"')
FORMULA_OR_ERROR_RE = re.compile(rb'<f[\s>/]|\st="e"')
FORMULA_TAG_RE = re.compile(rb"<f[\s>/]")
CELL_TYPE_RE = re.compile(rb'\st="([a-zA-Z]*)"')
VALUE_RE = re.compile(rb"<v(?:\s[^>]*)?(?:/>|>(.*?)</v>)", re.DOTALL)
CELL_REF_RE = re.compile(r"^([A-Za-z]{1,3})([0-9]+)$")
PERCENT_BUILTIN_FORMATS = frozenset({9, 10})  # 0% and 0.00%
MAX_STYLES_BYTES = 32 * 1024 * 1024
# Valid XML that Excel never writes but other tools may; the byte tests below would misread it (a far cell
# missed is the dangerous case), so its presence hands the sheet to the parsed path.
UNUSUAL_MARKERS = (b"='", b"<!--", b"<![CDATA[", b"&#", b"<c\n", b"<c\t", b"<c\r")
UNUSUAL_BYTES = (b"'", b"!", b"&", b"\t", b"\n", b"\r")  # a segment without any of these holds no marker above
# Prefixed cells under an unprefixed root: a writer that does it does it from the first row on.
PREFIXED_MARKERS = (b":c ", b":c>", b":row")
TAG_WINDOW = 24  # bytes of a <c> tag looked at for its style: <c r="XFD1048576" s="


@dataclass
class CellFindings:
    """What only the worksheet XML tells: formulas saved without a result, and error values (#N/A ...)."""

    formula_without_value: set[tuple[int, int]] = field(default_factory=set)
    error_values: dict[tuple[int, int], str] = field(default_factory=dict)
    percent_rows: dict[int, list] = field(default_factory=dict)  # column index -> arrays of Excel rows
    decimal_comma: bool = False

    def note_percent(self, rows: np.ndarray, columns: np.ndarray) -> None:
        """Cells (1-based rows, 0-based columns) whose number format is a percentage."""
        for column in np.unique(columns):
            self.percent_rows.setdefault(int(column), []).append(rows[columns == column])

    def percent_cells(self, columns: Iterable[int]) -> dict[int, np.ndarray]:
        return {column: np.unique(np.concatenate(self.percent_rows[column]))
                for column in columns if column in self.percent_rows}


def scan_worksheet(path: Path, index: int, name: str, limits: SheetLimits) -> CellFindings:
    """Reads the sheet's XML once, streaming, before calamine does: a cell placed far beyond the limits
    would make calamine allocate the whole empty rectangle and kill the process, so refuse it here."""
    try:
        with zipfile.ZipFile(path) as archive:
            parts = sheet_parts(archive)
            if index >= len(parts) or parts[index].name != name or not parts[index].part:
                raise SheetRefused(DAMAGED)
            percent_styles = _percent_styles(archive)
            with archive.open(parts[index].part) as stream:
                findings = scan_bytes(stream, name, limits, percent_styles)
            if findings is None:  # cells without references, prefixed tags: parse it properly
                with archive.open(parts[index].part) as stream:
                    findings = scan_parsed(stream, name, limits, percent_styles)
    except SheetRefused:
        raise
    except (KeyError, zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, OSError, RuntimeError,
            ValueError):
        raise SheetRefused(DAMAGED) from None
    return findings


@dataclass
class _Extent:
    """How far the sheet's cells reach (1-based row and column) and a cell at each edge, for the message."""

    rows: int = 0
    row_cell: str = ""
    columns: int = 0
    column_cell: str = ""

    def note(self, row: int, column: int) -> None:
        if row > self.rows:
            self.rows, self.row_cell = row, f"{column_letters(column)}{row}"
        if column > self.columns:
            self.columns, self.column_cell = column, f"{column_letters(column)}{row}"

    def refuse_beyond(self, name: str, limits: SheetLimits) -> None:
        if self.rows > limits.max_rows:
            raise SheetRefused(f"Sheet '{name}' uses {self.rows:,} rows (its lowest cell is {self.row_cell}); the "
                               f"limit is {limits.max_rows:,} rows.")
        if self.columns > limits.max_columns:
            raise SheetRefused(f"Sheet '{name}' uses {self.columns:,} columns (up to column "
                               f"{column_letters(self.columns)}, cell {self.column_cell}); the limit is "
                               f"{limits.max_columns:,} columns.")


def scan_bytes(stream, name: str, limits: SheetLimits, percent_styles: np.ndarray) -> CellFindings | None:
    """The fast path: vectorised byte tests over whole rows; None when the parsed path must do it instead."""
    first = stream.read(XML_CHUNK)
    if DTD_RE.search(first, 0, SNIFF_BYTES):
        raise SheetRefused(f"Sheet '{name}' contains a DTD (<!DOCTYPE or <!ENTITY>), which Excel never writes; the "
                           "file was refused.")
    root = ROOT_RE.search(first)
    if root is None or root.group(1) or b"\x00" in first[:200]:
        return None
    findings, extent = CellFindings(), _Extent()
    segments = _whole_rows(first, stream)
    if len(first) >= XML_CHUNK:  # more to decompress: overlap it with the byte tests
        segments = _prefetched(segments, PREFETCH_DEPTH)
    with closing(segments):  # stopping early stops the reading thread before the caller closes the stream
        for number, segment in enumerate(segments):
            if number == 0 and any(marker in segment for marker in PREFIXED_MARKERS):
                return None
            data = np.frombuffer(segment + SEGMENT_PAD, dtype=np.uint8)
            if any(byte in segment for byte in UNUSUAL_BYTES) and any(marker in segment
                                                                      for marker in UNUSUAL_MARKERS):
                return None
            if not _note_far_references(segment, data, limits, extent):
                return None
            if len(percent_styles):
                _note_percent_cells(segment, data, percent_styles, findings)
            if _may_hold_formula_without_value_or_error(data):
                _note_formulas_and_errors(segment, findings)
    extent.refuse_beyond(name, limits)
    return findings


def _whole_rows(first: bytes, stream):
    """The XML in pieces of about XML_CHUNK bytes, each ending after a </row>, so no cell is cut in two."""
    pending, chunk = b"", first
    while chunk:
        data = pending + chunk if pending else chunk
        cut = data.rfind(b"</row>")
        if cut < 0:
            pending = data
        else:
            yield data[:cut + 6]
            pending = data[cut + 6:]
        chunk = stream.read(XML_CHUNK)
    if pending:
        yield pending


_DONE = object()


def _prefetched(items: Iterator[bytes], depth: int) -> Iterator[bytes]:
    """`items`, produced by a thread up to `depth` ahead. zlib and numpy release the GIL, so on two cores
    the next chunk decompresses while the byte tests run on this one. The thread's errors are raised here,
    after the items before them; closing this generator stops the thread (it finishes at most one read)."""
    ready: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        error = None
        try:
            for item in items:
                if stop.is_set():
                    break
                ready.put((item, None))
        except BaseException as raised:  # handed to the consumer, raised there as the sequential loop would
            error = raised
        ready.put((_DONE, error))

    thread = threading.Thread(target=produce, name="worksheet-xml-prefetch", daemon=True)
    thread.start()
    finished = False
    try:
        while True:
            item, error = ready.get()
            if item is _DONE:
                finished = True
                if error is not None:
                    raise error
                return
            yield item
    finally:
        stop.set()
        while not finished:  # unblock the producer until it hands over its last word
            finished = ready.get()[0] is _DONE
        thread.join()


def _pattern_hits(data: np.ndarray, pattern: bytes, positions: bool):
    """Where (or how often) a 2- or 4-byte pattern occurs in `data`, at every byte alignment."""
    width = len(pattern)
    word = np.uint16 if width == 2 else np.uint32
    value = int.from_bytes(pattern, sys.byteorder)
    found = []
    for offset in range(width):
        usable = (len(data) - offset) // width * width
        matches = data[offset:offset + usable].view(word) == value
        found.append(np.flatnonzero(matches) * width + offset if positions else np.count_nonzero(matches))
    return np.concatenate(found) if positions else int(sum(found))


def _is_letter(codes: np.ndarray) -> np.ndarray:
    lower = codes | 32
    return (lower >= 97) & (lower <= 122)


def _is_digit(codes: np.ndarray) -> np.ndarray:
    return (codes >= 48) & (codes <= 57)


def _note_far_references(segment: bytes, data: np.ndarray, limits: SheetLimits, extent: _Extent) -> bool:
    """Notes cells placed beyond the limits in `extent`; False when some cell lacks a plain r="A1" reference."""
    tags = _pattern_hits(data, b"<c", positions=True)  # cells, and <col>, <cfRule>... (one pass for both)
    references = tags[(data[tags + 2] == ord(" ")) & (data[tags + 3] == ord("r")) & (data[tags + 4] == ord("="))
                      & (data[tags + 5] == ord('"'))] + 6
    if len(tags) != len(references) and CELL_WITHOUT_REF_RE.search(segment):
        return False
    if not len(references):
        return True
    if not _is_letter(data[references]).all():
        return False
    # Only references long enough to break a limit are parsed: e.g. a 6th and 7th digit for 200,000 rows.
    row_digits = len(str(limits.max_rows + 1))
    letters_needed = len(column_letters(limits.max_columns + 1))
    if row_digits >= 4 and letters_needed >= 2:
        suspect = (_is_digit(data[references + row_digits - 1]) & _is_digit(data[references + row_digits])) \
            | _is_letter(data[references + letters_needed - 1])
        references = references[suspect]
    _note_references_beyond(data, references, limits, extent)
    return True


def _parse_references(data: np.ndarray, references: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(1-based rows, 1-based columns) of the references ('XFD1048576') starting at `references`, column-wise."""
    window = data[np.arange(REF_WINDOW)[:, None] + references]  # one row per byte: contiguous, fast to step
    row = np.zeros(len(references), dtype=np.int64)
    column = np.zeros(len(references), dtype=np.int64)
    letters = in_reference = np.ones(len(references), dtype=bool)
    letter_count = np.zeros(len(references), dtype=np.int64)
    for k in range(REF_WINDOW):
        codes = window[k].astype(np.int64)
        is_letter = _is_letter(codes)
        letters = letters & is_letter
        in_reference = in_reference & (is_letter | _is_digit(codes))
        digits = in_reference & ~letters
        row = np.where(digits, row * 10 + codes - 48, row)
        column = np.where(letters, column * 26 + (codes | 32) - 96, column)
        letter_count += letters
    if (in_reference | (letter_count > 3)).any():
        raise SheetRefused(f"A cell reference lies beyond Excel's grid. {DAMAGED}")
    return row, column


def _note_references_beyond(data: np.ndarray, references: np.ndarray, limits: SheetLimits, extent: _Extent) -> None:
    """The furthest cells beyond a limit go into `extent`."""
    if not len(references):
        return
    row, column = _parse_references(data, references)
    for reach, across, limit in ((row, column, limits.max_rows), (column, row, limits.max_columns)):
        beyond = np.flatnonzero(reach > limit)
        if len(beyond):  # the furthest cell; of those, the first along the other axis
            furthest = beyond[reach[beyond] == reach[beyond].max()]
            first = furthest[np.argmin(across[furthest])]
            extent.note(int(row[first]), int(column[first]))


def _note_percent_cells(segment: bytes, data: np.ndarray, percent_styles: np.ndarray,
                        findings: CellFindings) -> None:
    """Finds the cells whose style index (s="N" in the <c> tag) is a percentage format, all at once: the bytes
    after every s=" are compared with the percent styles' numbers, and only those cells are placed."""
    hits = _pattern_hits(data, b' s="', positions=True)
    if not len(hits):
        return
    wanted = np.zeros(len(hits), dtype=bool)
    for percent_style in percent_styles:  # a workbook has a handful: compare the bytes s="12" directly
        written = str(int(percent_style)).encode() + b'"'
        match = np.ones(len(hits), dtype=bool)
        for k, code in enumerate(written):
            match &= data[hits + 4 + k] == code
        wanted |= match
    hits = hits[wanted]
    if not len(hits):
        return
    # The s=" belongs to a cell when the last '<' before it opens <c r=" and no '>' comes between (not a
    # <row s="..">, not text inside a cell). Tags longer than the window are looked at one by one.
    cell_start = np.full(len(hits), -1, dtype=np.int64)
    closes_after = np.zeros(len(hits), dtype=bool)
    for back in range(1, TAG_WINDOW + 1):  # step back to the nearest '<', noting any '>' on the way
        codes = data[np.maximum(hits - back, 0)]
        open_here = (cell_start < 0) & (codes == ord("<"))
        cell_start[open_here] = hits[open_here] - back
        closes_after |= (cell_start < 0) & (codes == ord(">"))
    seen = (cell_start >= 0) & (hits >= TAG_WINDOW)
    for i in np.flatnonzero(~seen):
        cell_start[i] = segment.rfind(b"<", 0, int(hits[i]))
        closes_after[i] = cell_start[i] < 0 or segment.find(b">", int(cell_start[i]), int(hits[i])) >= 0
    cell_start = np.maximum(cell_start, 0)
    in_cell = ~closes_after & (data[cell_start + 1] == ord("c")) & (data[cell_start + 2] == ord(" ")) \
        & (data[cell_start + 3] == ord("r")) & (data[cell_start + 4] == ord("=")) & (data[cell_start + 5] == ord('"'))
    if in_cell.any():
        rows, columns = _parse_references(data, cell_start[in_cell] + 6)
        findings.note_percent(rows, columns - 1)


def _may_hold_formula_without_value_or_error(data: np.ndarray) -> bool:
    """True when some formula may lack a saved result or some cell holds an error (#N/A); those cells are
    then looked at one by one. Formulas with results, the usual case, are only counted."""
    if _pattern_hits(data, b'="e"', positions=False):
        return True
    formulas = _pattern_hits(data, b"<f", positions=False)
    if not formulas:
        return False
    with_value = _pattern_hits(data, b"f><v", positions=False) + _pattern_hits(data, b"/><v", positions=False)
    empty_values = _pattern_hits(data, b"<v/>", positions=False) + _pattern_hits(data, b"<v><", positions=False)
    return formulas > with_value - empty_values


def _note_formulas_and_errors(segment: bytes, findings: CellFindings) -> None:
    end = segment.find(b"</sheetData>")
    end = len(segment) if end < 0 else end
    done = -1
    for hit in FORMULA_OR_ERROR_RE.finditer(segment, 0, end):
        if hit.start() < done:
            continue
        start = segment.rfind(b"<c ", 0, hit.start() + 1)
        tag_end = segment.find(b">", start)
        if start < 0 or tag_end < 0:
            continue
        tag = segment[start:tag_end + 1]
        if tag.endswith(b"/>"):
            content, done = b"", tag_end + 1
        else:
            close = segment.find(b"</c>", tag_end)
            close = end if close < 0 else close
            content, done = segment[tag_end + 1:close], close + 4
        ref = REF_AT_RE.search(tag)
        if not ref or not ref.group(1) or not ref.group(2):
            continue
        value_type = CELL_TYPE_RE.search(tag)
        value = VALUE_RE.search(content)
        _note_cell(findings, int(ref.group(2)), column_number(ref.group(1).decode("ascii")) - 1,
                   value_type.group(1).decode("ascii") if value_type else "n",
                   FORMULA_TAG_RE.search(content) is not None,
                   None if value is None else (value.group(1) or b"").decode("utf-8", errors="replace"))


def _note_cell(findings: CellFindings, row: int, column: int, value_type: str, has_formula: bool,
               value: str | None) -> None:
    """`value` is the saved <v> text, None when the cell has no <v> at all."""
    if value_type == "e" and value:
        findings.error_values[(row, column)] = unescape(value).strip()
    elif has_formula and (value is None or (value == "" and value_type != "str")):
        findings.formula_without_value.add((row, column))


def scan_parsed(stream, name: str, limits: SheetLimits, percent_styles: np.ndarray) -> CellFindings:
    """The careful path: an XML parse that places cells without references as Excel and calamine do."""
    findings, extent = CellFindings(), _Extent()
    row_number, column, cell = 0, -1, (0, 0)
    percent = {int(style) for style in percent_styles}
    percent_rows: list[int] = []
    percent_columns: list[int] = []
    try:
        for event, element in iterparse(stream, events=("start", "end"), forbid_dtd=True):
            tag = element.tag.rsplit("}", 1)[-1]
            if event == "start" and tag == "row":
                reference = element.get("r", "")
                row_number, column = (int(reference) if reference.isdigit() else row_number + 1), -1
            elif event == "start" and tag == "c":
                parsed = CELL_REF_RE.match(element.get("r", ""))
                if parsed:
                    column = column_number(parsed.group(1)) - 1
                    cell = (int(parsed.group(2)), column)
                else:
                    column += 1
                    cell = (row_number, column)
                extent.note(cell[0], cell[1] + 1)
                style = element.get("s", "")
                if percent and style.isdigit() and int(style) in percent:
                    percent_rows.append(cell[0])
                    percent_columns.append(cell[1])
            elif event == "end" and tag == "c":
                children = {child.tag.rsplit("}", 1)[-1]: child for child in element}
                value = children.get("v")
                _note_cell(findings, cell[0], cell[1], element.get("t", "n"), "f" in children,
                           None if value is None else (value.text or ""))
                element.clear()
            elif event == "end" and tag == "row":
                element.clear()
            elif event == "end" and tag == "sheetData":
                break
    except DefusedXmlException:
        raise SheetRefused(f"Sheet '{name}' contains a DTD (<!DOCTYPE or <!ENTITY>), which Excel never writes; the "
                           "file was refused.") from None
    except (ParseError, ValueError):
        raise SheetRefused(DAMAGED) from None
    extent.refuse_beyond(name, limits)
    if percent_rows:
        findings.note_percent(np.asarray(percent_rows, dtype=np.int64), np.asarray(percent_columns, dtype=np.int64))
    return findings


def _percent_styles(archive: zipfile.ZipFile) -> np.ndarray:
    """Indexes of the workbook's cell formats (cellXfs) that show numbers as percentages: built-in formats
    9 and 10, or a custom format with % outside quotes, brackets and escapes. Empty when there are none."""
    part = "xl/styles.xml"
    try:
        relations = fromstring(archive.read("xl/_rels/workbook.xml.rels"), forbid_dtd=True)
        for relation in relations.iter(f"{RELS_NS}Relationship"):
            if relation.get("Type", "").endswith("/styles"):
                target = relation.get("Target", "")
                part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl",
                                                                                                          target))
        if archive.getinfo(part).file_size > MAX_STYLES_BYTES:
            raise SheetRefused(DAMAGED)
        styles = fromstring(archive.read(part), forbid_dtd=True)
    except KeyError:
        return np.zeros(0, dtype=np.int64)
    except (ParseError, DefusedXmlException):
        raise SheetRefused(DAMAGED) from None
    percent_formats = set(PERCENT_BUILTIN_FORMATS)
    for number_format in styles.iter(f"{MAIN_NS}numFmt"):
        if _is_percent_format(number_format.get("formatCode", "")):
            percent_formats.add(_int(number_format.get("numFmtId")))
    cell_formats = styles.find(f"{MAIN_NS}cellXfs")
    if cell_formats is None:
        return np.zeros(0, dtype=np.int64)
    return np.asarray([index for index, xf in enumerate(cell_formats.iter(f"{MAIN_NS}xf"))
                       if _int(xf.get("numFmtId")) in percent_formats], dtype=np.int64)


def _int(text: str | None) -> int:
    return int(text) if text and text.isdigit() else -1


def _is_percent_format(code: str) -> bool:
    """True when an Excel number format code multiplies by 100: a % not quoted, escaped or in [brackets]."""
    quoted = bracketed = False
    characters = iter(code)
    for char in characters:
        if quoted:
            quoted = char != '"'
        elif bracketed:
            bracketed = char != "]"
        elif char == '"':
            quoted = True
        elif char == "[":
            bracketed = True
        elif char in "\\_*":  # an escaped, padding or fill character is shown, not applied
            next(characters, None)
        elif char == "%":
            return True
    return False
