"""G-code exports: LinuxCNC's rs274 interpreter and an independent parser (pygcode) accept them,
and what they would mark is what the toolpath says."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from test_toolpath_cases import grid_case, hex_case, toolpath

from layoutgen.export.gcode import write_grbl, write_ngc
from layoutgen.toolpath.metrics import job_metrics

REPO = Path(__file__).resolve().parents[1]


def rs274() -> str | None:
    vendored = REPO / ".ci" / "vendor" / "bin" / "rs274"
    if vendored.is_file():
        return str(vendored)
    return shutil.which("rs274")


@pytest.fixture(scope="module")
def jobs(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = {}
    d = tmp_path_factory.mktemp("gcode")
    for name, layout in (("hex", hex_case("laser.microtabs=2")), ("grid", grid_case())):
        tp = toolpath(layout)
        out[name] = (tp, write_ngc(tp, d / f"{name}.ngc"), write_grbl(tp, d / f"{name}.gcode"))
    return out


@pytest.mark.parametrize("name", ["hex", "grid"])
def test_ngc_passes_linuxcnc_rs274(jobs: dict, name: str, tmp_path: Path) -> None:
    exe = rs274()
    if exe is None:
        pytest.skip("rs274 not available: run .ci/install-validators (extracts Debian's "
                    "linuxcnc-uspace into .ci/vendor)")
    tp, ngc, _ = jobs[name]
    (tmp_path / "empty.tbl").write_text("")
    r = subprocess.run([exe, "-t", "empty.tbl", "-g", str(ngc), "out.canon"], cwd=tmp_path,
                       capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    canon = (tmp_path / "out.canon").read_text()
    assert "PROGRAM_END" in canon
    feeds = [ln for ln in canon.splitlines() if "STRAIGHT_FEED(" in ln]
    on = canon.count("SET_MOTION_OUTPUT_BIT(0)")
    off = canon.count("CLEAR_MOTION_OUTPUT_BIT(0)")
    m = job_metrics(tp)["total"]
    assert on == m["strokes"] and off >= m["strokes"]
    # the interpreted feed moves mark exactly the toolpath's length (x passes)
    pts = np.array([[float(v) for v in ln.split("(")[1].split(",")[:2]] for ln in feeds])
    assert len(pts) == sum(op.paths.segments * op.params.passes for op in tp.operations)
    assert "SET_MOTION_OUTPUT_VALUE(0,90.000000)" in canon  # singulation power


def _simulate(path: Path) -> dict:
    """Replay the program with pygcode: marked length per power setting, laser state."""
    from pygcode import Line

    x = y = 0.0
    laser = False
    power = 0.0
    marked: dict[float, float] = {}
    feeds = set()
    n_lines = 0
    for raw in path.read_text().splitlines():
        n_lines += 1
        line = Line(raw)
        words = {w.letter: w.value for w in line.block.words}
        codes = [str(g.word) for g in line.block.gcodes]
        for g in line.block.gcodes:
            params = getattr(g, "params", {}) or {}
            words.update({k: w.value for k, w in params.items()})
        mp = {w.letter: w.value for w in line.block.modal_params}
        if "M62" in codes:
            laser = True
        if "M63" in codes:
            laser = False
        if "M67" in codes:
            power = float(mp.get("Q", words.get("Q", 0)))
        if "M04" in codes:
            power = float(words["S"]) / 10
            laser = True
        if "M05" in codes:
            laser = False
        if "F" in words:
            feeds.add(float(words["F"]))
        if "G00" in codes or "G01" in codes:
            nx, ny = float(words.get("X", x)), float(words.get("Y", y))
            if "G01" in codes and laser:
                marked[power] = marked.get(power, 0.0) + float(np.hypot(nx - x, ny - y))
            x, y = nx, ny
    return {"marked": marked, "feeds": feeds, "lines": n_lines}


@pytest.mark.parametrize("name", ["hex", "grid"])
@pytest.mark.parametrize("flavour", ["ngc", "gcode"])
def test_gcode_replays_to_the_toolpath(jobs: dict, name: str, flavour: str) -> None:
    tp, ngc, grbl = jobs[name]
    sim = _simulate(ngc if flavour == "ngc" else grbl)
    m = job_metrics(tp)["operations"]
    for op in tp.operations:
        got = sim["marked"].get(op.params.power_pct, 0.0)
        # coordinates are written to 1 um: allow 1 um per vertex
        assert got == pytest.approx(m[op.name]["mark_total_mm"],
                                    abs=1e-3 * (len(op.paths.xy) * op.params.passes + 1))
        assert op.params.mark_speed_mm_s * 60 in sim["feeds"]


def test_ngc_structure(jobs: dict) -> None:
    tp, ngc, grbl = jobs["hex"]
    text = ngc.read_text()
    assert text.startswith("%\n") and text.rstrip().endswith("M2\n%")
    assert "G21 G90" in text and "(MSG, operation 1/3 fiducial" in text
    lines = text.splitlines()
    # laser off at the start, then one on/off pair per stroke
    assert lines.count("M62 P0") == lines.count("M63 P0") - 1 == job_metrics(tp)["total"][
        "strokes"]
    g = grbl.read_text()
    assert g.count("M4 S") == len(tp.operations) and "M62" not in g
    assert "M4 S900" in g  # 90 % on GRBL's 0-1000 scale


def test_gcode_bytes_are_deterministic(tmp_path: Path) -> None:
    a = write_ngc(toolpath(hex_case()), tmp_path / "a.ngc").read_bytes()
    b = write_ngc(toolpath(hex_case()), tmp_path / "b.ngc").read_bytes()
    assert a == b
