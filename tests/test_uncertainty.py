"""SPEC §3b, shrunk scores and intervals: worked examples (by hand and in exact fractions) and properties."""
from __future__ import annotations

import math
import random
from fractions import Fraction

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from scoring.rankings import rank
from scoring.tolerance import score_key
from scoring.uncertainty import (
    FEWER_THAN_TWO_RANKED,
    NO_TWO_PERIODS,
    Z90,
    category_uncertainty,
    concentration,
    funnel_limits,
    shrink,
)

TOL = 1e-6


def reference(periods_by_vendor: dict, ranked: list) -> dict | None:
    """§3b in exact fractions, written straight from the SPEC's formulas (only the square root is a float)."""
    data = {k: [(Fraction(c), n) for c, n in v] for k, v in periods_by_vendor.items()}
    S = {k: sum(n * c for c, n in v) / sum(n for _, n in v) for k, v in data.items()}
    dof = sum(len(v) - 1 for v in data.values() if len(v) >= 2)
    if dof == 0:
        return None
    sigma2 = sum((c - S[k]) ** 2 for k, v in data.items() if len(v) >= 2 for c, _ in v) / dof
    se2 = {k: sigma2 * sum(n * n for _, n in v) / Fraction(sum(n for _, n in v)) ** 2 for k, v in data.items()}
    m = len(ranked)
    if m < 2:
        return None
    bar = sum(S[k] for k in ranked) / m
    tau2 = max(Fraction(0), sum((S[k] - bar) ** 2 for k in ranked) / (m - 1) - sum(se2[k] for k in ranked) / m)
    if any(se2[k] + tau2 == 0 for k in ranked):
        mu, sum_w = bar, None
    else:
        w = {k: 1 / (se2[k] + tau2) for k in ranked}
        sum_w = sum(w.values())
        mu = sum(w[k] * S[k] for k in ranked) / sum_w
    out = {"sigma2": sigma2, "tau2": tau2, "mu": mu, "vendors": {}}
    for k in data:
        b = Fraction(0) if se2[k] + tau2 == 0 else se2[k] / (se2[k] + tau2)
        theta = S[k] - b * (S[k] - mu)
        s = math.sqrt(se2[k] * (1 - b) + (b * b / sum_w if sum_w is not None else 0))
        out["vendors"][k] = {"theta": float(theta), "low": float(theta) - Z90 * s, "high": float(theta) + Z90 * s}
    for k in ranked:
        v = out["vendors"][k]
        best = 1 + sum(1 for j in ranked if out["vendors"][j]["low"] > v["high"])
        worst = m - sum(1 for j in ranked if out["vendors"][j]["high"] < v["low"])
        v["rank_range"] = (best, worst)
    return out


def assert_matches_reference(periods_by_vendor, ranked):
    got = category_uncertainty(periods_by_vendor, ranked)
    want = reference(periods_by_vendor, ranked)
    assert want is not None and got.available
    assert got.within_variance == pytest.approx(float(want["sigma2"]), abs=TOL)
    assert got.between_variance == pytest.approx(float(want["tau2"]), abs=TOL)
    assert got.category_mean == pytest.approx(float(want["mu"]), abs=TOL)
    for key, w in want["vendors"].items():
        v = got.vendors[key]
        assert v.shrunk_score == pytest.approx(w["theta"], abs=TOL)
        assert v.interval_low == pytest.approx(w["low"], abs=TOL)
        assert v.interval_high == pytest.approx(w["high"], abs=TOL)
        assert v.rank_range == w.get("rank_range")
    return got


# --- worked by hand --------------------------------------------------------------------------------

THREE_VENDORS = {
    # S_A = (800 + 900 + 1400) / 40 = 77.5; squares 2.5² + 12.5² + 7.5² = 218.75; Σn²/(Σn)² = 600/1600
    "A": [(80, 10), (90, 10), (70, 20)],
    # S_B = 65; squares 5² + 5² = 50; 200/400 = 0.5. Two scored months: insufficient data, not ranked
    "B": [(60, 10), (70, 10)],
    # S_C = (2700 + 950 + 850) / 50 = 90; squares 0 + 5² + 5² = 50; 1100/2500 = 0.44
    "C": [(90, 30), (95, 10), (85, 10)],
}


def test_three_vendors_worked_by_hand():
    got = category_uncertainty(THREE_VENDORS, ranked=["A", "C"])
    # σ² = (218.75 + 50 + 50) / (2 + 1 + 2) = 63.75
    assert got.within_variance == pytest.approx(63.75, abs=TOL)
    # se² = 63.75 × 0.375 = 23.90625, 63.75 × 0.5 = 31.875, 63.75 × 0.44 = 28.05
    assert [got.vendors[k].se2 for k in "ABC"] == pytest.approx([23.90625, 31.875, 28.05], abs=TOL)
    # S̄ = 83.75; τ² = (6.25² + 6.25²)/1 − (23.90625 + 28.05)/2 = 78.125 − 25.978125 = 52.146875
    assert got.between_variance == pytest.approx(52.146875, abs=TOL)
    # w_A = 1/76.053125, w_C = 1/80.196875;
    # μ = (77.5 × 80.196875 + 90 × 76.053125) / (80.196875 + 76.053125) = 13060.0390625 / 156.25 = 83.58425
    assert got.category_mean == pytest.approx(83.58425, abs=TOL)
    # B_A = 23.90625/76.053125 = 0.3143362; θ_A = 77.5 + B_A × 6.08425 = 79.4125
    # B_C = 28.05/80.196875 = 0.3497643;   θ_C = 90 − B_C × 6.41575 = 87.756
    # B_B = 31.875/84.021875 = 0.3793655;  θ_B = 65 + B_B × 18.58425 = 72.0502232
    a, b, c = (got.vendors[k] for k in "ABC")
    assert (a.shrunk_score, b.shrunk_score, c.shrunk_score) == pytest.approx((79.4125, 72.0502232, 87.756), abs=TOL)
    # Σw = 156.25 / (76.053125 × 80.196875) = 0.0256180174
    # s_A² = 23.90625 × (1 − B_A) + B_A²/Σw = 16.3918 + 3.8568 = 20.2486; s_A = 4.4998437
    assert (a.sd, b.sd, c.sd) == pytest.approx((4.4998437, 5.0398983, 4.7973393), abs=TOL)
    # intervals θ ± 1.6448536 s
    assert (a.interval_low, a.interval_high) == pytest.approx((72.0109158, 86.8140842), abs=TOL)
    assert (b.interval_low, b.interval_high) == pytest.approx((63.7603283, 80.3401180), abs=TOL)
    assert (c.interval_low, c.interval_high) == pytest.approx((79.8650792, 95.6469208), abs=TOL)
    # B's high end 80.34 is below μ; A and C straddle it
    assert (a.comparison, b.comparison, c.comparison) == ("within", "below", "within")
    # A's and C's intervals overlap: each could be 1st or 2nd; B is not ranked, so no range
    assert (a.rank_range, b.rank_range, c.rank_range) == ((1, 2), None, (1, 2))
    assert_matches_reference(THREE_VENDORS, ["A", "C"])


def test_clear_leader_and_laggard_get_narrow_rank_ranges():
    data = {
        "top": [(95, 100), (96, 100), (94, 100), (95, 100)],
        "mid": [(70, 100), (71, 100), (69, 100), (70, 100)],
        "low": [(40, 100), (41, 100), (39, 100), (40, 100)],
        "mid2": [(70.5, 100), (69.5, 100), (70, 100), (70, 100)],
    }
    got = assert_matches_reference(data, list(data))
    assert got.vendors["top"].rank_range == (1, 1) and got.vendors["top"].comparison == "above"
    assert got.vendors["low"].rank_range == (4, 4) and got.vendors["low"].comparison == "below"
    assert got.vendors["mid"].rank_range == (2, 3) and got.vendors["mid2"].rank_range == (2, 3)


# --- degenerate cases ------------------------------------------------------------------------------

def test_one_vendor_has_no_interval_and_says_why():
    got = category_uncertainty({"A": [(80, 10), (90, 10), (70, 20)]}, ranked=["A"])
    assert not got.available and got.why_none == FEWER_THAN_TWO_RANKED
    assert got.within_variance == pytest.approx(109.375)  # 218.75 / 2: σ² exists, the category does not
    v = got.vendors["A"]
    assert v.score == 77.5 and v.shrunk_score is None and v.interval_low is None and v.rank_range is None
    assert got.category_mean is None and got.between_variance is None


def test_no_vendor_with_two_scored_periods_has_no_sigma():
    got = category_uncertainty({"A": [(80, 40)], "B": [(60, 50)], "C": [(None, 0), (70, 0)]}, ranked=["A", "B"])
    assert got.within_variance is None and got.why_none == NO_TWO_PERIODS
    assert set(got.vendors) == {"A", "B"}  # C has no scored period: not considered at all
    assert got.vendors["A"].shrunk_score is None


def test_tau_zero_shrinks_everyone_to_the_category_mean():
    # equal scores: the spread of S is 0, so τ² = max(0, 0 − mean se²) = 0 and B = 1
    data = {"A": [(70, 10), (90, 10)], "B": [(60, 30), (100, 30)], "C": [(80, 5), (80, 5)]}
    got = assert_matches_reference(data, ["A", "B", "C"])
    assert got.between_variance == 0
    # σ² = (200 + 800 + 0)/3; se² = σ²/2 for A and B, C's is σ²/2 too: w = 1/se²
    assert got.category_mean == pytest.approx(80, abs=TOL)
    for v in got.vendors.values():
        assert v.shrinkage == pytest.approx(1) and v.shrunk_score == pytest.approx(80, abs=TOL)
        assert v.comparison == "within" and v.rank_range == (1, 3)


def test_sigma_zero_keeps_scores_and_gives_points():
    # every vendor's months are equal: σ² = 0, se² = 0, so B = 0, θ = S and the interval is a point
    data = {"A": [(90, 10), (90, 20)], "B": [(70, 10), (70, 10), (70, 30)], "C": [(80, 10), (80, 10)]}
    got = assert_matches_reference(data, ["A", "B", "C"])
    assert got.within_variance == 0 and got.between_variance == pytest.approx(100)
    assert got.category_mean == pytest.approx(80) and not got.plain_mean
    assert [got.vendors[k].shrunk_score for k in "ABC"] == pytest.approx([90, 70, 80])
    assert [got.vendors[k].sd for k in "ABC"] == [0, 0, 0]
    assert [got.vendors[k].comparison for k in "ABC"] == ["above", "below", "within"]
    assert [got.vendors[k].rank_range for k in "ABC"] == [(1, 1), (3, 3), (2, 2)]


def test_sigma_and_tau_zero_use_the_plain_mean():
    data = {"A": [(75, 10), (75, 20)], "B": [(75, 3), (75, 90)]}
    got = category_uncertainty(data, ["A", "B"])
    assert got.within_variance == 0 and got.between_variance == 0 and got.plain_mean
    assert got.category_mean == 75 and got.sum_weights is None
    for v in got.vendors.values():
        assert (v.shrinkage, v.shrunk_score, v.sd, v.comparison, v.rank_range) == (0, 75, 0, "within", (1, 2))


def test_funnel_limits_pass_through_each_vendors_own_interval_width():
    periods = [(80, 10), (90, 10), (70, 20)]
    rho = sum(n * n for _, n in periods) / sum(n for _, n in periods)  # 15
    low, high = funnel_limits(80.0, 63.75, rho, 40)
    assert high - 80 == pytest.approx(Z90 * math.sqrt(63.75 * concentration(periods)))
    assert 80 - low == pytest.approx(high - 80)


# --- properties ------------------------------------------------------------------------------------

composite = st.floats(min_value=0, max_value=100, allow_nan=False).map(lambda c: round(c, 6))  # as stored sheets give
observations = st.integers(min_value=1, max_value=500)
vendor_periods = st.lists(st.tuples(composite, observations), min_size=1, max_size=8)
categories = st.dictionaries(st.sampled_from("ABCDEFGH"), vendor_periods, min_size=2, max_size=8)
thorough = settings(deadline=None, max_examples=150)


def _ranked(data):
    return [k for k, v in data.items() if len(v) >= 3 and sum(n for _, n in v) >= 30]


@thorough
@given(categories)
def test_shrunk_score_lies_between_score_and_mean(data):
    got = category_uncertainty(data, _ranked(data))
    assume(got.available)
    for v in got.vendors.values():
        low, high = sorted((v.score, got.category_mean))
        assert low - 1e-9 <= v.shrunk_score <= high + 1e-9
        assert v.interval_low <= v.shrunk_score <= v.interval_high


@thorough
@given(categories)
def test_matches_exact_fractions(data):
    ranked = _ranked(data)
    got = category_uncertainty(data, ranked)
    assume(got.available)
    want = reference(data, ranked)
    assert got.category_mean == pytest.approx(float(want["mu"]), abs=TOL)
    for key, w in want["vendors"].items():
        assert got.vendors[key].shrunk_score == pytest.approx(w["theta"], abs=TOL)
        assert got.vendors[key].interval_high == pytest.approx(w["high"], abs=TOL)


@thorough
@given(st.floats(0, 100), st.floats(0.01, 1e3), st.floats(0, 1e3), st.floats(0, 100), st.floats(0.001, 10),
       st.floats(1.01, 10))
def test_intervals_widen_as_the_standard_error_grows(score, se2, tau2, mean, sum_w, factor):
    _, _, narrow = shrink(score, se2, tau2, mean, sum_w)
    _, _, wide = shrink(score, se2 * factor, tau2, mean, sum_w)
    assert wide >= narrow - 1e-12


@thorough
@given(st.integers(2, 60), observations, categories)
def test_fewer_months_of_observations_mean_a_wider_interval(months, n, data):
    # a vendor measured alike each month: one month fewer means a larger se² (σ² × 1/k) and a wider interval
    assert concentration([(50.0, n)] * (months - 1)) > concentration([(50.0, n)] * months)
    ranked = _ranked(data)
    got = category_uncertainty(data, ranked)
    assume(got.available)
    sigma2, tau2, mu, sum_w = got.within_variance, got.between_variance, got.category_mean, got.sum_weights
    widths = [shrink(70.0, sigma2 / k, tau2, mu, sum_w)[2] for k in range(months, 0, -1)]
    assert widths == sorted(widths)


@thorough
@given(st.floats(0, 100), st.floats(0.01, 1e3), st.floats(0, 1e3), st.floats(0, 100), st.floats(1.01, 10))
def test_more_between_vendor_spread_shrinks_less(score, se2, tau2, mean, factor):
    b, theta, _ = shrink(score, se2, tau2, mean, None)
    b_more, theta_more, _ = shrink(score, se2, tau2 * factor + 1e-6, mean, None)
    assert b_more <= b + 1e-12
    assert abs(theta_more - score) <= abs(theta - score) + 1e-9


@thorough
@given(categories, st.floats(1.5, 4))
def test_spreading_the_vendors_apart_shrinks_less(data, stretch):
    ranked = _ranked(data)
    before = category_uncertainty(data, ranked)
    assume(before.available and before.between_variance > 0)
    mean = before.category_mean
    # move every vendor's months further from the mean by the same amount: σ² stays, τ² grows
    spread = {k: [(c + (before.vendors[k].score - mean) * (stretch - 1), n) for c, n in v] for k, v in data.items()}
    after = category_uncertainty(spread, ranked)
    assert after.within_variance == pytest.approx(before.within_variance, rel=1e-6, abs=1e-6)
    assert after.between_variance >= before.between_variance - 1e-6
    for k in data:
        assert after.vendors[k].shrinkage <= before.vendors[k].shrinkage + 1e-9


SEPARATED = {"A": [(90.0, 100), (91.0, 100), (89.0, 100), (90.5, 100)],  # intervals far apart: ranks (1, 1) ...
             "B": [(50.0, 100), (51.0, 100), (49.0, 100), (50.5, 100)],
             "C": [(10.0, 100), (11.0, 100), (9.0, 100), (10.5, 100)]}


@thorough
@given(categories)
@example(SEPARATED)
def test_rank_ranges_contain_the_rank(data):
    ranked = _ranked(data)
    got = category_uncertainty(data, ranked)
    assume(got.available)
    by_theta = rank({k: got.vendors[k].shrunk_score for k in ranked})
    intervals = {k: (got.vendors[k].interval_low, got.vendors[k].interval_high) for k in ranked}
    for k in ranked:
        best, worst = got.vendors[k].rank_range
        assert 1 <= best <= by_theta[k] <= worst <= len(ranked)
        # SPEC §3b counted one vendor at a time (compared as stored, to 9 decimals): best = 1 + #lows above my
        # high, worst = m − #highs below my low
        low, high = map(score_key, intervals[k])
        assert best == 1 + sum(score_key(other_low) > high for other_low, _ in intervals.values())
        assert worst == len(ranked) - sum(score_key(other_high) < low for _, other_high in intervals.values())


@thorough
@given(st.lists(st.lists(composite, min_size=3, max_size=6), min_size=2, max_size=8), observations)
def test_rank_ranges_contain_the_section_3_rank_when_vendors_are_measured_alike(months, n):
    # equal month sizes: every se² is equal, so shrinkage keeps the order of S and the rank of §3
    size = min(len(m) for m in months)
    data = {f"V{i}": [(c, max(n, 10)) for c in m[:size]] for i, m in enumerate(months)}
    got = category_uncertainty(data, list(data))
    assume(got.available)
    ranks = rank({k: v.score for k, v in got.vendors.items()})
    for k, v in got.vendors.items():
        assert v.rank_range[0] <= ranks[k] <= v.rank_range[1]


@thorough
@given(categories, st.randoms(use_true_random=False))
def test_permuting_vendors_changes_nothing(data, rnd):
    ranked = _ranked(data)
    keys = list(data)
    rnd.shuffle(keys)
    shuffled_ranked = list(ranked)
    rnd.shuffle(shuffled_ranked)
    one = category_uncertainty(data, ranked)
    two = category_uncertainty({k: data[k] for k in keys}, shuffled_ranked)
    assert one.why_none == two.why_none
    for name in ("within_variance", "between_variance", "category_mean"):
        a, b = getattr(one, name), getattr(two, name)
        assert (a is None and b is None) or a == pytest.approx(b, rel=1e-12, abs=1e-9)
    for k in data:
        a, b = one.vendors[k], two.vendors[k]
        assert a.rank_range == b.rank_range and a.comparison == b.comparison
        assert (a.shrunk_score is None and b.shrunk_score is None) or a.shrunk_score == pytest.approx(b.shrunk_score)


def test_random_categories_match_fractions():
    rnd = random.Random(3)
    for _ in range(20):
        data = {f"V{i}": [(rnd.uniform(20, 100), rnd.randint(1, 200)) for _ in range(rnd.randint(1, 7))]
                for i in range(rnd.randint(2, 9))}
        ranked = _ranked(data)
        if len(ranked) >= 2 and any(len(v) >= 2 for v in data.values()):
            assert_matches_reference(data, ranked)
