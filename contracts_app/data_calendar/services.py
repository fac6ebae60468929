"""The data calendar's grid: contracts × months, each cell's state from `cells.cell_state`, in a fixed number
of queries whatever the number of contracts and months (contracts, sheets, the two review queries)."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from models import (
    Contract,
    ContractAssignment,
    ContractStatus,
    Role,
    ServiceCategory,
    Upload,
    UploadStatus,
    User,
    db,
    today,
)
from scoring.periods import add_months, is_period, period_bounds, period_of, period_range, sheet_due_on

from ..disputes.review import month_reviews
from ..input_guards import as_id
from .cells import CellState, MonthFacts, cell_state

DEFAULT_MONTHS = 12
MAX_MONTHS = 36


@dataclass(frozen=True)
class Cell:
    contract_id: int
    period: str
    state: CellState
    due_on: date
    staged_upload_id: int | None = None

    def link(self, assigned: bool) -> str | None:
        """Where the cell leads: the scorecard, the disputed month, the staged sheet, or the month's upload page
        (the last two only for a contract manager assigned to the contract, who alone can open them)."""
        if self.state in (CellState.FINAL, CellState.PROVISIONAL):
            return f"/contracts/{self.contract_id}/scorecard"
        if self.state == CellState.DISPUTED:
            return f"/contracts/{self.contract_id}/months/{self.period}"
        if not assigned:
            return None
        if self.state == CellState.STAGED:
            return f"/uploads/{self.staged_upload_id}"
        if self.state in (CellState.OVERDUE, CellState.NOT_YET_DUE):
            return f"/contracts/{self.contract_id}/sheets?period={self.period}"
        return None


@dataclass
class CalendarRequest:
    """The page's choices as read from the query string, with a message per field that was not understood."""

    first: str
    last: str
    category: ServiceCategory | None = None
    manager: User | None = None
    typed: dict = field(default_factory=dict)
    errors: dict = field(default_factory=dict)

    @property
    def periods(self) -> list[str]:
        return period_range(self.first, self.last)

    def query_args(self) -> dict:
        args = {"from": self.first, "to": self.last}
        if self.category is not None:
            args["category"] = self.category.slug
        if self.manager is not None:
            args["manager"] = self.manager.id
        return args


@dataclass
class Calendar:
    request: CalendarRequest
    periods: list[str]
    contracts: list[Contract]
    cells: dict[tuple[int, str], Cell]
    managers_of: dict[int, list[User]]

    def cell(self, contract_id: int, period: str) -> Cell:
        return self.cells[(contract_id, period)]

    def counts(self) -> dict[CellState, int]:
        totals = dict.fromkeys(CellState, 0)
        for cell in self.cells.values():
            totals[cell.state] += 1
        return totals


def last_finished_month(day: date) -> str:
    return add_months(period_of(day), -1)


def categories() -> list[ServiceCategory]:
    return list(db.session.scalars(select(ServiceCategory).order_by(ServiceCategory.name)))


def managers() -> list[User]:
    return list(db.session.scalars(select(User).where(User.role == Role.CONTRACT_MANAGER)
                                   .order_by(User.name, User.email)))


def read_request(args: Mapping[str, str], category_list: list[ServiceCategory],
                 manager_list: list[User]) -> CalendarRequest:
    """The months (default: the last 12 finished), the category (slug) and the manager (id); anything not
    understood falls back to the default and says why, by field."""
    last_default = last_finished_month(today())
    typed = {key: (args.get(key) or "").strip() for key in ("from", "to", "category", "manager")}
    errors: dict[str, str] = {}
    last = typed["to"] or last_default
    if not is_period(last):
        errors["to"] = f"'{typed['to']}' is not a month; write it as YYYY-MM, e.g. {last_default}."
        last = last_default
    first = typed["from"] or add_months(last, -(DEFAULT_MONTHS - 1))
    if not is_period(first):
        errors["from"] = f"'{typed['from']}' is not a month; write it as YYYY-MM, e.g. {add_months(last, -11)}."
        first = add_months(last, -(DEFAULT_MONTHS - 1))
    elif first > last:
        errors["from"] = f"The first month ({first}) is after the last ({last}); showing the 12 months to {last}."
        first = add_months(last, -(DEFAULT_MONTHS - 1))
    elif len(period_range(first, last)) > MAX_MONTHS:
        errors["from"] = f"At most {MAX_MONTHS} months at a time; showing the {MAX_MONTHS} months to {last}."
        first = add_months(last, -(MAX_MONTHS - 1))
    category = None
    if typed["category"]:
        category = next((c for c in category_list if c.slug == typed["category"]), None)
        if category is None:
            errors["category"] = f"There is no category '{typed['category']}'; showing every category."
    manager = None
    if typed["manager"]:
        manager_id = as_id(typed["manager"])
        manager = next((m for m in manager_list if m.id == manager_id), None)
        if manager is None:
            errors["manager"] = "That person is not a contract manager; showing every contract manager's contracts."
    return CalendarRequest(first=first, last=last, category=category, manager=manager, typed=typed, errors=errors)


def _contracts(request: CalendarRequest) -> list[Contract]:
    """Contracts that are or were running (drafts take no sheets) whose term meets the months shown."""
    first_day, last_day = period_bounds(request.first)[0], period_bounds(request.last)[1]
    query = (select(Contract).options(joinedload(Contract.vendor), joinedload(Contract.category))
             .where(Contract.status != ContractStatus.DRAFT, Contract.start_date <= last_day,
                    Contract.end_date >= first_day)
             .order_by(Contract.number))
    if request.category is not None:
        query = query.where(Contract.category_id == request.category.id)
    if request.manager is not None:
        query = query.where(Contract.id.in_(select(ContractAssignment.contract_id)
                                            .where(ContractAssignment.user_id == request.manager.id)))
    return list(db.session.scalars(query).unique())


def _managers_of(contract_ids: list[int]) -> dict[int, list[User]]:
    rows = db.session.execute(
        select(ContractAssignment.contract_id, User).join(User, User.id == ContractAssignment.user_id)
        .where(ContractAssignment.contract_id.in_(contract_ids), User.role == Role.CONTRACT_MANAGER)
        .order_by(User.name, User.email)) if contract_ids else []
    found: dict[int, list[User]] = defaultdict(list)
    for contract_id, user in rows:
        found[contract_id].append(user)
    return found


def _staged(contract_ids: list[int], periods: list[str]) -> dict[tuple[int, str], int]:
    """The latest staged upload of each month that has one."""
    if not contract_ids:
        return {}
    rows = db.session.execute(
        select(Upload.contract_id, Upload.period, Upload.id)
        .where(Upload.contract_id.in_(contract_ids), Upload.period.in_(periods), Upload.status == UploadStatus.STAGED)
        .order_by(Upload.id))
    return {(contract_id, period): upload_id for contract_id, period, upload_id in rows}


def build_calendar(request: CalendarRequest, day: date | None = None) -> Calendar:
    """Every cell of the grid in five queries: contracts, their managers, staged sheets, and the review state of
    the committed months (windows and open disputes)."""
    day = day or today()
    periods = request.periods
    contracts = _contracts(request)
    ids = [c.id for c in contracts]
    reviews = month_reviews(ids, periods)
    staged = _staged(ids, periods)
    cells = {}
    for contract in contracts:
        for period in periods:
            review = reviews.get((contract.id, period))
            due_on = sheet_due_on(period, contract.category.sheet_due_days)
            facts = MonthFacts(in_term=contract.covers(period), due_on=due_on,
                               review=review.state if review is not None else None,
                               staged=(contract.id, period) in staged)
            cells[(contract.id, period)] = Cell(contract.id, period, cell_state(facts, day), due_on,
                                                staged.get((contract.id, period)))
    return Calendar(request=request, periods=periods, contracts=contracts, cells=cells,
                    managers_of=_managers_of(ids))


def assigned_contract_ids(user: User) -> set[int]:
    if user.role != Role.CONTRACT_MANAGER:
        return set()
    return set(db.session.scalars(select(ContractAssignment.contract_id).where(ContractAssignment.user_id == user.id)))


EXPORT_HEADER = ("Contract", "Title", "Vendor", "Category", "Contract managers")


def export_table(calendar: Calendar) -> tuple[list[str], list[list[str]]]:
    """The grid as the exports write it: one row per contract, one column per month holding the state word."""
    header = [*EXPORT_HEADER, *calendar.periods]
    rows = []
    for contract in calendar.contracts:
        names = ", ".join(m.name or m.email for m in calendar.managers_of.get(contract.id, []))
        rows.append([contract.number, contract.title, contract.vendor.name, contract.category.name, names,
                     *(calendar.cell(contract.id, p).state.value for p in calendar.periods)])
    return header, rows


def export_stem(request: CalendarRequest) -> str:
    parts = ["data-calendar", request.first, request.last]
    if request.category is not None:
        parts.append(request.category.slug)
    return "_".join(parts)
