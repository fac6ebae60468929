"""Properties the work reallocation (SPEC §4) must keep for every input, checked with hypothesis."""
from __future__ import annotations

from decimal import Decimal

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from scoring.allocation import AllocationVendor, allocate

thorough = settings(deadline=None, max_examples=300)
CENT = Decimal("0.01")

scores = st.one_of(st.none(), st.just(0.0), st.floats(min_value=0, max_value=125, allow_nan=False))
capacities = st.one_of(
    st.none(),
    st.integers(min_value=0, max_value=50_000).map(lambda c: Decimal(c).scaleb(-2)),  # 0.00 to 500.00
    st.integers(min_value=0, max_value=50_000).map(lambda c: Decimal(c).scaleb(-3)),  # sub-cent capacities
)
volumes = st.integers(min_value=1, max_value=100_000).map(lambda c: Decimal(c).scaleb(-2))  # 0.01 to 1000.00
floors = st.one_of(st.floats(min_value=0, max_value=0.3), st.sampled_from([0.0, 0.1, 0.125, 0.2, 0.25, 0.3]))
gammas = st.floats(min_value=0.5, max_value=4)
names = st.text(alphabet="abAB xy", min_size=1, max_size=4)


@st.composite
def vendor(draw, name: str) -> AllocationVendor:
    return AllocationVendor(
        name=name, score=draw(scores), insufficient_data=draw(st.booleans()),
        probation=draw(st.sampled_from([False, False, False, True])),
        eligible=draw(st.sampled_from([True, True, True, False])), capacity=draw(capacities),
        last_volume=draw(st.one_of(st.none(), volumes)),
    )


@st.composite
def vendor_lists(draw, min_size: int = 1, max_size: int = 8) -> list[AllocationVendor]:
    chosen = draw(st.lists(names, min_size=min_size, max_size=max_size, unique=True))
    return [draw(vendor(name)) for name in chosen]


def taking_part(v: AllocationVendor) -> bool:
    return v.eligible and not v.probation


def cents_capacity(capacity: Decimal | None) -> Decimal | None:
    """The most a 2-decimal volume can be within `capacity`."""
    return None if capacity is None else capacity.quantize(CENT, rounding="ROUND_FLOOR")


@thorough
@given(vendor_lists(), volumes, floors, gammas)
def test_volumes_sum_exactly_to_volume_or_total_capacity(vendors, volume, floor, gamma):
    result = allocate(vendors, volume=volume, floor=floor, gamma=gamma)
    taking = [v for v in vendors if taking_part(v)]
    if not taking:
        expected = Decimal(0)
    elif any(v.capacity is None for v in taking):
        expected = volume
    else:
        expected = min(volume, sum(cents_capacity(v.capacity) for v in taking))
    assert result.allocated == expected
    assert sum(line.volume for line in result.lines) == result.allocated
    assert result.allocated + result.unallocated == volume
    if result.unallocated > 0:
        assert result.notes, "an unallocated remainder is reported, not hidden"
    for line in result.lines:
        assert line.volume >= 0
        assert line.volume == line.volume.quantize(CENT), "at most 2 decimals"
        assert abs(line.share - float(line.volume / volume)) < 1e-15


@thorough
@given(vendor_lists(), volumes, floors, gammas)
def test_no_vendor_above_its_capacity(vendors, volume, floor, gamma):
    result = allocate(vendors, volume=volume, floor=floor, gamma=gamma)
    for line in result.lines:
        if line.capacity is not None:
            assert line.volume <= line.capacity


@thorough
@given(vendor_lists(), volumes, floors, gammas)
def test_every_vendor_taking_part_gets_the_floor_unless_capacity_or_a_dropped_floor_prevents_it(
    vendors, volume, floor, gamma
):
    result = allocate(vendors, volume=volume, floor=floor, gamma=gamma)
    if result.floor_dropped:
        return
    floor_volume = Decimal(repr(floor)) * volume
    for v, line in zip(vendors, result.lines, strict=False):
        if taking_part(v):
            limit = floor_volume if v.capacity is None else min(floor_volume, v.capacity)
            assert line.volume >= limit - CENT
            assert line.share_after_floor >= floor - 1e-12


@thorough
@given(vendor_lists(min_size=0, max_size=6), volumes, floors, gammas, capacities,
       st.floats(min_value=0, max_value=125), st.floats(min_value=0, max_value=125))
def test_a_higher_score_never_gets_a_smaller_share(others, volume, floor, gamma, capacity, score_a, score_b):
    assume(score_a != score_b)
    high_score, low_score = max(score_a, score_b), min(score_a, score_b)
    taken = {v.name for v in others}
    twins = [AllocationVendor(name, score, False, False, True, capacity)
             for name, score in (("twin high", high_score), ("twin low", low_score)) if name not in taken]
    assume(len(twins) == 2)
    result = allocate(others + twins, volume=volume, floor=floor, gamma=gamma)
    high, low = result.lines[-2], result.lines[-1]
    assert high.share_after_floor >= low.share_after_floor
    assert high.share_after_capacity >= low.share_after_capacity
    if high.share_after_capacity == low.share_after_capacity:
        # the same exact volume: the rounding tie goes to the name (SPEC §4 step 5), one cent at most
        assert abs(high.volume - low.volume) <= CENT
    else:
        assert high.volume >= low.volume


@thorough
@given(vendor_lists(), volumes, floors, gammas)
def test_probation_and_ineligible_vendors_get_exactly_zero(vendors, volume, floor, gamma):
    result = allocate(vendors, volume=volume, floor=floor, gamma=gamma)
    for v, line in zip(vendors, result.lines, strict=False):
        if not taking_part(v):
            assert line.volume == 0 and line.share == 0.0 and line.share_after_floor == 0.0
            assert line.weight is None and line.equal_split_volume == 0
            assert ("no active contract covering the period" if not v.eligible else "On probation") in line.reason


@thorough
@given(vendor_lists(), volumes, floors, gammas, st.randoms(use_true_random=False))
def test_same_inputs_same_output_whatever_the_order(vendors, volume, floor, gamma, random):
    first = allocate(vendors, volume=volume, floor=floor, gamma=gamma)
    assert allocate(list(vendors), volume=volume, floor=floor, gamma=gamma) == first
    shuffled = list(vendors)
    random.shuffle(shuffled)
    again = allocate(shuffled, volume=volume, floor=floor, gamma=gamma)
    assert [line.name for line in first.lines] == [v.name for v in vendors], "lines keep the input order"
    assert {line.name: line for line in again.lines} == {line.name: line for line in first.lines}
    assert (again.allocated, again.unallocated, again.floor_dropped) == (
        first.allocated, first.unallocated, first.floor_dropped)


@thorough
@given(vendor_lists(), volumes, floors, gammas)
def test_rounding_moves_no_vendor_by_a_cent_or_more(vendors, volume, floor, gamma):
    result = allocate(vendors, volume=volume, floor=floor, gamma=gamma)
    for line in result.lines:
        exact = Decimal(line.share_after_capacity) * volume
        assert abs(line.volume - exact) < CENT + Decimal("1e-9")


@thorough
@given(vendor_lists(), volumes, floors, gammas)
def test_shares_sum_to_one_and_every_line_explains_itself(vendors, volume, floor, gamma):
    result = allocate(vendors, volume=volume, floor=floor, gamma=gamma)
    if any(taking_part(v) for v in vendors):
        assert abs(sum(line.share_before_floor for line in result.lines) - 1) < 1e-9
        assert abs(sum(line.share_after_floor for line in result.lines) - 1) < 1e-9
    for v, line in zip(vendors, result.lines, strict=False):
        assert line.reason
        if line.volume == 0 and taking_part(v):
            assert "no work this period" in line.reason
        assert line.change_vs_equal == line.volume - line.equal_split_volume
        assert line.change_vs_last == (None if v.last_volume is None else line.volume - v.last_volume)


@thorough
@given(vendor_lists(), volumes, gammas, st.floats(min_value=-0.002, max_value=0.002))
def test_floor_dropped_exactly_when_the_floors_exceed_the_whole(vendors, volume, gamma, nudge):
    taking = sum(taking_part(v) for v in vendors)
    assume(taking > 0)
    floor = min(1.0, max(0.0, 1 / taking + nudge))
    result = allocate(vendors, volume=volume, floor=floor, gamma=gamma)
    assert result.floor_dropped == (Decimal(repr(floor)) * taking > 1)
    assert result.floor_dropped == any("Floor dropped" in note for note in result.notes)


@thorough
@given(vendor_lists(), volumes, floors, gammas)
def test_vendors_not_taking_part_change_nothing_for_the_others(vendors, volume, floor, gamma):
    result = allocate(vendors, volume=volume, floor=floor, gamma=gamma)
    without = allocate([v for v in vendors if taking_part(v)], volume=volume, floor=floor, gamma=gamma)
    kept = {line.name: line.volume for line in without.lines}
    assert {line.name: line.volume for line in result.lines if line.name in kept} == kept
    assert (without.allocated, without.floor_dropped) == (result.allocated, result.floor_dropped)
