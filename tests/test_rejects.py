"""Rejects on the laser: "mark" puts a reject cross (operation "reject") inside every failing
cell, "skip" leaves their singulation contours out (refused for line singulation) and the
outcome states the marking time saved; the failing ids are checked against the sheet."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import shapely

from layoutgen import technology
from layoutgen.deck import load_deck
from layoutgen.errors import LayoutgenError
from layoutgen.export.toolpath_files import write_toolpath_files
from layoutgen.layout.assemble import build_layout
from layoutgen.shapes import circle, rect
from layoutgen.tiling.engine import sheet_spec_from_deck, tile
from layoutgen.toolpath.generate import build_toolpath
from layoutgen.toolpath.metrics import job_metrics
from layoutgen.toolpath.model import REJECT, Rejects
from layoutgen.toolpath.rejects import rejects_for_sheet


def _layout(cell, *sets: str):  # noqa: ANN001, ANN202
    deck = load_deck([], ["sheet.width_mm=60", "sheet.length_mm=40", *sets])
    return build_layout(tile(cell, sheet_spec_from_deck(deck)), cell, deck)


@pytest.fixture(scope="module")
def round_layout():  # noqa: ANN201
    return _layout(circle(6))


def test_mark_puts_a_cross_inside_every_failing_cell(round_layout, tmp_path: Path) -> None:  # noqa: ANN001
    lay = round_layout
    failing = {0, 3, lay.count - 1}
    tp = build_toolpath(lay, Rejects(frozenset(failing), "mark"))
    assert REJECT in tp.names and tp.names.index(REJECT) < tp.names.index("singulation")
    op = tp.operation(REJECT)
    assert op.params == lay.deck.laser.fiducial and op.strokes == 2 * len(failing)
    assert set(op.stroke_cells.ids.tolist()) == failing
    spot = lay.deck.laser.fiducial.spot_um / 1000
    for k in range(op.paths.count):
        cid = int(op.paths.unit[k])
        cell = shapely.affinity.translate(lay.patterns[lay.master[cid]].layers["SINGULATION"],
                                          lay.x[cid], lay.y[cid])
        assert cell.buffer(-spot / 2 + 1e-9).contains(shapely.LineString(op.paths.path(k)))
        assert op.paths.field[k] == lay.field[cid]
    length = np.hypot(*(op.paths.last - op.paths.first).T)
    assert np.allclose(length, lay.deck.layout.fiducial_size_um / 1000)
    assert tp.rejects is not None and tp.rejects.marked == 3 and tp.rejects.time_saved_s < 0
    assert any(n.startswith("rejects:") for n in tp.notes)
    assert technology.operation(REJECT).name == REJECT
    files = write_toolpath_files(tp, tmp_path, "job", ("ngc", "gcode", "dxf", "svg", "json"))
    assert files


def test_skip_leaves_failing_contours_out_and_says_what_it_saved(round_layout) -> None:  # noqa: ANN001
    lay = round_layout
    failing = frozenset(range(0, lay.count, 3))
    full = build_toolpath(lay)
    skip = build_toolpath(lay, Rejects(failing, "skip"))
    op, op_full = skip.operation("singulation"), full.operation("singulation")
    assert set(op.paths.unit.tolist()) == set(range(lay.count)) - failing
    assert op.strokes == op_full.strokes * (lay.count - len(failing)) // lay.count
    # isolation is untouched; no reject crosses
    assert skip.operation("isolation").strokes == full.operation("isolation").strokes
    assert REJECT not in skip.names
    m_full = job_metrics(full)["operations"]["singulation"]
    m_skip = job_metrics(skip)["operations"]["singulation"]
    saved = (m_full["mark_s"] + m_full["delay_s"]) - (m_skip["mark_s"] + m_skip["delay_s"])
    assert skip.rejects is not None and skip.rejects.skipped == len(failing)
    assert skip.rejects.time_saved_s == pytest.approx(saved, rel=1e-6)


def test_skip_is_refused_for_line_singulation() -> None:
    lay = _layout(rect(8, 6), 'tiling.cut="guillotine"')
    assert build_toolpath(lay).singulation == "lines"
    with pytest.raises(LayoutgenError, match="straight lines"):
        build_toolpath(lay, Rejects(frozenset({1}), "skip"))
    marked = build_toolpath(lay, Rejects(frozenset({1}), "mark"))
    assert marked.operation(REJECT).strokes == 2


def test_failing_ids_must_be_on_the_sheet(round_layout) -> None:  # noqa: ANN001
    with pytest.raises(LayoutgenError, match="not on this sheet"):
        build_toolpath(round_layout, Rejects(frozenset({round_layout.count}), "mark"))


def test_rejects_for_sheet_picks_one_sheet() -> None:
    by = {"S1": frozenset({1, 2}), "S2": frozenset()}
    assert rejects_for_sheet(by, "skip", "S1") == Rejects(frozenset({1, 2}), "skip")
    assert rejects_for_sheet({"A": frozenset({4})}, "mark").ids == frozenset({4})
    with pytest.raises(LayoutgenError, match="2 sheets"):
        rejects_for_sheet(by, "mark")
    with pytest.raises(LayoutgenError, match="not in bins.csv"):
        rejects_for_sheet(by, "mark", "S9")
    with pytest.raises(LayoutgenError, match="use mark"):
        rejects_for_sheet(by, "cut", "S1")


def test_toolpath_command_takes_bins_from_layoutgen_bin(cli, tmp_path: Path) -> None:  # noqa: ANN001
    """`layoutgen bin` then `layoutgen toolpath --bins`: job.json's reject operation marks two
    strokes (an X) on each failing cell of the named sheet and on no other; a bins.csv of
    several sheets needs --sheet-id."""
    ex = Path(__file__).resolve().parents[1] / "examples"
    bins = tmp_path / "bins"
    r = cli("bin", ex / "testmaps" / "wearable_patch_sheets.csv", "--manifest",
            ex / "testmaps" / "wearable_patch_cells.csv", "--job", ex / "wearable_patch.toml",
            "--no-pictures", "-o", bins)
    assert r.code == 0, r.err
    with open(bins / "bins.csv", newline="") as fh:
        failing = {int(row["id"]) for row in csv.DictReader(fh)
                   if row["sheet"] == "WP-003" and row["pass"] != "true"}
    assert failing
    r = cli("toolpath", "--job", ex / "wearable_patch.toml", "--bins", bins / "bins.csv",
            "-f", "json", "-o", tmp_path / "tp")
    assert r.code == 2 and "sheet id" in r.err
    r = cli("toolpath", "--job", ex / "wearable_patch.toml", "--bins", bins / "bins.csv",
            "--sheet-id", "WP-003", "--rejects", "mark", "-f", "json", "-o", tmp_path / "tp")
    assert r.code == 0, r.err
    assert f"rejects: {len(failing)} failing cells marked" in r.out
    job = json.loads((tmp_path / "tp" / "job.job.json").read_text())
    (reject,) = [op for op in job["operations"] if op["name"] == "reject"]
    ids = reject["stroke_cells"]["ids"]
    assert sorted(ids) == sorted(2 * list(failing))
    assert reject["metrics"]["strokes"] == 2 * len(failing)
