"""The benchmark's pure rules: statistics, comparability, anonymisation and the file's schema (issue 16)."""
from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imports.benchmark_file import BenchmarkFileError, json_path, read_benchmark
from scoring.benchmark import (
    difference_sentence,
    differing_fields,
    exact_spread,
    match_keys,
    spread,
    vendor_labels,
)

OURS = {"key": "pci_after", "label": "PCI", "unit": "PCI", "direction": "higher", "aggregation": "mean",
        "curve": "linear", "cap": 1, "row_standard": None, "row_direction": None, "scale": 1, "denominator": None,
        "target": 90, "minimum": 80}


def minimal_file(**changes) -> dict:
    document = {
        "format": "outcomes-benchmark", "format_version": 1,
        "city": {"name": "Riverton", "exported_at": "2026-11-02T08:00:00Z"},
        "category": {"slug": "asphalt-resurfacing", "name": "Asphalt resurfacing", "unit": "lane-mile"},
        "range": {"from": "2026-01", "to": "2026-03"}, "vendors_named": False,
        "clauses": {"pci_after": {**OURS, "months": [
            {"period": "2026-01", "median": 88.5, "p25": 86.0, "p75": 90.0, "min": 84.0, "max": 93.0,
             "contracts": 4, "observations": 120}]}},
        "unit_prices": {"basis": "invoice_per_observation", "unit": "lane-mile", "months": [
            {"period": "2026-01", "median": "1250.00", "p25": "1100.00", "p75": "1400.00", "min": "900.00",
             "max": "1500.00", "contracts": 4, "observations": 120, "invoiced": "150000.00"}]},
        "vendors": [{"label": "Vendor A", "months": [
            {"period": "2026-01", "composite_median": 81.2, "contracts": 1, "observations": 30}]}],
    }
    document.update(changes)
    return document


def test_spread_of_four_contracts_interpolates_the_quartiles_like_numpy():
    stats = spread([70, 80, 90, 100])
    assert (stats.median, stats.p25, stats.p75, stats.min, stats.max) == (85.0, 77.5, 92.5, 70.0, 100.0)
    assert spread([]) is None
    assert spread([42]).as_dict() == {"median": 42.0, "p25": 42.0, "p75": 42.0, "min": 42.0, "max": 42.0}


def test_unit_price_statistics_are_exact_decimals():
    prices = [Decimal("1249.995"), Decimal("1000.01"), Decimal("1500.00"), Decimal("1100.10")]
    stats = exact_spread(prices)
    assert stats == {"median": Decimal("1175.0475"), "p25": Decimal("1075.07750"), "p75": Decimal("1312.49625"),
                     "min": Decimal("1000.01"), "max": Decimal("1500.00")}
    assert exact_spread([]) is None


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.lists(st.floats(min_value=-1e6, max_value=1e6), min_size=1, max_size=40))
def test_spread_is_ordered(values):
    stats = spread(values)
    assert stats.min <= stats.p25 <= stats.median <= stats.p75 <= stats.max


def test_a_different_curve_is_refused_in_words_naming_the_city_and_the_clause():
    theirs = {**OURS, "curve": "ratio"}
    assert differing_fields(OURS, theirs) == ["curve"]
    assert difference_sentence("Riverton", "pci_after", OURS, theirs) == \
        "Riverton's pci_after is scored with a ratio curve, ours linear: not comparable."


def test_several_differing_fields_are_each_named_and_numbers_compare_by_value():
    theirs = {**OURS, "unit": "index", "scale": 100, "cap": 1.0}
    assert differing_fields(OURS, theirs) == ["unit", "scale"]
    assert difference_sentence("Riverton", "pci_after", OURS, theirs) == \
        "Riverton's pci_after differs in unit index (ours PCI), scale 100 (ours 1): not comparable."


def test_a_different_target_or_minimum_does_not_stop_the_comparison():
    assert difference_sentence("Riverton", "pci_after", OURS, {**OURS, "target": 85, "minimum": 70}) is None


def test_keys_on_one_side_only():
    match = match_keys(["pci_after", "complaints"], ["pci_after", "complaints_per_order"])
    assert (match.both, match.ours_only, match.theirs_only) == (["pci_after"], ["complaints"], ["complaints_per_order"])


def test_vendor_letters_follow_the_order_given_and_go_past_z():
    names = [f"Firm {i}" for i in range(28)]
    labels = vendor_labels(names, anonymise=True)
    assert labels["Firm 0"] == "Vendor A" and labels["Firm 25"] == "Vendor Z" and labels["Firm 27"] == "Vendor AB"
    assert vendor_labels(["Harbor"], anonymise=False) == {"Harbor": "Harbor"}
    assert not any("Firm" in label for label in labels.values())


def test_a_valid_file_reads_and_its_identity_ignores_spacing_and_key_order():
    document = minimal_file()
    first = read_benchmark(json.dumps(document).encode())
    second = read_benchmark(json.dumps(document, indent=4, sort_keys=True).encode())
    assert first.sha256 == second.sha256 and first.city == "Riverton" and first.exported_at.year == 2026


@pytest.mark.parametrize(("change", "problem"), [
    (lambda d: d["clauses"]["pci_after"]["months"][0].update(median="high"),
     "$.clauses.pci_after.months[0].median: 'high' is not of type 'number'"),
    (lambda d: d["clauses"]["pci_after"].update(curve="s-curve"),
     "$.clauses.pci_after.curve: 's-curve' is not one of ['linear', 'ratio', 'pass_fail']"),
    (lambda d: d["unit_prices"]["months"][0].update(median=1250),
     "$.unit_prices.months[0].median: 1250 is not of type 'string'"),
    (lambda d: d["city"].pop("exported_at"), "$.city: 'exported_at' is a required property"),
    (lambda d: d["range"].update({"from": "2026-13"}), "$.range.from: '2026-13' does not match"),
    (lambda d: d["range"].update({"from": "2026-05"}), "$.range.from: comes after $.range.to"),
    (lambda d: d["clauses"]["pci_after"].update(key="iri"),
     "$.clauses.pci_after.key: is 'iri', not the key it is filed under ('pci_after')"),
    (lambda d: d.update(format_version=2), "$.format_version: 2 is not a version this application reads (it reads 1)"),
])
def test_schema_problems_are_named_by_json_path(change, problem):
    document = minimal_file()
    change(document)
    with pytest.raises(BenchmarkFileError) as refused:
        read_benchmark(json.dumps(document).encode())
    assert any(p.startswith(problem) for p in refused.value.problems), refused.value.problems


@pytest.mark.parametrize(("data", "problem"), [
    (b"\xff\xfe\x00", "$: not a UTF-8 text file"),
    (b"{not json", "$: not JSON (line 1, column 2"),
    (b"[]", "$: [] is not of type 'object'"),
])
def test_files_that_are_not_benchmark_json_are_refused(data, problem):
    with pytest.raises(BenchmarkFileError) as refused:
        read_benchmark(data)
    assert refused.value.problems[0].startswith(problem)


def test_json_path_reads_like_the_documentation():
    assert json_path(["clauses", "pci_after", "months", 3, "p25"]) == "$.clauses.pci_after.months[3].p25"
