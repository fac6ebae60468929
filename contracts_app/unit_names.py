"""Small wording helpers shared by pages, exports and messages."""
from __future__ import annotations


def plural_unit(unit: str) -> str:
    """'lane-mile' -> 'lane-miles', 'work order' -> 'work orders'; '%', 'in/mi' and plurals stay."""
    unit = (unit or "").strip()
    if not unit or unit.endswith(("s", "%")) or "/" in unit:
        return unit
    return unit + "s"
