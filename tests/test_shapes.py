"""Cell outlines: constructors, validation, file loaders, shapely conversion, exact areas."""

from __future__ import annotations

import math

import ezdxf
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from layoutgen import shapes as S
from layoutgen.errors import LayoutgenError


def test_exact_areas_and_perimeters() -> None:
    assert S.area(S.rect(10, 4)) == 40
    assert S.area(S.rounded(10, 4, 1)) == pytest.approx(40 - (4 - math.pi))
    assert S.area(S.circle(2)) == pytest.approx(math.pi)
    tri = S.polygon_from_wkt("POLYGON ((0 0, 4 0, 0 3, 0 0))")
    assert S.area(tri) == pytest.approx(6)
    assert S.perimeter(tri) == pytest.approx(12)
    assert S.perimeter(S.rounded(10, 4, 2)) == pytest.approx(12 + 4 * math.pi)
    assert S.rounded(5, 5, 0).kind == "rect"


@pytest.mark.parametrize(
    "make, msg",
    [
        (lambda: S.rect(0, 3), "width"),
        (lambda: S.rect(3, -1), "height"),
        (lambda: S.rect(float("nan"), 3), "width"),
        (lambda: S.circle(0), "diameter"),
        (lambda: S.rounded(10, 4, 2.5), "half the short side"),
        (lambda: S.rounded(10, 4, -1), "corner radius"),
        (lambda: S.polygon_from_wkt("POLYGON ((0 0, 2 2, 2 0, 0 2, 0 0))"), "not simple"),
        (lambda: S.polygon_from_wkt("LINESTRING (0 0, 1 0, 1 1)"), "open"),
        (lambda: S.polygon_from_wkt("POLYGON ((0 0, 1 0, 0 0))"), "3"),
        (lambda: S.polygon_from_wkt("POLYGON ((0 0, 9 0, 9 9, 0 9, 0 0), (1 1, 2 1, 2 2, 1 1))"),
         "holes"),
        (lambda: S.polygon_from_wkt("POLYGON ((0 0, 1"), "parse"),
        (lambda: S.polygon_from_wkt("POINT (1 1)"), "POLYGON"),
        (lambda: S.polygon(np.array([[0, 0], [1, 1], [2, 2]])), "not simple|zero area"),
    ],
)
def test_validation_errors(make, msg: str) -> None:
    with pytest.raises(LayoutgenError, match=msg):
        make()


def test_polygon_is_centred_ccw_and_hashable() -> None:
    cw = S.polygon_from_wkt("POLYGON ((10 10, 10 13, 14 10, 10 10))")  # clockwise input
    assert (cw.width, cw.height) == (4, 3)
    v = cw.vertices
    assert np.allclose((v.min(axis=0) + v.max(axis=0)) / 2, 0)
    assert shapely.Polygon(v).exterior.is_ccw
    again = S.polygon_from_wkt("POLYGON ((10 10, 10 13, 14 10, 10 10))")
    assert cw == again and hash(cw) == hash(again) and cw != S.rect(4, 3)
    with pytest.raises(ValueError):
        v[0, 0] = 1.0  # read-only


@pytest.mark.parametrize("shape", [S.rounded(10, 6, 2), S.circle(7), S.rounded(6, 6, 3)])
@pytest.mark.parametrize("tol", [1e-2, 1e-3])
def test_curve_approximation_within_tolerance(shape: S.CellShape, tol: float) -> None:
    inner = S.to_shapely(shape, tolerance_mm=tol)
    outer = S.to_shapely(shape, tolerance_mm=tol, outer=True)
    core, r = S.core_vertices(shape)
    core_g = shapely.Point(core[0]) if len(core) == 1 else (
        shapely.LineString(core) if len(core) == 2 else shapely.Polygon(core))
    exact = core_g.buffer(r, quad_segs=2048)
    assert inner.area <= S.area(shape) <= outer.area
    assert abs(exact.area - S.area(shape)) < 1e-4 * S.area(shape)
    # vertices of the inscribed polygon lie on the curve; the outer one's within tol outside
    d_in = shapely.distance(core_g, shapely.points(np.asarray(inner.exterior.coords)))
    d_out = shapely.distance(core_g, shapely.points(np.asarray(outer.exterior.coords)))
    assert np.all(d_in <= r + 1e-9)
    assert np.all(d_out >= r - 1e-9) and np.all(d_out <= r + tol + 1e-9)
    assert inner.hausdorff_distance(exact) <= tol * 1.01 + 1e-6
    assert outer.hausdorff_distance(exact) <= tol * 1.01 + 1e-6
    # the outer polygon keeps the exact bounding box
    assert np.allclose(outer.bounds, (-shape.width / 2, -shape.height / 2, shape.width / 2,
                                      shape.height / 2))


def test_to_shapely_pose() -> None:
    p = S.to_shapely(S.rect(10, 4), x=5, y=7, rotation_deg=90)
    assert p.bounds == (3.0, 2.0, 7.0, 12.0)
    q = S.to_shapely(S.rect(10, 4), rotation_deg=45)
    assert q.area == pytest.approx(40)


def test_compat_helpers() -> None:
    pts = S.outline_points(S.rect(2, 4), 0.001)
    assert np.allclose(S.rotate_points(pts, 90), [[2, -1], [2, 1], [-2, 1], [-2, -1]])


@given(w=st.integers(500, 50000).map(lambda v: v / 1000),  # sizes on the um grid
       h=st.integers(500, 50000).map(lambda v: v / 1000), f=st.floats(0, 1),
       halo=st.one_of(st.just(0.0), st.floats(1e-3, 3)))
@settings(max_examples=40, deadline=None)
def test_halo_area_matches_buffer(w: float, h: float, f: float, halo: float) -> None:
    shape = S.rounded(w, h, f * min(w, h) / 2)
    grown = S.to_shapely(shape, tolerance_mm=1e-5).buffer(halo, quad_segs=256)
    assert S.halo_area(shape, halo) == pytest.approx(grown.area, rel=1e-4)


def test_halo_area_nonconvex_is_lower_bound() -> None:
    L = S.polygon_from_wkt("POLYGON ((0 0, 10 0, 10 3, 3 3, 3 10, 0 10, 0 0))")
    exactish = S.to_shapely(L).buffer(1.0, quad_segs=512).area
    assert S.halo_area(L, 1.0) <= exactish + 1e-9
    assert S.halo_area(L, 1.0) == pytest.approx(exactish, rel=1e-4)


def _dxf(tmp_path, build, units: int = 4):
    doc = ezdxf.new()
    doc.units = units
    build(doc.modelspace())
    path = tmp_path / "cell.dxf"
    doc.saveas(path)
    return path


def test_dxf_closed_lwpolyline_with_bulges(tmp_path) -> None:
    # a 10 x 6 stadium: two half circles as bulges of 1
    def build(msp):
        msp.add_lwpolyline([(0, 0, 0, 0, 0), (7, 0, 0, 0, 1), (7, 6, 0, 0, 0), (0, 6, 0, 0, 1)],
                           format="xyseb", close=True)

    shape = S.load_polygon(_dxf(tmp_path, build), tolerance_mm=1e-3)
    assert shape.kind == "polygon"
    assert shape.width == pytest.approx(13, abs=1e-6) and shape.height == pytest.approx(6)
    assert S.area(shape) == pytest.approx(7 * 6 + math.pi * 9, rel=1e-3)


def test_dxf_line_arc_loop_and_units(tmp_path) -> None:
    def build(msp):
        msp.add_line((0, 0), (1, 0))
        msp.add_arc((1, 0.5), 0.5, -90, 90)
        msp.add_line((0, 1), (1, 1))
        msp.add_line((0, 1), (0, 0))
        msp.add_circle((5, 5), 0.1)  # ignored
    shape = S.polygon_from_dxf(_dxf(tmp_path, build, units=5))  # centimetres
    assert shape.width == pytest.approx(15, abs=1e-6) and shape.height == pytest.approx(10)
    assert S.area(shape) == pytest.approx(100 + math.pi * 25 / 2, rel=1e-3)


def test_dxf_errors(tmp_path) -> None:
    p = _dxf(tmp_path, lambda m: m.add_lwpolyline([(0, 0), (5, 0), (5, 5), (0, 5)]))
    with pytest.raises(LayoutgenError, match="not closed"):
        S.polygon_from_dxf(p)
    p = _dxf(tmp_path, lambda m: m.add_circle((0, 0), 1))
    with pytest.raises(LayoutgenError, match="no closed outline"):
        S.polygon_from_dxf(p)
    bad = tmp_path / "bad.dxf"
    bad.write_text("not a dxf")
    with pytest.raises(LayoutgenError, match="DXF"):
        S.polygon_from_dxf(bad)
    with pytest.raises(LayoutgenError, match="unknown outline file type"):
        S.load_polygon(tmp_path / "cell.svg")
    with pytest.raises(LayoutgenError, match="cannot read"):
        S.load_polygon(tmp_path / "missing.wkt")


def test_wkt_file(tmp_path) -> None:
    p = tmp_path / "cell.wkt"
    p.write_text("POLYGON ((0 0, 6 0, 6 2, 0 2, 0 0))\n")
    shape = S.load_polygon(p)
    assert (shape.width, shape.height, S.area(shape)) == (6, 2, 12)


def test_dxf_old_style_polyline_and_largest_outline(tmp_path) -> None:
    def build(msp):
        msp.add_polyline2d([(0, 0), (4, 0), (4, 3), (0, 3)], close=True)
        msp.add_lwpolyline([(1, 1), (2, 1), (2, 2)], close=True)  # a smaller feature
    shape = S.polygon_from_dxf(_dxf(tmp_path, build))
    assert (shape.width, shape.height, S.area(shape)) == (4, 3, 12)
