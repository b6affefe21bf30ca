"""Toolpath generation: geometry coverage, freeing cuts, ordering, scan fields, metrics."""

from __future__ import annotations

from dataclasses import replace

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
from layoutgen.export import numbers as fmt
from layoutgen.toolpath import contours as ct
from layoutgen.toolpath import order as od
from layoutgen.toolpath.generate import covered_area
from layoutgen.toolpath.lines import guillotine_cuts
from layoutgen.toolpath.metrics import job_metrics
from layoutgen.toolpath.model import (
    ARC_CCW,
    ARC_CW,
    ARC_LINE,
    CellPaths,
    Paths,
    expand_passes,
)

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


# --- ordering: local search, start choice, against vpype's algorithm --------------------------


def _jumps(first: np.ndarray, exit_: np.ndarray, order: np.ndarray, entry: np.ndarray) -> float:
    return od.jump_length(first[order], exit_[order], entry)


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 70), st.integers(0, 10_000), st.integers(1, 12), st.integers(0, 8),
       st.integers(1, 3), st.booleans())
def test_local_search_never_lengthens(n: int, seed: int, window: int, or_window: int, run: int,
                                      closed: bool) -> None:
    rng = np.random.default_rng(seed)
    first = rng.random((n, 2)) * 20
    exit_ = first if closed else first + rng.normal(0, 0.5, (n, 2))  # open strokes: exit != entry
    entry = rng.random(2) * 20
    start = rng.permutation(n)
    o = od.local_search(first, exit_, entry, start, window, or_window, run)
    assert sorted(o.tolist()) == list(range(n))
    assert _jumps(first, exit_, o, entry) <= _jumps(first, exit_, start, entry) + 1e-9


def test_or_opt_mends_what_two_opt_cannot() -> None:
    # a 2-opt local optimum: moving one stop elsewhere (Or-opt) still shortens it
    p = np.array([[5, 3], [2, 2], [4, 7], [0, 7], [3, 4], [10, 2], [8, 4]], float)
    start = np.array([1, 0, 4, 3, 2, 6, 5])
    entry = np.zeros(2)
    assert np.array_equal(od.two_opt(p, start, entry, window=7), start)
    better = od.local_search(p, p, entry, start, window=7, or_window=7)
    assert od.tour_length(p, better, entry) < od.tour_length(p, start, entry) - 0.5


def test_order_cells_picks_starts_and_beats_its_candidates() -> None:
    rng = np.random.default_rng(4)
    n, s = 300, 8
    centre = rng.random((n, 2)) * 30
    ang = np.arange(s) * 2 * np.pi / s
    ring = 0.4 * np.column_stack([np.cos(ang), np.sin(ang)])
    first = centre[:, None, :] + ring[None]
    exit_ = first + 0.05  # open strokes end beside their start
    inner = np.zeros((n, s))
    rows = np.floor(centre[:, 1]).astype(np.int64)
    entry = np.zeros(2)
    o, st_ = od.order_cells(first, exit_, inner, centre, rows, entry)
    assert sorted(o.tolist()) == list(range(n)) and st_.min() >= 0 and st_.max() < s
    k = np.arange(n)
    got = od.jump_length(first[o, st_], exit_[o, st_], entry)
    for cand in (od.serpentine(centre, rows, entry), od.zigzag(centre, rows, entry),
                 od.greedy(centre, entry)):
        sc = od.choose_starts(first[cand], exit_[cand], inner[cand], entry, sweeps=1)
        assert got <= od.jump_length(first[cand][k, sc], exit_[cand][k, sc], entry) + 1e-9


def _vpype_linesort_two_opt(first: np.ndarray, last: np.ndarray) -> float:
    """Pen-up length of vpype's `linesort --two-opt` (greedy nearest start from the first
    stroke, then its 2-opt passes until none improves), for strokes that are not flipped."""
    n = len(first)
    left = np.ones(n, bool)
    left[0] = False
    order = [0]
    for _ in range(n - 1):
        d = np.hypot(*(first - last[order[-1]]).T)
        d[~left] = np.inf
        j = int(np.argmin(d))
        left[j] = False
        order.append(j)
    e = np.array([[*first[k], *last[k]] for k in order])  # start x, y, end x, y
    improved = True
    while improved:
        improved = False
        for mid in range(1, n - 1):
            pu, pd = e[mid:n - 1, 2:], e[mid + 1:, :2]
            src, dst = e[mid - 1, 2:], e[mid, :2]
            delta = (np.hypot(*(src - pu).T) + np.hypot(*(dst - pd).T)
                     - np.hypot(*(pu - pd).T) - np.hypot(*(src - dst)))
            i = int(np.argmin(delta))
            if delta[i] < -1e-10:
                seg = e[mid:mid + i + 1][::-1]
                e[mid:mid + i + 1] = np.column_stack([seg[:, 2:], seg[:, :2]])
                improved = True
    return float(np.hypot(*(e[1:, :2] - e[:-1, 2:]).T).sum())


@pytest.mark.parametrize("d, rows, cols", [(3.0, 4, 10), (0.8, 20, 40)])
def test_contour_jumps_no_longer_than_vpype_two_opt(d: float, rows: int, cols: int) -> None:
    """On our own contours (our start points), vpype's greedy + 2-opt finds no shorter order."""
    layout = hex_case("laser.lead_in_um=0", "laser.field_mm=2000",
                      "laser.fiducial.enabled=false", d=d, rows=rows, cols=cols)
    op = toolpath(layout).operation("singulation")
    p = op.paths
    ours = float(np.hypot(*(p.first[1:] - p.last[:-1]).T).sum())
    by_cell = np.argsort(p.unit, kind="stable")  # handed over in the tiling's order
    assert ours <= _vpype_linesort_two_opt(p.first[by_cell], p.last[by_cell]) + 1e-9


def test_zigzag_and_serpentine_visit_everything_once() -> None:
    rng = np.random.default_rng(2)
    p = rng.random((200, 2)) * 10
    rows = np.floor(p[:, 1] * 2).astype(np.int64)
    for o in (od.zigzag(p, rows, np.zeros(2), 0), od.zigzag(p, rows, np.zeros(2), 1),
              od.serpentine(p, rows, np.zeros(2))):
        assert sorted(o.tolist()) == list(range(len(p)))


# --- arcs -------------------------------------------------------------------------------------


def _check_arcs(paths: Paths, tol: float) -> int:
    """Every arc of `paths`: the vertices it passes lie within tol of its circle, its chords turn
    the way its code says. Returns the number of arcs."""
    a = paths.arc_codes()
    ends = np.flatnonzero(a >= ARC_CW)
    kept = np.flatnonzero(a)
    assert np.all(a[paths.starts[:-1]] == ARC_LINE) and np.all(a[paths.starts[1:] - 1] != 0)
    centres = paths.arc_centres(ends)
    for e, c in zip(ends.tolist(), centres, strict=True):
        s = int(kept[np.searchsorted(kept, e) - 1])
        rel = paths.xy[s:e + 1] - c
        r = np.hypot(*rel.T)
        assert np.abs(r - r[0]).max() <= tol
        cross = rel[:-1, 0] * rel[1:, 1] - rel[:-1, 1] * rel[1:, 0]
        assert np.all(cross > 0) if a[e] == ARC_CCW else np.all(cross < 0)
    return len(ends)


def _ring(n: int, r: float = 1.0, cw: bool = False) -> np.ndarray:
    t = np.arange(n + 1) * 2 * np.pi / n * (-1 if cw else 1)
    return np.column_stack([r * np.cos(t), r * np.sin(t)])


def test_arc_codes_find_circles_and_rounded_corners_only() -> None:
    tol = 1e-3
    step = 2 * np.arccos(1 - tol / 1.0)  # chords of a 1 mm circle within 1 um
    ring = _ring(int(np.ceil(2 * np.pi / step)))
    codes = ct.arc_codes(ring, tol)
    assert codes[0] == ARC_LINE and (codes == ARC_CCW).sum() == 2 and (codes == ARC_LINE).sum() == 1
    assert (ct.arc_codes(ring[::-1], tol) == ARC_CW).sum() == 2
    square = np.array([[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]], float)
    assert np.all(ct.arc_codes(square, tol) == ARC_LINE)
    coarse = _ring(12)  # chords 34 um off the circle: not an arc within 1 um
    assert np.all(ct.arc_codes(coarse, tol) == ARC_LINE)
    rounded = shapely.box(0, 0, 4, 2).buffer(0.5, quad_segs=64)
    loop = ct.start_at(ct._ccw_ring(shapely.get_coordinates(rounded.exterior)), ct.DIRECTIONS[0])
    c = ct.arc_codes(loop, tol)
    assert (c == ARC_CCW).sum() == 4 and (c >= ARC_CW).sum() == 4  # one arc per corner
    one = Paths(loop, np.array([0, len(loop)]), np.array([True]), np.zeros(1, int),
                np.zeros(1, int), c)
    assert _check_arcs(one, tol) == 4


@pytest.mark.parametrize("name", ["hex", "polygon"])
def test_template_arcs_stay_within_the_chord_tolerance(name: str) -> None:
    layout = CASES[name]("laser.microtabs=2") if name == "hex" else CASES[name]()
    tol = layout.deck.layout.chord_tolerance_um / 1000
    tp = toolpath(layout)
    n_arcs = 0
    for op in tp.operations:
        n_arcs += _check_arcs(op.paths, tol)
        # the arc bulges at most tol beyond each chord it replaces
        a = op.paths.arc_codes()
        kept = np.flatnonzero(a)
        ends = np.flatnonzero(a >= ARC_CW)
        for e, c in zip(ends.tolist(), op.paths.arc_centres(ends), strict=True):
            s = int(kept[np.searchsorted(kept, e) - 1])
            v = op.paths.xy[s:e + 1]
            r = np.hypot(*(v[0] - c))
            mid = (v[1:] + v[:-1]) / 2
            sag = r - np.hypot(*(mid - c).T)
            assert sag.max() <= tol + 1e-12
    assert n_arcs > 0


def test_arcs_survive_reversal_and_passes() -> None:
    tol = 1e-3
    ring = _ring(80, 0.8) + [5, 5]
    lead = np.vstack([[4.0, 4.0], ring, [6.5, 6.5]])  # straight in, round, straight out
    codes = [ct.arc_codes(x, tol) for x in (ring, lead)]
    p = Paths(np.vstack([ring, lead]), np.array([0, len(ring), len(ring) + len(lead)]),
              np.array([True, False]), np.arange(2), np.zeros(2, int), np.concatenate(codes))
    assert _check_arcs(p, tol) >= 4 and p.moves < p.segments / 5
    r = p.take(np.array([1, 0]), np.array([True, True]))
    assert _check_arcs(r, tol) == _check_arcs(p, tol) and r.moves == p.moves
    for passes in (2, 3):
        e = expand_passes(p, passes)
        assert _check_arcs(e, tol) == passes * _check_arcs(p, tol)
        assert e.moves == passes * p.moves
        assert np.array_equal(e.xy, expand_passes(replace(p, arcs=None), passes).xy)


def test_contours_are_built_cell_by_cell_on_demand() -> None:
    tp = toolpath(hex_case())
    op = tp.operation("singulation")
    assert isinstance(op.marks, CellPaths) and op.strokes == op.marks.count
    p = op.paths
    assert op.paths is p and p.count == op.strokes  # built once
    m = op.marks
    ref = m.templates.instance(m.variant, m.centre, m.unit, m.field)
    assert np.array_equal(p.xy, ref.xy) and np.array_equal(p.arcs, ref.arcs)


# --- text formatting ----------------------------------------------------------------------------


@pytest.mark.parametrize("decimals", [0, 1, 3, 6])
@pytest.mark.parametrize("scale", [1.0, 1e3, 1e6, 1e9])
def test_fixed_point_text_matches_python(decimals: int, scale: float) -> None:
    rng = np.random.default_rng(int(scale) + decimals)
    v = (rng.random(2000) - 0.5) * scale
    v[:4] = [0.0, 5.0, -7.25, 10 ** -decimals]
    q = fmt.scaled(v, decimals)
    got = fmt.lines([fmt.fixed(q, decimals), fmt.choice(["\n"], rows=len(q))]).decode()
    want = "".join(f"{x}\n" if decimals == 0 else
                   f"{'-' if x < 0 else ''}{abs(x) // 10 ** decimals}."
                   f"{abs(x) % 10 ** decimals:0{decimals}d}\n" for x in q.tolist())
    assert got == want
    assert fmt.join([fmt.number(v, decimals), fmt.text(["\n"], rows=len(v))]).decode() == want
