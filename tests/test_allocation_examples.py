"""Worked examples of the work reallocation (SPEC §4), each computed by hand in its comments.

Weights are r = (S/100)^γ; f is the floor share, V the volume. Volumes are exact to the cent.
"""
from __future__ import annotations

from decimal import Decimal

import pytest

from scoring.allocation import AllocationVendor, allocate

D = Decimal


def vendor(name, score=None, *, capacity=None, insufficient=False, probation=False, eligible=True,
           last=None, rank=None) -> AllocationVendor:
    return AllocationVendor(name=name, score=score, insufficient_data=insufficient or score is None,
                            probation=probation, eligible=eligible, capacity=capacity, last_volume=last, rank=rank)


def volumes(result) -> dict[str, Decimal]:
    return {line.name: line.volume for line in result.lines}


def line(result, name):
    return next(line for line in result.lines if line.name == name)


# --- step 3: the floor ----------------------------------------------------------------------------

def test_floor_binding_in_one_pass():
    # r: A 0.9² = 0.81, B 0.6² = 0.36, C 0.2² = 0.04; Σ = 1.21.
    # proportional: A 0.81/1.21 = 0.6694, B 0.36/1.21 = 0.2975, C 0.04/1.21 = 0.0331 < 0.10 -> C fixed at 0.10.
    # the rest 0.90 split A:B = 0.81:0.36 -> A 0.9·0.81/1.17 = 0.623077, B 0.9·0.36/1.17 = 0.276923 (both ≥ 0.10).
    # V = 100: A 62.3077, B 27.6923, C 10.00; floors 62.30 + 27.69 + 10.00 = 99.99, one cent left:
    # remainders A 0.77 ¢, B 0.23 ¢ -> A gets it: 62.31, 27.69, 10.00.
    result = allocate([vendor("A", 90, rank=1), vendor("B", 60, rank=2), vendor("C", 20, rank=3)],
                      volume=D("100"), floor=0.10, gamma=2.0, unit="lane-miles")
    assert volumes(result) == {"A": D("62.31"), "B": D("27.69"), "C": D("10.00")}
    assert result.allocated == D("100.00") and result.unallocated == D("0.00") and not result.floor_dropped
    c = line(result, "C")
    assert c.share_before_floor == pytest.approx(0.04 / 1.21)
    assert c.share_after_floor == pytest.approx(0.10)
    assert c.reason == "Score 20.0 (rank 3): weight 0.04; share 3.3 % raised to the 10 % floor; volume 10 lane-miles"
    assert line(result, "A").reason == ("Score 90.0 (rank 1): weight 0.81; share 62.3 % after the 10 % floor; "
                                        "volume 62.31 lane-miles")
    assert line(result, "A").share == 0.6231


def test_floor_binding_needs_a_second_pass():
    # r: A 0.81, B 0.33² = 0.1089, C 0.01, D 0.01; Σ = 0.9389.
    # pass 1: A 0.8627, B 0.1160, C and D 0.0107 < 0.10 -> C, D fixed at 0.10.
    # pass 2: the rest 0.80 split A:B = 0.81:0.1089 -> B 0.8·0.1089/0.9189 = 0.0948 < 0.10 -> B fixed at 0.10.
    # pass 3: A alone takes 1 - 3·0.10 = 0.70. V = 100: A 70, B 10, C 10, D 10.
    result = allocate([vendor("A", 90), vendor("B", 33), vendor("C", 10), vendor("D", 10)], volume=D("100"))
    assert volumes(result) == {"A": D("70.00"), "B": D("10.00"), "C": D("10.00"), "D": D("10.00")}
    b = line(result, "B")
    assert b.share_before_floor == pytest.approx(0.1089 / 0.9389)  # 11.6 %: above the floor before pass 2
    assert b.share_after_floor == pytest.approx(0.10)
    assert "raised to the 10 % floor" in b.reason


def test_a_score_of_zero_is_weighted_and_still_gets_the_floor():
    # r: A 0.81, Z 0² = 0 -> Z's proportional share 0 < 0.10 -> fixed at 0.10; A takes 0.90. V = 100.
    result = allocate([vendor("A", 90), vendor("Z", 0.0)], volume=D("100"))
    assert volumes(result) == {"A": D("90.00"), "Z": D("10.00")}
    assert line(result, "Z").weight == 0.0
    assert "raised to the 10 % floor" in line(result, "Z").reason


def test_every_weight_zero_splits_equally():
    # r = 0 for both: the rest 1.0 is split equally, 0.5 each (≥ 0.10). V = 50: 25 each.
    result = allocate([vendor("A", 0.0), vendor("B", 0.0)], volume=D("50"))
    assert volumes(result) == {"A": D("25.00"), "B": D("25.00")}


def test_floor_dropped_when_four_vendors_would_need_120_percent():
    # f × n = 0.3 × 4 = 1.2 > 1 -> floor dropped. Trial T1, T2 get 1/4 each; A and B split the rest 0.50
    # in proportion to r: A 0.8² = 0.64, B 0.4² = 0.16 -> A 0.5·0.64/0.80 = 0.40, B 0.5·0.16/0.80 = 0.10.
    # V = 100: A 40, B 10 (below 0.3·100 = 30, allowed once the floor is dropped), T1 25, T2 25.
    result = allocate([vendor("A", 80), vendor("B", 40), vendor("T1"), vendor("T2")], volume=D("100"), floor=0.3)
    assert result.floor_dropped
    assert volumes(result) == {"A": D("40.00"), "B": D("10.00"), "T1": D("25.00"), "T2": D("25.00")}
    assert any(note.startswith("Floor dropped: 30 % for each of 4 eligible vendors") for note in result.notes)
    assert line(result, "T1").reason == ("Trial vendor (insufficient data): fixed share of 1/4 (25 %) as the floor "
                                         "is dropped; volume 25")


def test_all_vendors_with_insufficient_data_share_equally():
    # no eligible vendor has a weight -> 1/3 each; V = 100: 33.333… each; floors 3 × 33.33 = 99.99.
    # one cent left; the remainders (0.33 ¢) and shares (1/3) tie -> the name decides: Alder Paving.
    result = allocate([vendor("Cedar Works"), vendor("Alder Paving"), vendor("Birch Roads")], volume=D("100"))
    assert volumes(result) == {"Cedar Works": D("33.33"), "Alder Paving": D("33.34"), "Birch Roads": D("33.33")}
    assert [l.name for l in result.lines] == ["Cedar Works", "Alder Paving", "Birch Roads"]  # input order kept
    assert line(result, "Birch Roads").reason == (
        "Trial vendor (insufficient data): equal share of 33.3 % (no eligible vendor has a score yet); volume 33.33")
    assert not result.floor_dropped


def test_trial_vendor_gets_the_floor_beside_weighted_vendors():
    # T: fixed 0.10; A and B split 0.90 by r = 0.64 : 0.36 -> A 0.576, B 0.324. V = 1000: 576, 324, 100.
    result = allocate([vendor("A", 80), vendor("B", 60), vendor("T")], volume=D("1000"))
    assert volumes(result) == {"A": D("576.00"), "B": D("324.00"), "T": D("100.00")}
    assert line(result, "T").reason == "Trial vendor (insufficient data): fixed share of 10 %; volume 100"
    assert line(result, "T").weight is None


# --- step 4: capacity -----------------------------------------------------------------------------

def test_capacity_binding_with_redistribution_and_a_second_pass():
    # r: A 1.0² = 1, B 0.8² = 0.64, C 0.6² = 0.36; Σ = 2 -> shares 0.50, 0.32, 0.18 (all ≥ 0.10).
    # V = 100: A 50 > its capacity 40 -> A fixed at 40; the excess 10 goes to B, C in proportion 0.32 : 0.18:
    # B 38.4 > 35 -> second pass: B fixed at 35; C takes the rest, 100 - 40 - 35 = 25 (≤ 30).
    # equal split 100/3 = 33.33; against it A +6.67, B +1.67, C -8.33; A's last approved volume 45 -> -5.
    result = allocate([vendor("A", 100, capacity=D("40"), last=D("45"), rank=1),
                       vendor("B", 80, capacity=D("35"), rank=2), vendor("C", 60, capacity=D("30"), rank=3)],
                      volume=D("100"), unit="lane-miles")
    assert volumes(result) == {"A": D("40.00"), "B": D("35.00"), "C": D("25.00")}
    a, b, c = result.lines
    assert (a.share_after_floor, b.share_after_floor, c.share_after_floor) == pytest.approx((0.5, 0.32, 0.18))
    assert (a.share_after_capacity, b.share_after_capacity, c.share_after_capacity) == pytest.approx((0.4, 0.35, 0.25))
    assert [l.equal_split_volume for l in result.lines] == [D("33.33")] * 3
    assert [l.change_vs_equal for l in result.lines] == [D("6.67"), D("1.67"), D("-8.33")]
    assert a.change_vs_last == D("-5.00") and b.change_vs_last is None
    assert a.reason == ("Score 100.0 (rank 1): weight 1; share 50 % after the 10 % floor; "
                        "capped at its capacity of 40 lane-miles; volume 40 lane-miles")
    assert c.reason == ("Score 60.0 (rank 3): weight 0.36; share 18 % after the 10 % floor; share 25 % after taking "
                        "on work that capped vendors had no capacity for; volume 25 lane-miles")


def test_floor_and_capacity_both_binding():
    # step 3: trial T 0.10; A (r 0.81) and B (r 0.2² = 0.04) split 0.90 -> B 0.9·0.04/0.85 = 0.0424 < 0.10
    # -> B fixed at 0.10, A takes 0.80.
    # step 4, V = 200: A 160 > 120 -> fixed at 120; excess 40 to B and T in proportion 0.10 : 0.10 -> 40 each;
    # T 40 > 30 -> fixed at 30; B (unlimited) takes 200 - 120 - 30 = 50.
    result = allocate([vendor("A", 90, capacity=D("120")), vendor("B", 20), vendor("T", capacity=D("30"))],
                      volume=D("200"))
    assert volumes(result) == {"A": D("120.00"), "B": D("50.00"), "T": D("30.00")}
    assert line(result, "B").share_after_floor == pytest.approx(0.10)
    assert line(result, "B").share_after_capacity == pytest.approx(0.25)
    assert result.allocated == D("200.00") and result.unallocated == D("0.00")


def test_unallocated_remainder_when_total_capacity_is_short():
    # shares 0.64 and 0.36 (r 0.64 : 0.36); V = 100 -> 64 > 30 and 36 > 20.5: both fixed at capacity.
    # allocated 30 + 20.50 = 50.50; unallocated 100 - 50.50 = 49.50, reported in a note.
    result = allocate([vendor("A", 80, capacity=D("30")), vendor("B", 60, capacity=D("20.5"))],
                      volume=D("100"), unit="lane-miles")
    assert volumes(result) == {"A": D("30.00"), "B": D("20.50")}
    assert (result.allocated, result.unallocated) == (D("50.50"), D("49.50"))
    assert result.notes == ["Total capacity of the eligible vendors (50.5 lane-miles) is below the volume "
                            "(100 lane-miles): 49.5 lane-miles unallocated."]


def test_all_capacities_zero_leaves_everything_unallocated():
    result = allocate([vendor("A", 80, capacity=D("0")), vendor("T", capacity=D("0"))], volume=D("75"))
    assert volumes(result) == {"A": D("0.00"), "T": D("0.00")}
    assert (result.allocated, result.unallocated) == (D("0.00"), D("75.00"))
    assert all(l.reason.endswith("no work this period") for l in result.lines)


def test_excess_no_uncapped_share_can_absorb_is_split_equally():
    # floor dropped (0.3 × 4 > 1): T1, T2 get 0.25 each; A (r 0.64) and Z (r 0) split 0.50 -> A 0.50, Z 0.
    # V = 100: A 50 > 10 -> fixed at 10; excess to Z, T1, T2 in proportion 0 : 0.25 : 0.25 -> T1, T2 45 > 25
    # -> fixed at 25; only Z is left, with share 0: it takes the rest equally (alone), 100 - 10 - 25 - 25 = 40.
    result = allocate([vendor("A", 80, capacity=D("10")), vendor("Z", 0.0),
                       vendor("T1", capacity=D("25")), vendor("T2", capacity=D("25"))], volume=D("100"), floor=0.3)
    assert volumes(result) == {"A": D("10.00"), "Z": D("40.00"), "T1": D("25.00"), "T2": D("25.00")}
    assert result.unallocated == 0
    assert "equal part of the work that capped vendors had no capacity for" in line(result, "Z").reason
    assert any("split equally among them: Z" in note for note in result.notes)


def test_capacity_with_sub_cent_digits_counts_in_whole_hundredths():
    # capacity 13.333 -> at most 13.33 in 2-decimal volumes; A's 0.64·50 = 32 is capped there, B takes 36.67.
    result = allocate([vendor("A", 80, capacity=D("13.333")), vendor("B", 60)], volume=D("50"))
    assert volumes(result) == {"A": D("13.33"), "B": D("36.67")}
    assert "(whole hundredths only)" in line(result, "A").reason


# --- step 1: who takes part -----------------------------------------------------------------------

def test_probation_and_ineligible_vendors_get_zero_with_their_reason():
    # eligible: A, B only; r 0.64 : 0.36 (Σ 1) -> V = 50: A 32, B 18. Equal split 50/2 = 25 for A and B only.
    result = allocate([vendor("A", 80), vendor("B", 60), vendor("P", 30, probation=True),
                       vendor("X", 70, eligible=False)], volume=D("50"))
    assert volumes(result) == {"A": D("32.00"), "B": D("18.00"), "P": D("0.00"), "X": D("0.00")}
    p, x = line(result, "P"), line(result, "X")
    assert p.reason == "On probation: no work this period" and p.weight is None and p.share == 0.0
    assert x.reason == "Not eligible: no active contract covering the period"
    assert [l.equal_split_volume for l in result.lines] == [D("25.00"), D("25.00"), D("0.00"), D("0.00")]
    assert [l.change_vs_equal for l in result.lines] == [D("7.00"), D("-7.00"), D("0.00"), D("0.00")]


def test_no_eligible_vendor_leaves_everything_unallocated_and_says_why():
    result = allocate([vendor("P", 30, probation=True), vendor("X", 90, eligible=False)], volume=D("40"))
    assert (result.allocated, result.unallocated) == (D("0.00"), D("40.00"))
    assert volumes(result) == {"P": D("0.00"), "X": D("0.00")}
    assert result.notes[0].startswith("No eligible vendor:")
    assert allocate([], volume=D("40")).unallocated == D("40.00")


# --- step 5: rounding -----------------------------------------------------------------------------

def test_rounding_tie_goes_to_the_higher_share_before_the_name():
    # γ = 1, f = 0.25, V = 10.10. Acme (trial) 0.25; Zenith (r 0.75) and Mid (r 0.50) split 0.75:
    # Zenith 0.75·0.75/1.25 = 0.45, Mid 0.75·0.50/1.25 = 0.30.
    # exact volumes: Acme 2.525, Zenith 4.545, Mid 3.03; floors 2.52 + 4.54 + 3.03 = 10.09: one cent left.
    # Acme and Zenith both have 0.5 ¢ left over: the tie goes to the higher share, Zenith (0.45 > 0.25),
    # although the name alone would have picked Acme.
    result = allocate([vendor("Acme Asphalt"), vendor("Zenith Paving", 75), vendor("Mid Roads", 50)],
                      volume=D("10.10"), floor=0.25, gamma=1.0)
    assert volumes(result) == {"Acme Asphalt": D("2.52"), "Zenith Paving": D("4.55"), "Mid Roads": D("3.03")}
    assert sum(volumes(result).values()) == D("10.10")


def test_rounding_tie_on_remainder_and_share_goes_to_the_name():
    # f = 0.25, V = 10.10: trial Birch and Alder 0.25 each -> 2.525; W (r 0.25) alone takes 0.50 -> 5.05.
    # floors 2.52 + 2.52 + 5.05 = 10.09; Birch and Alder tie on remainder (0.5 ¢) and share -> Alder by name.
    result = allocate([vendor("Birch"), vendor("W", 50), vendor("Alder")], volume=D("10.10"), floor=0.25)
    assert volumes(result) == {"Birch": D("2.52"), "W": D("5.05"), "Alder": D("2.53")}
    assert line(result, "Alder").share == pytest.approx(0.2504950495)


# --- refused inputs -------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, message", [
    ({"volume": D("0")}, "more than 0"),
    ({"volume": D("-5")}, "at least 0"),
    ({"volume": D("10.005")}, "at most 2 decimals"),
    ({"volume": D("10"), "floor": 1.5}, "from 0 to 1"),
    ({"volume": D("10"), "floor": -0.1}, "from 0 to 1"),
    ({"volume": D("10"), "gamma": 0.0}, "more than 0"),
])
def test_refused_parameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        allocate([vendor("A", 80)], **kwargs)


def test_refused_vendors():
    with pytest.raises(ValueError, match="unique"):
        allocate([vendor("A", 80), vendor("A", 60)], volume=D("10"))
    with pytest.raises(ValueError, match="negative"):
        allocate([vendor("A", -1.0)], volume=D("10"))
    with pytest.raises(ValueError, match="at least 0"):
        allocate([vendor("A", 80, capacity=D("-1"))], volume=D("10"))
    with pytest.raises(TypeError, match="Decimal"):
        allocate([vendor("A", 80)], volume=10.0)
