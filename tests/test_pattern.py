"""One cell's process layers: nesting by the deck's rules, chord tolerance, pad, rotation."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
import shapely.affinity
from hypothesis import given, settings
from hypothesis import strategies as st

from layoutgen import cellgeom
from layoutgen.deck import load_deck
from layoutgen.errors import LayoutgenError
from layoutgen.pattern import cell_pattern
from layoutgen.shapes import circle, polygon, rect, rounded
from layoutgen.technology import CELL_LAYER_NAMES

DECK = load_deck()
P = DECK.process
INSET = {k: v for k, v in cellgeom.process_insets_mm(DECK).items()}
TOL = DECK.layout.chord_tolerance_um / 1000


def _min_gap(inner: shapely.Geometry, outer: shapely.Geometry) -> float:
    """Least distance from inner's boundary to outer's boundary (inner inside outer)."""
    return float(shapely.distance(inner.exterior, outer.exterior))


@pytest.mark.parametrize("shape", [rect(10, 8), rounded(10, 8, 1.0), circle(12), rect(1.5, 1.5),
                                   polygon([(0, 0), (6, 0), (6, 3), (3, 5), (0, 3)])])
def test_layers_nest_by_the_rules(shape) -> None:
    pat = cell_pattern(shape, DECK)
    assert set(pat.layers) == set(CELL_LAYER_NAMES)
    for g in pat.layers.values():
        assert g.is_valid and g.area > 0
    sing, iso, el, cat, an, pad = (pat.layers[n] for n in (
        "SINGULATION", "ISOLATION", "ELECTROLYTE", "CATHODE", "ANODE_CC", "PAD"))
    slack = TOL + 1e-9
    assert sing.contains(iso)
    assert _min_gap(iso, sing) >= P.singulation_clearance_um / 1000 - slack
    assert len(iso.interiors) == 1  # a closed ring
    hole = shapely.Polygon(iso.interiors[0])
    assert hole.buffer(1e-9).contains(el) and el.intersection(iso).area < 1e-12
    ring_w = shapely.distance(iso.exterior, shapely.LinearRing(iso.interiors[0]))
    assert ring_w >= P.isolation_width_um / 1000 - slack
    assert el.contains(cat) and _min_gap(cat, el) >= P.electrolyte_overhang_um / 1000 - slack
    assert el.contains(an) and _min_gap(an, el) >= P.anode_cc_setback_um / 1000 - slack
    assert an.contains(pad)


@pytest.mark.parametrize("shape", [rect(10, 8), rounded(10, 8, 1.0), circle(12)])
def test_cathode_is_the_area_sizing_counts(shape) -> None:
    pat = cell_pattern(shape, DECK)
    exact = cellgeom.active_area_mm2(shape, DECK)
    # chords lie inside the curve: the polygon loses at most perimeter x tolerance
    assert exact - pat.layers["CATHODE"].area <= shape.perimeter * TOL + 1e-9
    assert pat.layers["CATHODE"].area <= exact + 1e-9


def test_curves_within_the_chord_tolerance() -> None:
    shape = circle(20)
    pat = cell_pattern(shape, DECK)
    v = np.asarray(pat.layers["SINGULATION"].exterior.coords)
    r = np.hypot(v[:, 0], v[:, 1])
    assert np.allclose(r, 10.0, atol=1e-9)  # vertices on the circle
    n = len(v) - 1
    sagitta = 10.0 * (1 - math.cos(math.pi / n))
    assert sagitta <= TOL + 1e-12
    coarse = load_deck([], ["layout.chord_tolerance_um=50"])
    assert len(cell_pattern(shape, coarse).layers["SINGULATION"].exterior.coords) < n / 4


def test_rotation_turns_every_layer_and_the_pad() -> None:
    deck = load_deck([], ['layout.pad_position="corner"'])
    p0 = cell_pattern(rect(10, 8), deck, 0.0)
    p90 = cell_pattern(rect(10, 8), deck, 90.0)
    assert p90.name == "CELL_R090" and p0.name == "CELL_R000"
    b = p90.layers["SINGULATION"].bounds
    assert np.allclose(b, (-4, -5, 4, 5))
    x, y = p0.pad_center
    assert np.allclose(p90.pad_center, (-y, x))
    for name in CELL_LAYER_NAMES:
        turned = shapely.affinity.rotate(p0.layers[name], 90, origin=(0, 0))
        assert turned.symmetric_difference(p90.layers[name]).area < 1e-9


@pytest.mark.parametrize("shape", [circle(12), rounded(10, 8, 3.0)])
def test_corner_pad_moves_inside_curved_collectors(shape) -> None:
    deck = load_deck([], ['layout.pad_position="corner"'])
    pat = cell_pattern(shape, deck)
    assert pat.layers["ANODE_CC"].contains(pat.layers["PAD"])
    # as close to the lower-left as fits: within 1 um of touching the collector edge
    gap = pat.layers["PAD"].exterior.distance(pat.layers["ANODE_CC"].exterior)
    assert gap < 0.002
    assert pat.pad_center[0] < 0 and pat.pad_center[1] < 0


def test_pad_too_big_is_a_user_error() -> None:
    deck = load_deck([], ["layout.pad_w_um=3000", "layout.pad_h_um=3000"])
    with pytest.raises(LayoutgenError, match="pad_w_um"):
        cell_pattern(rect(2, 2), deck)


@settings(max_examples=25, deadline=None)
@given(w=st.integers(1500, 30000).map(lambda v: v / 1000),  # sizes on the um grid
       h=st.integers(1500, 30000).map(lambda v: v / 1000), rfrac=st.floats(0, 0.5),
       rot=st.sampled_from([0.0, 90.0, 180.0, 270.0]))
def test_rounded_cells_always_nest(w: float, h: float, rfrac: float, rot: float) -> None:
    shape = rounded(w, h, rfrac * min(w, h))
    pat = cell_pattern(shape, DECK, rot)
    sing, iso, el, cat, an, pad = (pat.layers[n] for n in (
        "SINGULATION", "ISOLATION", "ELECTROLYTE", "CATHODE", "ANODE_CC", "PAD"))
    assert sing.contains(iso) and el.contains(cat) and el.contains(an) and an.contains(pad)
    assert _min_gap(cat, el) >= P.electrolyte_overhang_um / 1000 - TOL - 1e-9
