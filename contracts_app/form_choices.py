"""Select options as WTForms wants them from 3.3 on (SelectChoice, not bare tuples)."""
from __future__ import annotations

from collections.abc import Iterable

from wtforms.fields.choices import SelectChoice


def select_choices(pairs: Iterable[tuple]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]
