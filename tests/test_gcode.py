"""G-code exports: LinuxCNC's rs274 interpreter and an independent parser (pygcode) accept them,
and what they would mark is what the toolpath says.

The .ngc draws circular arcs (G2/G3) where the toolpath marks them (circles, rounded corners):
one feed move per straight step or arc; an arc lies within the layout's chord tolerance of the
chords it stands for (plus the 1 um the written coordinates are rounded to)."""

from __future__ import annotations

import math
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import shapely
from test_toolpath_cases import grid_case, hex_case, polygon_case, toolpath

from layoutgen.export.gcode import DECIMALS, write_grbl, write_ngc
from layoutgen.toolpath.metrics import job_metrics

REPO = Path(__file__).resolve().parents[1]


def rs274() -> str | None:
    vendored = REPO / ".ci" / "vendor" / "bin" / "rs274"
    if vendored.is_file():
        return str(vendored)
    return shutil.which("rs274")


def _arc_length(x0: float, y0: float, x1: float, y1: float, cx: float, cy: float,
                ccw: bool) -> float:
    """Length of the arc (or, if the radii differ, LinuxCNC's spiral) from (x0, y0) to (x1, y1)
    round (cx, cy)."""
    a0, a1 = math.atan2(y0 - cy, x0 - cx), math.atan2(y1 - cy, x1 - cx)
    sweep = (a1 - a0) % (2 * math.pi) if ccw else (a0 - a1) % (2 * math.pi)
    r0, r1 = math.hypot(x0 - cx, y0 - cy), math.hypot(x1 - cx, y1 - cy)
    return 0.5 * (r0 + r1) * (sweep or 2 * math.pi)


def _canon_feed_length(canon: str) -> float:
    """Length of every feed move of an rs274 canon listing."""
    x = y = 0.0
    total = 0.0
    for ln in canon.splitlines():
        m = re.search(r"(STRAIGHT_TRAVERSE|STRAIGHT_FEED|ARC_FEED)\((.*)\)", ln)
        if not m:
            continue
        v = [float(t) for t in m.group(2).split(",")]
        if m.group(1) == "STRAIGHT_FEED":
            total += math.hypot(v[0] - x, v[1] - y)
        elif m.group(1) == "ARC_FEED":  # end x, end y, centre x, centre y, turns (+ = CCW)
            total += _arc_length(x, y, v[0], v[1], v[2], v[3], v[4] > 0)
        x, y = v[0], v[1]
    return total


def _rounding_allowance(tp) -> float:  # noqa: ANN001
    """Coordinates are written to 1 um: allow 1 um per vertex marked."""
    return 1e-3 * (sum(len(op.paths.xy) * op.params.passes for op in tp.operations) + 1)


@pytest.fixture(scope="module")
def jobs(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = {}
    d = tmp_path_factory.mktemp("gcode")
    for name, layout in (("hex", hex_case("laser.microtabs=2")), ("grid", grid_case()),
                         ("polygon", polygon_case())):
        tp = toolpath(layout)
        out[name] = (tp, write_ngc(tp, d / f"{name}.ngc"), write_grbl(tp, d / f"{name}.gcode"),
                     layout.deck.layout.chord_tolerance_um / 1000)
    return out


@pytest.mark.parametrize("name", ["hex", "grid", "polygon"])
def test_ngc_passes_linuxcnc_rs274(jobs: dict, name: str, tmp_path: Path) -> None:
    exe = rs274()
    if exe is None:
        pytest.skip("rs274 not available: run .ci/install-validators (extracts Debian's "
                    "linuxcnc-uspace into .ci/vendor)")
    tp, ngc, _, _ = jobs[name]
    (tmp_path / "empty.tbl").write_text("")
    r = subprocess.run([exe, "-t", "empty.tbl", "-g", str(ngc), "out.canon"], cwd=tmp_path,
                       capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    canon = (tmp_path / "out.canon").read_text()
    assert "PROGRAM_END" in canon
    feeds = [ln for ln in canon.splitlines() if "STRAIGHT_FEED(" in ln or "ARC_FEED(" in ln]
    arcs = sum("ARC_FEED(" in ln for ln in feeds)
    on = canon.count("SET_MOTION_OUTPUT_BIT(0)")
    off = canon.count("CLEAR_MOTION_OUTPUT_BIT(0)")
    m = job_metrics(tp)["total"]
    assert on == m["strokes"] and off >= m["strokes"]
    # one interpreted feed move per straight step or arc of the toolpath (x passes) ...
    assert len(feeds) == sum(op.paths.moves * op.params.passes for op in tp.operations)
    # ... circles and rounded corners as arcs (the grid's rectangles have none) ...
    assert (arcs > 0) == (name != "grid")
    if name == "hex":
        assert len(feeds) < 0.15 * sum(op.paths.segments * op.params.passes
                                       for op in tp.operations)
    # ... marking exactly the toolpath's length (x passes)
    assert _canon_feed_length(canon) == pytest.approx(m["mark_total_mm"],
                                                       abs=_rounding_allowance(tp))
    assert "SET_MOTION_OUTPUT_VALUE(0,90.000000)" in canon  # singulation power


def _simulate(path: Path) -> dict:
    """Replay the program with pygcode: marked length per power setting, laser state."""
    from pygcode import Line

    x = y = 0.0
    laser = False
    power = 0.0
    marked: dict[float, float] = {}
    feeds = set()
    arcs: list[tuple] = []
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
        moves = {"G00", "G01", "G02", "G03"} & set(codes)
        if moves:
            nx, ny = float(words.get("X", x)), float(words.get("Y", y))
            step = 0.0
            if "G01" in moves:
                step = float(np.hypot(nx - x, ny - y))
            elif moves & {"G02", "G03"}:
                arcs.append((x, y, nx, ny, x + float(words["I"]), y + float(words["J"]),
                             "G03" in moves))
                step = _arc_length(*arcs[-1])
            if laser and "G00" not in moves:
                marked[power] = marked.get(power, 0.0) + step
            x, y = nx, ny
    return {"marked": marked, "feeds": feeds, "lines": n_lines, "arcs": arcs}


@pytest.mark.parametrize("name", ["hex", "grid", "polygon"])
@pytest.mark.parametrize("flavour", ["ngc", "gcode"])
def test_gcode_replays_to_the_toolpath(jobs: dict, name: str, flavour: str) -> None:
    tp, ngc, grbl, _ = jobs[name]
    sim = _simulate(ngc if flavour == "ngc" else grbl)
    m = job_metrics(tp)["operations"]
    for op in tp.operations:
        got = sim["marked"].get(op.params.power_pct, 0.0)
        # coordinates are written to 1 um: allow 1 um per vertex
        assert got == pytest.approx(m[op.name]["mark_total_mm"],
                                    abs=1e-3 * (len(op.paths.xy) * op.params.passes + 1))
        assert op.params.mark_speed_mm_s * 60 in sim["feeds"]
    assert bool(sim["arcs"]) == (name != "grid")  # both draw the toolpath's arcs


@pytest.mark.parametrize("name", ["hex", "polygon"])
def test_grbl_arcs_pass_grbls_radius_check(jobs: dict, name: str) -> None:
    """GRBL refuses an arc whose end radius differs from its start radius by more than
    0.005 mm and 0.1 % (error 33): every written arc is within 1.5 um."""
    arcs = _simulate(jobs[name][2])["arcs"]
    assert arcs
    for x0, y0, x1, y1, cx, cy, _ in arcs:
        r0, r1 = math.hypot(x0 - cx, y0 - cy), math.hypot(x1 - cx, y1 - cy)
        assert abs(r1 - r0) <= 0.0015


def test_grbl_gantry_profile_clamps_feed_and_lowers_power(tmp_path: Path) -> None:
    from layoutgen.machine import Machine

    tp = toolpath(hex_case())
    m = Machine(name="diode", kind="gantry", max_feed_mm_min=6000.0)
    path = write_grbl(tp, tmp_path / "g.gcode", m)
    text = path.read_text()
    sim = _simulate(path)
    assert sim["feeds"] == {6000.0}  # every operation here is faster than the machine
    for op in tp.operations:
        s = round(op.params.power_pct / 100 * 1000 * 6000 / (op.params.mark_speed_mm_s * 60))
        assert f"M4 S{max(s, 1)}\n" in text
        assert f"({op.name}: feed {op.params.mark_speed_mm_s * 60:g} mm/min is above" in text
    assert "$12 arc tolerance" in text


def test_grbl_without_arcs_writes_chords_within_the_profile(tmp_path: Path) -> None:
    from layoutgen.machine import Machine

    tp = toolpath(hex_case())
    m = Machine(arcs=False, chord_tolerance_um=2.0)
    sim = _simulate(write_grbl(tp, tmp_path / "c.gcode", m))
    assert not sim["arcs"]
    # chords of the true arcs: within 2 um of the toolpath's chords (plus their tolerance)
    marked = sum(sim["marked"].values())
    want = sum(op.paths.lengths().sum() * op.params.passes for op in tp.operations)
    assert marked == pytest.approx(want, rel=2e-3)


@pytest.mark.parametrize("name", ["hex", "polygon"])
def test_ngc_arcs_follow_the_chords(jobs: dict, name: str) -> None:
    """Every G2/G3 stays within the chord tolerance of the toolpath's chords (plus the output
    resolution), and every chord within it of the arcs: the .ngc traces the same outline."""
    tp, ngc, _, chord_tol = jobs[name]
    tol = chord_tol + 10.0 ** -DECIMALS
    arcs = _simulate(ngc)["arcs"]
    assert arcs
    chords = shapely.MultiLineString([p for op in tp.operations for p in op.paths.as_list()])
    curves = []
    for x0, y0, x1, y1, cx, cy, ccw in arcs:
        a0, a1 = math.atan2(y0 - cy, x0 - cx), math.atan2(y1 - cy, x1 - cx)
        sweep = (a1 - a0) % (2 * math.pi) if ccw else -((a0 - a1) % (2 * math.pi))
        t = np.linspace(0.0, 1.0, 257)
        r = math.hypot(x0 - cx, y0 - cy) + (math.hypot(x1 - cx, y1 - cy)
                                             - math.hypot(x0 - cx, y0 - cy)) * t
        pts = np.column_stack([cx + r * np.cos(a0 + sweep * t), cy + r * np.sin(a0 + sweep * t)])
        assert shapely.distance(shapely.points(pts), chords).max() <= tol
        curves.append(shapely.LineString(pts))
    # the chords the arcs stand for are as close to them
    near = shapely.MultiLineString([c.coords for c in curves])
    for op in tp.operations:
        a = op.paths.arc_codes()
        inside = op.paths.xy[a == 0]
        if len(inside):
            assert shapely.distance(shapely.points(inside), near).max() <= tol


def test_ngc_structure(jobs: dict) -> None:
    tp, ngc, grbl, _ = jobs["hex"]
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
