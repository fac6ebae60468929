"""The check reads a sheet column at a time (numpy for plain numbers, distinct values for text); those fast
paths must read every cell exactly as the cell-by-cell rules do, whatever the column holds."""
from __future__ import annotations

import math
from datetime import date, datetime

import numpy as np
import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts_app.uploads.storing import json_cells, json_objects
from imports.check import CheckedRows, ClauseColumn, SheetSpec, check_sheet
from imports.reader import ColumnMatch, RawSheet
from imports.values import (
    NOT_A_DATE,
    NOT_YES_NO,
    NumberStyle,
    date_cell,
    number_cell,
    parse_dates,
    parse_numbers,
    parse_yes_no,
    yes_no_cell,
)
from scoring.clause_score import score_clause

thorough = settings(deadline=None, max_examples=150)

digits = st.text("0123456789", min_size=1, max_size=7)
number_text = st.builds(
    lambda sign, money, whole, groups, separator, decimal, fraction, percent, pad: (
        f"{pad}{sign}{money}{whole}{''.join(separator + g for g in groups)}{decimal}{fraction}{percent}{pad}"),
    sign=st.sampled_from(["", "-", "+", "\u2212"]),
    money=st.sampled_from(["", "$", "$ "]),
    whole=digits,
    groups=st.lists(st.text("0123456789", min_size=3, max_size=3), max_size=2),
    separator=st.sampled_from([",", ".", " ", "\u00a0", "\u202f", "'"]),
    decimal=st.sampled_from(["", ".", ","]),
    fraction=st.text("0123456789", max_size=4),
    percent=st.sampled_from(["", "%", " %"]),
    pad=st.sampled_from(["", " ", "\t"]),
)
odd_text = st.sampled_from(["", " ", "nan", "n/a", "—", "1e5", "1E-3", "0,125", "1.234,5", "1,234.5", "12%%", "$",
                            "--1", "1 000", "01,000", "inf", "1e400", "٣"])
text_cells = st.one_of(number_text, odd_text, st.text(max_size=6))
any_cells = st.one_of(text_cells, st.none(), st.booleans(), st.integers(-10**6, 10**6),
                      st.floats(allow_nan=True, allow_infinity=False), st.just(date(2026, 3, 4)))


def same_numbers(cells, style):
    parsed = parse_numbers(cells, style=style)
    expected = [number_cell(cell, style) for cell in cells]
    assert np.array_equal(parsed.values, np.array([value for value, _, _ in expected]), equal_nan=True)
    assert parsed.explicit_percent.tolist() == [is_percent for _, is_percent, _ in expected]
    assert parsed.bad == [(i, why) for i, (_, _, why) in enumerate(expected) if why is not None]


@thorough
@given(st.lists(text_cells | st.none(), max_size=30), st.booleans())
def test_a_text_column_reads_as_each_cell_alone(cells, decimal_comma):
    same_numbers(cells, NumberStyle(decimal_comma=decimal_comma))


@thorough
@given(st.lists(st.floats(allow_nan=False, allow_infinity=False) | st.integers(-10**9, 10**9) | st.none(), max_size=30))
def test_a_column_of_plain_numbers_reads_as_each_cell_alone(cells):
    same_numbers(cells, NumberStyle())


@thorough
@given(st.lists(any_cells, max_size=30), st.booleans())
def test_a_mixed_column_reads_as_each_cell_alone(cells, decimal_comma):
    same_numbers(cells, NumberStyle(decimal_comma=decimal_comma))


def test_cell_rules_the_fast_paths_must_keep():
    point, comma = NumberStyle(), NumberStyle(decimal_comma=True)
    assert number_cell("1,234.5", point)[0] == 1234.5 and number_cell("1.234,5", comma)[0] == 1234.5
    assert number_cell("$ 95 %", point)[:2] == (95.0, True)
    assert number_cell("0,125", comma)[0] == 0.125 and number_cell("0,125", point)[2] is not None
    assert number_cell("\u22123", point)[0] == -3.0
    assert math.isnan(number_cell("  ", point)[0]) and number_cell("  ", point)[2] is None
    assert number_cell(True, point)[2] == "not a number"


yes_no_text = st.sampled_from(["yes", "Yes ", "Y", "n", "NO", "true", "False", "1", "0", "x", "1.0", "0.0", "",
                               " ", "nan", "maybe", "2"])


@thorough
@given(st.lists(yes_no_text | st.none(), max_size=30) | st.lists(st.booleans() | st.none(), max_size=30)
       | st.lists(yes_no_text | st.booleans() | st.floats(allow_infinity=False) | st.integers(-2, 2) | st.none(),
                  max_size=30))
def test_yes_no_column_reads_as_each_cell_alone(cells):
    out, bad = parse_yes_no(cells)
    expected = [yes_no_cell(cell) for cell in cells]
    assert bad == [i for i, value in enumerate(expected) if value is NOT_YES_NO]
    assert out == [None if value is NOT_YES_NO else value for value in expected]
    assert [type(value) for value in out] == [type(None) if value is NOT_YES_NO else type(value) for value in expected]


def test_zero_and_minus_zero_are_read_apart_in_a_yes_no_column():
    assert parse_yes_no([0.0, -0.0, 1]) == ([False, None, True], [1])


date_text = st.sampled_from(["2026-03-04", "03/04/2026", "3/4/26", "4 Mar 2026", "March 4, 2026", "2026/03/04",
                             "2026-03-04 10:30:00", "46085", "46085.5", " ", "", "soon", "2026-02-30"])


@thorough
@given(st.lists(date_text | st.none(), max_size=30)
       | st.lists(st.dates(date(2025, 1, 1), date(2027, 1, 1)) | st.none(), max_size=30)
       | st.lists(st.datetimes(datetime(2025, 1, 1), datetime(2027, 1, 1)), max_size=30)
       | st.lists(date_text | st.none() | st.booleans() | st.floats(-10, 60000) | st.integers(-5, 60000)
                  | st.dates() | st.datetimes(), max_size=30))
def test_date_column_reads_as_each_cell_alone(cells):
    out, bad = parse_dates(cells)
    expected = [date_cell(cell) for cell in cells]
    assert bad == [i for i, value in enumerate(expected) if value is NOT_A_DATE]
    assert out == [None if value is NOT_A_DATE else value for value in expected]
    assert all(value is None or type(value) is date for value in out)


def test_true_is_not_taken_for_the_serial_one():
    assert parse_dates([1.0, True]) == ([date(1899, 12, 31), None], [1])


json_values = st.one_of(st.none(), st.booleans(), st.integers(-10**12, 10**12),
                        st.floats(allow_nan=True, allow_infinity=True))
json_text = st.one_of(st.none(), st.text(max_size=8), st.sampled_from(["a,b", '"q"', "back\\slash", "tab\t", "%s",
                                                                       "100%", "\u2028", "日本"]))


@thorough
@given(st.integers(0, 12).flatmap(lambda n: st.tuples(
    st.dictionaries(st.sampled_from(["pci", "on_time", "100%", 'q"k', "a,b"]), st.lists(json_values, min_size=n,
                                                                                          max_size=n), max_size=4),
    st.dictionaries(st.sampled_from(["street", "crew", "%d"]), st.lists(json_text, min_size=n, max_size=n),
                    max_size=3),
    st.just(n))))
def test_rows_json_built_by_column_is_what_orjson_writes_for_each_row(case):
    values, context, n = case
    rows = CheckedRows(row_numbers=list(range(2, n + 2)), row_keys=[f"k{i}" for i in range(n)],
                       work_dates=[None] * n, values=values, context=context)
    expected = [(orjson.dumps(row_values).decode(), orjson.dumps(row_context).decode())
                for _, _, _, row_values, row_context in rows.records()]
    assert list(zip(json_objects(values, n), json_objects(context, n), strict=True)) == expected


def test_json_cells_of_a_float_column_keep_every_digit():
    assert json_cells([0.1 + 0.2, 1e-7, 3.0, None, True, 12345678.125]) == [
        "0.30000000000000004", "1e-7", "3.0", "null", "true", "12345678.125"]


@thorough
@given(st.lists(st.tuples(st.floats(-5, 120, allow_nan=False) | st.none() | st.sampled_from(["x", "95%", "1,5"]),
                          st.sampled_from(["yes", "no", "", "maybe"]), st.floats(0, 3) | st.none(),
                          st.floats(0.1, 2.5) | st.sampled_from([0.0, None])), min_size=1, max_size=25))
def test_scoring_from_the_kept_arrays_equals_scoring_from_the_stored_values(cells):
    """The preview and the month's score read the check's float arrays; they must score exactly as the
    values stored (lists with None), with rows in error left out."""
    spec = SheetSpec(row_key="id", date_column="day", context_columns=(), clauses=(
        ClauseColumn(key="pci", label="PCI", aggregation="mean", unit="PCI", valid_min=0, valid_max=100),
        ClauseColumn(key="ok", label="On time", aggregation="percent_true", unit="%"),
        ClauseColumn(key="defects", label="Defects", aggregation="ratio", denominator="miles"),
    ))
    headers = ["id", "day", "pci", "ok", "defects", "miles"]
    raw = RawSheet(sheet_name="Data", header_row=1, columns=[ColumnMatch(i, h, h) for i, h in enumerate(headers)],
                   rows=[(n + 2, [f"k{n}", date(2026, 3, 2), *row]) for n, row in enumerate(cells)])
    rows = check_sheet(raw, spec, "2026-03").rows
    terms = {"pci": {"aggregation": "mean", "direction": "higher", "curve": "linear", "target": 90, "minimum": 80},
             "ok": {"aggregation": "percent_true", "direction": "higher", "curve": "linear", "target": 95, "minimum": 80},
             "defects": {"aggregation": "ratio", "direction": "lower", "curve": "linear", "target": 0.5, "minimum": 2}}
    for key, clause_terms in terms.items():
        denominators = "miles" if key == "defects" else None
        from_lists = score_clause(rows.passed(key), clause_terms, denominators and rows.passed(denominators))
        from_arrays = score_clause(rows.passed_floats(key), clause_terms, denominators and rows.passed_floats(denominators))
        assert from_arrays == from_lists
        whole = score_clause(rows.floats(key), clause_terms, denominators and rows.floats(denominators))
        assert whole == score_clause(rows.column(key), clause_terms, denominators and rows.column(denominators))
