"""Reading a .csv upload into a grid of text cells: UTF-8, comma or semicolon, whichever finds the header."""
from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from pathlib import Path

from .headers import HEADER_SEARCH_ROWS, best_header
from .limits import SheetLimits, SheetRefused, megabytes

CSV_DELIMITERS = (",", ";")
CSV_SNIFF_CHARS = 64 * 1024


def read_csv_grid(path: Path, known: Mapping[str, str], required: list[str],
              limits: SheetLimits) -> tuple[list[list], str]:
    """The CSV as a grid of strings ('' for empty), one list per record, padded to the widest record, and its
    delimiter."""
    size = path.stat().st_size
    if size > limits.max_bytes:
        raise SheetRefused(f"The file is {megabytes(size)}; the upload limit is {megabytes(limits.max_bytes)}.")
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise SheetRefused(f"The CSV is not UTF-8 text: byte 0x{data[error.start]:02X} on line {line:,} is not valid "
                           "UTF-8. In Excel use File > Save As and choose \"CSV UTF-8 (Comma delimited) (*.csv)\".") \
            from None
    if "\x00" in text:
        raise SheetRefused("The CSV contains NUL characters, so it is not a text file; save it again as CSV UTF-8.")
    delimiter = sniff_delimiter(text, known, required)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        grid = list(reader)
    except csv.Error as error:
        raise SheetRefused(f"The CSV cannot be read at line {reader.line_num:,}: {error}.") from None
    for record in grid:
        while record and record[-1] == "":  # Excel pads lines with empty fields out to its widest row
            record.pop()
    width = max(map(len, grid), default=0)
    if len(grid) > limits.max_rows:
        raise SheetRefused(f"The CSV has {len(grid):,} rows; the limit is {limits.max_rows:,} rows.")
    if width > limits.max_columns:
        widest = next(number for number, record in enumerate(grid, start=1) if len(record) == width)
        raise SheetRefused(f"The CSV has {width:,} columns (row {widest:,}); the limit is {limits.max_columns:,} "
                           "columns.")
    for record in grid:
        if len(record) < width:
            record.extend([""] * (width - len(record)))
    return grid, delimiter


def sniff_delimiter(text: str, known: Mapping[str, str], required: list[str]) -> str:
    """Comma or semicolon: whichever finds the better header in the first rows; a tie goes by the first line."""
    lines = text[:CSV_SNIFF_CHARS].splitlines()[:HEADER_SEARCH_ROWS]
    scores = {}
    for delimiter in CSV_DELIMITERS:
        chosen, closest = best_header(list(csv.reader(lines, delimiter=delimiter)), known, required)
        scores[delimiter] = (1, len(chosen[2])) if chosen else (0, len(closest[1]) if closest else 0)
    if scores[";"] != scores[","]:
        return max(CSV_DELIMITERS, key=scores.__getitem__)
    first_line = next((line for line in lines if line.strip()), "")
    return ";" if first_line.count(";") > first_line.count(",") else ","
