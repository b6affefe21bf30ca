"""`layoutgen layout` and `layoutgen drc` through the CLI."""

from __future__ import annotations

import json

import klayout.db as db

from conftest import REPO, assert_user_error

CELL = ("--sheet", "120x100", "--cell", "10x8")


def test_layout_writes_every_file_and_drc_passes(cli, tmp_path) -> None:
    out = tmp_path / "o"
    r = cli("layout", *CELL, "-o", out, "--oasis", "--name", "demo")
    assert r.code == 0, r.err
    names = sorted(p.name for p in out.iterdir())
    assert names == ["cells.csv", "demo.gds", "demo.lyp", "demo.oas", "demo.rules.toml",
                     "preview.png", "preview.svg"]
    assert "cells" in r.out and "wrote" in r.out
    ly = db.Layout()
    ly.read(str(out / "demo.gds"))
    assert ly.top_cell().name == "demo"
    r = cli("drc", out / "demo.gds")
    assert r.code == 0, r.err
    assert "clean" in r.out and "demo.rules.toml" in r.out and "cells.csv" in r.out
    assert (out / "demo.drc.gds").is_file()


def test_flags_reach_the_drc_through_the_written_deck(cli, tmp_path) -> None:
    out = tmp_path / "o"
    r = cli("layout", *CELL, "--kerf", "0.3", "--edge", "3", "-o", out, "--no-preview")
    assert r.code == 0, r.err
    assert not (out / "preview.png").exists()
    assert cli("drc", out / "sheet.gds").code == 0
    r = cli("drc", out / "sheet.gds", "--set", "tiling.kerf_um=500", "--json")
    assert r.code == 1
    rep = json.loads(r.out)
    assert not rep["ok"] and rep["violations"][0]["rule"] == "SINGULATION.space"
    assert rep["violations"][0]["locations_mm"]
    r = cli("drc", out / "sheet.gds", "--rules", "default", "-o", tmp_path / "m")
    assert r.code == 1 and "USABLE.outside" in r.err  # the default deck has 5 mm edges
    assert (tmp_path / "m" / "sheet.drc.gds").is_file()


def test_flat_json_and_check(cli, tmp_path) -> None:
    r = cli("layout", *CELL, "-o", tmp_path, "--flat", "--json", "--no-preview", "--drc")
    assert r.code == 0, r.err
    s = json.loads(r.out)
    assert s["flat"] and s["cells"] > 100 and s["drc"]["ok"]
    assert s["masters"] == ["CELL_R000"] or len(s["masters"]) == 2


def test_repeated_runs_are_byte_identical(cli, tmp_path) -> None:
    for d in ("a", "b"):
        assert cli("layout", "--sheet", "80x60", "--cell", "12", "--shape", "circle",
                   "-o", tmp_path / d, "--oasis").code == 0
    files = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert len(files) == 7
    for f in files:
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f


def test_bad_input_is_one_line_and_writes_nothing(cli, tmp_path) -> None:
    out = tmp_path / "o"
    assert_user_error(cli("layout", *CELL, "-o", out, "--name", "a/b"), "--name")
    assert_user_error(cli("layout", "--sheet", "20x20", "--cell", "30x30", "-o", out), "--cell")
    assert_user_error(cli("layout", *CELL, "-o", out, "--set", "layout.pad_w_um=9900"),
                      "pad_w_um")
    assert not out.exists() or not any(out.iterdir())
    assert_user_error(cli("drc", tmp_path / "none.gds"), "none.gds")
    (tmp_path / "x.gds").write_text("nope")
    assert_user_error(cli("drc", tmp_path / "x.gds"), "x.gds")
    r = cli("layout", *CELL, "-o", out, "--no-preview")
    assert r.code == 0
    assert_user_error(cli("drc", out / "sheet.gds", "--manifest", tmp_path / "no.csv"),
                      "--manifest")


def test_an_example_job_lays_out_drc_clean(cli, tmp_path) -> None:
    """`layout --job` then `drc` on the quickest example. Every example is laid out and DRC'd
    (a run stops on a DRC failure) by test_reference_outputs, so it is not repeated here."""
    examples = sorted((REPO / "examples").glob("*.toml"))
    assert examples
    for ex in [REPO / "examples" / "iot_small.toml"]:
        out = tmp_path / ex.stem
        r = cli("layout", "--job", ex, "-o", out, "--no-preview")
        assert r.code == 0, (ex.name, r.err)
        r = cli("drc", out / "sheet.gds")
        assert r.code == 0, (ex.name, r.err)
        assert "clean" in r.out
    assert_user_error(cli("layout", "--job", examples[0], "--cell", "5x5", "-o", tmp_path),
                      "--job")
