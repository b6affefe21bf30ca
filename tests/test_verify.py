"""The independent checker: good layouts pass, every planted violation is caught."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from layoutgen import shapes as S
from layoutgen.errors import LayoutgenError
from layoutgen.tiling.verify import keepout_mask, near_pairs, verify_placements

KERF = 0.2
SHAPES = {
    "rect": S.rect(4, 2),
    "rounded": S.rounded(4, 2, 0.5),
    "circle": S.circle(2),
    "triangle": S.polygon_from_wkt("POLYGON ((0 0, 4 0, 2 2, 0 0))"),
}


def _grid(shape: S.CellShape, nx: int = 6, ny: int = 5, street: float = KERF):
    px, py = shape.width + street, shape.height + street
    gx, gy = np.meshgrid(np.arange(nx) * px + shape.width / 2 + 1,
                         np.arange(ny) * py + shape.height / 2 + 1)
    x, y = gx.ravel(), gy.ravel()
    usable = shapely.box(0, 0, nx * px + 2, ny * py + 2)
    return x, y, usable


@pytest.mark.parametrize("name", list(SHAPES))
def test_good_grid_passes(name: str) -> None:
    shape = SHAPES[name]
    x, y, usable = _grid(shape)
    rep = verify_placements(shape, x, y, 0, usable=usable, kerf=KERF)
    assert rep.ok, rep.messages
    assert rep.n_cells == 30
    assert rep.min_street_mm == pytest.approx(KERF, abs=1e-9)


@pytest.mark.parametrize("name", list(SHAPES))
def test_planted_violations_are_caught(name: str) -> None:
    shape = SHAPES[name]
    x, y, usable = _grid(shape)
    # a street of kerf - 0.01 between cells 0 and 1
    x1 = x.copy()
    x1[0] += 0.01
    rep = verify_placements(shape, x1, y, 0, usable=usable, kerf=KERF)
    assert not rep.ok and rep.kerf_violations == 1 and rep.overlaps == 0
    assert rep.min_street_mm == pytest.approx(KERF - 0.01, abs=1e-9)
    assert sorted(rep.bad_pairs[0]) == [0, 1]
    # an overlapping cell
    x2 = np.append(x, x[7] + 0.3)
    y2 = np.append(y, y[7])
    rep = verify_placements(shape, x2, y2, 0, usable=usable, kerf=KERF)
    assert not rep.ok and rep.overlaps >= 1 and rep.min_street_mm == 0
    assert [7, 30] in rep.bad_pairs.tolist()
    assert "overlap" in rep.summary()
    # a cell poking out of the usable area by 0.01
    x3 = x.copy()
    x3[0] = shape.width / 2 - 0.01
    rep = verify_placements(shape, x3, y, 0, usable=usable, kerf=0)
    assert not rep.ok and rep.outside == 1 and rep.bad_cells.tolist() == [0]
    # a cell within a keep-out's clearance (0.5 mm clearance, cell 0.49 mm away)
    xs, ys = x[26], y[26]  # top row: the keep-out sits in the 1 mm margin above the cell
    ko = shapely.box(xs - 0.1, ys + shape.height / 2 + 0.49, xs + 0.1, ys + shape.height / 2 + 0.6)
    rep = verify_placements(shape, x, y, 0, usable=usable, kerf=0, keepouts=[(ko, 0.5)])
    assert not rep.ok and rep.keepout_violations == 1 and rep.bad_cells.tolist() == [26]
    rep = verify_placements(shape, x, y, 0, usable=usable, kerf=0, keepouts=[(ko, 0.48)])
    assert rep.ok


def test_cell_inside_keepout_with_zero_clearance() -> None:
    shape = S.rect(2, 2)
    hole = shapely.box(4, 4, 6, 6)
    rep = verify_placements(shape, [5.5, 20], [5.5, 20], 0, usable=None, keepouts=[(hole, 0)])
    assert rep.keepout_violations == 1
    touching = verify_placements(shape, [7], [5], 0, usable=None, keepouts=[(hole, 0)])
    assert touching.ok
    assert keepout_mask(shape, np.array([5.5, 7, 20]), np.array([5.5, 5, 20]), 0,
                        [(hole, 0.0)]).tolist() == [True, False, False]


def test_curved_cells_are_measured_exactly() -> None:
    # circles of d=2 with centres 2.2 apart: street exactly 0.2 (a polygon approximation
    # would be off by its sagitta)
    c = S.circle(2)
    rep = verify_placements(c, [0, 2.2], [0, 0], 0, usable=None, kerf=0.2, tol=1e-12)
    assert rep.ok and rep.min_street_mm == pytest.approx(0.2, abs=1e-12)
    rep = verify_placements(c, [0, 2.2 - 1e-9], [0, 0], 0, usable=None, kerf=0.2, tol=1e-12)
    assert rep.kerf_violations == 1
    # rounded rectangles corner to corner on the diagonal, bounding boxes overlapping:
    # street = |core corner distance| - 2r = sqrt(2) (d - 2) - 2
    r = S.rounded(4, 4, 1)
    d = 2 + 2.2 / np.sqrt(2)
    rep = verify_placements(r, [0, d], [0, d], 0, usable=None, kerf=0.2, tol=1e-12)
    assert rep.ok and rep.min_street_mm == pytest.approx(0.2, abs=1e-12)
    rep = verify_placements(r, [0, d - 1e-6], [0, d], 0, usable=None, kerf=0.2, tol=1e-12)
    assert rep.kerf_violations == 1
    # the round corner lets the cell sit in a rounded usable corner only if radius fits
    usable = shapely.box(0, 0, 10, 10)
    assert verify_placements(r, [2], [2], 0, usable=usable).ok
    assert not verify_placements(r, [2 - 1e-3], [2], 0, usable=usable).ok


def test_rotated_cells_and_nonrect_usable() -> None:
    shape = S.rect(4, 1)
    # two cells at 30 degrees side by side: their long sides 1.2 apart -> street 0.2
    n = np.array([-np.sin(np.radians(30)), np.cos(np.radians(30))])
    p = np.array([[10.0, 10.0], [10.0, 10.0] + 1.2 * n])
    rep = verify_placements(shape, p[:, 0], p[:, 1], 30, usable=shapely.box(0, 0, 20, 20),
                            kerf=0.2)
    assert rep.ok and rep.min_street_mm == pytest.approx(0.2, abs=1e-9)
    rep = verify_placements(shape, p[:, 0], p[:, 1], 30, usable=None, kerf=0.21)
    assert rep.kerf_violations == 1
    # non-rectangular usable area: a disc
    disc = shapely.Point(0, 0).buffer(10, quad_segs=64)
    assert verify_placements(S.circle(2), [0, 8.5], [0, 0], 0, usable=disc).ok
    assert not verify_placements(S.circle(2), [0, 9.5], [0, 0], 0, usable=disc).ok
    tri = SHAPES["triangle"]
    assert verify_placements(tri, [0], [0], 45, usable=disc).ok
    assert not verify_placements(tri, [8.8], [0], 0, usable=disc).ok


def test_mixed_rotations_of_polygons() -> None:
    tri = SHAPES["triangle"]  # base 4, apex up; the 180-degree copy nests between two
    x = np.array([2.0, 4.0 + 0.2 * np.sqrt(2), 6.0 + 2 * 0.2 * np.sqrt(2)])
    y = np.array([1.0, 1.0, 1.0])
    rep = verify_placements(tri, x, y, [0, 180, 0], usable=None, kerf=0.2)
    assert rep.ok and rep.min_street_mm == pytest.approx(0.2, abs=1e-9)
    rep = verify_placements(tri, x, y, [0, 0, 0], usable=None, kerf=0.2)
    assert rep.overlaps == 2


def test_input_errors() -> None:
    with pytest.raises(LayoutgenError, match="differ"):
        verify_placements(S.rect(1, 1), [0, 1], [0], 0, usable=None)
    with pytest.raises(LayoutgenError, match="kerf"):
        verify_placements(S.rect(1, 1), [0], [0], 0, usable=None, kerf=-1)
    with pytest.raises(LayoutgenError, match="NaN"):
        verify_placements(S.rect(1, 1), [np.nan], [0], 0, usable=None)
    with pytest.raises(LayoutgenError, match="clearance"):
        verify_placements(S.rect(1, 1), [0], [0], 0, usable=None,
                          keepouts=[(shapely.box(0, 0, 1, 1), -1)])
    assert verify_placements(S.rect(1, 1), [], [], 0, usable=None).ok


@given(
    pts=st.lists(st.tuples(st.floats(0, 30), st.floats(0, 30), st.floats(0.1, 4),
                           st.floats(0.1, 4)), min_size=1, max_size=60),
    reach=st.floats(0, 3),
)
@settings(max_examples=60, deadline=None)
def test_near_pairs_matches_brute_force(pts, reach: float) -> None:
    a = np.array(pts)
    x0, y0, x1, y1 = a[:, 0], a[:, 1], a[:, 0] + a[:, 2], a[:, 1] + a[:, 3]
    i, j = near_pairs(x0, y0, x1, y1, reach)
    got = set(zip(i.tolist(), j.tolist(), strict=True))
    want = set()
    for p in range(len(a)):
        for q in range(p + 1, len(a)):
            gx = max(x0[q] - x1[p], x0[p] - x1[q])
            gy = max(y0[q] - y1[p], y0[p] - y1[q])
            if gx <= reach and gy <= reach:
                want.add((p, q))
    assert got == want


@given(
    pts=st.lists(st.tuples(st.floats(0, 20), st.floats(0, 20)), min_size=2, max_size=25),
    kerf=st.floats(0, 1),
)
@settings(max_examples=40, deadline=None)
def test_circle_streets_match_brute_force(pts, kerf: float) -> None:
    p = np.array(pts)
    rep = verify_placements(S.circle(1.5), p[:, 0], p[:, 1], 0, usable=None, kerf=kerf, tol=0)
    d = np.hypot(*(p[:, None, :] - p[None, :, :]).transpose(2, 0, 1)) - 1.5
    iu = np.triu_indices(len(p), 1)
    assert rep.kerf_violations == int((d[iu] < kerf).sum())
    assert rep.overlaps == int((d[iu] < 0).sum())


def test_100k_polygons() -> None:
    tri = SHAPES["triangle"]
    n = 316
    gx, gy = np.meshgrid(np.arange(n) * 4.3, np.arange(n) * 2.3)
    rep = verify_placements(tri, gx.ravel(), gy.ravel(), 0, usable=None, kerf=0.2)
    assert rep.ok and rep.n_cells == n * n  # its time: benchmarks/timings.py (verify_100k)


def test_point_keepout_may_touch_but_not_enter() -> None:
    for shape in (S.rect(2, 2), S.circle(2), SHAPES["triangle"]):
        ko = [(shapely.Point(10, 10), 0.0)]
        assert not verify_placements(shape, [10.3], [10.2], 0, usable=None, keepouts=ko).ok
        edge = verify_placements(shape, [10], [10 + shape.height / 2], 0, usable=None,
                                 keepouts=ko)
        assert edge.ok
