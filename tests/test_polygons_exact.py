"""Polygon tiling on integers: exact fits, the box-grid floor, diagonal lattices, honest bounds.

The checker here is independent of `polygons`: plain Python integers and Fractions, every pair
of cells, segment-by-segment (proper crossings, containment and vertex-to-segment distances).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from layoutgen import shapes as S
from layoutgen.tiling import polygons as P
from layoutgen.tiling.rect.packing import pack_rectangles
from layoutgen.units import to_nm

L_SHAPE = S.polygon(np.array([(0, 0), (10, 0), (10, 4), (4, 4), (4, 10), (0, 10)], float))
TRI = S.polygon_from_wkt("POLYGON ((0 0, 10 0, 5 8.660254, 0 0))")
HEX = S.polygon_from_wkt(
    "POLYGON ((0 0, 2 -3.4641016, 6 -3.4641016, 8 0, 6 3.4641016, 2 3.4641016, 0 0))")
ODD = S.polygon(np.array([(0, 0), (3.000001, 0), (3.000001, 2.000001), (0, 2.000001)]))


def rect_poly(w: float, h: float) -> S.CellShape:
    return S.polygon(np.array([(0, 0), (w, 0), (w, h), (0, h)], float))


# ---------------------------------------------------------------- independent exact checker


def _turn(v, deg):
    out = []
    for x, y in v:
        for _ in range(int(deg) // 90 % 4):
            x, y = -y, x
        out.append((x, y))
    return out


def _orient(a, b, c):
    d = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
    return (d > 0) - (d < 0)


def _cross_properly(a, b, c, d) -> bool:
    return _orient(a, b, c) * _orient(a, b, d) < 0 and _orient(c, d, a) * _orient(c, d, b) < 0


def _seg_dist2(p, a, b) -> Fraction:
    ex, ey = b[0] - a[0], b[1] - a[1]
    wx, wy = p[0] - a[0], p[1] - a[1]
    ll = ex * ex + ey * ey
    t = Fraction(wx * ex + wy * ey, ll)
    t = min(max(t, Fraction(0)), Fraction(1))
    dx, dy = wx - t * ex, wy - t * ey
    return dx * dx + dy * dy


def _inside(pt, poly) -> bool:
    """Strictly inside (ray crossing with a rational point that is on no edge)."""
    x, y = pt
    c = False
    n = len(poly)
    for i in range(n):
        (x1, y1), (x2, y2) = poly[i], poly[(i + 1) % n]
        if (y1 > y) != (y2 > y):
            xi = x1 + Fraction(y - y1) * (x2 - x1) / (y2 - y1)
            if xi > x:
                c = not c
    return c


def _interiors_meet(a, b) -> bool:
    """Do two simple integer polygons share interior points? (k = 0 case)"""
    for poly, other in ((a, b), (b, a)):
        n = len(poly)
        for i in range(n):
            p, q = poly[i], poly[(i + 1) % n]
            for j in range(len(other)):
                if _cross_properly(p, q, other[j], other[(j + 1) % len(other)]):
                    return True
        # sample points just inside each edge of poly: midpoint pushed inward by a tiny step
        for i in range(n):
            p, q = poly[i], poly[(i + 1) % n]
            mx, my = Fraction(p[0] + q[0], 2), Fraction(p[1] + q[1], 2)
            nx, ny = -(q[1] - p[1]), q[0] - p[0]  # inward normal of a CCW polygon
            eps = Fraction(1, 10**6)
            if _inside((mx + eps * nx, my + eps * ny), other):
                return True
    return False


def exact_check(shape, x_nm, y_nm, rot, W, H, k) -> None:
    v0 = [(int(a), int(b)) for a, b in shape.vertices_nm]
    cells = []
    for x, y, r in zip(x_nm.tolist(), y_nm.tolist(), rot.tolist(), strict=True):
        cells.append([(a + x, b + y) for a, b in _turn(v0, r)])
    for c in cells:
        assert all(0 <= a <= W and 0 <= b <= H for a, b in c), "cell outside the rectangle"
    boxes = [(min(a for a, _ in c), min(b for _, b in c), max(a for a, _ in c),
              max(b for _, b in c)) for c in cells]
    order = sorted(range(len(cells)), key=lambda i: boxes[i][0])
    k2 = k * k
    for ii, i in enumerate(order):
        for j in order[ii + 1:]:
            if boxes[j][0] >= boxes[i][2] + k:
                break
            if boxes[j][1] >= boxes[i][3] + k or boxes[i][1] >= boxes[j][3] + k:
                continue
            a, b = cells[i], cells[j]
            assert not _interiors_meet(a, b), f"cells {i} and {j} overlap"
            if k:
                for p_, q_ in ((a, b), (b, a)):
                    for pt in p_:
                        for s in range(len(q_)):
                            d2 = _seg_dist2(pt, q_[s], q_[(s + 1) % len(q_)])
                            assert d2 >= k2, f"cells {i} and {j} closer than the kerf"


def _run(shape, W, H, k, rotations=(0, 90, 180, 270)):
    x, y, r, strategy, bound, method = P.pack_polygons_nm(shape, W, H, k, rotations)
    assert x.dtype == np.int64 and y.dtype == np.int64
    assert bound >= len(x)
    exact_check(shape, x, y, r, W, H, k)
    return x, y, r, strategy, bound


# ---------------------------------------------------------------- tests


def test_checker_catches_overlap_and_kerf() -> None:
    sq = rect_poly(1, 1)
    x = np.array([0, 1_000_000], np.int64) + 500_000
    y = np.array([500_000, 500_000], np.int64)
    r = np.zeros(2)
    exact_check(sq, x, y, r, 3_000_000, 3_000_000, 0)  # touching is fine at kerf 0
    with pytest.raises(AssertionError):
        exact_check(sq, x, y, r, 3_000_000, 3_000_000, 1)
    with pytest.raises(AssertionError):
        exact_check(sq, x - np.array([0, 1]), y, r, 3_000_000, 3_000_000, 0)


def test_rectangle_as_polygon_exact_fit_63() -> None:
    """The issue's case: 9 x 7 grid fits exactly (9*10 + 8*0.1 = 90.8, 7*6 + 6*0.1 = 42.6)."""
    W, H, k = to_nm("94.8") - 2 * to_nm(2), to_nm("46.6") - 2 * to_nm(2), to_nm("0.1")
    x, y, r, strategy, bound = _run(rect_poly(10, 6), W, H, k)
    assert len(x) == 63 and bound >= 63
    xm, ym, rm, *_ = P.pack_polygons(rect_poly(10, 6), 90.8, 42.6, kerf=0.1)
    assert len(xm) == 63
    assert np.array_equal(np.rint(xm * 1e6).astype(np.int64), x)


@pytest.mark.parametrize("n", [1, 2, 7, 23])
def test_exact_fit_strips(n) -> None:
    """A strip exactly n cells (and n-1 kerfs) long holds n cells, at every rotation set."""
    for shape, w, h in ((rect_poly(10, 6), 10, 6), (ODD, 3.000001, 2.000001)):
        wn, hn = to_nm(repr(w)), to_nm(repr(h))
        k = 100_001
        x, *_ = _run(shape, n * wn + (n - 1) * k, hn, k, (0,))
        assert len(x) == n
        x, *_ = _run(shape, hn, n * wn + (n - 1) * k, k)
        assert len(x) == n


def test_triangle_exact_fit_row() -> None:
    """Triangles and their half turns alternate along a strip: 2n - 1 fit exactly."""
    wn = TRI.width_nm
    hn = TRI.height_nm
    x, _, r, *_ = _run(TRI, 3 * wn, hn, 0, (0, 180))
    assert len(x) >= 5 and set(r.tolist()) <= {0.0, 180.0}


@pytest.mark.parametrize("shape", [L_SHAPE, TRI, HEX, rect_poly(7, 3), ODD])
@pytest.mark.parametrize("k", [0, 50_000, 333_333])
def test_exact_checker_on_shapes(shape, k) -> None:
    x, y, r, strategy, bound = _run(shape, 61_000_003, 47_000_001, k)
    assert len(x) > 0
    grid = pack_rectangles(61_000_003 + k, 47_000_001 + k, shape.width_nm + k,
                           shape.height_nm + k, cut="free", rotation="any")
    assert len(x) >= grid.count


def test_l_shape_small_sheet_uses_diagonal_nesting() -> None:
    x, y, r, strategy, bound = _run(L_SHAPE, 200_000_000, 150_000_000, 50_000)
    assert "lattice" in strategy
    # the diagonal lattice u = (4.05, 4.05) mm packs far better than the box grid (266)
    box = pack_rectangles(200_050_000, 150_050_000, 10_050_000, 10_050_000)
    assert len(x) >= 1.5 * box.count


def test_l_shape_issue_case_9931() -> None:
    """1000 x 700 mm sheet, edge 5, kerf 0.05: a brute-force search found 9,931."""
    # its time: benchmarks/timings.py (l_shape_9931)
    x, y, r, _, bound, _ = P.pack_polygons_nm(L_SHAPE, 990_000_000, 690_000_000, 50_000,
                                              (0, 90, 180, 270))
    assert len(x) >= 9931 and bound >= len(x)
    assert P.check_placements(P._Geom(L_SHAPE.vertices_nm), x, y, np.rint(r / 90), 990_000_000,
                              690_000_000, 50_000)


def test_bound_is_not_the_box_bound() -> None:
    """An L packs far beyond its box grid's bound: the reported bound is the polygon's own."""
    x, *_, bound = _run(L_SHAPE, 100_000_000, 100_000_000, 0)
    box = pack_rectangles(100, 100, 10, 10)
    assert len(x) > box.upper_bound and bound >= len(x)


def test_nm_validation() -> None:
    with pytest.raises(P.LayoutgenError):
        P.pack_polygons_nm(TRI, 10.5, 10, 0, (0,))
    with pytest.raises(P.LayoutgenError):
        P.pack_polygons_nm(TRI, 10, 10, -1, (0,))
    x, *_ = P.pack_polygons_nm(TRI, 10, 10, 0, (0,))
    assert len(x) == 0


_DECIMALS = st.sampled_from(["1", "0.5", "0.25", "0.2", "0.1", "2.5", "1.000001", "0.333333"])


@given(w=st.integers(1, 40), h=st.integers(1, 40), W=st.integers(20, 400),
       H=st.integers(20, 400), k=st.integers(0, 6), f=_DECIMALS,
       rot=st.sampled_from([(0,), (0, 90), (0, 90, 180, 270), (90, 270)]))
@settings(max_examples=15, deadline=None)
def test_rectangle_polygon_never_below_box_grid(w, h, W, H, k, f, rot) -> None:
    """A rectangle given as a polygon, scaled by a decimal factor: never below the rectangle
    engine's count for the same box (and every placement passes the exact check)."""
    sc = to_nm(f) // 10
    wn, hn, Wn, Hn, kn = w * sc, h * sc, W * sc, H * sc, k * sc
    if wn % 2 or hn % 2:
        wn, hn = wn + wn % 2, hn + hn % 2
    shape = S.polygon(np.array([(0, 0), (wn, 0), (wn, hn), (0, hn)], float) / 1e6)
    x, y, r, strategy, bound = _run(shape, Wn, Hn, kn, rot)
    even = any(q % 180 == 0 for q in rot)
    odd = any(q % 180 == 90 for q in rot)
    mode = "any" if even and odd else ("0" if even else "90")
    ref = pack_rectangles(Wn + kn, Hn + kn, wn + kn, hn + kn, cut="free", rotation=mode)
    assert len(x) >= ref.count
    assert set((r % 360).tolist()) <= {float(q) for q in rot}
