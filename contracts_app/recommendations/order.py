"""Allocation lines as the pages list them: in rank order, as a reader compares vendors.

Ranked vendors first (rank 1 on top; equal ranks by larger share), then unranked trial vendors, then vendors on
probation; names break ties. The allocation itself is computed in name order (the same inputs always give the
same output); only the display is reordered.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def _name(line: Any) -> str:
    return line.name if hasattr(line, "name") else line.vendor.name


def in_rank_order(lines: Iterable[Any]) -> list[Any]:
    return sorted(lines, key=lambda line: (bool(line.probation), line.rank is None, line.rank or 0,
                                           -float(line.share), _name(line).casefold()))
