"""DRC: clean on good layouts, and catching violations planted on purpose."""

from __future__ import annotations

import klayout.db as db
import numpy as np
import pytest

from layoutgen.deck import load_deck
from layoutgen.drc import run_drc
from layoutgen.errors import LayoutgenError
from layoutgen.export.gds import write_layout
from layoutgen.export.manifest import write_manifest
from layoutgen.layout.assemble import build_layout
from layoutgen.shapes import circle, polygon, rect, rounded
from layoutgen.tiling.result import Tiling

DECK = load_deck()


def grid(shape, deck=DECK, *, nx=None, ny=None, rot=0.0, origin=None) -> Tiling:
    k = deck.tiling.kerf_um / 1000
    w, h = (shape.width, shape.height) if rot % 180 == 0 else (shape.height, shape.width)
    ex, ey = deck.sheet.edge_x_mm, deck.sheet.edge_y_mm
    nx = nx or int((deck.sheet.width_mm - 2 * ex + k) // (w + k))
    ny = ny or int((deck.sheet.length_mm - 2 * ey + k) // (h + k))
    ox, oy = origin or (ex + w / 2, ey + h / 2)
    xs, ys = np.meshgrid(ox + np.arange(nx) * (w + k), oy + np.arange(ny) * (h + k))
    return tiling(xs.ravel(), ys.ravel(), np.full(nx * ny, float(rot)), deck, shape)


def tiling(x, y, rot, deck, shape) -> Tiling:  # noqa: ANN001
    x, y, rot = (np.asarray(a, float) for a in (x, y, rot))
    o = np.lexsort((x, y))
    n = len(x)
    return Tiling(x[o], y[o], rot[o], np.zeros(n, int), np.arange(n), "hand", n, "count",
                  (deck.sheet.width_mm, deck.sheet.length_mm), 1.0, shape.area)


def write(tmp_path, t, shape, deck=DECK, **kw):  # noqa: ANN001, ANN201
    L = build_layout(t, shape, deck)
    info = write_layout(L, tmp_path / "s.gds", **kw)
    write_manifest(L, tmp_path / "cells.csv")
    return L, info.gds_path, tmp_path / "cells.csv"


def rules(report) -> dict[str, int]:  # noqa: ANN001
    return {v.rule: v.count for v in report.violations}


def markers(path) -> int:  # noqa: ANN001
    ly = db.Layout()
    ly.read(str(path))
    li = ly.find_layer(db.LayerInfo(*DECK.layers.DRC_MARKER))
    if li is None:
        return 0
    return db.Region(ly.top_cell().begin_shapes_rec(li)).count()


def edit(path, out, fn):  # noqa: ANN001, ANN201
    """Read a GDS with klayout, apply fn(layout), write it to out."""
    ly = db.Layout()
    ly.read(str(path))
    fn(ly)
    ly.write(str(out))
    return out


@pytest.mark.parametrize("shape", [rect(10, 8), rounded(10, 8, 1.5), circle(12),
                                   rect(1.5, 1.5)])
def test_engine_layouts_are_clean(tmp_path, shape) -> None:
    from layoutgen.tiling.engine import sheet_spec_from_deck, tile

    t = tile(shape, sheet_spec_from_deck(DECK))
    L, gds, man = write(tmp_path, t, shape)
    rep = run_drc(gds, DECK, man)
    assert rep.ok, rep.violations
    assert rep.cell_count == L.count == rep.manifest_count
    assert markers(rep.marker_path) == 0


def test_polygon_cells_rotated_and_flat_file_clean(tmp_path) -> None:
    shape = polygon([(0, 0), (8, 0), (8, 5), (4, 7), (0, 5)])
    a = grid(shape, nx=8, ny=6)
    b = grid(shape, nx=8, ny=6, rot=180, origin=(120, 150))
    t = tiling(np.r_[a.x, b.x], np.r_[a.y, b.y], np.r_[a.rotation_deg, b.rotation_deg], DECK,
               shape)
    L, gds, man = write(tmp_path, t, shape, flat=True)
    rep = run_drc(gds, DECK, man)
    assert rep.ok, rep.violations
    assert rep.cell_count == 96


def test_moved_cell_overlap_is_caught(tmp_path) -> None:
    shape = rect(10, 8)
    t = grid(shape, nx=10, ny=10)
    x = t.x.copy()
    x[55] += 4.0  # onto its neighbour
    L, gds, man = write(tmp_path, tiling(x, t.y, t.rotation_deg, DECK, shape), shape)
    rep = run_drc(gds, DECK, man)
    found = rules(rep)
    assert "SINGULATION.overlap" in found and not rep.ok
    (ov,) = [v for v in rep.violations if v.rule == "SINGULATION.overlap"]
    lx, ly_ = ov.locations[0]
    assert abs(lx - x[55]) < 10 and abs(ly_ - t.y[55]) < 8
    assert markers(rep.marker_path) > 0


def test_kerf_narrower_than_the_deck_is_caught(tmp_path) -> None:
    shape = rect(10, 8)
    _, gds, man = write(tmp_path, grid(shape, nx=5, ny=4), shape)
    rep = run_drc(gds, load_deck([], ["tiling.kerf_um=80"]), man)
    found = rules(rep)
    assert set(found) == {"SINGULATION.space"}
    assert found["SINGULATION.space"] >= 4 * 4 + 5 * 3  # every street (corners add more)


def test_pad_outside_anode_collector_is_caught_at_every_cell(tmp_path) -> None:
    shape = rect(10, 8)
    L, gds, man = write(tmp_path, grid(shape, nx=6, ny=5), shape)

    def move_pad(ly: db.Layout) -> None:
        cell = ly.cell("CELL_R000")
        li = ly.find_layer(db.LayerInfo(*DECK.layers.PAD))
        cell.shapes(li).transform(db.Trans(db.Vector(4_900_000, 0)))

    bad = edit(gds, tmp_path / "bad.gds", move_pad)
    rep = run_drc(bad, DECK, man)
    found = rules(rep)
    assert found["ANODE_CC.enclosure.PAD"] == 30
    assert "manifest.pad" in found
    v = next(v for v in rep.violations if v.rule == "ANODE_CC.enclosure.PAD")
    assert len(v.locations) == 20  # located at the placements, not in the master
    assert markers(rep.marker_path) > 30  # one per placement, plus the manifest points


def test_cell_outside_usable_and_manifest_mismatch(tmp_path) -> None:
    shape = rect(10, 8)
    t = grid(shape, nx=4, ny=4)
    x = np.r_[t.x, 3.0]
    y = np.r_[t.y, 150.0]
    L, gds, man = write(tmp_path, tiling(x, y, np.zeros(17), DECK, shape), shape)
    rep = run_drc(gds, DECK, man)
    found = rules(rep)
    assert "USABLE.outside" in found and "CONTACT_RAIL.space" in found
    lines = man.read_text().splitlines()
    man.write_text("\n".join(lines[:-1]) + "\n")  # drop the last row
    rep = run_drc(gds, DECK, man)
    found = rules(rep)
    assert found["manifest.count"] == 1 and found["manifest.unlisted"] == 1


def test_manifest_row_off_its_cell(tmp_path) -> None:
    shape = rect(10, 8)
    _, gds, man = write(tmp_path, grid(shape, nx=3, ny=3), shape)
    lines = man.read_text().splitlines()
    f = lines[5].split(",")
    f[3] = f"{float(f[3]) + 0.5:.6f}"
    lines[5] = ",".join(f)
    man.write_text("\n".join(lines) + "\n")
    found = rules(run_drc(gds, DECK, man))
    assert found["manifest.position"] == 1 and found["manifest.unlisted"] == 1


def test_keepout_and_fiducial_clearance(tmp_path) -> None:
    deck = load_deck([], ["tiling.keepouts=[{x_mm=100, y_mm=100, w_mm=20, h_mm=20, "
                          "clearance_mm=2, name='hole'}]"])
    shape = rect(10, 8)
    t = grid(shape, deck, nx=3, ny=3, origin=(95, 90))  # runs into the keep-out
    _, gds, man = write(tmp_path, t, shape, deck)
    rep = run_drc(gds, deck, man)
    assert rules(rep)["KEEPOUT.clearance"] >= 1
    v = next(v for v in rep.violations if v.rule == "KEEPOUT.clearance")
    assert "hole" in v.message and "2 mm" in v.message
    # the keep-out travels in the file: a default deck still sees it
    assert "KEEPOUT.clearance" in rules(run_drc(gds, DECK, man))

    t = grid(shape, deck, nx=3, ny=3, origin=(20, 20))
    _, gds, man = write(tmp_path, t, shape, deck)
    assert run_drc(gds, deck, man).ok

    def add_fiducial(ly: db.Layout) -> None:
        li = ly.layer(db.LayerInfo(*deck.layers.FIDUCIAL))
        ly.top_cell().shapes(li).insert(db.Box(24_000_000, 20_000_000, 25_000_000, 21_000_000))

    bad = edit(gds, tmp_path / "fid.gds", add_fiducial)
    assert "FIDUCIAL.space" in rules(run_drc(bad, deck, man))


def test_process_rules_of_the_deck_are_checked(tmp_path) -> None:
    shape = rounded(10, 8, 1)
    _, gds, man = write(tmp_path, grid(shape, nx=3, ny=2), shape)
    found = rules(run_drc(gds, load_deck([], ["process.isolation_width_um=40"]), man))
    assert found == {"ISOLATION.width": found["ISOLATION.width"]} and found["ISOLATION.width"] > 0
    found = rules(run_drc(gds, load_deck([], ["process.electrolyte_overhang_um=30"]), man))
    assert set(found) == {"ELECTROLYTE.enclosure.CATHODE"}
    found = rules(run_drc(gds, load_deck([], ["process.anode_cc_setback_um=45"]), man))
    assert set(found) == {"ELECTROLYTE.enclosure.ANODE_CC"}
    found = rules(run_drc(gds, load_deck([], ["process.singulation_clearance_um=60"]), man))
    assert set(found) == {"SINGULATION.enclosure.ISOLATION"}
    found = rules(run_drc(gds, load_deck([], ["layout.pad_w_um=400", "layout.pad_h_um=400"]), man))
    assert set(found) == {"PAD.width"}


def test_missing_layer_and_open_ring(tmp_path) -> None:
    shape = rect(10, 8)
    _, gds, man = write(tmp_path, grid(shape, nx=2, ny=2), shape)

    def drop_cathode(ly: db.Layout) -> None:
        ly.cell("CELL_R000").shapes(ly.find_layer(db.LayerInfo(*DECK.layers.CATHODE))).clear()

    found = rules(run_drc(edit(gds, tmp_path / "a.gds", drop_cathode), DECK, man))
    assert found == {"cell.missing_layer": 4}

    def open_ring(ly: db.Layout) -> None:
        li = ly.find_layer(db.LayerInfo(*DECK.layers.ISOLATION))
        shapes = ly.cell("CELL_R000").shapes(li)
        ring = db.Region(shapes)
        shapes.clear()
        shapes.insert(ring - db.Region(db.Box(-100_000, 3_000_000, 100_000, 4_000_000)))

    found = rules(run_drc(edit(gds, tmp_path / "b.gds", open_ring), DECK, man))
    assert found.get("ISOLATION.closed") == 4


def test_ten_thousand_cells(tmp_path) -> None:
    # its time: benchmarks/timings.py (drc_10k)
    deck = load_deck([], ["sheet.width_mm=200", "sheet.length_mm=200", "sheet.edge_x_mm=0",
                          "sheet.edge_y_mm=0", "tiling.kerf_um=100"])
    shape = rect(1.9, 1.9)
    t = grid(shape, deck)
    assert t.count == 10_000
    for flat in (False, True):
        _, gds, man = write(tmp_path, t, shape, deck, flat=flat)
        rep = run_drc(gds, deck, man)
        assert rep.ok and rep.cell_count == 10_000


def test_unreadable_inputs_are_user_errors(tmp_path) -> None:
    with pytest.raises(LayoutgenError, match="no such layout file"):
        run_drc(tmp_path / "none.gds", DECK)
    bad = tmp_path / "bad.gds"
    bad.write_bytes(b"not a gds")
    with pytest.raises(LayoutgenError, match="bad.gds"):
        run_drc(bad, DECK)
    shape = rect(10, 8)
    _, gds, _ = write(tmp_path, grid(shape, nx=2, ny=2), shape)
    man = tmp_path / "m.csv"
    man.write_text("a,b\n1,2\n")
    with pytest.raises(LayoutgenError, match="not a cells.csv"):
        run_drc(gds, DECK, man)


def test_oasis_with_irregular_placements(tmp_path) -> None:
    rng = np.random.default_rng(7)
    shape = circle(8)
    x = 20 + 8.5 * np.arange(25) + 0.3 * rng.random(25)
    y = 40 + 0.2 * rng.random(25)
    t = tiling(np.r_[x, x + 0.1 * rng.random(25)], np.r_[y, y + 9], np.zeros(50), DECK, shape)
    L = build_layout(t, shape, DECK)
    info = write_layout(L, tmp_path / "r.gds", oasis=True)
    write_manifest(L, tmp_path / "cells.csv")
    assert info.single_refs == 50
    rep = run_drc(info.oasis_path, DECK, tmp_path / "cells.csv")
    assert rep.ok and rep.cell_count == 50, rep.violations
