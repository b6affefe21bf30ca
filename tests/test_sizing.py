"""Sizing: the paper's VED figures, stack arithmetic, inverse queries."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from layoutgen import sizing
from layoutgen.deck import load_deck, with_value
from layoutgen.errors import LayoutgenError
from layoutgen.pattern import cell_pattern

DECK = load_deck()


@pytest.mark.parametrize(
    ("sets", "expected"),
    [
        (["stack.substrate_um=10"], 1163.0),
        (["stack.substrate_um=100"], 227.0),
        (["stack.utilization=1.0"], 1232.0),
    ],
)
def test_paper_unpackaged_ved(sets: list[str], expected: float) -> None:
    deck = load_deck(overrides=sets)
    assert sizing.ved_unpackaged_wh_per_l(deck) == pytest.approx(expected, rel=0.01)


def test_charged_state_counts_plated_li() -> None:
    charged = load_deck(overrides=["stack.charged_state=true"])
    assert sizing.plated_li_um(DECK) == pytest.approx(3.16, abs=0.05)
    assert sizing.ved_unpackaged_wh_per_l(charged) == pytest.approx(1016, rel=0.01)
    assert sizing.layer_pitch_um(charged) > sizing.layer_pitch_um(DECK)


def test_forward_numbers_by_hand() -> None:
    fp = sizing.footprint_of("rect", 10, 10)
    p = sizing.design(fp, 12, DECK)
    border = DECK.package.border_mm
    inset = (DECK.process.singulation_clearance_um + DECK.process.isolation_width_um
             + DECK.process.electrolyte_overhang_um) / 1000
    side = 10 - 2 * border - 2 * inset
    assert p.active_area_mm2 == pytest.approx(side * side)
    cell_mah = side * side / 100 * 10 * 69.2 * 0.94 / 1000
    assert p.cell_capacity_mAh == pytest.approx(cell_mah)
    assert p.capacity_mAh == pytest.approx(12 * cell_mah)
    assert p.energy_mWh == pytest.approx(12 * cell_mah * 3.9)
    pitch = 10 + 10 + 1.5 + 0.3 + DECK.stack.insulator_um + DECK.stack.adhesive_um
    t = 12 * pitch / 1000 + (DECK.package.encapsulation_um + DECK.package.termination_um) / 1000
    assert p.thickness_mm == pytest.approx(t)
    assert p.ved_Wh_per_L == pytest.approx(p.energy_mWh / (100 * t) * 1000)


def test_round_and_rounded_areas() -> None:
    circ = sizing.design(sizing.footprint_of("circle", 12, 12), 1, DECK)
    d = 12 - 2 * 0.5 - 2 * 0.1
    assert circ.active_area_mm2 == pytest.approx(math.pi * d * d / 4)
    rr = sizing.design(sizing.footprint_of("rounded", 10, 8, 1.0), 1, DECK)
    w, h, r = 10 - 1.2, 8 - 1.2, 1.0 - 0.6
    assert rr.active_area_mm2 == pytest.approx(w * h - (4 - math.pi) * r * r)


def test_layout_draws_what_sizing_counts() -> None:
    # by hand: a 10 x 8 mm footprint, r 1.5, less the 0.5 mm package border -> a 9 x 7 mm cell,
    # r 1; the cathode sits 50 + 30 + 20 um inside it -> 8.8 x 6.8 mm, r 0.9
    hand = 8.8 * 6.8 - (4 - math.pi) * 0.9**2  # 59.144690 mm2
    p = sizing.design(sizing.footprint_of("rounded", 10, 8, 1.5), 1, DECK)
    assert p.active_area_mm2 == pytest.approx(hand, rel=1e-12)
    # what the layout draws on CATHODE: inscribed chords within the chord tolerance, so at most
    # tolerance x arc length below the true area, in both orientations
    slack = DECK.layout.chord_tolerance_um / 1000 * 2 * math.pi * 0.9
    for rotation in (0.0, 90.0):
        drawn = cell_pattern(p.cell, DECK, rotation).layers["CATHODE"]
        assert 0 <= hand - drawn.area <= slack, (rotation, drawn.area)


@settings(max_examples=60, deadline=None)
@given(w=st.floats(2, 80), h=st.floats(2, 80), k=st.floats(1.1, 4))
def test_capacity_linear_in_active_area(w: float, h: float, k: float) -> None:
    a = sizing.cell_capacity_mah(w * h, DECK)
    assert sizing.cell_capacity_mah(k * w * h, DECK) == pytest.approx(k * a)


@settings(max_examples=40, deadline=None)
@given(t=st.floats(1, 50), k=st.floats(1.1, 3))
def test_capacity_linear_in_cathode_thickness(t: float, k: float) -> None:
    d1 = with_value(DECK, "stack.cathode_um", t)
    d2 = with_value(DECK, "stack.cathode_um", t * k)
    assert sizing.cell_capacity_mah(50, d2) == pytest.approx(k * sizing.cell_capacity_mah(50, d1))


@settings(max_examples=60, deadline=None)
@given(side=st.integers(3000, 40000).map(lambda v: v / 1000), cap=st.floats(0.05, 100),
       ret=st.floats(0.5, 1.0))
def test_stack_count_is_minimal(side: float, cap: float, ret: float) -> None:
    fp = sizing.footprint_of("rect", side, side)
    p = sizing.layers_for_capacity(fp, cap, DECK, ret)
    assert p.eol_capacity_mAh >= cap * (1 - 1e-9)
    if p.layers > 1:
        fewer = sizing.design(fp, p.layers - 1, DECK, ret)
        assert fewer.eol_capacity_mAh < cap


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 500))
def test_thickness_grows_with_layers(n: int) -> None:
    fp = sizing.footprint_of("rect", 10, 10)
    assert sizing.design(fp, n + 1, DECK).thickness_mm > sizing.design(fp, n, DECK).thickness_mm


def test_most_capacity_fits_envelope() -> None:
    fp = sizing.footprint_of("rect", 10, 10)
    p = sizing.most_capacity(fp, 1.0, DECK)
    assert p.thickness_mm <= 1.0
    assert sizing.design(fp, p.layers + 1, DECK).thickness_mm > 1.0


@pytest.mark.parametrize("kw", [{"aspect": 1.5}, {"width": 8.0}, {}])
def test_smallest_footprint_is_smallest(kw: dict) -> None:
    p = sizing.smallest_footprint(10, 1.2, DECK, **kw)
    assert p.capacity_mAh >= 10 and p.thickness_mm <= 1.2
    fp = p.footprint
    if "width" in kw:
        assert fp.width == pytest.approx(8.0)
        smaller = sizing.footprint_of("rect", 8.0, fp.height - 0.01)
    else:
        ratio = kw.get("aspect", 1.0)
        assert fp.width == pytest.approx(ratio * fp.height)
        smaller = sizing.footprint_of("rect", ratio * (fp.height - 0.01), fp.height - 0.01)
    n_max = sizing.max_layers(1.2, DECK)
    assert sizing.design(smaller, n_max, DECK).capacity_mAh < 10


def test_impossible_targets_say_what_is_reachable() -> None:
    fp = sizing.footprint_of("rect", 10, 10)
    with pytest.raises(LayoutgenError, match="the most that fits is"):
        sizing.layers_for_capacity(fp, 100, DECK, max_thickness_mm=0.5)
    with pytest.raises(LayoutgenError, match="not even one layer"):
        sizing.most_capacity(fp, 0.05, DECK)
    with pytest.raises(LayoutgenError, match="leaves no area"):
        sizing.design(sizing.footprint_of("rect", 1.1, 5), 1, DECK)
