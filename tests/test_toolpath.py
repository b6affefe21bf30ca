"""Toolpath generation: geometry coverage, freeing cuts, ordering, scan fields, metrics."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from test_toolpath_cases import (
    cell_layer,
    cells,
    grid_case,
    hex_case,
    mixed_case,
    polygon_case,
    toolpath,
)

from layoutgen.errors import LayoutgenError
from layoutgen.toolpath import order as od
from layoutgen.toolpath.generate import covered_area
from layoutgen.toolpath.lines import guillotine_cuts
from layoutgen.toolpath.metrics import job_metrics
from layoutgen.toolpath.model import Paths, expand_passes

CASES = {"grid": grid_case, "mixed": mixed_case, "hex": hex_case, "polygon": polygon_case}

# Tolerances (stated): the area swept by the spot along the passes differs from the target
# (ISOLATION rings; for kerf-compensated contours the band [outline, outline + spot]) by at
# most a quarter of the chord tolerance (layout.chord_tolerance_um, 1 um: curves are polygons
# with vertices on the curve, drawn independently for each edge) times the boundary length,
# plus 0.2 % of the target area (round spot ends at sharp outer corners). The cut never
# overlaps a cell by more than 1e-6 mm2 per mm of outline.


def _tol(target: shapely.Geometry, layout) -> float:  # noqa: ANN001
    chord = layout.deck.layout.chord_tolerance_um / 1000
    return 0.25 * chord * target.length + 0.002 * target.area


@pytest.mark.parametrize("name", sorted(CASES))
def test_isolation_swath_covers_the_rings(name: str) -> None:
    layout = CASES[name]()
    tp = toolpath(layout)
    op = tp.operation("isolation")
    swath = covered_area(op.paths, op.params.spot_um / 1000)
    rings = cell_layer(layout, "ISOLATION")
    xor = shapely.symmetric_difference(swath, rings).area
    assert xor <= _tol(rings, layout), (xor, rings.area)
    # one or more passes per cell, all closed, every pass inside its ring's outer edge
    assert op.paths.closed.all()
    assert set(op.paths.unit.tolist()) == set(range(layout.count))


@pytest.mark.parametrize("name", ["hex", "polygon", "grid"])
def test_singulation_contours_cut_around_each_cell(name: str) -> None:
    layout = CASES[name]("laser.singulation_paths=contours", "laser.lead_in_um=0")
    tp = toolpath(layout)
    op = tp.operation("singulation")
    assert op.kind == "contours"
    spot = op.params.spot_um / 1000
    swath = covered_area(op.paths, spot)
    polys = cells(layout)
    outline = shapely.union_all(polys)
    band = shapely.union_all([shapely.difference(p.buffer(spot, join_style="mitre"), p)
                              for p in polys])
    band = shapely.difference(band, outline)
    xor = shapely.symmetric_difference(swath, band).area
    assert xor <= _tol(band, layout), (xor, band.area)
    # kerf compensation: the cut never eats into a cell (cells keep their nominal size)
    assert shapely.intersection(swath, outline).area <= 1e-6 * outline.length


def test_lead_in_and_microtabs() -> None:
    layout = hex_case("laser.microtabs=3", "laser.lead_in_um=100", "laser.microtab_width_um=80")
    tp = toolpath(layout)
    op = tp.operation("singulation")
    # 3 tabs -> 4 open strokes per cell (the loop is cut at the start, where the leads are)
    assert op.paths.count == 4 * layout.count
    assert not op.paths.closed.any()
    spot = op.params.spot_um / 1000
    polys = cells(layout)
    swath = covered_area(op.paths, spot)
    assert shapely.intersection(swath, shapely.union_all(polys)).area <= 1e-5
    # each cell stays attached by 3 bridges: its cut band minus the swath has 3 pieces
    p0 = polys[0]
    band = shapely.difference(p0.buffer(spot), p0)
    mine = covered_area(op.paths.take(np.flatnonzero(op.paths.unit == 0)), spot)
    left = shapely.difference(band, mine)
    pieces = [g for g in getattr(left, "geoms", [left]) if g.area > 1e-4]
    assert len(pieces) == 3
    # the lead-in and lead-out stay out of the neighbouring cells
    assert shapely.intersection(swath, shapely.union_all(polys[1:])).area <= 1e-5


@pytest.mark.parametrize("name", ["grid", "mixed"])
@pytest.mark.parametrize("run_through", [False, True])
def test_guillotine_lines_free_every_cell(name: str, run_through: bool) -> None:
    layout = CASES[name](f"laser.lines_run_through={str(run_through).lower()}")
    tp = toolpath(layout)
    op = tp.operation("singulation")
    assert op.kind == "lines"
    spot = op.params.spot_um / 1000
    swath = shapely.union_all([shapely.LineString(p).buffer(spot / 2, cap_style="flat")
                               for p in op.paths.as_list()])
    polys = cells(layout)
    outline = shapely.union_all(polys)
    assert shapely.intersection(swath, outline).area <= 1e-6 * outline.length
    rest = shapely.difference(shapely.box(0, 0, *tp.sheet_mm), swath)
    pieces = list(getattr(rest, "geoms", [rest]))
    tree = shapely.STRtree(pieces)
    kerf = layout.deck.tiling.kerf_um / 1000
    for p in polys:
        hit = tree.query(p.representative_point(), predicate="intersects")
        assert len(hit) == 1
        piece = pieces[hit[0]]
        assert piece.contains(p.buffer(-1e-6))
        # the freed piece is the cell plus at most (kerf - spot) / 2 around it
        assert piece.area - p.area <= p.length * ((kerf - spot) / 2 + 1e-4)
    if not run_through:
        x0, y0 = layout.deck.sheet.edge_x_mm, layout.deck.sheet.edge_y_mm
        assert op.paths.xy[:, 0].min() >= x0 - spot - 2e-3
        assert op.paths.xy[:, 1].min() >= y0 - spot - 2e-3
    else:
        assert op.paths.xy[:, 0].min() == 0.0


def test_lines_refused_for_circles_and_kerf_narrower_than_spot() -> None:
    with pytest.raises(LayoutgenError, match="singulation_paths"):
        toolpath(hex_case("laser.singulation_paths=lines"))
    with pytest.raises(LayoutgenError, match="kerf_um"):
        toolpath(grid_case("laser.singulation.spot_um=80"))


def test_non_guillotine_layout_falls_back_to_contours() -> None:
    # a pinwheel of 4 rectangles round a square hole: no straight cut separates them
    lo = np.array([[0, 0], [6.05, 0], [4.05, 4.05], [0, 2.05]], float)
    hi = np.array([[6, 2], [8.05, 6], [8.05, 6.05], [4, 6.05]], float)
    assert guillotine_cuts(lo, hi, (-1, -1, 9, 9), 0.051, 0.015) is None
    ok = guillotine_cuts(lo[:2], hi[:2], (-1, -1, 9, 9), 0.051, 0.015)
    assert ok is not None and len(ok)


@pytest.mark.parametrize("name", sorted(CASES))
def test_ordering_never_longer_and_metrics_add_up(name: str) -> None:
    tp = toolpath(CASES[name]())
    m = job_metrics(tp)
    for op in tp.operations:
        assert op.jump_after_mm <= op.jump_before_mm + 1e-9
        om = m["operations"][op.name]
        assert om["jump_mm"] == pytest.approx(op.jump_after_mm, rel=1e-9, abs=1e-9)
        assert om["mark_mm"] == pytest.approx(float(op.paths.lengths().sum()))
        p = op.params
        assert om["time_s"] == pytest.approx(
            om["mark_mm"] * p.passes / p.mark_speed_mm_s + om["jump_mm"] / p.jump_speed_mm_s
            + om["strokes"] * (p.laser_on_delay_us + p.laser_off_delay_us) * 1e-6
            + om["field_moves"] * tp.field_move_s)
    t = m["total"]
    for k in ("mark_mm", "jump_mm", "strokes", "segments", "time_s", "field_moves"):
        assert t[k] == pytest.approx(sum(o[k] for o in m["operations"].values()))
    assert [op.name for op in tp.operations] == ["fiducial", "isolation", "singulation"]


@pytest.mark.parametrize("name", sorted(CASES))
def test_scan_fields_never_split_a_contour(name: str) -> None:
    layout = CASES[name]("laser.field_mm=12", "laser.stitch_overlap_um=40")
    tp = toolpath(layout)
    size = tp.fields.size_mm
    assert tp.fields.count > 2
    for op in tp.operations:
        p = op.paths
        if op.kind == "contours":
            # every path of a cell in that cell's one field
            f_of_unit = np.full(layout.count, -1)
            f_of_unit[p.unit] = p.field
            assert np.array_equal(f_of_unit[p.unit], p.field)
        for f in np.unique(p.field):
            sel = np.flatnonzero(p.field == f)
            pts = np.concatenate([p.path(k) for k in sel])
            c = tp.fields.centers[f]
            assert np.all(np.abs(pts - c) <= size / 2 + 1e-9), (op.name, f)
        if op.kind == "lines":
            # pieces of one line overlap by the stitch overlap and cover it end to end
            for u in np.unique(p.unit):
                sel = np.flatnonzero(p.unit == u)
                if len(sel) < 2:
                    continue
                seg = np.array([p.path(k).ravel() for k in sel])
                axis = 0 if abs(seg[0, 0] - seg[0, 2]) > abs(seg[0, 1] - seg[0, 3]) else 1
                iv = np.sort(np.sort(seg[:, [axis, axis + 2]], axis=1), axis=0)
                overlaps = iv[:-1, 1] - iv[1:, 0]
                assert np.allclose(overlaps, 0.04, atol=1e-9)


def test_grid_jumps_are_a_small_share_of_marks() -> None:
    tp = toolpath(grid_case())
    m = job_metrics(tp)["operations"]["singulation"]
    assert m["jump_s"] < 0.05 * m["mark_s"]


def test_expand_passes_closed_and_open() -> None:
    closed = np.array([[0, 0], [1, 0], [1, 1], [0, 0]], float)
    open_ = np.array([[0, 0], [2, 0], [2, 2]], float)
    p = Paths.from_list([closed, open_], [True, False])
    e = expand_passes(p, 3)
    assert e.path(0).tolist() == [[0, 0], [1, 0], [1, 1], [0, 0], [1, 0], [1, 1], [0, 0],
                                  [1, 0], [1, 1], [0, 0]]
    assert e.path(1).tolist() == [[0, 0], [2, 0], [2, 2], [2, 0], [0, 0], [2, 0], [2, 2]]
    assert np.allclose(e.lengths(), 3 * p.lengths())
    assert np.allclose(p.exit_points(2), [[0, 0], [0, 0]])


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 50), st.floats(0, 50)), min_size=2, max_size=60),
       st.integers(0, 3))
def test_two_opt_and_orders_never_lengthen(pts: list, seed: int) -> None:
    p = np.array(pts, float)
    entry = np.zeros(2)
    start = np.random.default_rng(seed).permutation(len(p))
    before = od.tour_length(p, start, entry)
    after = od.tour_length(p, od.two_opt(p, start, entry), entry)
    assert after <= before + 1e-9
    o = od.order_points(p, entry, np.zeros(len(p), np.int64))
    assert sorted(o.tolist()) == list(range(len(p)))


def test_greedy_visits_everything_once() -> None:
    rng = np.random.default_rng(1)
    p = np.r_[rng.random((300, 2)) * 10, rng.random((50, 2)) * 2 + 40]
    o = od.greedy(p, np.zeros(2))
    assert sorted(o.tolist()) == list(range(len(p)))


def test_toolpath_is_deterministic() -> None:
    a, b = toolpath(hex_case()), toolpath(hex_case())
    for x, y in zip(a.operations, b.operations, strict=True):
        assert np.array_equal(x.paths.xy, y.paths.xy)
        assert np.array_equal(x.paths.starts, y.paths.starts)
