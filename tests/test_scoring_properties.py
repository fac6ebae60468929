"""Properties the scoring method (SPEC §3) must keep for every input, checked with hypothesis."""
from __future__ import annotations

from decimal import Decimal

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from scoring.aggregation import period_value
from scoring.attainment import attainment, clause_status
from scoring.composite import composite_and_coverage
from scoring.payments import payment_adjustment
from scoring.rankings import observation_weighted_mean, on_probation, rank
from scoring.tolerance import score_key

thorough = settings(deadline=None, max_examples=200)

numbers = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
positive = st.floats(min_value=1e-3, max_value=1e6, allow_nan=False, allow_infinity=False)
directions = st.sampled_from(["higher", "lower"])
caps = st.floats(min_value=0.1, max_value=3.0, allow_nan=False)
missing = st.sampled_from([None, float("nan")])


@st.composite
def clause_terms(draw):
    """direction, curve, target, minimum (on the worse side of the target), cap."""
    direction = draw(directions)
    curve = draw(st.sampled_from(["linear", "ratio", "pass_fail"]))
    target = draw(positive if curve == "ratio" else numbers)
    gap = draw(positive)
    minimum = target - gap if direction == "higher" else target + gap
    if curve != "linear" and draw(st.booleans()):
        minimum = None
    return {"direction": direction, "curve": curve, "target": target, "minimum": minimum, "cap": draw(caps)}


# --- attainment -----------------------------------------------------------------------------------

@thorough
@given(clause_terms(), numbers, numbers)
def test_attainment_is_bounded_and_monotone(terms, v1, v2):
    low, high = sorted((v1, v2))
    a_low, a_high = attainment(low, **terms), attainment(high, **terms)
    top = 100.0 * terms["cap"] if terms["curve"] == "ratio" else 100.0
    for a in (a_low, a_high):
        assert 0.0 <= a <= top + 1e-9
    if terms["direction"] == "higher":
        assert a_low <= a_high
    else:
        assert a_low >= a_high


@thorough
@given(clause_terms(), numbers)
def test_status_agrees_with_attainment(terms, value):
    status = clause_status(value, **{k: v for k, v in terms.items() if k != "cap"})
    a = attainment(value, **terms)
    assert status in ("met", "partial", "failed")
    if status == "met" and terms["curve"] != "ratio":
        assert a == 100.0
    if terms["curve"] == "pass_fail":
        assert (status == "met") == (a == 100.0)
    if terms["curve"] == "linear" and status == "failed":
        assert a == 0.0
    if terms["curve"] == "pass_fail":
        assert status in ("met", "failed")
    if terms["minimum"] is None and terms["curve"] != "pass_fail":
        assert status != "failed"


@thorough
@given(clause_terms())
def test_no_value_is_no_data(terms):
    assert attainment(None, **terms) is None
    assert clause_status(None, **{k: v for k, v in terms.items() if k != "cap"}) == "no_data"


# --- composite ------------------------------------------------------------------------------------

clause_results = st.lists(
    st.tuples(
        st.decimals(min_value=Decimal("0.01"), max_value=Decimal("100"), places=2),
        st.one_of(st.none(), st.floats(min_value=0, max_value=125, allow_nan=False)),
    ),
    max_size=12,
)


@thorough
@given(clause_results)
def test_composite_lies_between_the_attainments_and_coverage_is_a_fraction(results):
    composite, coverage = composite_and_coverage(results)
    assert 0.0 <= coverage <= 1.0
    scored = [a for _, a in results if a is not None]
    if not scored:
        assert composite is None
        assert coverage == 0.0
    else:
        assert min(scored) <= composite <= max(scored)
        if len(scored) == len(results):
            assert coverage == 1.0
        else:
            assert coverage < 1.0


# --- payments -------------------------------------------------------------------------------------

percents = st.decimals(min_value=Decimal("0"), max_value=Decimal("100"), places=3)
payment_clauses = st.lists(
    st.tuples(st.sampled_from(["met", "partial", "failed", "no_data"]), percents, percents), max_size=10
)


@thorough
@given(
    st.decimals(min_value=Decimal("0"), max_value=Decimal("99999999999999.99"), places=2),
    payment_clauses,
    percents,
    percents,
)
def test_bonus_and_penalty_stay_within_their_caps(invoice, clauses, incentive_cap, penalty_cap):
    result = payment_adjustment(invoice, clauses, incentive_cap=incentive_cap, penalty_cap=penalty_cap)
    assert all(isinstance(amount, Decimal) for amount in result)
    half_cent = Decimal("0.005")
    assert Decimal(0) <= result.bonus <= invoice * incentive_cap / 100 + half_cent
    assert Decimal(0) <= result.penalty <= invoice * penalty_cap / 100 + half_cent
    assert all(amount == amount.quantize(Decimal("0.01")) for amount in result)  # payable: whole cents
    assert result.net == result.bonus - result.penalty
    if not any(status == "met" for status, _, _ in clauses):
        assert result.bonus == 0
    if not any(status == "failed" for status, _, _ in clauses):
        assert result.penalty == 0


# --- ranks ----------------------------------------------------------------------------------------

scores = st.one_of(
    st.none(),
    st.sampled_from([0.0, 50.0, 72.5, 100.0, 0.1 + 0.2, 0.3]),  # frequent ties, one only by float noise
    st.floats(min_value=0, max_value=125, allow_nan=False),
)


@thorough
@given(st.dictionaries(st.text(min_size=1, max_size=5), scores, max_size=12))
def test_ranks_agree_with_scores(by_vendor):
    ranks = rank(by_vendor)
    assert list(ranks) == list(by_vendor)
    keys = {k: score_key(s) for k, s in by_vendor.items() if s is not None}
    for vendor, score in by_vendor.items():
        if score is None:
            assert ranks[vendor] is None
            continue
        better = sum(1 for other in keys.values() if other > keys[vendor])
        assert ranks[vendor] == 1 + better
        for other, other_key in keys.items():
            if other_key > keys[vendor]:
                assert ranks[other] < ranks[vendor]
            elif other_key == keys[vendor]:
                assert ranks[other] == ranks[vendor]


# --- period values --------------------------------------------------------------------------------

cells = st.lists(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), max_size=30)


def _with_missing(draw, values: list, filler=missing) -> list:
    out = list(values)
    for _ in range(draw(st.integers(min_value=0, max_value=5))):
        out.insert(draw(st.integers(min_value=0, max_value=len(out))), draw(filler))
    return out


@thorough
@given(st.data(), cells, st.sampled_from(["mean", "median", "sum"]))
def test_missing_cells_never_change_numeric_values(data, values, aggregation):
    assert period_value(_with_missing(data.draw, values), aggregation=aggregation) == period_value(
        values, aggregation=aggregation
    )


@thorough
@given(st.data(), st.lists(st.booleans(), max_size=30))
def test_missing_cells_never_change_percent_true(data, values):
    value = period_value(values, aggregation="percent_true")
    assert period_value(_with_missing(data.draw, values), aggregation="percent_true") == value
    assert value is None if not values else 0.0 <= value <= 100.0


@thorough
@given(st.data(), cells, numbers, directions)
def test_percent_meeting_is_a_percent_and_ignores_missing_cells(data, values, standard, direction):
    terms = {"aggregation": "percent_meeting", "row_standard": standard, "row_direction": direction}
    value = period_value(values, **terms)
    assert period_value(_with_missing(data.draw, values), **terms) == value
    assert value is None if not values else 0.0 <= value <= 100.0


@thorough
@given(st.data(), st.lists(st.tuples(numbers, st.floats(min_value=0, max_value=1e4, allow_nan=False)), max_size=30))
def test_ratio_ignores_rows_missing_either_cell(data, rows):
    values = [v for v, _ in rows]
    denominators = [d for _, d in rows]
    expected = period_value(values, aggregation="ratio", denominators=denominators)
    more_rows = _with_missing(data.draw, rows, st.tuples(st.one_of(numbers, missing), missing)
                              | st.tuples(missing, st.one_of(positive, missing)))
    assert period_value(
        [v for v, _ in more_rows], aggregation="ratio", denominators=[d for _, d in more_rows]
    ) == expected


@thorough
@given(cells)
def test_mean_and_median_lie_within_the_values(values):
    assume(values)
    for aggregation in ("mean", "median"):
        value = period_value(values, aggregation=aggregation)
        assert min(values) <= value <= max(values)


# --- vendor scores and probation ------------------------------------------------------------------

@thorough
@given(st.lists(st.tuples(st.one_of(st.none(), st.floats(min_value=0, max_value=125)),
                          st.integers(min_value=0, max_value=500)), max_size=12))
def test_observation_weighted_mean_lies_between_the_composites(periods):
    score = observation_weighted_mean(periods)
    counted = [c for c, n in periods if c is not None and n > 0]
    if not counted:
        assert score is None
    else:
        assert min(counted) <= score <= max(counted)


@thorough
@given(st.dictionaries(st.sampled_from([f"2026-{m:02d}" for m in range(1, 13)]),
                       st.one_of(st.none(), st.floats(min_value=0, max_value=125)), max_size=12),
       st.integers(min_value=1, max_value=12))
def test_probation_only_looks_at_the_two_latest_scored_periods(composites, month):
    period = f"2026-{month:02d}"
    scored = sorted((p, c) for p, c in composites.items() if c is not None and p <= period)
    expected = len(scored) >= 2 and all(score_key(c) < 50 for _, c in scored[-2:])
    assert on_probation(composites, period) is expected
