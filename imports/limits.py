"""Upload limits and the checks made on an uploaded file before anything parses it (SPEC §5).

Size, type (extension and signature together), zip bombs, DTDs and declared sheet sizes are all
checked from the file's first bytes and the zip's central directory, so a hostile file costs little.
"""
from __future__ import annotations

import codecs
import posixpath
import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

SNIFF_BYTES = 64 * 1024  # read from the start of the file and of each XML part
BOMB_RATIO = 100  # a part expanding more than this many times ...
BOMB_MIN_BYTES = 10 * 1024 * 1024  # ... to more than this is a zip bomb
ACCEPTED_TYPES = "Accepted file types: .xlsx (Excel workbook) and .csv (UTF-8 text, comma or semicolon)."
SAVE_AS_XLSX = "In Excel use File > Save As and choose \"Excel Workbook (*.xlsx)\", then upload that file."
SAVE_AS_CSV_UTF8 = "In Excel use File > Save As and choose \"CSV UTF-8 (Comma delimited) (*.csv)\"."

ZIP_SIGNATURE = b"PK\x03\x04"
EMPTY_ZIP_SIGNATURE = b"PK\x05\x06"
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
SIGNATURES = (  # what a misnamed file most likely is, for the message
    (b"\x89PNG", "a PNG image"),
    (b"%PDF", "a PDF document"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"{\\rtf", "an RTF document"),
)
RELS_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
DOC_REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
DIMENSION_RE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?dimension\s+ref=\"([A-Za-z$]*\d*)(?::([A-Za-z$]*\d*))?\"")
CELL_REF_RE = re.compile(r"^\$?([A-Za-z]{0,3})\$?(\d*)$")
DTD_RE = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)
PROLOG_ITEM_RE = re.compile(rb"\s*(?:<\?.*?\?>|<!--.*?-->)", re.DOTALL)
ROOT_START_RE = re.compile(rb"\s*<[A-Za-z_]")
XML_SUFFIXES = (".xml", ".rels", ".vml")
MAX_INDEX_PART_BYTES = 5 * 1024 * 1024  # workbook.xml and its rels list sheets: never this big


@dataclass(frozen=True)
class SheetLimits:
    """How big an uploaded sheet may be; past any limit the upload is refused with the limit named."""

    max_bytes: int = 20 * 1024 * 1024
    max_rows: int = 200_000
    max_columns: int = 200
    max_uncompressed_bytes: int = 200 * 1024 * 1024
    max_zip_entries: int = 1000


class SheetRefused(ValueError):
    """The file cannot be taken; str(error) is the message for the user: what is wrong and what to do."""


@dataclass(frozen=True)
class SheetPart:
    """One sheet of a workbook, in workbook order: its tab name, zip part and kind ('worksheet', ...)."""

    name: str
    part: str
    kind: str


def inspect_upload(path: Path, filename: str, limits: SheetLimits) -> str:
    """'xlsx' or 'csv' when the file may be parsed; SheetRefused naming the problem otherwise."""
    path = Path(path)
    size = path.stat().st_size
    if size == 0:
        raise SheetRefused("The file is empty (0 bytes). Upload the filled-in sheet.")
    if size > limits.max_bytes:
        raise SheetRefused(f"The file is {megabytes(size)}; the upload limit is {megabytes(limits.max_bytes)}.")
    extension = Path(filename or "").suffix.lower()
    with open(path, "rb") as handle:
        head = handle.read(SNIFF_BYTES)
    if extension == ".xlsm":
        raise SheetRefused(f"Macro-enabled workbooks (.xlsm) are not accepted: save as .xlsx. {SAVE_AS_XLSX}")
    if extension == ".xlsx":
        _inspect_workbook(path, head, limits)
        return "xlsx"
    if extension == ".csv":
        _inspect_csv(head, complete=size <= SNIFF_BYTES)
        return "csv"
    if extension == ".xls":
        raise SheetRefused(f"Excel 97-2003 workbooks (.xls) are not accepted. {ACCEPTED_TYPES} {SAVE_AS_XLSX}")
    named = f"'{extension}' files are" if extension else "Files without an extension are"
    raise SheetRefused(f"{named} not accepted. {ACCEPTED_TYPES}")


def megabytes(size: int) -> str:
    """A byte count as users read it: '20 MB', '3.5 MB', '812 KB'."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):,.1f}".removesuffix(".0") + " MB"
    return f"{max(size / 1024, 0.1):,.1f}".removesuffix(".0") + " KB"


def column_number(letters: str) -> int:
    """Excel column letters as a 1-based number: 'A' -> 1, 'XFD' -> 16384."""
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - 64
    return number


def column_letters(number: int) -> str:
    """A 1-based column number as Excel letters: 1 -> 'A', 16384 -> 'XFD'."""
    letters = ""
    while number > 0:
        number, remainder = divmod(number - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


# --- .xlsx --------------------------------------------------------------------------------------

def _inspect_workbook(path: Path, head: bytes, limits: SheetLimits) -> None:
    if head.startswith(OLE_SIGNATURE):
        raise SheetRefused(_ole_message(path))
    if not head.startswith((ZIP_SIGNATURE, EMPTY_ZIP_SIGNATURE)):
        raise SheetRefused(f"The file is named .xlsx but is not an Excel workbook (it looks like {_looks_like(head)}). "
                           f"{ACCEPTED_TYPES}")
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
            _check_entries(entries, limits)
            _check_workbook_parts({entry.filename for entry in entries})
            _check_xml_parts(archive, entries, limits)
    except SheetRefused:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, OSError, RuntimeError, ValueError) as error:
        raise SheetRefused("The workbook is damaged or incomplete and cannot be opened (it is not a readable zip "
                           "archive; a file cut short in transfer looks like this). Open it in Excel, save it "
                           "again and upload the new file.") from error


def _ole_message(path: Path) -> str:
    """An OLE compound file named .xlsx: an encrypted workbook, or an old .xls renamed."""
    with open(path, "rb") as handle:
        body = handle.read()
    if "EncryptionInfo".encode("utf-16-le") not in body and "Workbook".encode("utf-16-le") in body:
        return f"The file is an Excel 97-2003 workbook (.xls) renamed .xlsx. {SAVE_AS_XLSX}"
    return ("The file is a password-protected (encrypted) workbook: remove the password and save again "
            "(in Excel: File > Info > Protect Workbook > Encrypt with Password, clear the password, save), "
            "then upload it.")


def _looks_like(head: bytes) -> str:
    for signature, description in SIGNATURES:
        if head.startswith(signature):
            return description
    if b"\x00" not in head:
        try:
            head.decode("utf-8")
            return "a text file; a CSV file must be named .csv"
        except UnicodeDecodeError:
            pass
    return "some other kind of file"


def _check_entries(entries: list[zipfile.ZipInfo], limits: SheetLimits) -> None:
    if len(entries) > limits.max_zip_entries:
        raise SheetRefused(f"The workbook holds {len(entries):,} parts; the limit is {limits.max_zip_entries:,}. "
                           "A spreadsheet has a few dozen, so the file was refused.")
    for entry in entries:
        if entry.flag_bits & 0x1:
            raise SheetRefused("The workbook's parts are encrypted: remove the password, save again and upload it.")
        ratio = entry.file_size / max(entry.compress_size, 1)
        if ratio > BOMB_RATIO and entry.file_size > BOMB_MIN_BYTES:
            raise SheetRefused(
                f"The workbook looks like a zip bomb: its part '{entry.filename[:80]}' would expand "
                f"{ratio:,.0f} times to {megabytes(entry.file_size)} (allowed: at most {BOMB_RATIO}:1 for parts "
                f"over {megabytes(BOMB_MIN_BYTES)}). The file was refused.")
    total = sum(entry.file_size for entry in entries)
    if total > limits.max_uncompressed_bytes:
        raise SheetRefused(f"The workbook would take {megabytes(total)} once uncompressed; the limit is "
                           f"{megabytes(limits.max_uncompressed_bytes)}.")


def _check_workbook_parts(names: set[str]) -> None:
    if "xl/vbaProject.bin" in names:
        raise SheetRefused("The workbook contains macros (it is an .xlsm renamed .xlsx): save as .xlsx. "
                           + SAVE_AS_XLSX)
    if "[Content_Types].xml" in names and "xl/workbook.xml" in names:
        return
    if "xl/workbook.bin" in names:
        raise SheetRefused(f"The file is an Excel binary workbook (.xlsb), not an .xlsx. {SAVE_AS_XLSX}")
    if "mimetype" in names and "content.xml" in names:
        raise SheetRefused("The file is an OpenDocument spreadsheet (.ods), not an .xlsx. Save it as "
                           "\"Excel 2007-365 (.xlsx)\" and upload that file.")
    raise SheetRefused("The file is a zip archive but not an Excel workbook (it has no [Content_Types].xml and "
                       f"xl/workbook.xml). {ACCEPTED_TYPES}")


def _check_xml_parts(archive: zipfile.ZipFile, entries: list[zipfile.ZipInfo], limits: SheetLimits) -> None:
    """Every XML part starts like XML without a DTD; every worksheet's declared size is within the limits."""
    for entry in entries:
        name = entry.filename
        if entry.is_dir() or not name.lower().endswith(XML_SUFFIXES):
            continue
        with archive.open(entry) as stream:
            head = stream.read(SNIFF_BYTES)
        _check_prolog(name, head, complete=entry.file_size <= SNIFF_BYTES)
        if name.startswith("xl/worksheets/"):
            problem = _dimension_problem(head, limits)
            if problem:
                tab = next((sheet.name for sheet in sheet_parts(archive) if sheet.part == name), None)
                where = f"Sheet '{tab}'" if tab else f"The worksheet part '{name}'"
                raise SheetRefused(f"{where} declares {problem}.")


def _check_prolog(name: str, head: bytes, complete: bool) -> None:
    if head.startswith(UTF16_BOMS) or head[1:2] == b"\x00":
        head = head.decode("utf-16", errors="replace").encode("utf-8")
    if DTD_RE.search(head):
        raise SheetRefused(f"The workbook part '{name}' contains a DTD (<!DOCTYPE or <!ENTITY>). Excel never writes "
                           "one, and it can be used to attack the server (entity expansion), so the file was refused.")
    position = 3 if head.startswith(codecs.BOM_UTF8) else 0
    while match := PROLOG_ITEM_RE.match(head, position):
        position = match.end()
    if not complete and not ROOT_START_RE.match(head, position):
        raise SheetRefused(f"The workbook part '{name}' does not start like an Excel XML part (no element in its "
                           f"first {SNIFF_BYTES // 1024} KB). The file was refused.")


def _dimension_problem(head: bytes, limits: SheetLimits) -> str | None:
    """What a worksheet's declared <dimension> exceeds, e.g. '1,048,576 rows (A1:XFD1048576); the limit ...'."""
    match = DIMENSION_RE.search(head)
    if not match:
        return None
    parsed = CELL_REF_RE.match((match.group(2) or match.group(1)).decode("ascii"))
    if not parsed:
        return None
    letters, digits = parsed.groups()
    declared = match.group(0).decode("ascii", errors="replace").split('"')[1]
    if digits and int(digits) > limits.max_rows:
        return f"{int(digits):,} rows ({declared}); the limit is {limits.max_rows:,} rows"
    if letters and column_number(letters) > limits.max_columns:
        return f"{column_number(letters):,} columns ({declared}); the limit is {limits.max_columns:,} columns"
    return None


def sheet_parts(archive: zipfile.ZipFile) -> list[SheetPart]:
    """The workbook's sheets in tab order (as Excel and calamine number them), from workbook.xml and its rels."""
    try:
        if any(archive.getinfo(name).file_size > MAX_INDEX_PART_BYTES
               for name in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels")):
            return []
        workbook = fromstring(archive.read("xl/workbook.xml"), forbid_dtd=True)
        relations = fromstring(archive.read("xl/_rels/workbook.xml.rels"), forbid_dtd=True)
    except (KeyError, ParseError, DefusedXmlException):
        return []
    targets = {}
    for relation in relations.iter(f"{RELS_NS}Relationship"):
        target = relation.get("Target", "")
        part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
        targets[relation.get("Id")] = (part, relation.get("Type", "").rsplit("/", 1)[-1])
    parts = []
    for sheet in workbook.iter(f"{MAIN_NS}sheet"):
        part, kind = targets.get(sheet.get(DOC_REL_ID), ("", ""))
        parts.append(SheetPart(name=sheet.get("name", ""), part=part, kind=kind))
    return parts


# --- .csv ---------------------------------------------------------------------------------------

def _inspect_csv(head: bytes, complete: bool) -> None:
    if head.startswith((ZIP_SIGNATURE, EMPTY_ZIP_SIGNATURE)):
        raise SheetRefused("The file is named .csv but is a zip archive (an Excel .xlsx workbook renamed?). Upload "
                           f"it with its .xlsx name, or save it as CSV. {ACCEPTED_TYPES}")
    if head.startswith(OLE_SIGNATURE):
        raise SheetRefused("The file is named .csv but is an Excel 97-2003 or encrypted workbook. "
                           f"{SAVE_AS_CSV_UTF8}")
    if head.startswith(UTF16_BOMS):
        raise SheetRefused(f"The CSV is UTF-16 text (Excel's \"Unicode Text\"); it must be UTF-8. {SAVE_AS_CSV_UTF8}")
    if b"\x00" in head:
        first_nul = head.index(b"\x00") + 1
        raise SheetRefused("The file is named .csv but contains NUL bytes, so it is not a text file "
                           f"(the first at byte {first_nul:,}). {ACCEPTED_TYPES}")
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(head, final=complete)
    except UnicodeDecodeError as error:
        line = head.count(b"\n", 0, error.start) + 1
        raise SheetRefused(f"The CSV is not UTF-8 text: byte 0x{head[error.start]:02X} on line {line:,} is not valid "
                           f"UTF-8 (Excel's plain \"CSV\" uses the Windows code page). {SAVE_AS_CSV_UTF8}") from None
