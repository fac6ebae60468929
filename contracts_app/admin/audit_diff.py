"""An audit event's before/after as a reader sees it: one line per field that changed (field: before → after).

The stored before/after are JSON snapshots (often whole rows); the audit log page shows what differs, with
nested values flattened to dotted names (`terms.target`), instead of two blocks of raw JSON.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

MISSING = object()
LONGEST_VALUE = 160  # characters of one value shown in the log; the stored event keeps all of it


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: str | None  # None: the field was not there before (added)
    after: str | None  # None: the field is gone after (removed)

    @property
    def kind(self) -> str:
        if self.before is None:
            return "added"
        if self.after is None:
            return "removed"
        return "changed"


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Nested objects become dotted field names; lists and scalars stay one value."""
    if isinstance(value, dict) and value:
        flat: dict[str, Any] = {}
        for key, inner in value.items():
            flat.update(_flatten(inner, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    return {prefix or "value": value}


def readable(value: Any) -> str:
    """A stored value written for people: empty for null, yes/no for booleans, lists joined by commas."""
    if value is None:
        return "(empty)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        if all(not isinstance(v, (dict, list)) for v in value):
            text = ", ".join(readable(v) for v in value) or "(none)"
        else:
            text = json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    elif isinstance(value, dict):
        text = json.dumps(value, ensure_ascii=False, separators=(", ", ": ")) if value else "(none)"
    else:
        text = str(value)
    return text if len(text) <= LONGEST_VALUE else text[: LONGEST_VALUE - 1] + "…"


def field_changes(before: Any, after: Any) -> list[FieldChange]:
    """The fields whose value differs between `before` and `after`, in the order they first appear."""
    old = _flatten(before) if before not in (None, {}) else {}
    new = _flatten(after) if after not in (None, {}) else {}
    changes = []
    for name in list(old) + [n for n in new if n not in old]:
        was, now = old.get(name, MISSING), new.get(name, MISSING)
        if was == now:
            continue
        changes.append(FieldChange(name, None if was is MISSING else readable(was),
                                   None if now is MISSING else readable(now)))
    return changes
