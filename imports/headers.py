"""Finding a sheet's header row and matching its headers to the contract's columns (README, "Monthly sheets").

One home for header spelling: the check, the category settings and the reader all match through
`normalise_header`.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from .limits import SheetRefused

HEADER_SEARCH_ROWS = 20
TRAILING_UNIT_RE = re.compile(r"\s*[(\[][^()\[\]]*[)\]]\s*$")
NOT_WORD_RE = re.compile(r"[\W_]+")


def normalise_header(text) -> str:
    """The spelling headers are matched on: ' PCI (0-100) ' -> 'pci', 'Work Order ID' -> 'work_order_id'."""
    text = unicodedata.normalize("NFKC", "" if text is None else str(text))
    text = "".join(char for char in text if unicodedata.category(char) != "Cf").strip().lower()
    without_unit = TRAILING_UNIT_RE.sub("", text)
    if NOT_WORD_RE.sub("", without_unit):  # "(blank)" alone is a name, not a unit
        text = without_unit
    return NOT_WORD_RE.sub("_", text).strip("_")


@dataclass(frozen=True)
class ColumnMatch:
    """One labelled column: 0-based index in the sheet, header as written, column key (None: unknown)."""

    index: int
    header: str
    key: str | None



def header_text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


def header_matches(cells: list, known: Mapping[str, str]) -> list[ColumnMatch]:
    matches = []
    for index, value in enumerate(cells):
        if value is None or value == "":
            continue
        header = header_text(value)
        if header.strip():
            matches.append(ColumnMatch(index=index, header=header, key=known.get(normalise_header(header))))
    return matches


def best_header(grid: list[list], known: Mapping[str, str], required: list[str]):
    """(row index, matches, found keys) of the row among the first 20 with every required key and most
    known keys, or (None, None, closest row's found keys and index) when no row has them all."""
    chosen = closest = None
    for index, cells in enumerate(grid[:HEADER_SEARCH_ROWS]):
        matches = header_matches(cells, known)
        found = {match.key for match in matches if match.key}
        if found and all(key in found for key in required):
            if chosen is None or len(found) > len(chosen[2]):
                chosen = (index, matches, found)
        elif found and (closest is None or len(found) > len(closest[1])):
            closest = (index, found)
    return chosen, closest


def find_header(name: str, grid: list[list], known: Mapping[str, str], required: list[str]):
    chosen, closest = best_header(grid, known, required)
    if chosen is not None:
        return chosen[0], chosen[1]
    where = f"sheet '{name}'" if name else "the sheet"
    if not required:
        expected = ", ".join(sorted(set(known.values()))[:10])
        raise SheetRefused(f"No header row found in {where}: none of the first {HEADER_SEARCH_ROWS} rows names any "
                           f"expected column ({expected}).")
    if closest is None:
        missing = required
        hint = f"none of them appears as a header in the first {HEADER_SEARCH_ROWS} rows"
    else:
        missing = [key for key in required if key not in closest[1]]
        hint = (f"the header was looked for in the first {HEADER_SEARCH_ROWS} rows; the closest, row "
                f"{closest[0] + 1}, has {', '.join(sorted(closest[1]))} but not {', '.join(missing)}")
    raise SheetRefused(f"Missing required column{'s' if len(missing) > 1 else ''} {', '.join(missing)} in {where}: "
                       f"{hint}. The header row must be within the first {HEADER_SEARCH_ROWS} rows and name "
                       f"{', '.join(required)}.")
