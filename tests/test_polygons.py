"""Polygon cells: no-fit polygons, lattice and double-lattice packings, bounds."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from layoutgen import shapes as S
from layoutgen.errors import LayoutgenError
from layoutgen.tiling import polygons as P
from layoutgen.tiling.verify import verify_placements

TRI = S.polygon_from_wkt("POLYGON ((0 0, 10 0, 5 8.660254, 0 0))")
TRAP = S.polygon_from_wkt("POLYGON ((0 0, 10 0, 7 5, 3 5, 0 0))")
L_SHAPE = S.polygon_from_wkt("POLYGON ((0 0, 10 0, 10 3, 3 3, 3 10, 0 10, 0 0))")
HEX = S.polygon_from_wkt(
    "POLYGON ((0 0, 2 -3.4641016, 6 -3.4641016, 8 0, 6 3.4641016, 2 3.4641016, 0 0))")


def _pack(shape, W, H, kerf, **kw):
    x, y, r, strategy, bound, method = P.pack_polygons(shape, W, H, kerf=kerf, **kw)
    rep = verify_placements(shape, x, y, r, usable=shapely.box(0, 0, W, H), kerf=kerf)
    assert rep.ok, (strategy, rep.messages)
    assert bound >= len(x)
    assert "kerf-halo" in method
    order = np.lexsort((np.round(x, 9), np.round(y, 9)))
    assert np.array_equal(order, np.arange(len(x)))
    return x, y, r, strategy, bound


def test_nfp_of_squares() -> None:
    sq = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]], float)
    n = P.minkowski_sum(sq, -sq)
    assert n.area == pytest.approx(16)
    k = P.no_fit_polygon(sq, sq, 0.5)
    # exact: 4x4 square grown by 0.5 (round corners). The proposal region is exact along the
    # straight offsets (no safety inflation: the exact check decides) and inscribed at arcs.
    exact = 16 + 4 * 4 * 0.5 + math.pi * 0.25
    assert exact * (1 - 1e-3) <= k.area <= exact + 1e-9
    assert shapely.Point(2.5, 0).distance(k) < 1e-12 and not k.contains(shapely.Point(2.5, 0.0))
    assert k.contains(shapely.Point(2.4999, 0.0))


def test_nfp_nonconvex_matches_pairwise_distances() -> None:
    v = L_SHAPE.vertices
    nfp = P.no_fit_polygon(v, v, 0.3)
    rng = np.random.default_rng(1)
    base = shapely.Polygon(v)
    for t in rng.uniform(-14, 14, size=(300, 2)):
        d = base.distance(shapely.Polygon(v + t))
        inside = nfp.contains(shapely.Point(t))
        if d < 0.3 - 1e-3:
            assert inside
        if inside:
            assert d < 0.3 + 1e-3


def test_triangles_use_the_double_lattice() -> None:
    x, y, r, strategy, bound = _pack(TRI, 100, 80, 0.2)
    single = _pack(TRI, 100, 80, 0.2, rotations=(0,))
    assert "double lattice" in strategy and set(np.unique(r)) <= {0.0, 90.0, 180.0, 270.0}
    assert len(x) > 1.5 * len(single[0])
    assert len(x) >= 0.9 * bound  # 162 of 173 at the time of writing


def test_hexagons_tile() -> None:
    x, *_, bound = _pack(HEX, 100, 80, 0.2)
    assert len(x) >= 0.85 * bound


@pytest.mark.parametrize("shape", [TRAP, L_SHAPE, S.rounded(10, 5, 1), S.circle(6)])
def test_other_shapes(shape) -> None:
    x, *_ = _pack(shape, 60, 45, 0.3)
    assert len(x) > 0


def test_rotation_subsets() -> None:
    x, _, r, *_ = _pack(TRAP, 60, 45, 0.3, rotations=(90, 270))
    assert set(np.unique(r)) <= {90.0, 270.0}
    with pytest.raises(LayoutgenError, match="rotations"):
        P.pack_polygons(TRAP, 60, 45, rotations=(45,))
    with pytest.raises(LayoutgenError, match="rotations"):
        P.pack_polygons(TRAP, 60, 45, rotations=())
    with pytest.raises(LayoutgenError, match="kerf"):
        P.pack_polygons(TRAP, 60, 45, kerf=-1)
    with pytest.raises(LayoutgenError, match="width"):
        P.pack_polygons(TRAP, 0, 45)


def test_nothing_fits() -> None:
    x, y, r, strategy, bound = _pack(TRI, 5, 5, 0.0)
    assert len(x) == 0 and "none" in strategy and bound >= 0


def test_deterministic() -> None:
    a = _pack(TRAP, 50, 40, 0.1)
    b = _pack(TRAP, 50, 40, 0.1)
    assert all(np.array_equal(u, v) for u, v in zip(a[:3], b[:3], strict=True))
    assert a[3:] == b[3:]
    assert len(a[0]) > 0


@st.composite
def convex_polygons(draw):
    n = draw(st.integers(3, 7))
    ang = np.sort(np.array(draw(st.lists(st.floats(0, 2 * math.pi), min_size=n, max_size=n,
                                          unique=True))))
    rad = np.array(draw(st.lists(st.floats(2, 6), min_size=n, max_size=n)))
    v = np.column_stack([rad * np.cos(ang), rad * np.sin(ang)])
    hull = shapely.MultiPoint(v).convex_hull
    assume(hull.geom_type == "Polygon" and hull.area >= 2)
    return S.polygon(np.asarray(hull.exterior.coords))


@given(shape=convex_polygons(), W=st.floats(10, 60), H=st.floats(10, 60), k=st.floats(0, 1))
@settings(max_examples=6, deadline=None)
def test_random_convex_polygons_verify(shape, W, H, k) -> None:
    _pack(shape, W, H, k)


@given(shape=convex_polygons(), k=st.floats(0, 1), seed=st.integers(0, 100))
@settings(max_examples=15, deadline=None)
def test_upper_envelope_matches_shapely(shape, k, seed) -> None:
    v = shape.vertices
    F = P.no_fit_polygon(v, P.transform_vertices(v, 0, 0, 180), k).union(
        P.no_fit_polygon(v, v, k))
    env = P._Envelope(F)
    x0, y0, x1, y1 = F.bounds
    xs = np.random.default_rng(seed).uniform(x0 - 1, x1 + 1, 40)
    top = env.top(xs)
    for x, t in zip(xs, top, strict=True):
        cut = F.intersection(shapely.LineString([(x, y0 - 1), (x, y1 + 1)]))
        want = cut.bounds[3] if not cut.is_empty else -np.inf
        assert t == pytest.approx(want, abs=1e-9)
