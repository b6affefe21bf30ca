"""`layoutgen size` and `layoutgen size sweep` through the CLI, error paths included."""

from __future__ import annotations

import csv
import json

import pytest

from conftest import assert_user_error

KEYS = ["layers", "capacity_mAh", "energy_mWh", "thickness_mm", "footprint_mm",
        "cell_capacity_mAh", "active_area_mm2", "ved_Wh_per_L", "ved_unpackaged_Wh_per_L"]


def test_stack_count_json(cli) -> None:
    r = cli("size", "--footprint", "10x10", "--capacity", "10", "--json")
    assert r.code == 0, r.err
    d = json.loads(r.out)
    for k in KEYS:
        assert k in d
    assert d["capacity_mAh"] >= 10
    assert d["footprint_mm"] == [10, 10]


def test_forward_table_and_units(cli) -> None:
    r = cli("size", "--footprint", "10mmx10000um", "--layers", "12")
    assert r.code == 0 and "VED packaged" in r.out and "layers" in r.out
    a = json.loads(cli("size", "-f", "10x10", "-n", "12", "--json").out)
    b = json.loads(cli("size", "-f", "1cmx10mm", "-n", "12", "--json").out)
    assert a == b


def test_round_rounded_and_inverse_queries(cli) -> None:
    d = json.loads(cli("size", "-f", "12", "--shape", "circle", "-n", "4", "--json").out)
    assert d["shape"] == "circle" and d["layers"] == 4
    d = json.loads(cli("size", "-f", "10x8", "--shape", "rounded", "--corner-radius", "1",
                       "-n", "2", "--json").out)
    assert d["shape"] == "rounded"
    d = json.loads(cli("size", "--capacity", "10", "--max-thickness", "1.2", "--aspect", "1.5",
                       "--json").out)
    assert d["capacity_mAh"] >= 10 and d["thickness_mm"] <= 1.2
    assert d["footprint_mm"][0] == pytest.approx(1.5 * d["footprint_mm"][1], rel=1e-6)
    d = json.loads(cli("size", "-f", "10x10", "--max-thickness", "1.0", "--json").out)
    assert d["thickness_mm"] <= 1.0
    d = json.loads(cli("size", "-f", "10x10", "--capacity", "10", "--retention", "0.95",
                       "--json").out)
    assert d["eol_capacity_mAh"] >= 10


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["-f", "10x10", "--capacity", "500", "--max-thickness", "1"], ["most that fits"]),
        (["-f", "10x10", "--max-thickness", "0.05"], ["not even one layer"]),
        (["-f", "10x10", "--capacity", "-1"], ["--capacity", "positive"]),
        (["-f", "10furlongs", "-n", "1"], ["--footprint", "unknown unit", "allowed"]),
        (["-f", "abc", "-n", "1"], ["--footprint", "cannot read"]),
        (["-f", "10x10", "--shape", "hexagon"], ["--shape", "rect, rounded, circle"]),
        (["-f", "10x10", "--shape", "rounded", "--corner-radius", "6"], ["corner"]),
        (["-f", "1x1", "-n", "1"], ["no area"]),
        (["-f", "10x10", "-n", "0"], ["--layers"]),
        (["-f", "10x10", "-n", "2", "--capacity", "3"], ["--layers and --capacity"]),
        (["-f", "10x10", "--retention", "1.5", "--capacity", "3"], ["--retention"]),
        (["--capacity", "10"], ["--footprint"]),
        (["-f", "10x10", "-n", "90", "--max-thickness", "1"], ["--max-thickness"]),
        (["-f", "10x10", "-n", "1", "--set", "stack.utilization=1.5"], ["stack.utilization"]),
        (["-f", "10x10", "--bogus"], ["--bogus"]),
    ],
)
def test_size_errors(cli, args: list[str], words: list[str]) -> None:
    assert_user_error(cli("size", *args), *words)


def test_sweep_csv_plot(cli, tmp_path) -> None:
    out_csv, out_png = tmp_path / "s.csv", tmp_path / "s.png"
    r = cli("size", "sweep", "--param", "stack.substrate_um", "--from", "10", "--to", "100",
            "--step", "10", "--csv", out_csv, "--plot", out_png)
    assert r.code == 0, r.err
    rows = list(csv.DictReader(out_csv.read_text().splitlines()))
    assert len(rows) == 10 and rows[0]["stack.substrate_um"] == "10.0"
    veds = [float(r["ved_unpackaged_Wh_per_L"]) for r in rows]
    assert veds == sorted(veds, reverse=True)
    assert veds[0] == pytest.approx(1163, rel=0.01) and veds[-1] == pytest.approx(227, rel=0.01)
    assert out_png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    first = out_png.read_bytes()
    cli("size", "sweep", "--param", "stack.substrate_um", "--from", "10", "--to", "100",
        "--step", "10", "--plot", out_png)
    assert out_png.read_bytes() == first


def test_sweep_errors(cli, tmp_path) -> None:
    base = ["size", "sweep", "--from", "1", "--to", "2", "--step", "1"]
    assert_user_error(cli(*base, "--param", "stack.nothing"), "not a deck key")
    assert_user_error(cli(*base, "--param", "tiling.cut"), "not numeric")
    assert_user_error(cli("size", "sweep", "--param", "stack.substrate_um", "--from", "1",
                          "--to", "2", "--step", "0"), "--step")
    bad = tmp_path / "p.jpg"
    assert_user_error(cli(*base, "--param", "stack.substrate_um", "--plot", bad), "plot format")
    assert not bad.exists()
