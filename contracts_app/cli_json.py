"""The one JSON shape of the commands (SPEC §6): the command, its inputs, command-level figures and a list
of records; money as a string with two decimals. Documented in the README, "JSON output"."""
from __future__ import annotations

import json

from .formatting import money_json as money  # money in JSON has one home: contracts_app.formatting

__all__ = ["document", "money"]


def document(command: str, inputs: dict, records: list[dict], **figures) -> str:
    """{"command": …, "inputs": {…}, <figures>, "records": […]} as indented JSON."""
    return json.dumps({"command": command, "inputs": inputs, **figures, "records": records}, indent=2,
                      ensure_ascii=False)
