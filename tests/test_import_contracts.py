"""`flask import-contracts FILE` (SPEC §6, §7): a valid file loads; loading it twice changes nothing;
an amendment adds a clause version; every kind of error exits 1, names the problem, and stores nothing."""
from __future__ import annotations

import copy
import json
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from models import (
    Aggregation,
    AuditEvent,
    Contract,
    ContractStatus,
    Curve,
    Direction,
    OutcomeClause,
    ServiceCategory,
    Vendor,
    db,
)

# --------------------------------------------------------------------------------------------
# The valid file and helpers
# --------------------------------------------------------------------------------------------


def valid_contracts() -> dict:
    """One category, two vendors, two active contracts whose clauses in force weigh 100 each."""
    return {
        "categories": [
            {
                "slug": "asphalt-resurfacing",
                "name": "Asphalt resurfacing",
                "unit": "lane-mile",
                "row_key": "work_order_id",
                "date_column": "completed_on",
                "context_columns": ["street", "region"],
            }
        ],
        "vendors": [{"name": "Harbor Paving Co"}, {"name": "Summit Asphalt LLC"}],
        "contracts": [
            {
                "number": "PW-2026-014",
                "title": "Resurfacing, north region",
                "vendor": "Harbor Paving Co",
                "category": "asphalt-resurfacing",
                "start": "2026-01-01",
                "end": "2026-12-31",
                "value": 2400000,
                "status": "active",
                "capacity": 40,
                "incentive_cap": 5,
                "penalty_cap": 10,
                "clauses": [
                    {
                        "key": "pci_after",
                        "label": "Pavement condition after resurfacing",
                        "unit": "PCI",
                        "direction": "higher",
                        "aggregation": "mean",
                        "curve": "linear",
                        "target": 90,
                        "minimum": 80,
                        "weight": 40,
                        "incentive": 1.0,
                        "penalty": 2.0,
                        "valid_min": 0,
                        "valid_max": 100,
                        "aliases": ["PCI"],
                        "effective_from": "2026-01",
                        "row_standard": None,
                        "row_direction": None,
                        "denominator": None,
                        "scale": 1,
                        "cap": 1.0,
                        "language": "The Contractor shall achieve a mean PCI of at least 90.",
                    },
                    {
                        "key": "smooth_segments",
                        "label": "Segments with roughness at most 95 in/mi",
                        "unit": "%",
                        "direction": "higher",
                        "aggregation": "percent_meeting",
                        "curve": "linear",
                        "target": 90,
                        "minimum": 70,
                        "weight": 30,
                        "incentive": 1.5,
                        "penalty": 1.5,
                        "valid_min": 0,
                        "valid_max": 400,
                        "aliases": ["IRI", "roughness (in/mi)"],
                        "row_standard": 95,
                        "row_direction": "lower",
                    },
                    {
                        "key": "defects_per_lane_mile",
                        "label": "Defects per lane-mile",
                        "unit": "defects/lane-mile",
                        "direction": "lower",
                        "aggregation": "ratio",
                        "curve": "ratio",
                        "target": 2,
                        "weight": 30,
                        "incentive": 0.5,
                        "penalty": 3,
                        "valid_min": 0,
                        "denominator": "lane_miles",
                        "cap": 1.25,
                        "effective_from": "2026-01",
                    },
                ],
            },
            {
                "number": "PW-2026-015",
                "title": "Resurfacing, south region",
                "vendor": "Summit Asphalt LLC",
                "category": "asphalt-resurfacing",
                "start": "2026-02-01",
                "end": "2027-01-31",
                "value": "1850000.50",
                "status": "active",
                "incentive_cap": 4,
                "penalty_cap": 8,
                "clauses": [
                    {
                        "key": "pci_after",
                        "label": "Pavement condition after resurfacing",
                        "unit": "PCI",
                        "direction": "higher",
                        "aggregation": "mean",
                        "target": 88,
                        "minimum": 78,
                        "weight": 50,
                        "valid_min": 0,
                        "valid_max": 100,
                    },
                    {
                        "key": "days_to_close",
                        "label": "Days from notice to completion",
                        "unit": "days",
                        "direction": "lower",
                        "aggregation": "median",
                        "curve": "linear",
                        "target": 14,
                        "minimum": 30,
                        "weight": 50,
                        "penalty": 1,
                        "valid_min": 0,
                        "valid_max": 365,
                    },
                ],
            },
        ],
    }


def contract_in(doc: dict, number: str) -> dict:
    return next(c for c in doc["contracts"] if c["number"] == number)


def clause_in(doc: dict, number: str, key: str) -> dict:
    return next(c for c in contract_in(doc, number)["clauses"] if c["key"] == key)


def write_contracts(tmp_path: Path, doc, name: str = "contracts.json") -> Path:
    """Writes a dict as JSON; a str or bytes is written as it is (for broken files)."""
    path = tmp_path / name
    if isinstance(doc, bytes):
        path.write_bytes(doc)
    elif isinstance(doc, str):
        path.write_text(doc, encoding="utf-8")
    else:
        path.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    return path


def run_import(cli, path: Path):
    return cli.invoke(args=["import-contracts", str(path)])


def table_counts() -> dict[str, int]:
    """Rows in every table of the schema, audit trail included."""
    db.session.expire_all()
    return {
        table.name: db.session.scalar(select(func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    }


def domain_counts() -> dict[str, int]:
    db.session.expire_all()
    return {
        model.__name__: db.session.scalar(select(func.count()).select_from(model))
        for model in (ServiceCategory, Vendor, Contract, OutcomeClause, AuditEvent)
    }


def get_contract(number: str) -> Contract:
    db.session.expire_all()
    return db.session.scalars(select(Contract).where(Contract.number == number).options(
        joinedload(Contract.vendor), joinedload(Contract.category), selectinload(Contract.clauses))).one()


def problem_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("  - ")]


# --------------------------------------------------------------------------------------------
# A valid file loads
# --------------------------------------------------------------------------------------------


def test_valid_file_loads_everything_with_the_right_fields(cli, session, tmp_path):
    result = run_import(cli, write_contracts(tmp_path, valid_contracts()))

    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert "categories: 1 created, 0 updated" in result.stdout
    assert "vendors: 2 created, 0 updated" in result.stdout
    assert "contracts: 2 created, 0 updated" in result.stdout
    assert "clause versions: 5 created, 0 updated" in result.stdout

    session.expire_all()
    category = session.scalars(select(ServiceCategory)).one()
    assert (category.slug, category.name, category.unit, category.row_key, category.date_column) == (
        "asphalt-resurfacing", "Asphalt resurfacing", "lane-mile", "work_order_id", "completed_on",
    )
    assert category.context_columns == ["street", "region"]
    assert sorted(v.name for v in session.scalars(select(Vendor))) == ["Harbor Paving Co", "Summit Asphalt LLC"]

    north = get_contract("PW-2026-014")
    assert north.title == "Resurfacing, north region"
    assert north.vendor.name == "Harbor Paving Co"
    assert north.category.slug == "asphalt-resurfacing"
    assert (north.start_date, north.end_date) == (date(2026, 1, 1), date(2026, 12, 31))
    assert north.status == ContractStatus.ACTIVE
    for name, expected in (("value", "2400000"), ("capacity", "40"), ("incentive_cap", "5"), ("penalty_cap", "10")):
        stored = getattr(north, name)
        assert isinstance(stored, Decimal), f"{name} is {type(stored).__name__}, not Decimal"
        assert stored == Decimal(expected), name

    south = get_contract("PW-2026-015")
    assert south.vendor.name == "Summit Asphalt LLC"
    assert isinstance(south.value, Decimal) and south.value == Decimal("1850000.50")
    assert south.capacity is None  # left out: unlimited
    assert (south.start_date, south.end_date) == (date(2026, 2, 1), date(2027, 1, 31))

    north_clauses = {c.key: c for c in north.clauses}
    assert set(north_clauses) == {"pci_after", "smooth_segments", "defects_per_lane_mile"}
    assert all(c.effective_from == "2026-01" for c in north.clauses)

    pci = north_clauses["pci_after"]
    assert pci.label == "Pavement condition after resurfacing"
    assert pci.unit == "PCI"
    assert (pci.direction, pci.aggregation, pci.curve) == (Direction.HIGHER, Aggregation.MEAN, Curve.LINEAR)
    assert (pci.target, pci.minimum, pci.weight) == (Decimal("90"), Decimal("80"), Decimal("40"))
    assert (pci.incentive_pct, pci.penalty_pct) == (Decimal("1"), Decimal("2"))
    assert (pci.valid_min, pci.valid_max) == (Decimal("0"), Decimal("100"))
    assert pci.aliases == ["PCI"]
    assert pci.language == "The Contractor shall achieve a mean PCI of at least 90."
    assert isinstance(pci.target, Decimal)

    smooth = north_clauses["smooth_segments"]
    assert smooth.aggregation == Aggregation.PERCENT_MEETING
    assert smooth.row_standard == Decimal("95")
    assert smooth.row_direction == Direction.LOWER
    assert smooth.direction == Direction.HIGHER
    assert smooth.aliases == ["IRI", "roughness (in/mi)"]
    assert smooth.denominator is None

    defects = north_clauses["defects_per_lane_mile"]
    assert (defects.aggregation, defects.curve, defects.direction) == (Aggregation.RATIO, Curve.RATIO, Direction.LOWER)
    assert defects.denominator == "lane_miles"
    assert defects.cap == Decimal("1.25")
    assert defects.minimum is None
    assert defects.scale == Decimal("1")  # default
    assert defects.row_standard is None and defects.row_direction is None

    # A clause without effective_from is in force from the contract's first month.
    south_clauses = {c.key: c for c in south.clauses}
    assert {c.effective_from for c in south.clauses} == {"2026-02"}
    assert south_clauses["days_to_close"].direction == Direction.LOWER
    assert south_clauses["days_to_close"].minimum == Decimal("30")
    assert south_clauses["pci_after"].curve == Curve.LINEAR  # default curve
    assert south_clauses["pci_after"].incentive_pct == Decimal("0")  # default percent

    assert sum(c.weight for c in north.clauses_in_force("2026-06")) == Decimal("100")
    assert sum(c.weight for c in south.clauses_in_force("2026-06")) == Decimal("100")
    assert south.clauses_in_force("2026-01") == []  # before the contract starts


def test_valid_file_records_an_audit_event_for_every_creation(cli, session, tmp_path):
    result = run_import(cli, write_contracts(tmp_path, valid_contracts()))
    assert result.exit_code == 0, result.output

    session.expire_all()
    events = session.scalars(select(AuditEvent)).all()
    by_action: dict[str, list[AuditEvent]] = {}
    for event in events:
        by_action.setdefault(event.action, []).append(event)
    assert {action: len(found) for action, found in by_action.items()} == {
        "servicecategory_created": 1,
        "vendor_created": 2,
        "contract_created": 2,
        "outcomeclause_created": 5,
    }

    north = get_contract("PW-2026-014")
    (contract_event,) = [e for e in by_action["contract_created"] if e.object_id == str(north.id)]
    assert contract_event.object_type == "Contract"
    assert contract_event.actor == "system"
    assert contract_event.before is None
    assert contract_event.after["number"] == "PW-2026-014"
    assert Decimal(contract_event.after["value"]) == Decimal("2400000")
    assert "PW-2026-014" in contract_event.summary

    clause_ids = {str(c.id) for c in session.scalars(select(OutcomeClause))}
    assert {e.object_id for e in by_action["outcomeclause_created"]} == clause_ids
    vendor_ids = {str(v.id) for v in session.scalars(select(Vendor))}
    assert {e.object_id for e in by_action["vendor_created"]} == vendor_ids
    assert all(e.occurred_at is not None and e.occurred_at.utcoffset().total_seconds() == 0 for e in events)


def test_file_with_only_some_lists_loads(cli, session, tmp_path):
    """Every list is optional: a file of vendors alone loads them."""
    result = run_import(cli, write_contracts(tmp_path, {"vendors": [{"name": "Ridge Road Works"}]}))
    assert result.exit_code == 0, result.output
    assert "vendors: 1 created, 0 updated" in result.stdout
    session.expire_all()
    assert [v.name for v in session.scalars(select(Vendor))] == ["Ridge Road Works"]
    assert session.scalar(select(func.count()).select_from(Contract)) == 0


def test_file_with_a_byte_order_mark_loads(cli, session, tmp_path):
    text = "\ufeff" + json.dumps(valid_contracts())
    result = run_import(cli, write_contracts(tmp_path, text.encode("utf-8")))
    assert result.exit_code == 0, result.stderr
    assert get_contract("PW-2026-014").title == "Resurfacing, north region"


# --------------------------------------------------------------------------------------------
# Loading twice changes nothing
# --------------------------------------------------------------------------------------------


def test_loading_the_same_file_twice_changes_nothing(cli, session, tmp_path):
    path = write_contracts(tmp_path, valid_contracts())
    first = run_import(cli, path)
    assert first.exit_code == 0, first.output
    after_first = table_counts()
    assert after_first["contracts"] == 2 and after_first["outcome_clauses"] == 5
    assert after_first["audit_events"] == 10
    north_before = get_contract("PW-2026-014")
    snapshot_before = {c.id: c.terms() for c in north_before.clauses}

    second = run_import(cli, path)

    assert second.exit_code == 0, second.output
    assert "Nothing changed" in second.stdout
    assert "created" not in second.stdout and "updated" not in second.stdout
    assert second.stderr == ""
    assert table_counts() == after_first
    north_after = get_contract("PW-2026-014")
    assert {c.id: c.terms() for c in north_after.clauses} == snapshot_before


def test_changing_a_contract_field_updates_it_and_audits_the_change(cli, session, tmp_path):
    doc = valid_contracts()
    assert run_import(cli, write_contracts(tmp_path, doc)).exit_code == 0
    counts = table_counts()

    contract_in(doc, "PW-2026-015")["title"] = "Resurfacing, south and east regions"
    result = run_import(cli, write_contracts(tmp_path, doc, "renamed.json"))

    assert result.exit_code == 0, result.output
    assert "contracts: 0 created, 1 updated" in result.stdout
    assert get_contract("PW-2026-015").title == "Resurfacing, south and east regions"
    after = table_counts()
    assert after["contracts"] == counts["contracts"]
    assert after["audit_events"] == counts["audit_events"] + 1
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "contract_updated")).one()
    assert event.before["title"] == "Resurfacing, south region"
    assert event.after["title"] == "Resurfacing, south and east regions"


# --------------------------------------------------------------------------------------------
# Amendments
# --------------------------------------------------------------------------------------------


def amended_contracts() -> dict:
    doc = valid_contracts()
    amendment = copy.deepcopy(clause_in(doc, "PW-2026-014", "pci_after"))
    amendment.update(target=92, minimum=82, effective_from="2026-07",
                     language="From July the Contractor shall achieve a mean PCI of at least 92.")
    contract_in(doc, "PW-2026-014")["clauses"].append(amendment)
    return doc


def test_amendment_adds_a_version_and_keeps_the_old_one(cli, session, tmp_path):
    assert run_import(cli, write_contracts(tmp_path, valid_contracts())).exit_code == 0
    original = {c.key: c for c in get_contract("PW-2026-014").clauses}["pci_after"]
    original_id, original_terms = original.id, original.terms()
    counts = table_counts()

    result = run_import(cli, write_contracts(tmp_path, amended_contracts(), "amended.json"))

    assert result.exit_code == 0, result.output
    assert "clause versions: 1 created, 0 updated" in result.stdout
    assert "contracts: 0 created, 0 updated" in result.stdout
    after = table_counts()
    assert after["outcome_clauses"] == counts["outcome_clauses"] + 1
    assert after["audit_events"] == counts["audit_events"] + 1
    new_event = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert new_event.action == "outcomeclause_created"
    assert "2026-07" in new_event.summary

    north = get_contract("PW-2026-014")
    versions = sorted((c for c in north.clauses if c.key == "pci_after"), key=lambda c: c.effective_from)
    assert [(v.effective_from, v.target, v.minimum) for v in versions] == [
        ("2026-01", Decimal("90"), Decimal("80")),
        ("2026-07", Decimal("92"), Decimal("82")),
    ]
    old = session.get(OutcomeClause, original_id)
    assert old.terms() == original_terms  # the old version is untouched and still readable

    def pci_in_force(period: str) -> OutcomeClause:
        (clause,) = [c for c in north.clauses_in_force(period) if c.key == "pci_after"]
        return clause

    assert pci_in_force("2026-01").id == original_id
    assert pci_in_force("2026-06").id == original_id
    assert pci_in_force("2026-06").target == Decimal("90")
    assert pci_in_force("2026-07").target == Decimal("92")
    assert pci_in_force("2026-12").id == versions[1].id
    assert pci_in_force("2026-12").id != original_id
    # The other clauses are unaffected, and weights in force still sum to 100 after the amendment.
    assert {c.key for c in north.clauses_in_force("2026-08")} == {"pci_after", "smooth_segments", "defects_per_lane_mile"}
    assert sum(c.weight for c in north.clauses_in_force("2026-08")) == Decimal("100")

    # The amended file loaded again changes nothing.
    again = run_import(cli, write_contracts(tmp_path, amended_contracts(), "amended-again.json"))
    assert again.exit_code == 0, again.output
    assert "Nothing changed" in again.stdout
    assert table_counts() == after


def test_amendment_in_the_first_load_creates_both_versions(cli, session, tmp_path):
    result = run_import(cli, write_contracts(tmp_path, amended_contracts()))
    assert result.exit_code == 0, result.output
    assert "clause versions: 6 created, 0 updated" in result.stdout
    north = get_contract("PW-2026-014")
    assert [c.target for c in north.clauses_in_force("2026-03") if c.key == "pci_after"] == [Decimal("90")]
    assert [c.target for c in north.clauses_in_force("2026-09") if c.key == "pci_after"] == [Decimal("92")]


def test_changing_a_version_in_force_is_refused_and_earlier_changes_are_rolled_back(cli, session, tmp_path):
    """All or nothing even when the loader has already written rows before it meets the problem."""
    assert run_import(cli, write_contracts(tmp_path, valid_contracts())).exit_code == 0
    counts = table_counts()

    doc = valid_contracts()
    doc["vendors"].append({"name": "Ridge Road Works"})                       # would be created
    contract_in(doc, "PW-2026-014")["title"] = "Resurfacing, north region (renamed)"  # would be updated
    clause_in(doc, "PW-2026-015", "pci_after")["target"] = 95                   # edits a version in force
    result = run_import(cli, write_contracts(tmp_path, doc, "edited.json"))

    assert result.exit_code == 1, result.output
    assert "contract PW-2026-015, clause pci_after" in result.stderr
    assert "already exists with other terms" in result.stderr
    assert "effective_from" in result.stderr  # tells the user how to amend instead
    assert "nothing was loaded" in result.stderr
    assert table_counts() == counts
    assert get_contract("PW-2026-014").title == "Resurfacing, north region"
    assert {c.key: c.target for c in get_contract("PW-2026-015").clauses}["pci_after"] == Decimal("88")
    assert session.scalars(select(Vendor).where(Vendor.name == "Ridge Road Works")).first() is None


# --------------------------------------------------------------------------------------------
# Refused files: exit 1, the problem named, nothing stored
# --------------------------------------------------------------------------------------------


def _set(number: str, **fields):
    def mutate(doc):
        contract_in(doc, number).update(fields)
        return doc
    return mutate


def _set_clause(number: str, key: str, **fields):
    def mutate(doc):
        clause_in(doc, number, key).update(fields)
        return doc
    return mutate


def _drop_clause_field(number: str, key: str, name: str):
    def mutate(doc):
        del clause_in(doc, number, key)[name]
        return doc
    return mutate


def _duplicate_contract_number(doc):
    contract_in(doc, "PW-2026-015")["number"] = "PW-2026-014"
    return doc


def _invalid_json(doc):
    return json.dumps(doc)[:-2] + ",}"


def _truncated_json(doc):
    return json.dumps(doc, indent=2)[:200]


def _not_utf8(doc):
    return json.dumps(doc).replace("Harbor Paving Co", "Harbor Pavage Québec").encode("latin-1")


def _not_an_object(doc):
    return json.dumps([doc])


def _amendment_breaking_weights(doc):
    amendment = copy.deepcopy(clause_in(doc, "PW-2026-014", "pci_after"))
    amendment.update(weight=50, effective_from="2026-07")
    contract_in(doc, "PW-2026-014")["clauses"].append(amendment)
    return doc


def _clause_listed_twice_same_month(doc):
    contract_in(doc, "PW-2026-015")["clauses"].append(copy.deepcopy(clause_in(doc, "PW-2026-015", "days_to_close")))
    return doc


ERROR_CASES = [
    pytest.param(
        _set_clause("PW-2026-014", "pci_after", weight=45),
        ["contract PW-2026-014", "weights", "sum to 105, not 100"],
        1,
        id="weights-not-100",
    ),
    pytest.param(
        _set_clause("PW-2026-014", "pci_after", minimum=95),
        ["contract PW-2026-014", "clause pci_after", "field minimum:", "below the target 90", "higher"],
        1,
        id="minimum-above-target-when-higher-is-better",
    ),
    pytest.param(
        _set_clause("PW-2026-015", "days_to_close", minimum=10),
        ["contract PW-2026-015", "clause days_to_close", "field minimum:", "above the target 14", "lower"],
        1,
        id="minimum-below-target-when-lower-is-better",
    ),
    pytest.param(
        _set("PW-2026-015", vendor="Nobody Paving Inc"),
        ["contract PW-2026-015", "field vendor:", "unknown vendor", "Nobody Paving Inc"],
        1,
        id="unknown-vendor-after-valid-category-and-vendors",
    ),
    pytest.param(
        _set("PW-2026-015", category="snow-removal"),
        ["contract PW-2026-015", "field category:", "unknown category", "snow-removal"],
        1,
        id="unknown-category-after-valid-category-and-vendors",
    ),
    pytest.param(
        _set_clause("PW-2026-014", "defects_per_lane_mile", denominator=None),
        ["contract PW-2026-014", "clause defects_per_lane_mile", "field denominator:", "ratio"],
        1,
        id="ratio-aggregation-without-denominator",
    ),
    pytest.param(
        _drop_clause_field("PW-2026-014", "smooth_segments", "row_standard"),
        ["contract PW-2026-014", "clause smooth_segments", "field row_standard:", "percent_meeting"],
        1,
        id="percent-meeting-without-row-standard",
    ),
    pytest.param(
        _set_clause("PW-2026-014", "smooth_segments", row_direction=None),
        ["contract PW-2026-014", "clause smooth_segments", "field row_direction:"],
        1,
        id="percent-meeting-without-row-direction",
    ),
    pytest.param(_invalid_json, ["not valid JSON", "line"], 1,
        id="invalid-json"),
    pytest.param(_truncated_json, ["not valid JSON"], 1,
        id="truncated-json"),
    pytest.param(_not_utf8, ["not a UTF-8"], None,
        id="not-utf8"),
    pytest.param(_not_an_object, ["one JSON object"], 1,
        id="json-list-not-object"),
    pytest.param(
        _set("PW-2026-014", start="2026-02-30"),
        ["contract PW-2026-014", "field start:", "2026-02-30", "YYYY-MM-DD"],
        1,
        id="bad-date",
    ),
    pytest.param(
        _set("PW-2026-015", end="31/01/2027"),
        ["contract PW-2026-015", "field end:", "31/01/2027", "not a date"],
        1,
        id="date-in-local-format",
    ),
    pytest.param(
        _set_clause("PW-2026-014", "pci_after", effective_from="2026-13"),
        ["contract PW-2026-014", "clause pci_after", "field effective_from:", "2026-13", "YYYY-MM"],
        1,
        id="bad-period-in-effective-from",
    ),
    pytest.param(
        _set_clause("PW-2026-014", "smooth_segments", effective_from="2025-12"),
        ["contract PW-2026-014", "clause smooth_segments", "field effective_from:", "before the contract starts"],
        None,
        id="effective-from-before-contract-start",
    ),
    pytest.param(
        _set("PW-2026-014", end="2025-12-31"),
        ["contract PW-2026-014", "field end:", "before the start"],
        1,
        id="end-before-start",
    ),
    pytest.param(
        _set("PW-2026-015", value=-5000),
        ["contract PW-2026-015", "field value:", "negative"],
        1,
        id="negative-contract-value",
    ),
    pytest.param(
        _set_clause("PW-2026-014", "pci_after", incentive=-1),
        ["contract PW-2026-014", "clause pci_after", "field incentive:", "percent"],
        1,
        id="negative-incentive",
    ),
    pytest.param(
        _set_clause("PW-2026-015", "days_to_close", penalty=150),
        ["contract PW-2026-015", "clause days_to_close", "field penalty:", "from 0 to 100", "150"],
        1,
        id="penalty-over-100-percent",
    ),
    pytest.param(
        _set_clause("PW-2026-014", "defects_per_lane_mile", target=0),
        ["contract PW-2026-014", "clause defects_per_lane_mile", "field target:", "ratio curve"],
        1,
        id="ratio-curve-with-target-0",
    ),
    pytest.param(
        _drop_clause_field("PW-2026-015", "pci_after", "minimum"),
        ["contract PW-2026-015", "clause pci_after", "field minimum:", "linear"],
        1,
        id="linear-curve-without-minimum",
    ),
    pytest.param(
        _duplicate_contract_number,
        ["contract PW-2026-014", "listed more than once"],
        1,
        id="duplicate-contract-number",
    ),
    pytest.param(
        _clause_listed_twice_same_month,
        ["contract PW-2026-015", "clause days_to_close", "listed twice", "2026-02"],
        1,
        id="clause-listed-twice-for-the-same-month",
    ),
    pytest.param(
        _set_clause("PW-2026-014", "pci_after", target="ninety"),
        ["contract PW-2026-014", "clause pci_after", "field target:", "is not a number", "ninety"],
        1,
        id="text-where-a-clause-number-is-expected",
    ),
    pytest.param(
        _set("PW-2026-014", capacity="forty lane-miles"),
        ["contract PW-2026-014", "field capacity:", "must be a number", "forty lane-miles"],
        1,
        id="text-where-a-contract-number-is-expected",
    ),
    pytest.param(
        _set("PW-2026-014", status="signed"),
        ["contract PW-2026-014", "field status:", "signed", "draft, active, closed"],
        1,
        id="unknown-status",
    ),
    pytest.param(
        _set_clause("PW-2026-015", "days_to_close", aggregation="average"),
        ["contract PW-2026-015", "clause days_to_close", "field aggregation:", "average"],
        1,
        id="unknown-aggregation",
    ),
    pytest.param(
        _amendment_breaking_weights,
        ["contract PW-2026-014", "from 2026-07", "sum to 110, not 100"],
        1,
        id="amendment-breaking-the-weights",
    ),
]


@pytest.mark.parametrize("mutate, expected, count", ERROR_CASES)
def test_refused_file_exits_1_names_the_problem_and_stores_nothing(cli, session, tmp_path, mutate, expected, count):
    before = table_counts()
    doc = mutate(valid_contracts())

    result = run_import(cli, write_contracts(tmp_path, doc))

    assert result.exit_code == 1, result.output
    for text in expected:
        assert text in result.stderr, f"{text!r} not in stderr:\n{result.stderr}"
    assert "nothing was loaded" in result.stderr
    if count is not None:  # one mistake, one problem: no repeats, no knock-on complaints
        assert len(problem_lines(result.stderr)) == count, result.stderr
        assert f"{count} problem" in result.stderr
    assert "created" not in result.stdout  # no success summary
    assert table_counts() == before
    session.expire_all()
    assert session.scalars(select(ServiceCategory).where(ServiceCategory.slug == "asphalt-resurfacing")).first() is None
    assert session.scalars(select(Vendor).where(Vendor.name == "Harbor Paving Co")).first() is None


@pytest.mark.parametrize(
    "mutate, expected",
    [
        pytest.param(_set("PW-2026-015", vendor="Nobody Paving Inc"), "unknown vendor", id="unknown-vendor"),
        pytest.param(_set_clause("PW-2026-014", "pci_after", minimum=95), "field minimum:", id="bad-minimum"),
    ],
)
def test_refused_file_leaves_earlier_loads_untouched(cli, session, tmp_path, mutate, expected):
    """A refused file on top of loaded data changes nothing there either."""
    assert run_import(cli, write_contracts(tmp_path, valid_contracts(), "first.json")).exit_code == 0
    before = table_counts()

    doc = mutate(valid_contracts())
    doc["categories"].append({"slug": "pothole-repair", "name": "Pothole repair", "unit": "work order",
                              "row_key": "work_order_id", "date_column": "closed_on"})
    doc["vendors"].append({"name": "Ridge Road Works"})
    result = run_import(cli, write_contracts(tmp_path, doc, "second.json"))

    assert result.exit_code == 1, result.output
    assert expected in result.stderr
    assert table_counts() == before
    session.expire_all()
    assert session.scalars(select(ServiceCategory).where(ServiceCategory.slug == "pothole-repair")).first() is None
    assert session.scalars(select(Vendor).where(Vendor.name == "Ridge Road Works")).first() is None


def test_file_with_several_errors_reports_all_of_them_at_once(cli, session, tmp_path):
    doc = valid_contracts()
    clause_in(doc, "PW-2026-014", "pci_after")["minimum"] = 95                 # 1: minimum above target
    clause_in(doc, "PW-2026-014", "defects_per_lane_mile")["denominator"] = None  # 2: ratio without denominator
    del clause_in(doc, "PW-2026-014", "smooth_segments")["row_standard"]     # 3: percent_meeting without standard
    contract_in(doc, "PW-2026-015")["value"] = -1                             # 4: negative value
    contract_in(doc, "PW-2026-015")["end"] = "2026-01-15"                     # 5: end before start
    clause_in(doc, "PW-2026-015", "days_to_close")["weight"] = 40             # 6: weights sum to 90
    before = table_counts()

    result = run_import(cli, write_contracts(tmp_path, doc))

    assert result.exit_code == 1, result.output
    problems = problem_lines(result.stderr)
    assert len(problems) == 6, result.stderr
    assert "6 problems" in result.stderr
    expected = [
        ("contract PW-2026-014, clause pci_after, field minimum",),
        ("contract PW-2026-014, clause defects_per_lane_mile, field denominator",),
        ("contract PW-2026-014, clause smooth_segments, field row_standard",),
        ("contract PW-2026-015, field value",),
        ("contract PW-2026-015, field end",),
        ("contract PW-2026-015", "sum to 90, not 100"),
    ]
    for parts in expected:
        assert any(all(part in line for part in parts) for line in problems), f"{parts} not reported:\n{result.stderr}"
    assert table_counts() == before


def test_unknown_vendor_and_category_are_both_reported(cli, session, tmp_path):
    doc = valid_contracts()
    contract_in(doc, "PW-2026-014")["vendor"] = "Nobody Paving Inc"
    contract_in(doc, "PW-2026-015")["category"] = "snow-removal"
    before = table_counts()

    result = run_import(cli, write_contracts(tmp_path, doc))

    assert result.exit_code == 1, result.output
    problems = problem_lines(result.stderr)
    assert len(problems) == 2, result.stderr
    assert any(re.search(r"contract PW-2026-014, field vendor: .*Nobody Paving Inc", p) for p in problems)
    assert any(re.search(r"contract PW-2026-015, field category: .*snow-removal", p) for p in problems)
    assert table_counts() == before


def test_missing_file_is_a_usage_error(cli, session, tmp_path):
    result = run_import(cli, tmp_path / "no-such-file.json")
    assert result.exit_code == 2
    assert "no-such-file.json" in result.stderr
    assert domain_counts() == {"ServiceCategory": 0, "Vendor": 0, "Contract": 0, "OutcomeClause": 0, "AuditEvent": 0}
