"""Sheet assembly: masters, manifest arrays, fiducials, contact rail, keep-outs, scan fields."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
import shapely.affinity

from layoutgen.deck import load_deck
from layoutgen.errors import LayoutgenError
from layoutgen.fields import mark_bounds, partition_1d
from layoutgen.layout.assemble import build_layout
from layoutgen.shapes import circle, rect, rounded
from layoutgen.tiling.result import Tiling


def grid(shape, deck, *, pitch=None, origin=None, nx=None, ny=None, rot=0.0) -> Tiling:
    """A regular grid tiling of the usable area, built by hand."""
    k = deck.tiling.kerf_um / 1000
    w, h = (shape.width, shape.height) if rot % 180 == 0 else (shape.height, shape.width)
    px, py = pitch or (w + k, h + k)
    ex, ey = deck.sheet.edge_x_mm, deck.sheet.edge_y_mm
    ox, oy = origin or (ex + w / 2, ey + h / 2)
    nx = nx or int((deck.sheet.width_mm - 2 * ex + k) // px)
    ny = ny or int((deck.sheet.length_mm - 2 * ey + k) // py)
    xs, ys = np.meshgrid(ox + np.arange(nx) * px, oy + np.arange(ny) * py)
    n = nx * ny
    return Tiling(xs.ravel(), ys.ravel(), np.full(n, float(rot)), np.repeat(np.arange(ny), nx),
                  np.tile(np.arange(nx), ny), "grid", n, "count",
                  (deck.sheet.width_mm, deck.sheet.length_mm), 1.0, shape.area)


def concat(*tilings: Tiling) -> Tiling:
    t0 = tilings[0]
    x = np.concatenate([t.x for t in tilings])
    y = np.concatenate([t.y for t in tilings])
    o = np.lexsort((x, y))
    rot = np.concatenate([t.rotation_deg for t in tilings])[o]
    return Tiling(x[o], y[o], rot, np.zeros(len(x), int), np.arange(len(x)), "blocks",
                  len(x), "count", t0.sheet_mm, 1.0, t0.cell_area_mm2)


def cells_union(layout) -> shapely.Geometry:  # noqa: ANN001
    return shapely.union_all([shapely.affinity.translate(
        layout.patterns[m].layers["SINGULATION"], x, y)
        for m, x, y in zip(layout.master, layout.x, layout.y, strict=True)])


def test_manifest_arrays_and_masters() -> None:
    deck = load_deck([], ['layout.pad_position="corner"'])
    shape = rect(10, 8)
    a = grid(shape, deck, nx=10, ny=5)
    b = grid(shape, deck, rot=90, origin=(120, 100), nx=4, ny=4)
    L = build_layout(concat(a, b), shape, deck)
    assert L.count == 66 and [p.name for p in L.patterns] == ["CELL_R000", "CELL_R090"]
    assert np.array_equal(L.ids, np.arange(66))
    assert set(np.unique(L.rotation_deg)) == {0.0, 90.0}
    assert np.array_equal(L.master, (L.rotation_deg == 90).astype(int))
    pad = np.array([p.pad_center for p in L.patterns])
    assert np.allclose(L.pad_x, L.x + pad[L.master, 0])
    assert np.allclose(L.pad_y, L.y + pad[L.master, 1])
    for arr in (L.row, L.col, L.field, L.pad_x, L.pad_y):
        assert len(arr) == L.count


def test_sheet_features_with_default_deck() -> None:
    deck = load_deck()
    L = build_layout(grid(rect(10, 8), deck), rect(10, 8), deck)
    f = L.features
    assert f["SHEET"][0].equals(shapely.box(0, 0, 300, 300))
    assert f["USABLE"][0].equals(shapely.box(5, 5, 295, 295))
    assert len(f["FIDUCIAL"]) == 4 and not L.notes
    centres = sorted(tuple(np.round(g.centroid.coords[0], 9)) for g in f["FIDUCIAL"])
    assert centres == [(2.5, 2.5), (2.5, 297.5), (297.5, 2.5), (297.5, 297.5)]
    cross = f["FIDUCIAL"][0]
    assert cross.area == pytest.approx(2 * 1.0 * 0.1 - 0.1 * 0.1)
    (rail,) = f["CONTACT_RAIL"]
    x0, y0, x1, y1 = rail.bounds
    assert (x0, x1) == pytest.approx((1.5, 3.5)) and y0 > 3.0 and y1 < 297.0  # left edge strip
    cells = cells_union(L)
    for g in (*f["FIDUCIAL"], rail):
        assert g.distance(cells) >= deck.tiling.kerf_um / 1000


def test_features_left_out_when_they_do_not_fit() -> None:
    deck = load_deck([], ["sheet.edge_x_mm=0", "sheet.edge_y_mm=0"])
    L = build_layout(grid(rect(10, 8), deck), rect(10, 8), deck)
    centres = [tuple(np.round(g.centroid.coords[0], 9)) for g in L.features["FIDUCIAL"]]
    assert (2.5, 2.5) not in centres and not L.features["CONTACT_RAIL"]
    assert any("fiducial" in n for n in L.notes) and any("contact rail" in n for n in L.notes)


@pytest.mark.parametrize("side", ["left", "right", "bottom", "top"])
def test_contact_rail_side_and_keepouts(side: str) -> None:
    deck = load_deck([], [f'layout.contact_rail_side="{side}"', "tiling.keepouts=[{x_mm=0, "
                          "y_mm=140, w_mm=5, h_mm=20, clearance_mm=0.5, name='clamp'}, "
                          "{x_mm=140, y_mm=0, w_mm=20, h_mm=5, name='tab'}, "
                          "{x_mm=295, y_mm=140, w_mm=5, h_mm=20}, "
                          "{x_mm=140, y_mm=295, w_mm=20, h_mm=5}]"])
    L = build_layout(grid(rect(10, 8), deck, nx=2, ny=2), rect(10, 8), deck)
    rails = L.features["CONTACT_RAIL"]
    assert len(rails) == 2  # split by the keep-out in that strip
    ko = shapely.union_all(L.features["KEEPOUT"])
    for r in rails:
        assert r.distance(ko) > 0
    assert L.keepout_clearance[:2] == (0.5, 0.0) and L.keepout_names[0] == "clamp"


def _check_fields(L, size: float) -> None:  # noqa: ANN001
    sw, sl = L.sheet_mm
    f, w = L.fields, L.field_windows
    assert sum((f[:, 2] - f[:, 0]) * (f[:, 3] - f[:, 1])) == pytest.approx(sw * sl)
    assert shapely.union_all([shapely.box(*r) for r in f]).area == pytest.approx(sw * sl)
    assert np.all(w[:, 2] - w[:, 0] <= size + 1e-9) and np.all(w[:, 3] - w[:, 1] <= size + 1e-9)
    b = np.array([p.layers["SINGULATION"].bounds for p in L.patterns])[L.master]
    win = w[L.field]
    assert np.all(L.x + b[:, 0] >= win[:, 0] - 1e-9) and np.all(L.x + b[:, 2] <= win[:, 2] + 1e-9)
    assert np.all(L.y + b[:, 1] >= win[:, 1] - 1e-9) and np.all(L.y + b[:, 3] <= win[:, 3] + 1e-9)
    cen = f[L.field]
    assert np.all((L.x >= cen[:, 0]) & (L.x <= cen[:, 2]) & (L.y >= cen[:, 1])
                  & (L.y <= cen[:, 3]))


def test_field_boundaries_run_in_streets() -> None:
    # a window holds its field's laser marks: past the field boundary only by how far a mark
    # reaches beyond its cell (kerf-compensated cut, lead-in) and, cut by lines (the default
    # for this grid), by half the stitch overlap
    for paths in ("contours", "auto"):
        deck = load_deck([], [f"laser.singulation_paths={paths}"])
        L = build_layout(grid(rect(10, 8), deck), rect(10, 8), deck)
        _check_fields(L, 100.0)
        marks = mark_bounds(L.patterns, deck)
        cell = np.array([p.layers["SINGULATION"].bounds for p in L.patterns])
        reach = max(float(np.max(cell[:, :2] - marks[:, :2])),
                    float(np.max(marks[:, 2:] - cell[:, 2:])))
        if paths == "auto":
            reach += deck.laser.stitch_overlap_um / 2000
        w, f = L.field_windows, L.fields
        assert 0 < reach < 0.2
        assert np.all((w[:, :2] >= f[:, :2] - reach - 1e-9)
                      & (w[:, 2:] <= f[:, 2:] + reach + 1e-9)), paths
    cells = cells_union(L)
    for r in L.fields:
        assert shapely.box(*r).boundary.intersection(cells).length == pytest.approx(0, abs=1e-9)
    assert L.cells_cut_by_fields == 0


def test_fields_without_streets_hold_cells_whole() -> None:
    deck = load_deck([], ["laser.field_mm=40"])
    shape = circle(6)
    k = 0.05
    p = 6 + k
    rows = []
    for j in range(40):
        rows.append(grid(shape, deck, pitch=(p, p * 3**0.5 / 2), nx=45 - j % 2, ny=1,
                         origin=(8 + (j % 2) * p / 2, 8 + j * p * 3**0.5 / 2)))
    L = build_layout(concat(*rows), shape, deck)
    _check_fields(L, 40.0)
    assert L.cells_cut_by_fields == 0


def test_partition_1d_prefers_mid_street() -> None:
    lo = np.array([0.0, 10.0, 20.0, 30.0])
    cuts, win, big = partition_1d(lo + 4.5, lo, lo + 9, -1.0, 41.0, 25.0)
    assert cuts[1] == pytest.approx(19.5) and big == 0
    cuts, win, big = partition_1d(np.array([5.0]), np.array([0.0]), np.array([30.0]), 0, 30, 10)
    assert big == 1


def test_per_field_fiducials_only_where_clear() -> None:
    deck = load_deck([], ["layout.fiducials_per_field=true", "tiling.kerf_um=2000"])
    L = build_layout(grid(rect(10, 8), deck), rect(10, 8), deck)
    assert len(L.features["FIDUCIAL"]) > 4
    cells = cells_union(L)
    for g in L.features["FIDUCIAL"]:
        assert g.distance(cells) >= 2.0 - 1e-9


def test_sheet_mismatch_and_empty_tiling() -> None:
    deck = load_deck()
    t = grid(rect(10, 8), deck, nx=1, ny=1)
    other = load_deck([], ["sheet.width_mm=400"])
    with pytest.raises(LayoutgenError, match="sheet"):
        build_layout(t, rect(10, 8), other)
    empty = Tiling(np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0, int), np.zeros(0, int),
                   "none", 0, "count", (300.0, 300.0), 1.0, 80.0)
    L = build_layout(empty, rect(10, 8), deck)
    assert L.count == 0 and len(L.fields) >= 9 and len(L.features["FIDUCIAL"]) == 4


def test_rounded_mixed_rotations_from_the_engine() -> None:
    from layoutgen.tiling.engine import sheet_spec_from_deck, tile

    deck = load_deck()
    shape = rounded(10, 8, 1)
    t = tile(shape, sheet_spec_from_deck(deck))
    L = build_layout(t, shape, deck)
    assert L.count == t.count and len(L.patterns) == len(np.unique(t.rotation_deg))
    _check_fields(L, deck.laser.field_mm)


def test_million_cells_lay_out() -> None:
    # marks exactly on the cell outlines (no lead-in, no kerf offset, contours): the fields
    # are the 100 mm grid, 50 x 50 cells each
    deck = load_deck([], ["sheet.width_mm=2000", "sheet.length_mm=2000", "sheet.edge_x_mm=0",
                          "sheet.edge_y_mm=0", "tiling.kerf_um=100", "laser.lead_in_um=0",
                          "laser.kerf_compensation=false", "laser.singulation_paths=contours"])
    t = grid(rect(1.9, 1.9), deck)
    assert t.count == 1_000_000
    L = build_layout(t, rect(1.9, 1.9), deck)  # its time: benchmarks/timings.py (layout_1M)
    assert L.count == 1_000_000 and len(L.fields) == 400
    assert np.bincount(L.field).min() == 2500  # 50 x 50 cells per field


def test_previews_vector_and_raster(tmp_path, monkeypatch) -> None:
    from layoutgen.render import layout as preview

    deck = load_deck()
    shape = rounded(10, 8, 1)
    L = build_layout(grid(shape, deck), shape, deck)
    for run in ("a", "b"):
        preview.write_previews(L, [tmp_path / run / "p.png", tmp_path / run / "p.svg"])
    for f in ("p.png", "p.svg"):
        data = (tmp_path / "a" / f).read_bytes()
        assert len(data) > 1000 and data == (tmp_path / "b" / f).read_bytes()
    svg = (tmp_path / "a" / "p.svg").read_text()
    assert "CATHODE 20/0" in svg and "ELECTROLYTE 21/0" in svg  # the legend
    monkeypatch.setattr(preview, "RASTER_CELLS", 10)
    preview.write_previews(L, [tmp_path / "r.svg"])
    assert "<image" in (tmp_path / "r.svg").read_text()
