"""The contract language written from a clause's terms (scoring/clause_language.py).

Each test reads the produced text and checks the sentences a vendor and a lawyer would rely on:
how the monthly value is formed, the target and minimum, the scoring curve, the payments.
"""
from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts_app.contracts.clause_language import clause_language, clause_measure, format_number, format_percent, target_phrase

D = Decimal


def terms(**overrides) -> dict:
    base = {
        "key": "pci_after", "label": "Pavement condition after resurfacing", "unit": "PCI",
        "direction": "higher", "aggregation": "mean", "curve": "linear",
        "target": D("90"), "minimum": D("80"), "weight": D("20"),
        "incentive_pct": D("1"), "penalty_pct": D("2"),
        "valid_min": D("0"), "valid_max": D("100"), "aliases": ["PCI"],
        "row_standard": None, "row_direction": None, "denominator": None,
        "scale": D("1"), "cap": D("1"), "language": "",
    }
    base.update(overrides)
    return base


def text(t: dict | None = None, work_unit: str = "lane-mile", **caps) -> str:
    return clause_language(terms() if t is None else t, work_unit=work_unit, **caps)


def sentence(text: str, start: str) -> str:
    """The section of the text that starts with `start` (e.g. "Scoring.") up to the next section."""
    headings = "Measure|Monthly value|Target and minimum|Target|Scoring|Weight|Incentive|Penalty|Caps"
    match = re.search(re.escape(start) + r".*?(?=[ \n](?:" + headings + r")\. |$)", text)
    assert match, f"no section {start!r} in: {text}"
    return match.group(0)


# --- numbers ----------------------------------------------------------------------------------

@pytest.mark.parametrize("value, expected", [
    (D("90"), "90"), (D("90.000000"), "90"), (D("0.5"), "0.5"), (D("0.500000"), "0.5"),
    (D("1.25"), "1.25"), (D("1E+2"), "100"), (D("-0"), "0"), (D("12500"), "12,500"), (3, "3"),
])
def test_numbers_are_written_without_trailing_zeros(value, expected):
    assert format_number(value) == expected


def test_percents_are_written_with_a_space_before_the_sign():
    assert format_percent(D("2.00")) == "2 %"
    assert format_percent(D("0.5")) == "0.5 %"
    assert format_percent(None, "[incentive] %") == "[incentive] %"


# --- what is measured -------------------------------------------------------------------------

def test_measure_names_label_column_unit_work_unit_aliases_and_valid_range():
    measure = sentence(text(), "Measure.")
    assert measure == (
        "Measure. This clause measures “Pavement condition after resurfacing” (in PCI), reported in "
        "the column “pci_after” of the monthly performance sheet, one row per unit of work "
        "(work unit: lane-mile). The column “pci_after” may also be headed “PCI”. A value in the "
        "column “pci_after” outside the range 0 to 100 is an input error and must be corrected "
        "before the month is scored. Higher monthly values are better."
    )


def test_several_aliases_are_listed_with_or():
    measure = sentence(text(terms(aliases=["IRI", "IRI (in/mi)", "roughness"])), "Measure.")
    assert "may also be headed “IRI”, “IRI (in/mi)” or “roughness”." in measure


def test_lower_is_better_is_said():
    assert "Lower monthly values are better." in text(terms(direction="lower", target=D("80"), minimum=D("90")))


# --- the monthly value, for each aggregation ---------------------------------------------------

EMPTY_IS_MISSING = (
    "An empty cell is a missing value, never a zero: rows with an empty cell for this measure are "
    "left out, and a month with no values has no monthly value for this clause."
)


@pytest.mark.parametrize("direction", ["higher", "lower"])
def test_mean_is_the_average_of_the_months_values(direction):
    t = terms(direction=direction, aggregation="mean",
              **({"target": D("80"), "minimum": D("90")} if direction == "lower" else {}))
    monthly = sentence(text(t), "Monthly value.")
    assert monthly == (
        "Monthly value. For each calendar month, the monthly value is the average (arithmetic mean) "
        "of the values reported for that month. " + EMPTY_IS_MISSING
    )


def test_median_explains_the_middle_value():
    monthly = sentence(text(terms(aggregation="median", key="repair_hours", unit="hours", direction="lower",
                                  target=D("48"), minimum=D("96"))), "Monthly value.")
    assert monthly.startswith(
        "Monthly value. For each calendar month, the monthly value is the median of the values reported "
        "for that month. The median is the middle value, or the average of the two middle values when "
        "their number is even."
    )
    assert monthly.endswith(EMPTY_IS_MISSING)


def test_sum_is_the_total_of_the_months_values():
    monthly = sentence(text(terms(aggregation="sum", unit="lane-miles")), "Monthly value.")
    assert "the monthly value is the sum of the values reported for that month." in monthly
    assert EMPTY_IS_MISSING in monthly


@pytest.mark.parametrize("direction", ["higher", "lower"])
def test_percent_true_is_the_share_of_rows_answered_yes(direction):
    t = terms(aggregation="percent_true", unit="%", key="on_time", direction=direction,
              valid_min=None, valid_max=None,
              **({"target": D("5"), "minimum": D("15")} if direction == "lower" else {"target": D("95")}))
    out = text(t)
    monthly = sentence(out, "Monthly value.")
    assert monthly.startswith(
        "Monthly value. For each calendar month, the monthly value is the percentage of rows answered yes. "
        "It is computed as 100 × the number of rows answered yes ÷ the number of rows answered yes or no. "
        "A yes is written yes, y, true, 1 or x; a no is written no, n, false or 0; any other entry is an "
        "input error."
    )
    assert "answered yes or no in the column “on_time”" in sentence(out, "Measure.")
    if direction == "higher":
        assert "The target is a monthly value of at least 95 %; the minimum is 80 %." in out
    else:
        assert "The target is a monthly value of at most 5 %; the minimum is 15 %." in out


@pytest.mark.parametrize("row_direction, words", [("lower", "at or below"), ("higher", "at or above")])
def test_percent_meeting_names_the_row_standard_and_its_direction(row_direction, words):
    t = terms(key="iri", label="Smooth ride", unit="%", aggregation="percent_meeting", row_standard=D("95.000000"),
              row_direction=row_direction, target=D("90"), minimum=D("70"), valid_min=D("20"), valid_max=D("400"))
    monthly = sentence(text(t), "Monthly value.")
    assert monthly.startswith(
        "Monthly value. For each calendar month, the monthly value is the percentage of rows whose value "
        f"meets the row standard, a value {words} 95. It is computed as 100 × the number of rows with a "
        f"value {words} 95 ÷ the number of rows with a value."
    )
    # The period value itself is higher-is-better here, whatever the row standard's direction.
    assert "Higher monthly values are better." in text(t)
    assert "full credit (100 %) when the monthly value is at or above 90 %" in text(t)


@pytest.mark.parametrize("direction", ["higher", "lower"])
def test_ratio_aggregation_divides_by_the_denominator_column(direction):
    t = terms(key="defects", label="Defects per lane-mile", unit="defects/lane-mile", aggregation="ratio",
              denominator="lane_miles", direction=direction,
              **({"target": D("0.5"), "minimum": D("2")} if direction == "lower" else {"target": D("2"), "minimum": D("0.5")}))
    out = text(t)
    assert sentence(out, "Monthly value.").startswith(
        "Monthly value. For each calendar month, the monthly value is the sum of the values in the column "
        "“defects” divided by the sum of the values in the column “lane_miles” over the same rows. A month "
        "in which the column “lane_miles” sums to zero over those rows has no monthly value."
    )
    assert "computed from the columns “defects” and “lane_miles”" in sentence(out, "Measure.")
    assert clause_measure(t) == f"sum of “defects” ÷ sum of “lane_miles”; {direction} is better"


def test_scale_other_than_one_multiplies_the_monthly_value():
    t = terms(aggregation="ratio", key="defects", denominator="lane_miles", scale=D("100.000000"),
              unit="defects per 100 lane-miles", direction="lower", target=D("50"), minimum=D("200"))
    monthly = sentence(text(t), "Monthly value.")
    assert monthly.startswith(
        "Monthly value. For each calendar month, the monthly value is 100 times the sum of the values in the "
        "column “defects” divided by the sum of the values in the column “lane_miles” over the same rows."
    )
    assert clause_measure(t).startswith("100 × sum of “defects”")


def test_scale_of_one_is_not_mentioned():
    assert "times" not in sentence(text(terms(scale=D("1.000000"))), "Monthly value.")


# --- target, minimum and the scoring curves ----------------------------------------------------

def test_linear_higher_is_better():
    out = text(terms(target=D("90.000000"), minimum=D("80.000000")))
    assert sentence(out, "Target and minimum.") == (
        "Target and minimum. The target is a monthly value of at least 90 PCI; the minimum is 80 PCI."
    )
    assert sentence(out, "Scoring.") == (
        "Scoring. Attainment is full credit (100 %) when the monthly value is at or above 90 PCI, no credit "
        "(0 %) when it is at or below 80 PCI, and proportional on a straight line in between: "
        "100 % × (monthly value − 80) ÷ (90 − 80)."
    )


def test_linear_lower_is_better():
    t = terms(key="complaints", label="Resident complaints per work order", unit="complaints",
              direction="lower", target=D("0.2"), minimum=D("1.0"))
    out = text(t)
    assert sentence(out, "Target and minimum.") == (
        "Target and minimum. The target is a monthly value of at most 0.2 complaints; the minimum is 1 complaints."
    )
    assert sentence(out, "Scoring.") == (
        "Scoring. Attainment is full credit (100 %) when the monthly value is at or below 0.2 complaints, no "
        "credit (0 %) when it is at or above 1 complaints, and proportional on a straight line in between: "
        "100 % × (1 − monthly value) ÷ (1 − 0.2)."
    )


def test_ratio_curve_higher_is_capped_at_cap_times_100_percent():
    out = text(terms(curve="ratio", cap=D("1.25"), minimum=None))
    assert sentence(out, "Scoring.") == (
        "Scoring. Attainment is the monthly value divided by the target, 100 % × monthly value ÷ 90, capped at 125 %."
    )
    assert sentence(out, "Target and minimum.") == (
        "Target and minimum. The target is a monthly value of at least 90 PCI; no minimum is set."
    )
    assert "Penalty. This clause sets no minimum, so no penalty applies under it." in out


def test_ratio_curve_lower_divides_the_target_by_the_value_and_zero_earns_the_cap():
    out = text(terms(curve="ratio", cap=D("1.25"), direction="lower", target=D("48"), minimum=D("96"), unit="hours"))
    assert sentence(out, "Scoring.") == (
        "Scoring. Attainment is the target divided by the monthly value, 100 % × 48 ÷ monthly value, capped at "
        "125 %; a monthly value of 0 earns 125 %."
    )
    # With a minimum, the ratio curve still charges the penalty below it.
    assert sentence(out, "Penalty.") == (
        "Penalty. When the monthly value is worse than the minimum (above 96 hours), the City deducts a penalty "
        "of 2 % of that month's invoice."
    )


def test_ratio_curve_default_cap_is_100_percent():
    assert "capped at 100 %." in text(terms(curve="ratio", cap=None))
    assert "capped at 100 %." in text(terms(curve="ratio", cap=D("1.000000")))


@pytest.mark.parametrize("direction, better, worse, target", [
    ("higher", "at or above", "below", D("90")), ("lower", "at or below", "above", D("5")),
])
def test_pass_fail_gives_full_or_no_credit_and_penalises_missing_the_target(direction, better, worse, target):
    out = text(terms(curve="pass_fail", direction=direction, target=target, minimum=None, unit="%",
                     aggregation="percent_true"))
    not_worse = "at least" if direction == "higher" else "at most"
    assert sentence(out, "Target.") == (
        f"Target. The target is a monthly value of {not_worse} {target} %; pass/fail scoring uses no minimum."
    )
    assert sentence(out, "Scoring.") == (
        f"Scoring. Pass or fail: full credit (100 %) when the monthly value is {better} {target} %, otherwise "
        "no credit (0 %)."
    )
    assert sentence(out, "Penalty.") == (
        f"Penalty. When the monthly value does not meet the target ({worse} {target} %), the City deducts a "
        "penalty of 2 % of that month's invoice."
    )


# --- weight, incentive, penalty, caps -----------------------------------------------------------

def test_weight_in_the_composite():
    assert sentence(text(terms(weight=D("20.000000"))), "Weight.") == (
        "Weight. This clause carries a weight of 20 out of 100 in the contract's monthly composite score, the "
        "weighted average of the attainment of the clauses that have a monthly value."
    )


@pytest.mark.parametrize("direction, target, minimum, better, worse", [
    ("higher", D("90"), D("80"), "at or above 90 PCI", "below 80 PCI"),
    ("lower", D("0.5"), D("2"), "at or below 0.5 PCI", "above 2 PCI"),
])
def test_incentive_and_penalty_with_the_contracts_caps(direction, target, minimum, better, worse):
    out = text(terms(direction=direction, target=target, minimum=minimum, incentive_pct=D("1.5"), penalty_pct=D("2")),
               incentive_cap=D("5.00"), penalty_cap=D("10.00"))
    assert sentence(out, "Incentive.") == (
        f"Incentive. When the monthly value meets the target ({better}), the City pays the Contractor an "
        "incentive of 1.5 % of that month's invoice."
    )
    assert sentence(out, "Penalty.") == (
        f"Penalty. When the monthly value is worse than the minimum ({worse}), the City deducts a penalty of "
        "2 % of that month's invoice."
    )
    assert sentence(out, "Caps.") == (
        "Caps. The incentives of all clauses together are capped at 5 % of the month's invoice, and the "
        "penalties of all clauses together at 10 % of the month's invoice. A month with no monthly value for "
        "this clause earns neither incentive nor penalty under it."
    )


def test_zero_incentive_and_penalty_are_said_plainly():
    out = text(terms(incentive_pct=D("0"), penalty_pct=D("0.000000")))
    assert "Incentive. This clause carries no incentive." in out
    assert "Penalty. This clause carries no penalty." in out


def test_caps_not_given_refer_to_the_contracts_caps():
    caps = sentence(text(), "Caps.")
    assert caps.startswith(
        "Caps. The incentives of all clauses together are capped at the contract's incentive cap, and the "
        "penalties of all clauses together at the contract's penalty cap."
    )


def test_a_zero_cap_is_a_cap_of_zero():
    assert "capped at 0 % of the month's invoice" in text(incentive_cap=D("0"), penalty_cap=D("10"))


def test_target_phrase_for_tables():
    assert target_phrase(terms()) == "at least 90 PCI"
    assert target_phrase(terms(direction="lower", target=D("0.500000"), unit="")) == "at most 0.5"


# --- partial terms (the editor's live preview) ---------------------------------------------------

def test_incomplete_terms_show_placeholders():
    out = clause_language({"label": "Ride quality", "direction": "higher"}, work_unit="lane-mile")
    assert "This clause measures “Ride quality”, reported in the column [column]" in out
    assert "the monthly value is [aggregation: mean, median, sum, percent_true, percent_meeting or ratio]" in out
    assert "The target is a monthly value of at least [target]; the minimum is [minimum]." in out
    assert "at or above [target], no credit (0 %) when it is at or below [minimum]" in out
    assert "100 % × (monthly value − [minimum]) ÷ ([target] − [minimum])" in out
    assert "a weight of [weight] out of 100" in out
    assert "an incentive of [incentive] % of that month's invoice" in out
    assert "a penalty of [penalty] % of that month's invoice" in out


def test_empty_terms_show_placeholders_for_everything_that_matters():
    out = clause_language({}, work_unit="")
    for placeholder in ("[label]", "[column]", "[work unit]", "[Higher or lower]", "[target]", "[minimum]",
                        "[weight]", "[at least / at most]", "[at or above / at or below]"):
        assert placeholder in out, placeholder


def test_half_typed_numbers_are_placeholders_not_errors():
    out = clause_language(terms(target="9O", minimum="", weight="abc", aggregation="percent_meeting",
                                row_standard=None, row_direction=None), work_unit="lane-mile")
    assert "at least [target] PCI; the minimum is [minimum] PCI" in out
    assert "a value [at or above / at or below] [row standard]" in out
    assert "a weight of [weight] out of 100" in out


def test_ratio_aggregation_without_denominator_shows_a_placeholder():
    out = text(terms(aggregation="ratio", denominator=""))
    assert "divided by the sum of the values in the column [denominator column]" in out


def test_unknown_curve_is_a_placeholder():
    assert "Scoring. [scoring curve: linear, ratio or pass_fail]." in text(terms(curve="sigmoid"))


FIELDS = (
    "key", "label", "unit", "direction", "aggregation", "curve", "target", "minimum", "weight",
    "incentive_pct", "penalty_pct", "valid_min", "valid_max", "aliases", "row_standard",
    "row_direction", "denominator", "scale", "cap", "language",
)
anything = st.one_of(
    st.none(),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.decimals(min_value=-1000, max_value=1000, places=3),
    st.integers(),
    st.floats(),
    st.booleans(),
    st.text(max_size=12),
    st.sampled_from(["higher", "lower", "mean", "median", "sum", "percent_true", "percent_meeting", "ratio",
                     "linear", "pass_fail", "", "  "]),
    st.lists(st.one_of(st.text(max_size=5), st.integers(), st.none()), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


@settings(max_examples=400, deadline=None)
@given(
    partial=st.dictionaries(st.sampled_from(FIELDS), anything),
    work_unit=st.one_of(st.text(max_size=10), st.none()),
    incentive_cap=st.one_of(st.none(), st.decimals(allow_nan=True), st.integers(), st.text(max_size=4)),
    penalty_cap=st.one_of(st.none(), st.decimals(allow_nan=True), st.integers(), st.text(max_size=4)),
)
def test_never_raises_for_arbitrary_partial_terms(partial, work_unit, incentive_cap, penalty_cap):
    out = clause_language(partial, work_unit=work_unit, incentive_cap=incentive_cap, penalty_cap=penalty_cap)
    assert isinstance(out, str) and out.startswith("Measure. ")
    assert "Scoring." in out and "Caps." in out
    assert isinstance(clause_measure(partial), str)
    assert isinstance(target_phrase(partial), str)


@settings(max_examples=200, deadline=None)
@given(
    direction=st.sampled_from(["higher", "lower"]),
    aggregation=st.sampled_from(["mean", "median", "sum", "percent_true", "percent_meeting", "ratio"]),
    curve=st.sampled_from(["linear", "ratio", "pass_fail"]),
    target=st.decimals(min_value=1, max_value=1000, places=2),
)
def test_complete_terms_have_no_placeholder_and_state_the_target(direction, aggregation, curve, target):
    minimum = target / 2 if direction == "higher" else target * 2
    t = terms(direction=direction, aggregation=aggregation, curve=curve, target=target, minimum=minimum,
              row_standard=D("95"), row_direction="lower", denominator="lane_miles")
    out = text(t, incentive_cap=D("5"), penalty_cap=D("10"))
    assert "[" not in out, out
    not_worse = "at least" if direction == "higher" else "at most"
    assert f"The target is a monthly value of {not_worse} {format_number(target)} PCI" in out


def test_each_section_is_its_own_paragraph():
    paragraphs = text().split("\n")
    assert [p.split(".", 1)[0] for p in paragraphs] == [
        "Measure", "Monthly value", "Target and minimum", "Scoring", "Weight", "Incentive"]
