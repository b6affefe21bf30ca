"""GDS/OASIS writer, .lyp and cells.csv: read back with klayout.db (an independent reader)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import klayout.db as db
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from layoutgen.deck import load_deck
from layoutgen.export.gds import (
    MAX_ARRAY,
    cell_name,
    regular_blocks,
    split_blocks,
    write_layout,
    write_lyp,
)
from layoutgen.export.manifest import HEADER, read_manifest, write_manifest
from layoutgen.export.numbers import format_csv
from layoutgen.layout.assemble import build_layout
from layoutgen.shapes import circle, rect, rounded
from layoutgen.technology import CELL_LAYER_NAMES
from layoutgen.tiling.result import Tiling

DECK = load_deck()
BIG = load_deck([], ["sheet.width_mm=2000", "sheet.length_mm=2000", "sheet.edge_x_mm=0",
                     "sheet.edge_y_mm=0", "tiling.kerf_um=100"])


def grid(shape, deck, *, nx, ny, rot=0.0, origin=None, pitch=None) -> Tiling:
    k = deck.tiling.kerf_um / 1000
    w, h = (shape.width, shape.height) if rot % 180 == 0 else (shape.height, shape.width)
    px, py = pitch or (w + k, h + k)
    ox, oy = origin or (deck.sheet.edge_x_mm + w / 2, deck.sheet.edge_y_mm + h / 2)
    xs, ys = np.meshgrid(ox + np.arange(nx) * px, oy + np.arange(ny) * py)
    n = nx * ny
    return Tiling(xs.ravel(), ys.ravel(), np.full(n, float(rot)), np.repeat(np.arange(ny), nx),
                  np.tile(np.arange(nx), ny), "grid", n, "count",
                  (deck.sheet.width_mm, deck.sheet.length_mm), 1.0, shape.area)


def mixed(deck=DECK) -> tuple[Tiling, object]:
    """Two blocks of 10 x 8 cells, 0 and 90 degrees, non-square pitches."""
    shape = rect(10, 8)
    a = grid(shape, deck, nx=12, ny=20)
    b = grid(shape, deck, nx=15, ny=9, rot=90, origin=(140, 10))
    x = np.r_[a.x, b.x]
    y = np.r_[a.y, b.y]
    o = np.lexsort((x, y))
    n = len(x)
    t = Tiling(x[o], y[o], np.r_[a.rotation_deg, b.rotation_deg][o], np.zeros(n, int),
               np.arange(n), "blocks", n, "count", a.sheet_mm, 1.0, shape.area)
    return t, shape


def read(path) -> db.Layout:  # noqa: ANN001
    ly = db.Layout()
    ly.read(str(path))
    return ly


def flat_count(ly: db.Layout, ld: tuple[int, int]) -> int:
    li = ly.find_layer(db.LayerInfo(*ld))
    return 0 if li is None else db.Region(ly.top_cell().begin_shapes_rec(li)).count()


def instance_positions(ly: db.Layout) -> dict[str, np.ndarray]:
    """Flat placement origins (mm) of each master, expanding arrays."""
    out: dict[str, list] = {}
    for inst in ly.top_cell().each_inst():
        name = inst.cell.name
        for t in inst.cell_inst.each_cplx_trans():
            out.setdefault(name, []).append((t.disp.x * ly.dbu / 1000, t.disp.y * ly.dbu / 1000))
    return {k: np.array(v) for k, v in out.items()}


def test_hierarchical_file_reads_back(tmp_path) -> None:
    t, shape = mixed()
    L = build_layout(t, shape, DECK)
    info = write_layout(L, tmp_path / "s.gds", name="SHEET_A", oasis=True)
    assert info.arrays == 2 and info.single_refs == 0
    for path in (info.gds_path, info.oasis_path):
        ly = read(path)
        assert ly.dbu == pytest.approx(0.001)
        assert ly.top_cell().name == "SHEET_A"
        assert sorted(c.name for c in ly.each_cell()) == ["CELL_R000", "CELL_R090", "SHEET_A"]
        for name in CELL_LAYER_NAMES:
            assert flat_count(ly, getattr(DECK.layers, name)) == L.count
        for name in ("SHEET", "USABLE", "FIDUCIAL", "CONTACT_RAIL", "FIELD"):
            assert flat_count(ly, getattr(DECK.layers, name)) == len(L.features[name])
        pos = instance_positions(ly)
        for m, p in enumerate(L.patterns):
            want = np.column_stack([L.x, L.y])[L.master == m]
            got = pos[p.name]
            key = np.lexsort
            assert np.allclose(got[key((got[:, 0], got[:, 1]))], want[key((want[:, 0],
                                                                        want[:, 1]))], atol=1e-6)
        iso = db.Region(ly.top_cell().begin_shapes_rec(ly.find_layer(db.LayerInfo(11, 0))))
        assert iso.holes().count() == L.count  # keyhole polygons merge into closed rings


def test_flat_file_has_every_polygon(tmp_path) -> None:
    t, shape = mixed()
    L = build_layout(t, shape, DECK)
    info = write_layout(L, tmp_path / "f.gds", flat=True)
    ly = read(info.gds_path)
    assert [c.name for c in ly.each_cell()] == ["SHEET"]
    for name in CELL_LAYER_NAMES:
        li = ly.find_layer(db.LayerInfo(*getattr(DECK.layers, name)))
        assert ly.top_cell().shapes(li).size() == L.count
    hier = write_layout(L, tmp_path / "h.gds")
    lh, lf = read(hier.gds_path), read(info.gds_path)
    for name in CELL_LAYER_NAMES:  # same geometry: XOR of flat and hierarchical is empty
        ld = db.LayerInfo(*getattr(DECK.layers, name))
        rh = db.Region(lh.top_cell().begin_shapes_rec(lh.find_layer(ld)))
        rf = db.Region(lf.top_cell().begin_shapes_rec(lf.find_layer(ld)))
        assert (rh ^ rf).is_empty()


def test_outputs_are_byte_identical(tmp_path) -> None:
    t, shape = mixed(load_deck([], ["layout.labels=true"]))
    deck = load_deck([], ["layout.labels=true"])
    for run in ("a", "b"):
        L = build_layout(t, shape, deck)
        write_layout(L, tmp_path / run / "s.gds", oasis=True)
        write_layout(L, tmp_path / run / "f.gds", flat=True)
        write_manifest(L, tmp_path / run / "cells.csv")
    for f in ("s.gds", "s.oas", "s.lyp", "f.gds", "cells.csv"):
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f
    ly = read(tmp_path / "a" / "s.gds")
    li = ly.find_layer(db.LayerInfo(*deck.layers.LABEL))
    texts = sorted(int(s.text_string) for s in ly.top_cell().shapes(li).each())
    assert texts == list(range(len(t.x)))


def test_lyp_lists_every_layer(tmp_path) -> None:
    deck = load_deck([], ["layers.PAD=[31, 2]"])
    path = write_lyp(deck.layers, tmp_path / "x.lyp")
    root = ET.parse(path).getroot()
    props = root.findall("properties")
    assert len(props) == 14
    sources = {p.findtext("name").split()[0]: p.findtext("source") for p in props}
    assert sources["PAD"] == "31/2@1" and sources["CATHODE"] == "20/0@1"
    assert all(p.findtext("fill-color").startswith("#") for p in props)
    try:
        import klayout.lay as lay
    except ImportError:  # pragma: no cover
        return
    view = lay.LayoutView()
    view.load_layer_props(str(path))
    assert sum(1 for _ in view.each_layer()) == 14


def test_regular_blocks_grid_hole_and_split() -> None:
    xs, ys = np.meshgrid(np.arange(50) * 2000, np.arange(40) * 3000)
    b = regular_blocks(xs.ravel(), ys.ravel())
    assert b.tolist() == [[0, 0, 2000, 3000, 50, 40]]
    keep = ~((xs.ravel() == 10000) & (ys.ravel() == 30000))
    b = regular_blocks(xs.ravel()[keep], ys.ravel()[keep])
    assert b[:, 4].dot(b[:, 5]) == 1999 and len(b) <= 4
    big = split_blocks(np.array([[0, 0, 10, 20, 70000, 3]]))
    assert big[:, 4].max() <= MAX_ARRAY and big[:, 4].sum() == 70000 and len(big) == 3
    assert big[1].tolist() == [327670, 0, 10, 20, 32767, 3]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 30), st.integers(0, 30)), min_size=1, max_size=200),
       st.integers(1, 5), st.integers(1, 5))
def test_regular_blocks_cover_every_point_once(pts, sx, sy) -> None:
    p = np.array(pts, np.int64) * (sx * 1000, sy * 1000)
    b = regular_blocks(p[:, 0], p[:, 1], tol=0)
    got = []
    for x0, y0, dx, dy, nx, ny in b.tolist():
        for j in range(ny):
            for i in range(nx):
                got.append((x0 + i * dx, y0 + j * dy))
    assert sorted(got) == sorted(map(tuple, p.tolist()))


def test_arrays_split_at_32767_in_the_file(tmp_path) -> None:
    deck = load_deck([], ["sheet.width_mm=2000", "sheet.length_mm=100", "sheet.edge_x_mm=0",
                          "sheet.edge_y_mm=0", "tiling.kerf_um=1", "layout.pad_w_um=10",
                          "layout.pad_h_um=10", "layout.contact_rail_width_mm=0",
                          "process.singulation_clearance_um=1", "process.isolation_width_um=1",
                          "process.electrolyte_overhang_um=1", "process.anode_cc_setback_um=1"])
    t = grid(rect(0.04, 0.04), deck, nx=40000, ny=2, origin=(0.03, 0.03))
    L = build_layout(t, rect(0.04, 0.04), deck)
    info = write_layout(L, tmp_path / "w.gds")
    ly = read(info.gds_path)
    sizes = sorted((i.na, i.nb) for i in ly.top_cell().each_inst())
    assert max(max(s) for s in sizes) <= MAX_ARRAY
    assert sum(a * b for a, b in sizes) == 80000 and len(sizes) == 2


def test_irregular_placements_become_single_references(tmp_path) -> None:
    rng = np.random.default_rng(3)
    x = 20 + 13 * np.arange(30) + rng.random(30)
    y = np.full(30, 50.0) + rng.random(30)
    o = np.lexsort((x, y))
    t = Tiling(x[o], y[o], np.zeros(30), np.zeros(30, int), np.arange(30), "random", 30,
               "count", (300.0, 300.0), 1.0, 100.0)
    L = build_layout(t, circle(10), DECK)
    info = write_layout(L, tmp_path / "r.gds", oasis=True)
    assert info.single_refs == 30 and info.arrays == 0
    pos = instance_positions(read(info.gds_path))["CELL_R000"]
    assert np.allclose(np.sort(pos[:, 0]), np.sort(x), atol=1e-6)
    pos = instance_positions(read(info.oasis_path))["CELL_R000"]
    assert len(pos) == 30


def test_million_cells_under_a_megabyte(tmp_path) -> None:
    shape = rect(1.9, 1.9)
    t = grid(shape, BIG, nx=1000, ny=1000)
    L = build_layout(t, shape, BIG)  # its time: benchmarks/timings.py (gds_1M)
    info = write_layout(L, tmp_path / "m.gds", oasis=True)
    assert info.gds_bytes < 1_000_000 and info.arrays == 1
    ly = read(info.gds_path)
    (inst,) = list(ly.top_cell().each_inst())
    assert inst.size() == 1_000_000


def test_manifest_columns_and_round_trip(tmp_path) -> None:
    t, shape = mixed(load_deck([], ['layout.pad_position="corner"']))
    deck = load_deck([], ['layout.pad_position="corner"'])
    L = build_layout(t, shape, deck)
    path = write_manifest(L, tmp_path / "cells.csv")
    lines = path.read_text().splitlines()
    assert lines[0] == ",".join(HEADER) and len(lines) == L.count + 1
    first = lines[1].split(",")
    assert first[0] == "0" and first[5] == "0" and first[3] == f"{L.x[0]:.6f}"
    m = read_manifest(path)
    assert np.array_equal(m.id, L.ids) and np.allclose(m.x, L.x) and np.allclose(m.pad_y, L.pad_y)
    assert np.array_equal(m.field, L.field) and set(np.unique(m.rotation)) == {0.0, 90.0}


def test_csv_formatter_matches_python_formatting() -> None:
    v = np.array([0.0, 1e-7, 0.4999996, 12.5, 1999.95, -3.25, 123456.789])
    ints = np.array([0, 9, 10, 99, 100, 2**40, -7])
    text = format_csv(("a", "b"), [(ints, 0), (v, 6)]).decode()
    want = "a,b\n" + "".join(f"{i},{x:.6f}\n" for i, x in zip(ints, v, strict=True))
    assert text == want.replace("-0.000000", "0.000000")


def test_rounded_and_circle_masters_keep_curves(tmp_path) -> None:
    for shape in (rounded(10, 8, 2), circle(12)):
        t = grid(shape, DECK, nx=3, ny=3)
        L = build_layout(t, shape, DECK)
        info = write_layout(L, tmp_path / f"{shape.kind}.gds")
        ly = read(info.gds_path)
        li = ly.find_layer(db.LayerInfo(*DECK.layers.CATHODE))
        cat = db.Region(ly.top_cell().begin_shapes_rec(li))
        want = sum(L.patterns[m].layers["CATHODE"].area for m in L.master)
        assert cat.area() * 1e-12 == pytest.approx(want, rel=1e-6)


def test_cell_name_is_gds_safe() -> None:
    assert cell_name("my sheet/1") == "my_sheet_1"
    assert len(cell_name("x" * 80)) == 32
