"""Everything downstream of tiling on the 1 nm grid.

A 9 x 7 grid of 10 x 6 mm cells on a 94.8 x 46.6 mm sheet with 2 mm edges and a 0.1 mm kerf
fits *exactly*: 9 * 10 + 8 * 0.1 = 90.8 = 94.8 - 2 * 2 and 7 * 6 + 6 * 0.1 = 42.6 = 46.6 - 2 * 2.
Every cell touches its neighbours' kerf exactly and the outer ones touch the usable edge. The
layout must pass the DRC with no marker, the GDS must hold every box at exactly the integer dbu
of its placement, the manifest must print those integers, and the laser writers must print the
placement coordinates rounded once (no float noise). Planted faults (1 nm too close, 1 nm over
the edge, a kerf rule 1 nm wider) must be caught.
"""

from __future__ import annotations

import json
import re
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import klayout.db as db
import numpy as np
import pytest

from layoutgen.deck import load_deck
from layoutgen.drc import rule_dbu, run_drc
from layoutgen.export.gds import write_layout
from layoutgen.export.manifest import write_manifest
from layoutgen.layout.assemble import build_layout
from layoutgen.shapes import rect
from layoutgen.tiling.result import Tiling

SHEET = ["sheet.width_mm=94.8", "sheet.length_mm=46.6", "sheet.edge_x_mm=2",
         "sheet.edge_y_mm=2", "tiling.kerf_um=100"]
DECK = load_deck(overrides=SHEET)
CELL = rect(10, 6)
W, H = 10_000_000, 6_000_000  # nm
PITCH_X, PITCH_Y = 10_100_000, 6_100_000  # cell + kerf, nm
NX, NY = 9, 7


def exact_grid(dx: dict[int, int] | None = None) -> tuple[np.ndarray, np.ndarray, Tiling]:
    """The exactly fitting grid; dx shifts cell k by dx[k] nm along x (planted faults)."""
    i, j = np.meshgrid(np.arange(NX), np.arange(NY))
    xn = (2_000_000 + W // 2 + PITCH_X * i).ravel().astype(np.int64)
    yn = (2_000_000 + H // 2 + PITCH_Y * j).ravel().astype(np.int64)
    for k, d in (dx or {}).items():
        xn[k] += d
    n = len(xn)
    t = Tiling(xn / 1e6, yn / 1e6, np.zeros(n), j.ravel(), i.ravel(), "hand", n, "count",
               (94.8, 46.6), 90.8 * 42.6, CELL.area)
    return xn, yn, t


def write(tmp_path: Path, t: Tiling, deck=DECK):  # noqa: ANN001, ANN201
    layout = build_layout(t, CELL, deck)
    gds = write_layout(layout, tmp_path / "s.gds").gds_path
    man = write_manifest(layout, tmp_path / "cells.csv")
    return layout, gds, man


def boxes(gds: Path, layer: tuple[int, int]) -> list[tuple[int, int, int, int]]:
    """Every shape on a layer, flattened, as integer dbu boxes (each must be a box)."""
    ly = db.Layout()
    ly.read(str(gds))
    assert ly.dbu == pytest.approx(0.001)
    li = ly.find_layer(db.LayerInfo(*layer))
    out = []
    it = ly.top_cell().begin_shapes_rec(li)
    while not it.at_end():
        poly = it.shape().polygon.transformed(it.trans())
        assert poly.is_box(), poly
        b = poly.bbox()
        out.append((b.left, b.bottom, b.right, b.top))
        it.next()
    return sorted(out)


def expected_boxes(xn: np.ndarray, yn: np.ndarray, inset: int = 0) -> list[tuple]:
    hw, hh = W // 2 - inset, H // 2 - inset
    return sorted((int(x) - hw, int(y) - hh, int(x) + hw, int(y) + hh)
                  for x, y in zip(xn, yn, strict=True))


def rules(rep) -> dict[str, int]:  # noqa: ANN001
    return {v.rule: v.count for v in rep.violations}


def markers(path: Path) -> int:
    ly = db.Layout()
    ly.read(str(path))
    li = ly.find_layer(db.LayerInfo(*DECK.layers.DRC_MARKER))
    return 0 if li is None else db.Region(ly.top_cell().begin_shapes_rec(li)).count()


# --------------------------------------------------------------------------- layout + DRC


def test_exact_fit_is_drc_clean_with_zero_markers(tmp_path: Path) -> None:
    _, _, t = exact_grid()
    layout, gds, man = write(tmp_path, t)
    rep = run_drc(gds, DECK, man)
    assert rep.ok, rep.violations
    assert rep.cell_count == layout.count == rep.manifest_count == NX * NY
    assert markers(rep.marker_path) == 0


def test_gds_holds_every_box_at_its_placement_dbu(tmp_path: Path) -> None:
    xn, yn, t = exact_grid()
    layout, gds, _ = write(tmp_path, t)
    assert np.array_equal(layout.x_nm, xn) and np.array_equal(layout.y_nm, yn)
    assert boxes(gds, DECK.layers.SINGULATION) == expected_boxes(xn, yn)
    # process layers: the deck's um rules, exactly in nm (clearance 50 + isolation 30 +
    # overhang 20 / setback 30)
    p = DECK.process
    scribe_in = round(p.singulation_clearance_um * 1000) + round(p.isolation_width_um * 1000)
    cat = scribe_in + round(p.electrolyte_overhang_um * 1000)
    an = scribe_in + round(p.anode_cc_setback_um * 1000)
    assert boxes(gds, DECK.layers.ELECTROLYTE) == expected_boxes(xn, yn, scribe_in)
    assert boxes(gds, DECK.layers.CATHODE) == expected_boxes(xn, yn, cat)
    assert boxes(gds, DECK.layers.ANODE_CC) == expected_boxes(xn, yn, an)


def test_manifest_prints_the_exact_placements(tmp_path: Path) -> None:
    xn, yn, t = exact_grid({5: 1})  # an odd nm count survives too
    _, _, man = write(tmp_path, t)
    rows = man.read_text().splitlines()[1:]
    assert len(rows) == len(xn)
    for row, x, y in zip(rows, xn, yn, strict=True):
        f = row.split(",")
        assert Decimal(f[3]) * 10**6 == int(x) and Decimal(f[4]) * 10**6 == int(y), row
        assert len(f[3].split(".")[1]) == 6


def test_one_nm_too_close_is_flagged_and_written_where_it_is(tmp_path: Path) -> None:
    xn, yn, t = exact_grid({3: 1})  # cell (row 0, col 3) 1 nm toward its right neighbour
    layout, gds, man = write(tmp_path, t)
    # the GDS keeps the 1 nm (an array builder with slack would snap it back on the lattice)
    assert boxes(gds, DECK.layers.SINGULATION) == expected_boxes(xn, yn)
    rep = run_drc(gds, DECK, man)
    assert rules(rep) == {"SINGULATION.space": 1}, rep.violations
    (x, y), = rep.violations[0].locations
    assert abs(x - 42.35) < 0.01 and abs(y - 5.0) < 3.1  # the street between cols 3 and 4


def test_one_nm_past_the_usable_edge_is_flagged(tmp_path: Path) -> None:
    xn, yn, t = exact_grid({0: -1})  # the lower-left cell 1 nm into the edge exclusion
    _, gds, man = write(tmp_path, t)
    rep = run_drc(gds, DECK, man)
    assert "USABLE.outside" in rules(rep), rep.violations
    assert "SINGULATION.space" not in rules(rep)  # it moved away from its neighbour


def test_kerf_rule_is_exact_to_one_nm(tmp_path: Path) -> None:
    _, _, t = exact_grid()
    _, gds, man = write(tmp_path, t)
    wider = load_deck(overrides=[*SHEET[:-1], "tiling.kerf_um=100.001"])
    rep = run_drc(gds, wider, man)
    assert rules(rep).get("SINGULATION.space", 0) > 0, rep.violations
    assert run_drc(gds, DECK, man).ok


@pytest.mark.parametrize("um", [0.1, 0.29, 0.57, 1.005, 30.0, 100.0, 123.456, 0.001])
def test_rule_values_reach_the_grid_exactly(um: float) -> None:
    want = Decimal(repr(um)) * 1000  # nm, exact
    assert rule_dbu(um, "um", 0.001) == int(want)
    assert rule_dbu(um / 1000, "mm", 0.001) == int(want)
    assert rule_dbu(0.0005, "um", 0.001) == 1  # a minimum between grid steps rounds up


# --------------------------------------------------------------------------- toolpaths


def _toolpath_files(tmp_path: Path):  # noqa: ANN202
    from layoutgen.export.dxf import write_dxf
    from layoutgen.export.gcode import write_grbl, write_ngc
    from layoutgen.export.job_json import write_job_json
    from layoutgen.export.svg import write_svg
    from layoutgen.toolpath.generate import build_toolpath

    xn, yn, t = exact_grid()
    layout = build_layout(t, CELL, DECK)
    tp = build_toolpath(layout)
    files = {"gcode": write_grbl(tp, tmp_path / "job.gcode"),
             "ngc": write_ngc(tp, tmp_path / "job.ngc"),
             "dxf": write_dxf(tp, tmp_path / "job.dxf"),
             "svg": write_svg(tp, tmp_path / "job.svg"),
             "json": write_job_json(tp, tmp_path / "job.job.json")}
    return xn, yn, tp, files


def _expected_nm(tp, xn: np.ndarray, yn: np.ndarray) -> set[tuple[int, int]]:  # noqa: ANN001
    """Every vertex the job marks, in exact nm, derived from the placements: cell contours as
    placement + the first cell's offsets (whole nm), straight cuts as they are (whole nm)."""
    out: set[tuple[int, int]] = set()
    for op in tp.operations:
        p = op.paths
        q = p.xy * 1e6
        assert np.abs(q - np.rint(q)).max(initial=0) < 1e-4  # whole nm up to float noise
        q = np.rint(q).astype(np.int64)
        if op.kind == "contours":
            owner = np.repeat(p.unit, p.counts)
            first = owner == owner.min()
            c = np.array([xn[owner.min()], yn[owner.min()]])
            offsets = {tuple(v) for v in (q[first] - c).tolist()}
            for x, y in zip(xn.tolist(), yn.tolist(), strict=True):
                out |= {(x + a, y + b) for a, b in offsets}
            assert {tuple(v) for v in q.tolist()} <= out  # every cell: the same offsets
        else:
            out |= {tuple(v) for v in q.tolist()}
    return out


def _round(nm: int, decimals: int) -> str:
    """nm -> mm text rounded once, half to even (the writers' rule), independently."""
    return str((Decimal(nm) / 10**6).quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_EVEN))


def test_gcode_coordinates_are_the_placements_rounded_once(tmp_path: Path) -> None:
    from layoutgen.export.gcode import DECIMALS

    xn, yn, tp, files = _toolpath_files(tmp_path)
    want = {(_round(x, DECIMALS), _round(y, DECIMALS)) for x, y in _expected_nm(tp, xn, yn)}
    for flavour in ("gcode", "ngc"):
        text = files[flavour].read_text()
        for tok in re.findall(r"[XYIJ](-?[0-9.]+)", text):
            assert re.fullmatch(rf"-?\d+\.\d{{{DECIMALS}}}", tok), (flavour, tok)
        got = set(re.findall(r"^G[0-3] X(-?[\d.]+) Y(-?[\d.]+)", text, re.M))
        if flavour == "gcode":  # GRBL: chords, every vertex written
            assert got == want
        else:
            assert got <= want
    assert "X92.815" in files["gcode"].read_text()  # outer cut: 92.8 + half the 30 um spot


def test_dxf_coordinates_have_no_float_noise(tmp_path: Path) -> None:
    xn, yn, tp, files = _toolpath_files(tmp_path)
    lines = [s.strip() for s in files["dxf"].read_text().splitlines()]
    pairs = list(zip(lines[0::2], lines[1::2], strict=True))  # DXF: group code, value
    pts: set[tuple[int, int]] = set()
    inside, x = False, None
    for code, val in pairs:
        if code == "0":
            inside = val == "LWPOLYLINE"
            continue
        if inside and code in ("10", "20"):
            assert re.fullmatch(r"-?\d+(\.\d{1,6})?", val), val  # whole nm, no float noise
            nm = Decimal(val) * 10**6
            assert nm == int(nm)
            if code == "10":
                x = int(nm)
            else:
                pts.add((x, int(nm)))
    assert pts == _expected_nm(tp, xn, yn)


def test_svg_and_json_tokens_have_the_stated_decimals(tmp_path: Path) -> None:
    from layoutgen.export import job_json, svg

    _, _, _, files = _toolpath_files(tmp_path)
    path_d = re.findall(r' d="([^"]*)"', files["svg"].read_text())
    assert path_d
    for d in path_d:
        for tok in re.findall(r"-?\d+\.\d+", d):
            assert len(tok.split(".")[1]) == svg.DECIMALS, tok
    job = json.loads(files["json"].read_text())
    for op in job["operations"]:
        for rec in op["records"]:
            for x, y in rec.get("mark", []):
                for v in (x, y):
                    assert Decimal(repr(v)).as_tuple().exponent >= -job_json.DECIMALS, v


# --------------------------------------------------------------------------- CLI


def test_cli_layout_exact_fit_is_drc_clean(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from layoutgen.cli import app

    out = tmp_path / "o"
    r = CliRunner().invoke(app, ["layout", "--sheet", "94.8x46.6", "--cell", "10x6", "--kerf",
                                 "0.1", "--edge", "2", "-o", str(out), "--drc",
                                 "--no-preview"])
    assert r.exit_code == 0, r.output
    assert "drc: clean" in r.output
    rows = (out / "cells.csv").read_text().splitlines()[1:]
    xn = np.array([int(Decimal(r.split(",")[3]) * 10**6) for r in rows])
    yn = np.array([int(Decimal(r.split(",")[4]) * 10**6) for r in rows])
    rot = np.array([int(r.split(",")[5]) for r in rows])
    got = boxes(out / "sheet.gds", DECK.layers.SINGULATION)
    want = sorted(
        (int(x) - hw, int(y) - hh, int(x) + hw, int(y) + hh)
        for x, y, r in zip(xn, yn, rot, strict=True)
        for hw, hh in [(W // 2, H // 2) if r % 180 == 0 else (H // 2, W // 2)])
    assert got == want


def test_writer_rounding_is_once_from_the_exact_value() -> None:
    """Half-way cases round half to even on the exact (whole nm) value, not on its binary
    neighbour: rint(2.4655 * 1000) is 2465 (2.4655 is stored as 2.46549999...), the exact
    2465.5 um rounds to 2466; float noise from a sum (0.1 + 0.2) never reaches the text."""
    from layoutgen.export import numbers as fmt
    from layoutgen.export.gcode import _fnum

    v = np.array([2.4655, 2.4645, -2.4655, 0.0005, 0.0015, 0.1 + 0.2, 5.06 + 1e-15])
    assert fmt.scaled(v, 3).tolist() == [2466, 2464, -2466, 0, 2, 300, 5060]
    assert fmt.scaled(v, 9).tolist() == [2465500000, 2464500000, -2465500000, 500000, 1500000,
                                         300000000, 5060000000]
    assert [_fnum(x) for x in (2.4655, -0.0005, 0.1 + 0.2)] == ["2.466", "0.000", "0.300"]
