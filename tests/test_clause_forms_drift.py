"""The contract's clause form and the library's template form read clause terms alike (one definition,
contracts_app/clause_terms_form.py): the same typed input is accepted or refused by both, with the same
messages next to the same fields, and the same rules (scoring.clause_rules) apply to what they read."""
from __future__ import annotations

import json
from decimal import Decimal

import pytest
from werkzeug.datastructures import MultiDict

from contracts_app.contracts.forms import ClauseForm
from contracts_app.contracts.importer import parse_contracts_file
from contracts_app.library.forms import ClauseTemplateForm
from imports.contracts_file import ContractsFileError
from scoring.clause_rules import NUMBER_TERMS, clause_problems

VALID = {
    "key": "repaired_48h", "label": "Potholes repaired within 48 hours", "unit": "%", "direction": "higher",
    "aggregation": "percent_true", "curve": "linear", "target": "95", "minimum": "80", "weight": "40",
    "incentive_pct": "2", "penalty_pct": "3", "valid_min": "", "valid_max": "", "aliases": "Repaired 48h, R48",
    "row_standard": "", "row_direction": "", "denominator": "", "scale": "1", "cap": "1",
}
TYPED = [
    {},
    {"target": "95%"},
    {"target": "1,250.5", "minimum": "1,000"},
    {"target": "ninety"},
    {"target": "NaN"},
    {"target": "inf"},
    {"weight": "1e13"},
    {"weight": "12.1234567"},
    {"target": ""},
    {"weight": "0"},
    {"weight": "120"},
    {"incentive_pct": "", "penalty_pct": "", "scale": "", "cap": ""},
    {"incentive_pct": "150"},
    {"cap": "-1"},
    {"scale": "0"},
    {"minimum": "99"},
    {"key": "Repaired 48h"},
    {"key": ""},
    {"label": ""},
    {"direction": "sideways"},
    {"aggregation": "ratio", "denominator": ""},
    {"aggregation": "ratio", "denominator": "Lane Miles"},
    {"aggregation": "percent_meeting", "row_standard": "95", "row_direction": ""},
    {"aggregation": "percent_meeting", "row_standard": "95", "row_direction": "down"},
    {"aliases": "A, a, A\nB"},
]


def _read(form_class, typed: dict) -> tuple[dict, dict | None]:
    """(field errors on the terms, the terms read) as the form gives them after a POST."""
    form = form_class(formdata=MultiDict({**VALID, **typed}), meta={"csrf": False})
    if isinstance(form, ClauseTemplateForm):
        form.set_categories([])  # the category is the library's own field, not a clause term
    form.validate()
    errors = {name: list(form[name].errors) for name in VALID if form[name].errors}
    return errors, (form.terms() if not errors else None)


@pytest.mark.parametrize("typed", TYPED, ids=lambda t: ",".join(f"{k}={v!r}" for k, v in t.items()) or "valid")
def test_both_clause_forms_accept_and_refuse_alike(app, typed):
    with app.test_request_context("/", method="POST"):
        contract_errors, contract_terms = _read(ClauseForm, typed)
        library_errors, library_terms = _read(ClauseTemplateForm, typed)
    assert contract_errors == library_errors
    if contract_terms is None:
        return
    library_terms.pop("language")
    assert contract_terms == library_terms
    assert clause_problems(contract_terms) == clause_problems(library_terms)


def test_the_drift_inputs_cover_every_kind_of_answer(app):
    """The cases above are not all accepted: field refusals, rule refusals and acceptances are all there."""
    kinds = set()
    with app.test_request_context("/", method="POST"):
        for typed in TYPED:
            errors, terms = _read(ClauseForm, typed)
            kinds.add("field" if errors else "rule" if clause_problems(terms) else "accepted")
    assert kinds == {"field", "rule", "accepted"}


def test_a_contracts_file_reads_numbers_as_the_forms_do(app):
    """The contracts file parses the same terms with the same number reader: 95% and 1,250.5 are read, and
    too many decimals are refused with the form's message."""
    def clause(**terms):
        base = {"key": "pci_after", "label": "PCI", "direction": "higher", "aggregation": "mean", "target": 90,
                "minimum": 80, "weight": 100}
        return {**base, **terms}

    def document(**terms):
        return {"categories": [{"slug": "asphalt", "name": "Asphalt", "unit": "lane-mile", "row_key": "work_order_id",
                                "date_column": "completed_on"}], "vendors": [{"name": "Harbor Paving"}],
                "contracts": [{"number": "PW-1", "title": "Resurfacing", "vendor": "Harbor Paving",
                               "category": "asphalt", "start": "2026-01-01", "end": "2026-12-31", "value": 1000,
                               "status": "draft", "clauses": [clause(**terms)]}]}

    parsed = parse_contracts_file(json.dumps(document(target="95%", valid_max="1,250.5")))
    [record] = parsed.contracts[0].clauses
    assert record.terms["target"] == Decimal("95") and record.terms["valid_max"] == Decimal("1250.5")
    with pytest.raises(ContractsFileError) as refused:
        parse_contracts_file(json.dumps(document(weight="12.1234567")))
    assert any("use at most 6 digits after the decimal point" in p for p in refused.value.problems)
    with app.test_request_context("/", method="POST"):
        errors, _ = _read(ClauseForm, {"weight": "12.1234567"})
    assert errors == {"weight": ["use at most 6 digits after the decimal point"]}
    assert set(NUMBER_TERMS) <= set(VALID)
