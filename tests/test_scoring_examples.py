"""Worked examples of the scoring method (SPEC §3), each computed by hand in its comment."""
from __future__ import annotations

import math
from decimal import Decimal

import pytest

from scoring.aggregation import period_value, row_count
from scoring.attainment import attainment, clause_status
from scoring.clause_score import ClauseOutcome, score_clause
from scoring.composite import composite_and_coverage
from scoring.payments import PaymentAdjustment, payment_adjustment
from scoring.rankings import (
    insufficient_data,
    on_probation,
    rank,
    vendor_period_composite,
    vendor_score,
    window_periods,
)

D = Decimal
NAN = float("nan")


# --- period value ---------------------------------------------------------------------------------

def test_mean_skips_missing_cells():
    # (80 + 85 + 90) / 3 = 255 / 3 = 85; None and NaN are missing, not zero.
    assert period_value([80, 85, None, 90, NAN], aggregation="mean") == 85.0


def test_mean_of_equal_values_is_that_value():
    # (x + x + x) / 3 = x; the float sum-then-divide alone would give 699051.4686214788
    assert period_value([699051.4686214786] * 3, aggregation="mean") == 699051.4686214786


def test_median_odd_and_even():
    # sorted 1, 3, 5 -> 3
    assert period_value([5, 1, 3], aggregation="median") == 3.0
    # sorted 1, 2, 3, 10 -> (2 + 3) / 2 = 2.5
    assert period_value([3, 1, None, 2, 10], aggregation="median") == 2.5


def test_sum():
    # 1.5 + 2.5 + 4 = 8
    assert period_value([1.5, None, 2.5, 4.0], aggregation="sum") == 8.0


def test_percent_true():
    # true, false, true, true (None skipped): 3 of 4 -> 100 * 3 / 4 = 75
    assert period_value([True, False, True, True, None], aggregation="percent_true") == 75.0


def test_percent_true_refuses_text_parsing_is_the_importers_job():
    with pytest.raises(ValueError):
        period_value(["yes", "no"], aggregation="percent_true")


def test_percent_meeting_higher_counts_the_standard_itself():
    # r = 90, >= 90: 90, 95, 100 meet, 85 does not: 3 of 4 -> 75
    assert period_value(
        [85, 90, 95, 100, None], aggregation="percent_meeting", row_standard=D("90"), row_direction="higher"
    ) == 75.0


def test_percent_meeting_lower_roughness():
    # roughness <= 95 in/mi: 80, 95, 90 meet; 96, 120 do not: 3 of 5 -> 60
    assert period_value(
        [80, 95, 96, 120, 90], aggregation="percent_meeting", row_standard=D("95"), row_direction="lower"
    ) == 60.0


def test_percent_meeting_needs_its_row_standard():
    with pytest.raises(ValueError):
        period_value([1, 2], aggregation="percent_meeting", row_direction="higher")


def test_ratio_sums_both_columns_over_the_same_rows():
    # rows: (2, 1.5), (1, 0.5), (0, 2), (3, missing) skipped, (missing, 9) skipped
    # (2 + 1 + 0) / (1.5 + 0.5 + 2) = 3 / 4 = 0.75
    values = [2, 1, 0, 3, None]
    denominators = [1.5, 0.5, 2, None, 9]
    assert period_value(values, aggregation="ratio", denominators=denominators) == 0.75
    assert row_count(values, aggregation="ratio", denominators=denominators) == 3


def test_ratio_with_zero_denominator_sum_has_no_value():
    # (1 + 2) / (0 + 0): the denominator sums to 0 -> no value
    assert period_value([1, 2], aggregation="ratio", denominators=[0, 0]) is None


def test_no_rows_no_value_for_every_aggregation():
    for aggregation in ("mean", "median", "sum", "percent_true", "ratio"):
        assert period_value([None, NAN], aggregation=aggregation, denominators=[1, 1]) is None
    assert period_value([], aggregation="percent_meeting", row_standard=1, row_direction="higher") is None


def test_scale_multiplies_the_value():
    # mean (1000 + 3000) / 2 = 2000; x 0.001 (metres to km) = 2
    assert period_value([1000, 3000], aggregation="mean", scale=D("0.001")) == pytest.approx(2.0)
    # defects per 100 lane-miles: (3 + 1) / (40 + 40) = 0.05; x 100 = 5
    assert period_value([3, 1], aggregation="ratio", denominators=[40, 40], scale=100) == pytest.approx(5.0)


def test_enum_like_aggregation_strings_are_accepted():
    import enum

    class Aggregation(str, enum.Enum):
        MEAN = "mean"

    assert period_value([1, 3], aggregation=Aggregation.MEAN) == 2.0


# --- attainment: linear ---------------------------------------------------------------------------

@pytest.mark.parametrize("value, expected", [
    (95, 100.0),   # beyond T: v >= 90 -> 100
    (90, 100.0),   # at T -> 100
    (85, 50.0),    # 100 * (85 - 80) / (90 - 80) = 100 * 5 / 10 = 50
    (82.5, 25.0),  # 100 * 2.5 / 10 = 25
    (80, 0.0),     # at M: v <= 80 -> 0
    (70, 0.0),     # beyond M -> 0
])
def test_linear_higher_is_better(value, expected):
    assert attainment(value, direction="higher", curve="linear", target=D("90"), minimum=D("80")) == pytest.approx(expected)


@pytest.mark.parametrize("value, expected", [
    (1, 100.0),   # better than T (v <= 2) -> 100
    (2, 100.0),   # at T -> 100
    (3, 75.0),    # 100 * (6 - 3) / (6 - 2) = 100 * 3 / 4 = 75
    (5, 25.0),    # 100 * (6 - 5) / 4 = 25
    (6, 0.0),     # at M: v >= 6 -> 0
    (8, 0.0),     # beyond M -> 0
])
def test_linear_lower_is_better(value, expected):
    assert attainment(value, direction="lower", curve="linear", target=D("2"), minimum=D("6")) == pytest.approx(expected)


def test_linear_default_curve_and_minimum_required():
    # curve None is linear: 100 * (85 - 80) / (90 - 80) = 50
    assert attainment(85.0, direction="higher", curve=None, target=90.0, minimum=80.0) == 50.0
    with pytest.raises(ValueError):
        attainment(85, direction="higher", curve="linear", target=90)
    with pytest.raises(ValueError):  # minimum on the wrong side of the target
        attainment(85, direction="higher", curve="linear", target=90, minimum=95)


# --- attainment: ratio ----------------------------------------------------------------------------

@pytest.mark.parametrize("value, expected", [
    (60, 75.0),    # 100 * min(60 / 80, 1.25) = 100 * 0.75 = 75
    (80, 100.0),   # 100 * min(1, 1.25) = 100
    (96, 120.0),   # 100 * min(1.2, 1.25) = 120
    (120, 125.0),  # 100 * min(1.5, 1.25) = 125
    (0, 0.0),      # 100 * 0 / 80 = 0
])
def test_ratio_higher_with_cap_1_25(value, expected):
    assert attainment(value, direction="higher", curve="ratio", target=D("80"), cap=D("1.25")) == pytest.approx(expected)


@pytest.mark.parametrize("value, expected", [
    (4, 50.0),              # 100 * min(2 / 4, 1.25) = 50
    (2, 100.0),             # 100 * min(2 / 2, 1.25) = 100
    (1.8, 100 * 2 / 1.8),   # 100 * 1.111... = 111.11...
    (1, 125.0),             # 100 * min(2 / 1, 1.25) = 125
    (0, 125.0),             # v = 0, lower is better -> 100 * k = 125
])
def test_ratio_lower_with_cap_1_25(value, expected):
    assert attainment(value, direction="lower", curve="ratio", target=D("2"), cap=D("1.25")) == pytest.approx(expected)


def test_ratio_default_cap_is_1():
    # 100 * min(120 / 80, 1.0) = 100; lower v = 0 -> 100 * 1 = 100
    assert attainment(120, direction="higher", curve="ratio", target=80) == 100.0
    assert attainment(0, direction="lower", curve="ratio", target=2, cap=None) == 100.0


def test_ratio_needs_a_positive_target():
    with pytest.raises(ValueError):
        attainment(1, direction="higher", curve="ratio", target=0)


# --- attainment: pass_fail ------------------------------------------------------------------------

def test_pass_fail():
    # higher, T = 95: 95 meets -> 100; 94.9 does not -> 0
    assert attainment(95, direction="higher", curve="pass_fail", target=D("95")) == 100.0
    assert attainment(94.9, direction="higher", curve="pass_fail", target=D("95")) == 0.0
    # lower, T = 0 (zero safety incidents): 0 meets -> 100; 1 -> 0
    assert attainment(0, direction="lower", curve="pass_fail", target=D("0")) == 100.0
    assert attainment(1, direction="lower", curve="pass_fail", target=D("0")) == 0.0


def test_no_value_no_attainment():
    assert attainment(None, direction="higher", curve="linear", target=90, minimum=80) is None
    assert clause_status(None, direction="higher", curve="linear", target=90, minimum=80) == "no_data"


# --- status ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("value, expected", [
    (D("90"), "met"),       # v >= T
    (95, "met"),
    (85, "partial"),        # between
    (80, "partial"),        # exactly at M: failed needs strictly worse than M
    (79.9, "failed"),       # strictly below M
])
def test_status_linear_higher(value, expected):
    assert clause_status(value, direction="higher", curve="linear", target=D("90"), minimum=D("80")) == expected


@pytest.mark.parametrize("value, expected", [
    (2, "met"), (6, "partial"), (6.5, "failed"),  # T = 2, M = 6, lower is better
])
def test_status_linear_lower(value, expected):
    assert clause_status(value, direction="lower", curve="linear", target=2, minimum=6) == expected


def test_status_without_minimum_is_never_failed_for_linear_and_ratio():
    assert clause_status(0, direction="higher", curve="linear", target=90) == "partial"
    assert clause_status(0, direction="higher", curve="ratio", target=90) == "partial"
    assert clause_status(1e6, direction="lower", curve="ratio", target=2) == "partial"


def test_status_ratio_with_minimum():
    # T = 80, M = 50: 40 is strictly below M -> failed; 50 is at M -> partial
    assert clause_status(40, direction="higher", curve="ratio", target=80, minimum=50) == "failed"
    assert clause_status(50, direction="higher", curve="ratio", target=80, minimum=50) == "partial"


def test_status_pass_fail_not_met_is_failed_even_without_minimum():
    assert clause_status(94, direction="higher", curve="pass_fail", target=95) == "failed"
    assert clause_status(95, direction="higher", curve="pass_fail", target=95) == "met"


def test_a_mean_equal_to_the_target_in_decimals_meets_it_despite_float_noise():
    # (0.1 + 0.2) / 2 = 0.15 exactly in decimals; in floats 0.15000000000000002
    value = period_value([0.1, 0.2], aggregation="mean")
    assert value != 0.15  # the float noise this guards against
    assert clause_status(value, direction="lower", curve="linear", target=D("0.15"), minimum=D("0.5")) == "met"
    assert attainment(value, direction="lower", curve="linear", target=D("0.15"), minimum=D("0.5")) == 100.0
    assert clause_status(value, direction="lower", curve="pass_fail", target=D("0.15")) == "met"


# --- one clause -----------------------------------------------------------------------------------

def test_score_clause_percent_meeting_on_a_linear_curve():
    terms = {
        "aggregation": "percent_meeting", "row_standard": D("95"), "row_direction": "lower",
        "scale": D("1"), "direction": "higher", "curve": "linear", "target": D("80"),
        "minimum": D("50"), "cap": D("1"),
    }
    # rows <= 95: 80, 95, 90 of 80, 95, 96, 120, 90 -> v = 100 * 3 / 5 = 60
    # a = 100 * (60 - 50) / (80 - 50) = 100 * 10 / 30 = 33.33...
    outcome = score_clause([80, 95, 96, 120, 90, None], terms)
    assert isinstance(outcome, ClauseOutcome)
    assert outcome.value == 60.0
    assert outcome.attainment == pytest.approx(100 / 3)
    assert outcome.status == "partial"
    assert outcome.observations == 5


def test_score_clause_ratio_lower_and_no_data():
    terms = {"aggregation": "ratio", "direction": "lower", "curve": "ratio", "target": D("1"),
             "cap": D("1.25"), "scale": None, "minimum": None}
    # rows (1, 1) and (3, 1); (None, 1) and (2, None) skipped: v = 4 / 2 = 2; a = 100 * min(1 / 2, 1.25) = 50
    assert score_clause([1, None, 2, 3], terms, denominators=[1, 1, None, 1]) == (2.0, 50.0, "partial", 2)
    assert score_clause([None, None], terms, denominators=[1, 1]) == (None, None, "no_data", 0)


# --- composite ------------------------------------------------------------------------------------

def test_composite_with_a_missing_clause_is_incomplete():
    # C = (40 * 100 + 35 * 50) / (40 + 35) = 5750 / 75 = 76.666...; coverage = 75 / 100 = 0.75
    composite, coverage = composite_and_coverage([(D("40"), 100.0), (D("35"), 50.0), (D("25"), None)])
    assert composite == pytest.approx(5750 / 75)
    assert coverage == 0.75


def test_composite_with_every_clause():
    # C = (60 * 100 + 40 * 25) / 100 = 7000 / 100 = 70; coverage = 100 / 100 = 1
    assert composite_and_coverage([(60, 100.0), (40, 25.0)]) == (70.0, 1.0)


def test_composite_with_no_value_is_none_not_zero():
    assert composite_and_coverage([(60, None), (40, None)]) == (None, 0.0)
    assert composite_and_coverage([]) == (None, 0.0)


# --- payment --------------------------------------------------------------------------------------

def test_payment_where_both_caps_bind():
    # bonus = 100,000.00 * min(3 + 4, 5) / 100 = 100,000.00 * 5 / 100 = 5,000.00
    # penalty = 100,000.00 * min(6 + 8, 10) / 100 = 100,000.00 * 10 / 100 = 10,000.00
    # net = 5,000.00 - 10,000.00 = -5,000.00
    clauses = [
        ("met", D("3"), D("2")),
        ("met", D("4"), D("1")),
        ("failed", D("1"), D("6")),
        ("failed", D("2"), D("8")),
    ]
    result = payment_adjustment(D("100000.00"), clauses, incentive_cap=D("5"), penalty_cap=D("10"))
    assert result == PaymentAdjustment(D("5000.00"), D("10000.00"), D("-5000.00"))
    assert all(isinstance(amount, Decimal) for amount in result)


def test_payment_below_the_caps_ignores_partial_and_no_data():
    # met 1.5 % -> bonus 20,000.00 * 1.5 / 100 = 300.00; partial (2 %) and no_data (3 %) earn nothing
    # failed 2.5 % -> penalty 20,000.00 * 2.5 / 100 = 500.00; net = 300.00 - 500.00 = -200.00
    clauses = [("met", D("1.5"), D("1")), ("partial", D("2"), D("2")),
               ("failed", D("0"), D("2.5")), ("no_data", D("3"), D("3"))]
    result = payment_adjustment(D("20000.00"), clauses, incentive_cap=D("5"), penalty_cap=D("10"))
    assert result == (D("300.00"), D("500.00"), D("-200.00"))


def test_payment_is_rounded_to_the_cent_half_up():
    # 1,234.57 * 0.333333 / 100 = 4.1152292181 exactly, paid as 4.12 (rounded to the cent, SPEC §3)
    result = payment_adjustment(D("1234.57"), [("met", D("0.333333"), D("0"))],
                                incentive_cap=D("5"), penalty_cap=D("10"))
    assert result == (D("4.12"), D("0.00"), D("4.12"))


def test_payment_refuses_float_money():
    with pytest.raises(TypeError):
        payment_adjustment(100000.0, [], incentive_cap=D("5"), penalty_cap=D("10"))


# --- vendor score, ranks, insufficient data, probation --------------------------------------------

def test_vendor_score_is_observation_weighted():
    # (80 * 10 + 60 * 30) / (10 + 30) = (800 + 1800) / 40 = 65; the unscored period is skipped
    assert vendor_score([(80.0, 10), (60.0, 30), (None, 5)]) == 65.0
    assert vendor_score([(None, 5)]) is None
    assert vendor_score([]) is None


def test_vendor_period_composite_is_observation_weighted():
    # (90 * 20 + 70 * 60) / 80 = (1800 + 4200) / 80 = 75
    assert vendor_period_composite([(90.0, 20), (70.0, 60)]) == 75.0


def test_ranks_with_ties():
    scores = {"Harbor": 88.5, "Summit": 72.0, "Ridge": 72.0, "Delta": 60.25, "New": None}
    assert rank(scores) == {"Harbor": 1, "Summit": 2, "Ridge": 2, "Delta": 4, "New": None}


def test_ranks_treat_float_noise_as_a_tie():
    # 0.1 + 0.2 = 0.30000000000000004 in floats; rounded to 9 decimals both are 0.3
    assert rank({"a": 0.1 + 0.2, "b": 0.3, "c": 0.2}) == {"a": 1, "b": 1, "c": 3}


@pytest.mark.parametrize("periods, observations, expected", [
    (2, 100, True),   # fewer than 3 scored periods
    (3, 29, True),    # fewer than 30 observations
    (2, 29, True),
    (3, 30, False),   # exactly at both thresholds is enough
])
def test_insufficient_data(periods, observations, expected):
    assert insufficient_data(periods, observations) is expected


def test_probation_uses_the_two_most_recent_scored_periods():
    composites = {"2026-01": 45.0, "2026-02": 48.0, "2026-03": None, "2026-04": 60.0, "2026-05": 30.0}
    # up to 2026-03: March unscored, so January (45) and February (48): both below 50
    assert on_probation(composites, "2026-03") is True
    # up to 2026-04: February (48) and April (60): April is not below 50
    assert on_probation(composites, "2026-04") is False
    # with threshold 65: 48 and 60 are both below
    assert on_probation(composites, "2026-04", threshold=D("65")) is True
    # up to 2026-02: January and February; May is after the period and does not count
    assert on_probation(composites, "2026-02") is True


def test_probation_needs_two_scored_periods_and_strictly_below():
    assert on_probation({"2026-01": 10.0, "2026-02": None}, "2026-02") is False
    assert on_probation({"2026-01": 50.0, "2026-02": 40.0}, "2026-02") is False  # 50 is not below 50
    assert on_probation({}, "2026-02") is False


def test_window_of_six_months_ends_at_the_period():
    assert window_periods("2026-03") == ["2025-10", "2025-11", "2025-12", "2026-01", "2026-02", "2026-03"]
    assert window_periods("2026-03", 1) == ["2026-03"]
    assert math.isclose(vendor_score([(70.0, 1), (70.0, 1)]), 70.0)
