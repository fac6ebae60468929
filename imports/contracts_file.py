"""Parsing and checking the contracts file (README, "The contracts file") into plain records.

Pure like the rest of imports/: the clause rules of the scoring method come in as `ContractRules`,
so the caller (contracts_app.contracts.importer) decides which rules apply.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

ClauseProblems = Callable[[dict], Iterable[tuple[str, str]]]
WeightProblem = Callable[[Iterable[Decimal]], str | None]

SLUG_RE = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")
CONTRACT_STATUSES = ("draft", "active", "closed")
# Clause terms use the model's field names; the file spells two of them shorter.
FILE_FIELD_NAMES = {"incentive_pct": "incentive", "penalty_pct": "penalty"}


@dataclass(frozen=True)
class ContractRules:
    """The checks the scoring method puts on clauses: each clause's terms, the weights in force, periods."""

    clause_problems: ClauseProblems
    weight_problem: WeightProblem
    is_period: Callable[[str], bool]
    # reads a clause's number term as the clause forms do (None when empty); ValueError says what is wrong
    term_number: Callable[[Any], Decimal | None]


class ContractsFileError(ValueError):
    """The file was refused; `problems` lists every problem found, each naming where it is."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class CategoryRecord:
    slug: str
    name: str
    unit: str
    row_key: str
    date_column: str
    context_columns: list[str]


@dataclass
class ClauseRecord:
    terms: dict
    effective_from: str | None  # None: the contract's first month


@dataclass
class ContractRecord:
    number: str
    title: str
    vendor: str
    category: str
    start: date | None
    end: date | None
    value: Decimal | None
    status: str
    capacity: Decimal | None
    incentive_cap: Decimal | None
    penalty_cap: Decimal | None
    clauses: list[ClauseRecord] = field(default_factory=list)


@dataclass
class ContractsFile:
    categories: list[CategoryRecord]
    vendors: list[str]
    contracts: list[ContractRecord]


class _Reader:
    """Reads fields off one JSON object, collecting problems under a location prefix."""

    def __init__(self, obj: Any, where: str, problems: list[str]):
        self.obj = obj if isinstance(obj, dict) else {}
        self.where = where
        self.problems = problems
        self.failed: set[str] = set()  # fields already reported, so later rules do not repeat them
        if not isinstance(obj, dict):
            self.fail(None, "must be a JSON object")

    def fail(self, name: str | None, message: str) -> None:
        if name:
            self.failed.add(name)
        self.problems.append(f"{self.where}, field {name}: {message}" if name else f"{self.where}: {message}")

    def text(self, name: str, required: bool = True, max_len: int = 300, default: str = "") -> str:
        value = self.obj.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.fail(name, "is required")
            return default
        if not isinstance(value, str):
            self.fail(name, f"must be text, not {json.dumps(value)}")
            return default
        if len(value) > max_len:
            self.fail(name, f"is longer than {max_len} characters")
        return value.strip()

    def slug(self, name: str, required: bool = True) -> str:
        value = self.text(name, required=required, max_len=80)
        if value and not SLUG_RE.match(value):
            self.fail(name, f"'{value}' must be lower-case letters, digits, '-' or '_'")
        return value

    def number(self, name: str, required: bool = False, default: Decimal | None = None) -> Decimal | None:
        value = self.obj.get(name)
        if value is None:
            if required:
                self.fail(name, "is required")
            return default
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            self.fail(name, f"must be a number, not {json.dumps(value)}")
            return default
        try:
            number = Decimal(str(value).strip().replace(",", ""))
        except InvalidOperation:
            self.fail(name, f"must be a number, not {json.dumps(value)}")
            return default
        if not number.is_finite():
            self.fail(name, f"must be a finite number, not {value}")
            return default
        return number

    def term(self, name: str, read: Callable[[Any], Decimal | None], required: bool = False,
             default: Decimal | None = None) -> Decimal | None:
        """A clause's number term, read by `read` (the clause forms' reader): text like 95% or 1,250.5 too."""
        value = self.obj.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float, str))):
            self.fail(name, f"must be a number, not {json.dumps(value)}")
            return default
        try:
            number = read(value)
        except ValueError as refused:
            self.fail(name, str(refused))
            return default
        if number is None:
            if required:
                self.fail(name, "is required")
            return default
        return number

    def day(self, name: str) -> date | None:
        value = self.text(name)
        if not value:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.fail(name, f"'{value}' is not a date; write it as YYYY-MM-DD")
            return None

    def choice(self, name: str, choices: tuple[str, ...], required: bool = True, default: str | None = None):
        value = self.obj.get(name)
        if value is None:
            if required and default is None:
                self.fail(name, f"is required: one of {', '.join(choices)}")
            return default
        if value not in choices:
            self.fail(name, f"'{value}' must be one of {', '.join(choices)}")
            return default
        return value

    def string_list(self, name: str) -> list[str]:
        value = self.obj.get(name)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            self.fail(name, "must be a list of non-empty texts")
            return []
        return [v.strip() for v in value]


def _list(document: dict, name: str, problems: list[str]) -> list:
    value = document.get(name, [])
    if value is None:
        return []
    if not isinstance(value, list):
        problems.append(f"'{name}' must be a list")
        return []
    return value


def _category(raw: Any, index: int, problems: list[str]) -> CategoryRecord:
    label = raw.get("slug") if isinstance(raw, dict) and isinstance(raw.get("slug"), str) else f"#{index + 1}"
    r = _Reader(raw, f"category {label}", problems)
    return CategoryRecord(
        slug=r.slug("slug"),
        name=r.text("name", max_len=200),
        unit=r.text("unit", max_len=40),
        row_key=r.slug("row_key"),
        date_column=r.slug("date_column"),
        context_columns=r.string_list("context_columns"),
    )


def _clause(raw: Any, where: str, problems: list[str], rules: ContractRules) -> ClauseRecord:
    key = raw.get("key") if isinstance(raw, dict) and isinstance(raw.get("key"), str) else None
    r = _Reader(raw, f"{where}, clause {key or '(no key)'}", problems)
    effective_from = r.obj.get("effective_from")
    if effective_from is not None and not rules.is_period(effective_from):
        r.fail("effective_from", f"'{effective_from}' is not a period; write it as YYYY-MM")
        effective_from = None
    read = rules.term_number
    terms = {
        "key": r.slug("key"),
        "label": r.text("label", max_len=200),
        "unit": r.text("unit", required=False, max_len=40),
        "direction": r.choice("direction", ("higher", "lower")),
        "aggregation": r.choice("aggregation", ("mean", "median", "sum", "percent_true", "percent_meeting", "ratio")),
        "curve": r.choice("curve", ("linear", "ratio", "pass_fail"), default="linear"),
        "target": r.term("target", read, required=True),
        "minimum": r.term("minimum", read),
        "weight": r.term("weight", read, required=True),
        "incentive_pct": r.term("incentive", read, default=Decimal("0")),
        "penalty_pct": r.term("penalty", read, default=Decimal("0")),
        "valid_min": r.term("valid_min", read),
        "valid_max": r.term("valid_max", read),
        "aliases": r.string_list("aliases"),
        "row_standard": r.term("row_standard", read),
        "row_direction": r.choice("row_direction", ("higher", "lower"), required=False),
        "denominator": r.slug("denominator", required=False) or None,
        "scale": r.term("scale", read, default=Decimal("1")),
        "cap": r.term("cap", read, default=Decimal("1")),
        "language": r.text("language", required=False, max_len=10_000),
    }
    for name, message in rules.clause_problems(terms):
        name = FILE_FIELD_NAMES.get(name, name)  # name the field as the file spells it
        if name not in r.failed:
            r.fail(name, message)
    return ClauseRecord(terms=terms, effective_from=effective_from)


def _contract(raw: Any, index: int, problems: list[str], rules: ContractRules) -> ContractRecord:
    number = raw.get("number") if isinstance(raw, dict) and isinstance(raw.get("number"), str) else f"#{index + 1}"
    where = f"contract {number}"
    r = _Reader(raw, where, problems)
    record = ContractRecord(
        number=r.text("number", max_len=40),
        title=r.text("title"),
        vendor=r.text("vendor", max_len=200),
        category=r.slug("category"),
        start=r.day("start"),
        end=r.day("end"),
        value=r.number("value", required=True, default=Decimal("0")),
        status=r.choice("status", CONTRACT_STATUSES, default="draft"),
        capacity=r.number("capacity"),
        incentive_cap=r.number("incentive_cap", default=Decimal("0")),
        penalty_cap=r.number("penalty_cap", default=Decimal("0")),
    )
    if record.start and record.end and record.end < record.start:
        r.fail("end", f"{record.end} is before the start {record.start}")
    if record.value is not None and record.value < 0:
        r.fail("value", "must not be negative")
    if record.capacity is not None and record.capacity <= 0:
        r.fail("capacity", "must be more than 0 (leave it out for unlimited)")
    for name in ("incentive_cap", "penalty_cap"):
        cap = getattr(record, name)
        if cap is not None and not (Decimal("0") <= cap <= Decimal("100")):
            r.fail(name, "must be a percent from 0 to 100")
    raw_clauses = r.obj.get("clauses", [])
    if not isinstance(raw_clauses, list):
        r.fail("clauses", "must be a list")
        raw_clauses = []
    record.clauses = [_clause(c, where, problems, rules) for c in raw_clauses]
    _check_versions(record, where, problems, rules)
    return record


def _check_versions(record: ContractRecord, where: str, problems: list[str], rules: ContractRules) -> None:
    """No two versions of a clause for the same month; weights in force sum to 100 in every month a version starts."""
    first = record.start.strftime("%Y-%m") if record.start else None
    seen: set[tuple[str, str | None]] = set()
    for clause in record.clauses:
        effective = clause.effective_from or first
        key = (clause.terms["key"], effective)
        if effective and key in seen:
            problems.append(f"{where}, clause {key[0]}: listed twice with effective_from {effective}")
        seen.add(key)
        if effective and first and effective < first:
            problems.append(f"{where}, clause {key[0]}, field effective_from: {effective} is before the contract starts "
                            f"({first})")
    if any(c.terms["weight"] is None or not (c.effective_from or first) for c in record.clauses):
        return  # a weight or a clause's first month is unreadable (already reported): no sum to check
    for period in sorted({e for _, e in seen if e}):
        in_force: dict[str, ClauseRecord] = {}
        for clause in record.clauses:
            effective = clause.effective_from or first
            if effective and effective <= period:
                current = in_force.get(clause.terms["key"])
                if current is None or (current.effective_from or first or "") < effective:
                    in_force[clause.terms["key"]] = clause
        message = rules.weight_problem(c.terms["weight"] for c in in_force.values())
        if message:
            problems.append(f"{where}, from {period}: {message}")
    if record.status == "active" and not record.clauses:
        problems.append(f"{where}, field clauses: an active contract needs its outcome clauses")


def parse_contracts_file(text: str, rules: ContractRules) -> ContractsFile:
    """The file's records, or ContractsFileError listing every problem in it at once."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ContractsFileError([f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"]) from None
    if not isinstance(document, dict):
        raise ContractsFileError(["the file must hold one JSON object with lists categories, vendors, contracts"])
    problems: list[str] = []
    unknown = sorted(set(document) - {"categories", "vendors", "contracts"})
    if unknown:
        problems.append(f"unknown top-level keys: {', '.join(unknown)} (expected categories, vendors, contracts)")
    categories = [_category(c, i, problems) for i, c in enumerate(_list(document, "categories", problems))]
    vendors = []
    for i, raw in enumerate(_list(document, "vendors", problems)):
        vendors.append(_Reader(raw, f"vendor #{i + 1}", problems).text("name", max_len=200))
    contracts = [_contract(c, i, problems, rules) for i, c in enumerate(_list(document, "contracts", problems))]
    for label, names in (
        ("category", [c.slug for c in categories]),
        ("vendor", vendors),
        ("contract", [c.number for c in contracts]),
    ):
        duplicates = sorted({n for n in names if n and names.count(n) > 1})
        for name in duplicates:
            problems.append(f"{label} {name}: listed more than once")
    if problems:
        raise ContractsFileError(problems)
    return ContractsFile(categories=categories, vendors=vendors, contracts=contracts)
