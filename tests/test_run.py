"""`layoutgen run`, job files, the lot plan and `size --sheet` / `size compare`."""

from __future__ import annotations

import json
import math

import pytest

from conftest import REPO, assert_user_error
from layoutgen.lot import lot_plan


def test_lot_plan_arithmetic() -> None:
    plan = lot_plan(products=1000, layers=7, cells_per_sheet=310, cell_yield=0.9,
                    sheet_length_mm=300, roll_length_m=500)
    assert plan.good_cells_per_sheet == 279
    assert plan.products_per_sheet == 279 // 7
    assert plan.sheets == math.ceil(1000 / (279 // 7))
    assert plan.roll_m == pytest.approx(plan.sheets * 0.3)
    assert plan.cells_to_spare == plan.sheets * 279 - 7000 >= 0


def test_run_wearable_example(cli, tmp_path) -> None:
    out = tmp_path / "out"
    r = cli("run", str(REPO / "examples" / "wearable_patch.toml"), "-o", out, "-q")
    assert r.code == 0, r.err
    summary = json.loads((out / "summary.json").read_text())
    assert summary["product"]["eol_capacity_mAh"] >= 10
    assert summary["product"]["thickness_mm"] <= 1.0
    assert summary["sheet"]["count"] <= summary["sheet"]["upper_bound"]
    html = (out / "report.html").read_text()
    assert "data:image/png;base64," in html and "http" not in html.replace("http-equiv", "")
    assert "Lot plan" in html
    first = {p.name: p.read_bytes() for p in out.iterdir()}
    cli("run", str(REPO / "examples" / "wearable_patch.toml"), "-o", out, "-q")
    assert {p.name: p.read_bytes() for p in out.iterdir()} == first


def test_iot_example_mixes_orientations(cli, tmp_path) -> None:
    r = cli("run", str(REPO / "examples" / "iot_small.toml"), "-o", tmp_path, "--json")
    assert r.code == 0, r.err
    orient = json.loads(r.out)["sheet"]["orientations"]
    assert len(orient) == 2


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("[product]\nname='x'\nfootprint='10x10'\nfoo=1\n", ["job.toml", "product.foo",
                                                            "unknown key"]),
        ("[product]\nname='x'\n", ["job.toml", "footprint is required"]),
        ("[product]\nname='x'\nfootprint='10x10'\ncapacity_mah=500\nmax_thickness_mm=0.5\n",
         ["most that fits"]),
        ("[product]\nname='bad name'\nfootprint='10x10'\n", ["product.name"]),
        ("[product\n", ["not valid TOML"]),
        ("[product]\nname='x'\nfootprint='10x10'\n[lot]\ncell_yield=1.5\n", ["lot.cell_yield"]),
    ],
)
def test_bad_jobs(cli, tmp_path, content: str, words: list[str]) -> None:
    job = tmp_path / "job.toml"
    job.write_text(content)
    out = tmp_path / "out"
    assert_user_error(cli("run", job, "-o", out), *words)
    assert not out.exists() or not any(p for p in out.iterdir())


def test_size_on_sheet_and_compare(cli) -> None:
    d = json.loads(cli("size", "-f", "10x10", "-c", "10", "--sheet", "300x300", "--json").out)
    assert d["cells_per_sheet"] >= 28 * 28
    assert d["products_per_sheet"] == d["cells_per_sheet"] // d["layers"]
    r = cli("size", "compare", "-f", "10x10", "-f", "12x8", "-c", "10", "--json")
    rows = json.loads(r.out)
    assert [row["footprint"] for row in rows] == ["10x10", "12x8"]
    assert all(row["cells_per_sheet"] > 0 for row in rows)
