"""One cell of the data calendar: the state of a contract's month, decided by one pure rule.

Kept free of the database so the rule is tested with a table of cases; `services.py` gathers the facts.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date

from ..disputes.review import ReviewState


class CellState(str, enum.Enum):
    """What a month's sheet is; the value is the word the page, the legend and the exports show."""

    FINAL = "committed, final"
    PROVISIONAL = "provisional"
    DISPUTED = "disputed"
    STAGED = "staged"
    NOT_YET_DUE = "not yet due"
    OVERDUE = "overdue"
    OUTSIDE_TERM = "outside term"

    @property
    def css(self) -> str:
        return "cal-" + self.name.lower().replace("_", "-")

    @property
    def short(self) -> str:
        """The word inside a grid cell (the legend gives the whole)."""
        return "final" if self is CellState.FINAL else self.value

    @property
    def explained(self) -> str:
        return EXPLAINED[self]


EXPLAINED = {
    CellState.FINAL: "committed; the review window has closed and no dispute is open",
    CellState.PROVISIONAL: "committed; the vendor's review window is still open",
    CellState.DISPUTED: "the vendor disputes the month; its bonus and penalty are on hold",
    CellState.STAGED: "a sheet was uploaded and checked but not committed yet",
    CellState.NOT_YET_DUE: "no sheet yet, and its due date has not passed",
    CellState.OVERDUE: "no sheet, and its due date has passed",
    CellState.OUTSIDE_TERM: "the month is outside the contract's term",
}


@dataclass(frozen=True)
class MonthFacts:
    """What is known of one contract's month: plain values, so the rule needs no database."""

    in_term: bool
    due_on: date
    review: ReviewState | None = None  # None: nothing committed (and no open dispute)
    staged: bool = False


def cell_state(facts: MonthFacts, today: date) -> CellState:
    """Committed data speaks first (its review state), then the term, then a staged sheet, then the due date:
    a sheet is overdue from the day after its due date."""
    if facts.review is not None:
        return {ReviewState.FINAL: CellState.FINAL, ReviewState.PROVISIONAL: CellState.PROVISIONAL,
                ReviewState.DISPUTED: CellState.DISPUTED}[facts.review]
    if not facts.in_term:
        return CellState.OUTSIDE_TERM
    if facts.staged:
        return CellState.STAGED
    return CellState.OVERDUE if today > facts.due_on else CellState.NOT_YET_DUE
