"""Messy and hostile spreadsheets, written on the fly, for the sheet reader's tests.

Everything here is generated (openpyxl for workbooks, plain text for CSV, zipfile for broken zips);
no real data is copied. Each writer puts one file in the folder it is given and returns its path.
"""
from __future__ import annotations

import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

from openpyxl import Workbook

EXCEL_EPOCH = date(1899, 12, 30)
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
SHEET_PART = "xl/worksheets/sheet1.xml"

# The messy sheet, as a city's staff might send it. Columns B..L (A and K stay blank); header on row 5.
MESSY_TITLES = ["City of Springfield \u2014 street resur\u00adfacing, north region",  # soft hyphen inside
                "Monthly vendor performance, March 2026. Do not change the header row."]
MESSY_HEADERS = ["  Work Order ID ", "Completed-On", "PCI (0-100)", "Roughness (in/mi)", "STREET", "On Time (%)",
                 "Cost ($)", "Crew", None, None, "Remarks"]
MESSY_FIRST_COLUMN = 2  # column B
MESSY_HEADER_ROW = 5  # rows 1-2 titles, 3 blank, 4 a note, 5 the header
MESSY_NOTE_ABOVE = "Note: one row per work order; dates as YYYY-MM-DD."
MESSY_NOTE_BELOW = "Prepared by J. Smith, Street Services"


def excel_serial(day: date) -> int:
    """The number Excel stores for a date (days since 1899-12-30)."""
    return (day - EXCEL_EPOCH).days


def messy_rows() -> list[list | None]:
    """Data rows for the messy sheet (None: a blank row), one cell per MESSY_HEADERS entry.

    Row 6: a real date cell and '95%'; 7: a text ID '00123', an Excel serial date, 0.95, '1,234.5';
    8: text date '2026-03-05' and a formula with a saved result; 9: blank; 10: '03/05/2026' and a formula
    without a saved result; 11: '5 Mar 2026' and an error value #N/A; the street on 6 is merged over 6-8.
    """
    return [
        ["WO-1001", date(2026, 3, 2), 91, 62.5, "Main St", "95%", 1200, "North crew", None, None, "ok"],
        ["00123", excel_serial(date(2026, 3, 4)), 88, 70, None, 0.95, "1,234.5", "North crew", None, None, None],
        ["WO-1003", "2026-03-05", "=D6+1", 64, None, "90%", 980.25, "South crew", None, None, None],
        None,
        ["WO-1004", "03/05/2026", "=D7*2", 58.25, "Elm St", 1, "2,000", "South crew", None, None, "late start"],
        ["WO-1005", "5 Mar 2026", 85, "#N/A", "Oak Ave", "100%", 1500, "North crew", None, None, None],
    ]


def write_messy_xlsx(folder: Path, *, headers: Sequence[str | None] = MESSY_HEADERS,
                     rows: Sequence[list | None] | None = None, titles: Sequence[str] = MESSY_TITLES,
                     note_above: str | None = MESSY_NOTE_ABOVE, notes_below: Sequence[str] = (MESSY_NOTE_BELOW,),
                     first_column: int = MESSY_FIRST_COLUMN,
                     merged: Sequence[str] = ("B1:L1", "I5:J5", "F6:F8"),
                     cached_values: dict[str, str] | None = None, filename: str = "messy.xlsx") -> Path:
    """The messy workbook: titles (one merged across, one with a soft hyphen), a blank row and a note
    above the header; a header merged over two columns; blank rows and columns; a merged data cell;
    a blank row and a note row below the data. `cached_values` saves a result for formula cells, as
    Excel would ({"D8": "92"}); openpyxl alone saves formulas without one."""
    if rows is None:
        rows = messy_rows()
        cached_values = {"D8": "92"} if cached_values is None else cached_values
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Data"
    for number, title in enumerate(titles, start=1):
        sheet.cell(row=number, column=1, value=title)
    header_row = len(titles) + 3
    if note_above:
        sheet.cell(row=header_row - 1, column=1, value=note_above)
    _put_row(sheet, header_row, first_column, headers)
    row_number = header_row
    for row in rows:
        row_number += 1
        if row is not None:
            _put_row(sheet, row_number, first_column, row)
    row_number += 1  # a blank row between the data and the notes
    for note in notes_below:
        row_number += 1
        sheet.cell(row=row_number, column=1, value=note)
    for cell_range in merged:
        sheet.merge_cells(cell_range)
    path = Path(folder) / filename
    workbook.save(path)
    if cached_values:
        set_cached_values(path, cached_values)
    return path


def _put_row(sheet, row_number: int, first_column: int, values: Sequence) -> None:
    for offset, value in enumerate(values):
        if value is None:
            continue
        cell = sheet.cell(row=row_number, column=first_column + offset, value=value)  # str stays text
        if isinstance(value, date):
            cell.number_format = "yyyy-mm-dd"


def write_plain_xlsx(folder: Path, headers: Sequence[str], rows: Sequence[Sequence], *,
                     above: Sequence[Sequence] = (), filename: str = "plain.xlsx", write_only: bool = False) -> Path:
    """A plain workbook: `above` rows, the header, then the rows (write-only mode for big sheets)."""
    workbook = Workbook(write_only=write_only)
    sheet = workbook.create_sheet("Data") if write_only else workbook.active
    if not write_only:
        sheet.title = "Data"
    for row in [*above, headers, *rows]:
        sheet.append(list(row))
    path = Path(folder) / filename
    workbook.save(path)
    return path


def write_csv(folder: Path, headers: Sequence[str], rows: Sequence[Sequence], *, delimiter: str = ",",
              bom: bool = False, above: Sequence[str] = (), filename: str = "sheet.csv",
              encoding: str = "utf-8") -> Path:
    """A CSV as a spreadsheet program writes it: `above` lines (titles), the header, the rows."""
    def field(value) -> str:
        text = "" if value is None else str(value)
        if any(char in text for char in (delimiter, '"', "\n", "\r")):
            text = '"' + text.replace('"', '""') + '"'
        return text

    lines = [*above, delimiter.join(field(h) for h in headers)]
    lines += [delimiter.join(field(value) for value in row) for row in rows]
    data = ("\r\n".join(lines) + "\r\n").encode(encoding)
    path = Path(folder) / filename
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


def write_messy_csv(folder: Path, *, filename: str = "messy.csv") -> Path:
    """A European-style export: UTF-8 with BOM, semicolons, decimal commas, a title line, a blank line."""
    headers = ["Work Order ID", "Completed On", "PCI (0-100)", "Roughness (in/mi)", "Street", "On Time (%)"]
    rows = [
        ["00123", "2026-03-02", "91", "62,5", "Main St", "95%"],
        ["WO-1002", "03/05/2026", "88", "70", "Rue de l'\u00c9glise", "0,95"],
        [],
        ["WO-1003", "5 Mar 2026", "85", "1.234,5", "Oak; Ave", "100%"],
    ]
    return write_csv(folder, headers, rows, delimiter=";", bom=True,
                     above=["Rapport mensuel \u2014 mars 2026", ""], filename=filename)


# --- hostile files ------------------------------------------------------------------------------

def rewrite_part(path: Path, part: str, change: Callable[[bytes], bytes], target: Path | None = None) -> Path:
    """Copies a zip with one part's bytes changed (to `target`, or in place)."""
    target = target or path
    with zipfile.ZipFile(path) as source:
        entries = [(info, source.read(info.filename)) for info in source.infolist()]
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as output:
        for info, data in entries:
            output.writestr(info.filename, change(data) if info.filename == part else data)
    return target


def set_cached_values(path: Path, values: dict[str, str]) -> Path:
    """Gives formula cells a saved result, as Excel does when it saves (<f>..</f><v>92</v>)."""
    def change(xml: bytes) -> bytes:
        for reference, value in values.items():
            formula_cell = rb'(<c r="' + reference.encode() + rb'"[^>]*>(?:<f>[^<]*</f>|<f[^>]*/>))'
            pattern = re.compile(formula_cell + rb"(?:<v\s*/>|<v>\s*</v>)?")
            xml, count = pattern.subn(lambda m, value=value: m.group(1) + b"<v>" + value.encode() + b"</v>", xml)
            assert count == 1, f"no formula cell {reference} to give a saved value"
        return xml
    return rewrite_part(path, SHEET_PART, change)


def small_workbook(folder: Path, filename: str = "small.xlsx") -> Path:
    return write_plain_xlsx(folder, ["work_order_id", "completed_on", "pci"],
                            [["WO-1", date(2026, 3, 2), 90], ["WO-2", date(2026, 3, 3), 85]], filename=filename)


def write_zip_bomb(folder: Path, *, uncompressed_mb: int = 210, filename: str = "report.xlsx") -> Path:
    """A zip dressed as a workbook whose sheet part is `uncompressed_mb` MB of zeros (about 1000:1, so
    the file stays a few hundred KB)."""
    path = Path(folder) / filename
    zeros = bytes(1024 * 1024)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("xl/workbook.xml", '<?xml version="1.0"?><workbook/>')
        info = zipfile.ZipInfo(SHEET_PART)
        info.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(info, "w", force_zip64=True) as part:
            for _ in range(uncompressed_mb):
                part.write(zeros)
    return path


def write_many_entries_xlsx(folder: Path, *, entries: int = 3000, filename: str = "many.xlsx") -> Path:
    """A real workbook with thousands of tiny extra parts."""
    path = small_workbook(folder, filename)
    with zipfile.ZipFile(path, "a", zipfile.ZIP_STORED) as archive:
        for number in range(entries):
            archive.writestr(f"xl/media/pad{number}.bin", b"x")
    return path


def write_png_as_xlsx(folder: Path, filename: str = "photo.xlsx") -> Path:
    """A 1x1 PNG image named .xlsx."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))
    path = Path(folder) / filename
    path.write_bytes(png)
    return path


def write_xlsm(folder: Path, filename: str = "macros.xlsm") -> Path:
    """A real workbook saved under a macro-enabled name."""
    return small_workbook(folder, filename)


def write_truncated_xlsx(folder: Path, filename: str = "cut.xlsx") -> Path:
    """A real workbook cut in half, as an interrupted transfer leaves it."""
    path = small_workbook(folder, filename)
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])
    return path


def write_encrypted_xlsx(folder: Path, filename: str = "locked.xlsx") -> Path:
    """What Excel saves for a workbook with a password: an OLE compound file, not a zip."""
    path = Path(folder) / filename
    path.write_bytes(OLE_SIGNATURE + bytes(504) + "EncryptionInfo".encode("utf-16-le") + bytes(4096))
    return path


def write_huge_dimension_xlsx(folder: Path, *, reference: str = "A1:XFD1048576",
                              filename: str = "huge.xlsx") -> Path:
    """A small workbook whose sheet declares a huge used range."""
    path = small_workbook(folder, filename)
    return rewrite_part(path, SHEET_PART,
                        lambda xml: re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="' + reference.encode()
                                           + b'"/>', xml))


def write_far_cell_xlsx(folder: Path, *, reference: str = "XFD1048576", filename: str = "far.xlsx") -> Path:
    """A small workbook with one more cell placed far away and no <dimension>: calamine would allocate
    the whole empty rectangle (hundreds of GB) for it."""
    path = small_workbook(folder, filename)

    def change(xml: bytes) -> bytes:
        xml = re.sub(rb"<dimension[^>]*/>", b"", xml)
        far_row = re.match(r"[A-Z]+(\d+)", reference).group(1).encode()
        cell = b'<row r="' + far_row + b'"><c r="' + reference.encode() + b'" t="n"><v>1</v></c></row>'
        return xml.replace(b"</sheetData>", cell + b"</sheetData>")
    return rewrite_part(path, SHEET_PART, change)


def write_billion_laughs_xlsx(folder: Path, filename: str = "laughs.xlsx") -> Path:
    """A workbook whose sheet XML declares nested entities (the 'billion laughs' attack)."""
    path = small_workbook(folder, filename)
    entities = ['<!ENTITY lol "lol">'] + [f'<!ENTITY lol{n} "{("&lol" + (str(n - 1) if n > 1 else "") + ";") * 10}">'
                                          for n in range(1, 10)]
    doctype = ("<!DOCTYPE worksheet [" + "".join(entities) + "]>").encode()

    def change(xml: bytes) -> bytes:
        xml = re.sub(rb"^<\?xml[^>]*\?>", b"", xml)
        assert b"<t>WO-1</t>" in xml
        xml = xml.replace(b"<t>WO-1</t>", b"<t>&lol9;</t>")
        return b'<?xml version="1.0" encoding="UTF-8"?>' + doctype + xml
    return rewrite_part(path, SHEET_PART, change)


def write_raw_sheet_xlsx(folder: Path, sheet_data: str, *, prefixed: bool = False,
                         filename: str = "raw.xlsx") -> Path:
    """A small workbook whose <sheetData> is replaced by the given XML (no <dimension>), for cells as
    other programs write them: without r="A1" references, with shared formulas, with an 'x:' prefix."""
    path = small_workbook(folder, filename)

    def change(xml: bytes) -> bytes:
        xml = re.sub(rb"<dimension[^>]*/>", b"", xml)
        xml = re.sub(rb"<sheetData>.*</sheetData>|<sheetData/>", sheet_data.encode().replace(b"\\", b"\\\\"), xml,
                     flags=re.DOTALL)
        if prefixed:
            xml = re.sub(rb"<(/?)(?=[a-zA-Z])", rb"<\1x:", xml)
            xml = xml.replace(b'xmlns="', b'xmlns:x="', 1)
        return xml
    return rewrite_part(path, SHEET_PART, change)


# --- numbers as real sheets write them ------------------------------------------------------------

def write_formatted_xlsx(folder: Path, headers: Sequence[str], rows: Sequence[Sequence],
                         formats: dict[int, str], *, filename: str = "formatted.xlsx",
                         above: Sequence[Sequence] = ()) -> Path:
    """A workbook whose number cells in column `i` (0-based) carry Excel number format `formats[i]`,
    as a city's staff format them ('0.0%' shows 0.953 as 95.3 %)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Data"
    for row in [*above, headers]:
        sheet.append(list(row))
    first = len(above) + 2
    for number, row in enumerate(rows, start=first):
        for column, value in enumerate(row, start=1):
            if value is None:
                continue
            cell = sheet.cell(row=number, column=column, value=value)
            if column - 1 in formats and isinstance(value, (int, float)):
                cell.number_format = formats[column - 1]
            elif isinstance(value, date):
                cell.number_format = "yyyy-mm-dd"
    path = Path(folder) / filename
    workbook.save(path)
    return path


def one_project_cost_growth_rows() -> list[list]:
    """A one-project resurfacing sheet as real ones are sent: cost growth in plain percent points (0.8 means
    0.8 %, not 80 %), completion on time as yes/no."""
    return [["PID-108337", date(2026, 3, 20), "TWO/FOUR LANE RESURFACING", 0.8, "yes"]]
