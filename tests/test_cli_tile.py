"""`layoutgen tile` through the CLI: outputs, coordinates, the independent check, errors."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from conftest import REPO, assert_user_error
from layoutgen.sheet_request import SheetRequest, sheet_inputs
from layoutgen.tiling.engine import tile, verify_tiling


def _job(**kw):
    args = dict(sheet="300x300", cell="10x8")
    args.update(kw)
    if args.get("keepouts"):
        args["keepouts"] = tuple(args["keepouts"])
    return sheet_inputs(SheetRequest(**args))


def test_tile_json_outputs_and_check(cli, tmp_path) -> None:
    r = cli("tile", "--sheet", "300x300", "--cell", "10x8", "--kerf", "0.05", "--edge", "5",
            "--verify", "--json", "-o", tmp_path)
    assert r.code == 0, r.err
    d = json.loads(r.out)
    for k in ("count", "upper_bound", "utilization", "strategy", "placements"):
        assert k in d
    assert d["verify"]["ok"] is True
    assert d["count"] == len(d["placements"]) and d["count"] <= d["upper_bound"]
    # a single 0-degree grid gives floor(290.05/10.05) x floor(290.05/8.05) = 28 x 36
    assert d["count"] >= 28 * 36
    rows = list(csv.DictReader((tmp_path / "placements.csv").open()))
    assert len(rows) == d["count"]
    assert set(rows[0]) == {"id", "row", "col", "x", "y", "rotation"}
    assert (tmp_path / "preview.png").read_bytes()[:4] == b"\x89PNG"
    assert b"<svg" in (tmp_path / "preview.svg").read_bytes()[:400]
    assert not list(tmp_path.glob(".staging*"))


def test_coordinates_and_rotation_convention() -> None:
    job = _job(sheet="100x50", cell="10x4", rotation="0", edge="0", kerf="0")
    t = tile(job.shape, job.spec)
    assert t.count == 10 * 12
    assert np.all(t.rotation_deg == 0)
    # rotation 0 lays the first dimension along x: cell centres 10 mm apart in x
    row0 = t.x[t.row == 0]
    assert np.allclose(np.diff(row0), 10) and np.isclose(row0[0], 5)
    assert np.isclose(t.y.min(), 2) and np.isclose(t.y.max(), 46)
    assert verify_tiling(t, job.shape, job.spec).ok


def test_deterministic_rows_along_y(cli) -> None:
    a = cli("tile", "--sheet", "120x90", "--cell", "7x3", "--json").out
    b = cli("tile", "--sheet", "120x90", "--cell", "7x3", "--json").out
    assert a == b
    pts = np.array(json.loads(a)["placements"])
    assert np.all(np.diff(np.round(pts[:, 1], 6)) >= 0)


@pytest.mark.parametrize("cut", ["free", "guillotine"])
def test_kerf_and_edges_respected(cut: str) -> None:
    job = _job(sheet="157.3x101.9", cell="9.7x6.05", kerf="0.05", edge="4.5,3", cut=cut)
    t = tile(job.shape, job.spec)
    rep = verify_tiling(t, job.shape, job.spec)
    assert rep.ok, rep.messages
    assert t.count <= t.upper_bound


def test_million_cells_regular() -> None:
    job = _job(sheet="2000x2000", cell="1.9x1.9", kerf="0.1", edge="0")
    t = tile(job.shape, job.spec)
    assert t.count == 1_000_000 and t.gap == 0


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--sheet", "300x300", "--cell", "0x8"], ["--cell", "> 0"]),
        (["--sheet", "300x300", "--cell", "-3x8"], ["--cell"]),
        (["--sheet", "300x300", "--cell", "400x8"], ["does not fit", "short"]),
        (["--sheet", "20x20", "--cell", "5x5", "--edge", "10"], ["no usable area"]),
        (["--sheet", "300x300", "--cell", "10x8", "--keepout", "290,10,30,30"], ["outside"]),
        (["--sheet", "300x300", "--cell", "10x8", "--keepout", "1,2,3"], ["X,Y,W,H"]),
        (["--sheet", "300x300", "--cell", "10x8", "--rotation", "45"], ["tiling.rotation"]),
        (["--sheet", "300x300", "--cell", "10x8", "--cut", "wavy"], ["tiling.cut"]),
        (["--sheet", "300x300", "--cell", "10x8", "--kerf", "5parsecs"], ["unknown unit"]),
        (["--sheet", "300x300", "--cell", "10x8", "--shape", "star"], ["--shape"]),
        (["--sheet", "300x300"], ["--cell"]),
        (["--sheet", "2000x2000", "--cell", "0.2x0.2", "--kerf", "0"], ["--force"]),
        (["--sheet", "300x300", "--polygon", "nope.wkt"], ["nope.wkt"]),
    ],
)
def test_tile_errors(cli, tmp_path, args: list[str], words: list[str]) -> None:
    out = tmp_path / "out"
    assert_user_error(cli("tile", *args, "-o", out), *words)
    assert not out.exists() or not any(out.iterdir())


def test_keepouts_round_and_polygon_cells_verify(cli, tmp_path) -> None:
    r = cli("tile", "--sheet", "300x300", "--cell", "10x8", "--keepout", "100,100,20,20,1",
            "--keepout", "0,140,300,10", "--verify", "--json")
    assert r.code == 0, r.err
    d = json.loads(r.out)
    assert d["verify"]["ok"] and d["strategy"].startswith("keep-outs/")
    pts = np.array(d["placements"])
    # clear of the keep-out plus its 1 mm clearance (cell half-extents at most 5 x 5)
    near = (np.abs(pts[:, 0] - 110) < 10 + 5 + 1 - 1e-9) & (np.abs(pts[:, 1] - 110) < 10 + 5 + 1)
    assert d["count"] > 900 and not np.any(near & (np.abs(pts[:, 0] - 110) < 11)
                                          & (np.abs(pts[:, 1] - 110) < 11))
    r = cli("tile", "--sheet", "120x100", "--cell", "12", "--shape", "circle", "--verify",
            "--json")
    d = json.loads(r.out)
    assert r.code == 0 and d["verify"]["ok"] and d["count"] <= d["upper_bound"]
    # a square grid fits floor(110.05/12.05) x floor(90.05/12.05) = 9 x 7; hex rows do better
    assert d["count"] >= 63
    r = cli("tile", "--sheet", "150x150", "--polygon", REPO / "examples" / "tab_cell.dxf",
            "--verify", "--json")
    d = json.loads(r.out)
    assert r.code == 0 and d["verify"]["ok"] and d["count"] <= d["upper_bound"]


def test_broken_polygons_are_refused(cli, tmp_path) -> None:
    bow = tmp_path / "bow.wkt"
    bow.write_text("POLYGON ((0 0, 10 10, 10 0, 0 10, 0 0))")
    assert_user_error(cli("tile", "--sheet", "100x100", "--polygon", bow), "bow.wkt")
    bad = tmp_path / "bad.wkt"
    bad.write_text("POLYGON ((0 0, 1 1")
    assert_user_error(cli("tile", "--sheet", "100x100", "--polygon", bad), "bad.wkt")


def test_output_folder_that_is_a_file(cli, tmp_path) -> None:
    f = tmp_path / "afile"
    f.write_text("keep me")
    assert_user_error(cli("tile", "--sheet", "100x100", "--cell", "10x8", "-o", f),
                      "not a folder")
    assert f.read_text() == "keep me"
    assert_user_error(cli("size", "-f", "10x10", "-n", "1", "--sheet", "5x5"), "--sheet 5x5",
                      "no usable area")


def test_sheet_options_are_declared_once_and_shared() -> None:
    """tile, layout and toolpath take the same sheet options (one declaration), plus --job for
    the two that can start from a job file."""
    import typer.main

    from layoutgen.cli import app

    cmd = typer.main.get_command(app)
    sheet = {"--sheet", "--cell", "--shape", "--corner-radius", "--polygon", "--kerf", "--edge",
             "--keepout", "--rotation", "--cut", "--rules", "--set", "--force"}
    for name, job in (("tile", False), ("layout", True), ("toolpath", True)):
        opts = {o for p in cmd.commands[name].params for o in p.opts}  # type: ignore[attr-defined]
        assert sheet <= opts, (name, sheet - opts)
        assert ("--job" in opts) == job
