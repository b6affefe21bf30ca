"""`layoutgen toolpath`: files, table/JSON output, one-line errors and no half-written files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import assert_user_error

SMALL = ["--sheet", "60x40", "--edge", "3", "--set", "layout.contact_rail_width_mm=0"]


def test_toolpath_writes_every_format(cli, tmp_path: Path) -> None:  # noqa: ANN001
    out = tmp_path / "job"
    r = cli("toolpath", "--cell", "8x5", "--cut", "guillotine", *SMALL, "-o", out)
    assert r.code == 0, r.err
    names = sorted(p.name for p in out.iterdir())
    assert names == ["job.dxf", "job.gcode", "job.job.json", "job.lbrn2", "job.ngc",
                     "job.pens.csv", "job.pens.json", "job.svg"]
    assert "singulation" in r.out and "job time" in r.out
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


def test_toolpath_json_and_format_subset(cli, tmp_path: Path) -> None:  # noqa: ANN001
    out = tmp_path / "o"
    r = cli("toolpath", "--cell", "4", "--shape", "circle", *SMALL, "-o", out,
            "--format", "ngc,json", "--json", "--name", "sheet1", "--preview")
    assert r.code == 0, r.err
    data = json.loads(r.out)
    assert data["singulation_paths"] == "contours"
    assert data["files"] == ["sheet1.ngc", "sheet1.job.json", "toolpath.png"]
    assert sorted(p.name for p in out.iterdir()) == sorted(data["files"])
    assert data["metrics"]["time_s"] > 0


def test_toolpath_from_a_job_file(cli, tmp_path: Path) -> None:  # noqa: ANN001
    repo = Path(__file__).resolve().parents[1]
    job = repo / "examples" / "iot_small.toml"
    if not job.exists():
        pytest.skip("examples/iot_small.toml not in the tree")
    r = cli("toolpath", "--job", job, "--set", "sheet.width_mm=60", "--set",
            "sheet.length_mm=40", "-o", tmp_path / "j", "--format", "json")
    assert r.code == 0, r.err
    assert (tmp_path / "j" / "job.job.json").exists()


@pytest.mark.parametrize("args, words", [
    (["--format", "ngc,pdf"], ["--format", "pdf"]),
    (["--set", "laser.singulation.spot_um=80"], ["spot_um", "kerf_um"]),
    (["--shape", "circle", "--cell", "4", "--set", "laser.singulation_paths=lines"],
     ["singulation_paths"]),
    (["--set", "laser.field_mm=-1"], ["laser.field_mm"]),
    (["--name", "../x"], ["--name"]),
])
def test_toolpath_bad_input(cli, tmp_path: Path, args: list, words: list) -> None:  # noqa: ANN001
    out = tmp_path / "bad"
    base = [] if "--cell" in args else ["--cell", "8x5"]
    r = cli("toolpath", *base, *SMALL, "-o", out, *args)
    assert_user_error(r, *words)
    assert not out.exists() or not any(out.iterdir())


def test_toolpath_failure_leaves_no_files(cli, tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    import layoutgen.export.toolpath_files as svg
    from layoutgen.errors import LayoutgenError

    def boom(*_a, **_k):  # noqa: ANN002, ANN003, ANN202
        raise LayoutgenError("disk full (simulated)")

    monkeypatch.setattr(svg, "write_svg", boom)
    out = tmp_path / "half"
    r = cli("toolpath", "--cell", "8x5", *SMALL, "-o", out)
    assert_user_error(r, "disk full")
    assert not out.exists() or not any(out.iterdir())
