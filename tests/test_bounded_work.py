"""Issue 14, bounded work: every stage estimates its work first and refuses over the deck's limit.

The bomb cases run the real CLI in a subprocess under an address-space and CPU limit, so a
regression fails (MemoryError, killed, timed out) instead of hanging CI.
"""

from __future__ import annotations

import math
import random
import resource
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from shapely.geometry import Polygon

from layoutgen import shapes
from layoutgen.errors import LayoutgenError
from layoutgen.shapes import _chain_pieces
from layoutgen.tiling.engine import SheetSpec, estimate_count, tile
from layoutgen.tiling.polygons import nfp_pieces, simplified_outline
from layoutgen.tiling.rect.packing import pack_rectangles

MEM_BYTES = 3 << 30  # the bombs took 3.7 to 24 GB before
CPU_S = 90  # and ran for minutes


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEM_BYTES, MEM_BYTES))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_S, CPU_S))


def run_limited(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`layoutgen ARGS` in a subprocess under the memory and CPU limits."""
    return subprocess.run([sys.executable, "-m", "layoutgen", *args], cwd=cwd, text=True,
                          capture_output=True, preexec_fn=_limits, timeout=4 * CPU_S,
                          check=False)


def one_line_error(res: subprocess.CompletedProcess[str], *words: str) -> str:
    assert res.returncode == 2, (res.returncode, res.stdout[-2000:], res.stderr[-2000:])
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, res.stderr[-2000:]
    assert lines[0].startswith("error: ") and "Traceback" not in res.stderr
    for w in words:
        assert w in lines[0], (w, lines[0])
    return lines[0]


def _ring(n: int, r_of=lambda i: 5.0) -> list[tuple[float, float]]:  # noqa: ANN001
    return [(r_of(i) * math.cos(2 * math.pi * i / n), r_of(i) * math.sin(2 * math.pi * i / n))
            for i in range(n)]


def _wkt(path: Path, pts: list[tuple[float, float]]) -> Path:
    path.write_text("POLYGON ((" + ", ".join(f"{x:.9f} {y:.9f}" for x, y in [*pts, pts[0]])
                    + "))")
    return path


# --------------------------------------------------------------------------- polygon outlines


def test_dense_circle_is_simplified_outward_and_tiles(tmp_path: Path) -> None:
    f = _wkt(tmp_path / "circle20000.wkt", _ring(20000))
    res = run_limited(tmp_path, "tile", "--sheet", "300x300", "--polygon", f.name, "--json")
    assert res.returncode == 0, res.stderr[-2000:]
    import json

    summary = json.loads(res.stdout)
    assert summary["count"] > 800
    assert "simplified outward from 20,000" in summary["strategy"]


def test_dense_star_is_refused_with_the_estimate(tmp_path: Path) -> None:
    f = _wkt(tmp_path / "star2000.wkt", _ring(2000, lambda i: 5.0 if i % 2 else 3.0))
    res = run_limited(tmp_path, "tile", "--sheet", "300x300", "--polygon", f.name, "-o", "out")
    one_line_error(res, "star2000.wkt", "2,000 vertices", "tiling.max_polygon_vertices = 1,000",
                   "--force")
    assert not (tmp_path / "out").exists()
    f = _wkt(tmp_path / "star300.wkt", _ring(300, lambda i: 5.0 if i % 2 else 3.0))
    res = run_limited(tmp_path, "tile", "--sheet", "300x300", "--polygon", f.name, "-o", "out")
    one_line_error(res, "star300.wkt", "355,216 no-fit polygon pieces",
                   "tiling.max_nfp_pieces = 20,000", "--force")
    assert not (tmp_path / "out").exists()


def test_vertex_limit_from_the_deck(tmp_path: Path) -> None:
    f = _wkt(tmp_path / "c300.wkt", _ring(300))
    res = run_limited(tmp_path, "tile", "--sheet", "100x100", "--polygon", f.name,
                      "--set", "tiling.max_polygon_vertices=10",
                      "--set", "layout.chord_tolerance_um=0.01")
    one_line_error(res, "c300.wkt", "300 vertices", "tiling.max_polygon_vertices = 10")


# Most small tolerances leave nothing to simplify (None, assumed away): the filter health
# check tripped in a CI run, so it is suppressed; the assertions are unchanged.
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(n=st.integers(40, 400), spikes=st.integers(0, 20), tol=st.integers(1, 5000),
       seed=st.integers(0, 10_000))
def test_simplified_outline_contains_the_outline(n: int, spikes: int, tol: int,
                                                 seed: int) -> None:
    rng = random.Random(seed)
    amp = [1.0 + (0.3 * rng.random() if spikes and i % max(1, n // spikes) == 0 else 0.0)
           for i in range(n)]
    shape = shapes.polygon(np.array(_ring(n, lambda i: 5.0 * amp[i])))
    v = shape.vertices_nm
    simple = simplified_outline(v, tol)
    assume(simple is not None)
    s, reach = simple
    assert reach <= 5 * tol + 3
    assert s.dtype == np.int64 and len(s) < len(v)
    outer, inner = Polygon(s.astype(float)), Polygon(v.astype(float))
    assert outer.is_valid and outer.contains(inner)  # exact on integer coordinates
    assert outer.exterior.is_ccw
    assert inner.buffer(reach * 1.01 + 1, quad_segs=16).contains(outer)  # grows <= reach


def test_nfp_piece_estimate() -> None:
    sq = np.array([[0, 0], [10, 0], [10, 10], [0, 10]])
    ell = np.array([[0, 0], [10, 0], [10, 4], [4, 4], [4, 10], [0, 10]])
    assert nfp_pieces(sq) == 4
    assert nfp_pieces(ell) == 4 * 4 ** 2


# --------------------------------------------------------------------------- DXF chaining


def test_chaining_is_near_linear_and_correct() -> None:
    n = 3000
    pts = np.array(_ring(n))
    segs = [pts[[i, (i + 1) % n]] for i in range(n)]
    rng = random.Random(7)
    rng.shuffle(segs)
    segs = [s if rng.random() < 0.5 else s[::-1] for s in segs]
    loops, n_open = _chain_pieces(segs, 1e-6)
    assert n_open == 0 and len(loops) == 1 and len(loops[0]) == n
    assert Polygon(loops[0]).is_valid
    assert abs(abs(Polygon(loops[0]).area) - Polygon(pts).area) < 1e-9
    loops, n_open = _chain_pieces(segs[:-1], 1e-6)  # one gap: one open chain
    assert loops == [] and n_open >= 1


def test_twenty_thousand_dxf_lines_chain_under_the_limit(tmp_path: Path) -> None:
    code = ("import math, numpy as np\n"
            "from layoutgen.shapes import _chain_pieces\n"
            "n = 50000\n"
            "p = np.array([(math.cos(2*math.pi*i/n), math.sin(2*math.pi*i/n)) "
            "for i in range(n)])\n"
            "segs = [p[[i, (i + 1) % n]] for i in range(0, n, 2)] + "
            "[p[[(i + 1) % n, i]] for i in range(1, n, 2)]\n"
            "loops, k = _chain_pieces(segs, 1e-9)\n"
            "assert k == 0 and len(loops) == 1 and len(loops[0]) == n\n")
    res = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, text=True,
                         capture_output=True, preexec_fn=_limits, timeout=4 * CPU_S,
                         check=False)
    assert res.returncode == 0, res.stderr[-2000:]


# --------------------------------------------------------------------------- cells per sheet


@pytest.mark.parametrize("shape", ["circle", "rect"])
def test_micro_cells_are_refused_before_any_array(tmp_path: Path, shape: str) -> None:
    res = run_limited(tmp_path, "tile", "--sheet", "300x300", "--cell", "1um", "--shape", shape,
                      "-o", "out")
    one_line_error(res, "tiling.max_cells = 10,000,000", "--force")
    assert not (tmp_path / "out").exists()


def test_box_grid_limit_is_the_decks_and_none_lifts_it() -> None:
    with pytest.raises(LayoutgenError, match="tiling.max_cells = 50"):
        pack_rectangles(100, 100, 1, 1, max_cells=50)
    assert pack_rectangles(100, 100, 1, 1, max_cells=None).count == 10_000


def test_force_lifts_the_cell_limit() -> None:
    spec = SheetSpec(10_000_000, 10_000_000, 0, 0, 0, max_cells=10)
    with pytest.raises(LayoutgenError, match="tiling.max_cells = 10"):
        tile(shapes.circle(1), spec)
    assert tile(shapes.circle(1), spec, force=True).count >= 100


@settings(max_examples=15, deadline=None)
@given(w=st.integers(3, 40), h=st.integers(3, 40), d=st.integers(1, 8), k=st.integers(0, 3))
def test_circle_estimate_covers_the_count(w: int, h: int, d: int, k: int) -> None:
    assume(d <= min(w, h))
    spec = SheetSpec(w * 1_000_000, h * 1_000_000, 0, 0, k * 100_000)
    shape = shapes.circle(d)
    assert tile(shape, spec).count <= estimate_count(shape, spec)


# --------------------------------------------------------------------------- deck ranges


@pytest.mark.parametrize(("override", "key"), [
    ("layout.chord_tolerance_um=0.000001", "layout.chord_tolerance_um"),
    ("laser.field_mm=0.001", "laser.field_mm"),
    ("laser.scribe_overlap=0.999999", "laser.scribe_overlap"),
    ("laser.isolation.spot_um=0.001", "laser.isolation.spot_um"),
])
def test_runaway_deck_values_are_out_of_range(tmp_path: Path, override: str, key: str) -> None:
    res = run_limited(tmp_path, "tile", "--sheet", "300x300", "--cell", "10x8", "--set", override)
    one_line_error(res, key)


def test_scan_fields_and_scribe_passes_are_estimated(tmp_path: Path) -> None:
    res = run_limited(tmp_path, "layout", "--sheet", "2000x2000", "--cell", "2x2", "-o", "out",
                      "--set", "laser.field_mm=5")
    one_line_error(res, "laser.field_mm = 5", "160,000 scan fields",
                   "laser.max_scan_fields = 10,000")
    res = run_limited(tmp_path, "toolpath", "--sheet", "100x100", "--cell", "10x8", "-o", "out",
                      "--set", "laser.isolation.spot_um=1", "--set", "laser.scribe_overlap=0.9",
                      "--set", "process.isolation_width_um=5000")
    one_line_error(res, "laser.isolation.spot_um = 1", "passes",
                   "laser.max_scribe_passes = 200")
    assert not (tmp_path / "out").exists()


def test_convex_minkowski_sum_matches_the_hull() -> None:
    from layoutgen.tiling.polygons import _convex_sum

    a = np.array(_ring(300))
    b = -np.array(_ring(7, lambda i: 2.0)) + 0.3
    hull = shapely.multipoints((a[:, None, :] + b[None, :, :]).reshape(-1, 2)).convex_hull
    got = _convex_sum(a, b)
    assert got.symmetric_difference(hull).area < 1e-9 * hull.area


def test_chord_tolerance_segments_are_estimated(tmp_path: Path) -> None:
    res = run_limited(tmp_path, "layout", "--sheet", "100x100", "--cell", "10", "--shape",
                      "circle", "-o", "out", "--set", "layout.chord_tolerance_um=0.01",
                      "--set", "layout.max_outline_vertices=500")
    one_line_error(res, "layout.chord_tolerance_um = 0.01", "vertices",
                   "layout.max_outline_vertices = 500")
    assert not (tmp_path / "out").exists()


def test_dense_outline_is_refused_before_drawing(tmp_path: Path) -> None:
    f = _wkt(tmp_path / "c3000.wkt", _ring(3000))
    res = run_limited(tmp_path, "layout", "--sheet", "60x60", "--polygon", f.name, "-o", "out")
    one_line_error(res, "c3000.wkt", "3,000 vertices", "layout.max_outline_vertices = 2,000")
    assert not (tmp_path / "out").exists()
