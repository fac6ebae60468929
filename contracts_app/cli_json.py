"""The one JSON shape of the commands (SPEC §6): the command, its inputs, command-level figures and a list
of records; money as a string with two decimals. Documented in the README, "JSON output"."""
from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def money(value) -> str | None:
    """Money (or a volume) as a string with two decimals, rounded half up: "1234.50"."""
    if value is None:
        return None
    return format(Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP), "f")


def document(command: str, inputs: dict, records: list[dict], **figures) -> str:
    """{"command": …, "inputs": {…}, <figures>, "records": […]} as indented JSON."""
    return json.dumps({"command": command, "inputs": inputs, **figures, "records": records}, indent=2,
                      ensure_ascii=False)
