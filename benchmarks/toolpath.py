"""Laser toolpath benchmark: time and peak memory of the big jobs, jump length vs vpype.

Cases (each in its own process, so the peak resident memory is the case's own):
  contours-100k  ~100k round cells (0.8 mm, hex lattice from the tiling engine, 255 mm sheet):
                 full job (fiducials, 2-pass isolation scribes, singulation contours) -> .ngc
  lines-1M       1,000,000 rectangles on a guillotine grid: singulation lines only -> .ngc
  full-1M        the same sheet with isolation scribes too (2M closed scribe loops)
  vpype          jump length of our order vs vpype's `linesort` and `linesort --two-opt` on the
                 same closed contours (ours as generated, one scan field, ~5k and ~2k cells);
                 ours_vs_two_opt_mm = ours - vpype's, to 1 nm (vpype, handed our start points,
                 can come back with our own tour: 0 then, up to float summation order)

  laser-files    the hearable example (examples/hearable_round.toml, 525 round cells): size of
                 every laser file, G-code lines, and the largest distance between what an
                 independent reader draws (ezdxf for the DXF, svgelements for the SVG, the G-code
                 replayed with its arcs) and the toolpath's chords; the job time per shipped
                 machine profile (galvo, GRBL diode gantry)

Goals (issue 5): 100k contour cells to .ngc < 5 s; 1M-cell line job < 1 s; jumps no longer
than vpype's; for guillotine grids, jump time < 5 % of mark time. Issue 15 (laser-files):
DXF < 0.5 MB, SVG < 0.3 MB, .gcode < 0.5 MB and < 20,000 lines, geometry within 5 um.
Times are wall clock (*_s) and this process's CPU time (*_cpu_s: user + system), the latter
being what a loaded machine does not inflate.

    python benchmarks/toolpath.py                 # every case
    python benchmarks/toolpath.py --case lines-1M
vpype is a benchmark-only comparison (pip install vpype); the case is skipped without it.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import shapely

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CASES = ("contours-100k", "lines-1M", "full-1M", "vpype", "laser-files")


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _grid_layout(n_side: int, sets: list[str]):  # noqa: ANN202
    from layoutgen.deck import load_deck
    from layoutgen.layout.assemble import build_layout
    from layoutgen.shapes import rect
    from layoutgen.tiling.result import Tiling

    w, kerf, edge = 0.25, 0.05, 5.0
    pitch = w + kerf
    size = 2 * edge + n_side * pitch - kerf
    deck = load_deck([], [f"sheet.width_mm={size}", f"sheet.length_mm={size}",
                          f"sheet.edge_x_mm={edge}", f"sheet.edge_y_mm={edge}",
                          'tiling.cut="guillotine"', "layout.pad_w_um=50", "layout.pad_h_um=50",
                          "process.singulation_clearance_um=20",
                          "process.isolation_width_um=20", *sets])
    c = edge + w / 2 + np.arange(n_side) * pitch
    gx, gy = np.meshgrid(c, c)
    row, col = np.meshgrid(np.arange(n_side), np.arange(n_side), indexing="ij")
    t = Tiling(gx.ravel(), gy.ravel(), np.zeros(gx.size), row.ravel(), col.ravel(), "grid",
               gx.size, "area", (size, size), (size - 2 * edge) ** 2, w * w)
    t0 = time.perf_counter()
    layout = build_layout(t, rect(w, w), deck)
    return layout, time.perf_counter() - t0


def _circle_layout(sheet: float, sets: list[str]):  # noqa: ANN202
    from layoutgen.deck import load_deck
    from layoutgen.layout.assemble import build_layout
    from layoutgen.shapes import circle
    from layoutgen.tiling.engine import sheet_spec_from_deck, tile

    deck = load_deck([], [f"sheet.width_mm={sheet}", f"sheet.length_mm={sheet}",
                          "layout.pad_w_um=100", "layout.pad_h_um=100", *sets])
    shape = circle(0.8)
    t0 = time.perf_counter()
    tiling = tile(shape, sheet_spec_from_deck(deck))
    t1 = time.perf_counter()
    layout = build_layout(tiling, shape, deck)
    return layout, t1 - t0, time.perf_counter() - t1


def _job(layout, out: Path) -> dict:  # noqa: ANN001
    from layoutgen.export.gcode import write_ngc
    from layoutgen.toolpath.generate import build_toolpath
    from layoutgen.toolpath.metrics import job_metrics

    t0, c0 = time.perf_counter(), time.process_time()
    tp = build_toolpath(layout)
    t1, c1 = time.perf_counter(), time.process_time()
    write_ngc(tp, out)
    t2, c2 = time.perf_counter(), time.process_time()
    m = job_metrics(tp)
    ops = {k: {"mark_s": round(v["mark_s"], 1), "jump_s": round(v["jump_s"], 2),
               "jump_before_mm": round(v["jump_before_mm"]), "jump_mm": round(v["jump_mm"]),
               "strokes": v["strokes"]} for k, v in m["operations"].items()}
    return {"cells": layout.count, "toolpath_s": t1 - t0, "ngc_s": t2 - t1,
            "to_ngc_s": t2 - t0,
            "toolpath_cpu_s": c1 - c0, "ngc_cpu_s": c2 - c1, "to_ngc_cpu_s": c2 - c0,
            "ngc_mb": out.stat().st_size / 2**20,
            "fields": tp.fields.count, "job_time_s": m["total"]["time_s"], "ops": ops}


def case_contours_100k(tmp: Path) -> dict:
    layout, tile_s, layout_s = _circle_layout(261.0, [])
    r = _job(layout, tmp / "job.ngc")
    r.update(tile_s=tile_s, layout_s=layout_s)
    return r


def case_lines_1m(tmp: Path) -> dict:
    layout, layout_s = _grid_layout(1000, ["laser.isolation.enabled=false",
                                           "laser.fiducial.enabled=false"])
    r = _job(layout, tmp / "job.ngc")
    r.update(layout_s=layout_s)
    s = r["ops"]["singulation"]
    r["jump_share_of_mark"] = s["jump_s"] / s["mark_s"]
    return r


def case_full_1m(tmp: Path) -> dict:
    layout, layout_s = _grid_layout(1000, [])
    r = _job(layout, tmp / "job.ngc")
    r.update(layout_s=layout_s)
    return r


def _pen_up(paths: list[np.ndarray]) -> float:
    return float(sum(np.hypot(*(b[0] - a[-1])) for a, b in zip(paths[:-1], paths[1:],
                                                               strict=True)))


def case_vpype(tmp: Path) -> dict:
    try:
        import vpype as vp
        import vpype_cli
    except ImportError:
        return {"skipped": "vpype not installed (pip install vpype)"}
    from layoutgen.toolpath.generate import build_toolpath

    out = {}
    for sheet in (63.0, 40.0):
        layout, _, _ = _circle_layout(sheet, ["laser.field_mm=2000", "laser.lead_in_um=0",
                                              "laser.fiducial.enabled=false"])
        tp = build_toolpath(layout)
        op = tp.operation("singulation")
        ours = [op.paths.path(k) for k in range(op.paths.count)]
        # the same closed contours (our start points), handed to vpype in the tiling's order
        by_cell = sorted(range(len(ours)), key=lambda k: int(op.paths.unit[k]))
        given = [ours[k] for k in by_cell]
        res = {"contours": len(ours), "tiling_order_mm": _pen_up(given),
               "ours_mm": _pen_up(ours)}
        for label, cmd in (("vpype_linesort_mm", "linesort"),
                           ("vpype_two_opt_mm", "linesort --two-opt")):
            doc = vp.Document()
            doc.add(vp.LineCollection([p[:, 0] + 1j * p[:, 1] for p in given]), 1)
            t0 = time.perf_counter()
            doc = vpype_cli.execute(cmd, doc)
            lines = [np.column_stack([ln.real, ln.imag]) for ln in doc.layers[1]]
            res[label] = _pen_up(lines)
            res[label.replace("_mm", "_s")] = time.perf_counter() - t0
        res["ours_vs_two_opt_mm"] = round(res["ours_mm"] - res["vpype_two_opt_mm"], 6) + 0.0
        out[f"{len(ours)} cells"] = res
    return out


def _max_distance(points: np.ndarray, chords) -> float:  # noqa: ANN001
    """Largest distance from the points to the nearest chord polyline (an STRtree)."""
    if not len(points):
        return 0.0
    _, dist = chords.query_nearest(shapely.points(points), return_distance=True,
                                   all_matches=False)
    return float(dist.max())


def _gcode_points(path: Path) -> np.ndarray:
    """Points along every feed move of a G-code file (sampled every 50 um)."""
    import math
    import re

    x = y = 0.0
    out = []
    word = re.compile(r"([XYIJ])(-?\d+\.?\d*)")
    for line in path.read_text().splitlines():
        if not line.startswith(("G1 ", "G2 ", "G3 ")):
            if line.startswith("G0"):
                w = dict(word.findall(line))
                x, y = float(w.get("X", x)), float(w.get("Y", y))
            continue
        w = dict(word.findall(line))
        nx, ny = float(w.get("X", x)), float(w.get("Y", y))
        if line.startswith("G1"):
            t = np.linspace(0, 1, max(2, int(math.hypot(nx - x, ny - y) / 0.05)))
            out.append(np.column_stack([x + (nx - x) * t, y + (ny - y) * t]))
        else:
            cx, cy = x + float(w["I"]), y + float(w["J"])
            a0, a1 = math.atan2(y - cy, x - cx), math.atan2(ny - cy, nx - cx)
            ccw = line.startswith("G3")
            sw = (a1 - a0) % (2 * math.pi) if ccw else -((a0 - a1) % (2 * math.pi))
            r = math.hypot(x - cx, y - cy)
            t = np.linspace(0, 1, max(2, int(abs(sw) * r / 0.05)))
            a = a0 + sw * t
            out.append(np.column_stack([cx + r * np.cos(a), cy + r * np.sin(a)]))
        x, y = nx, ny
    return np.vstack(out) if out else np.zeros((0, 2))


def case_laser_files(tmp: Path) -> dict:
    import ezdxf
    import ezdxf.path

    from layoutgen.deck import load_deck
    from layoutgen.export.toolpath_files import write_toolpath_files
    from layoutgen.job import load_job
    from layoutgen.run import run_job
    from layoutgen.toolpath.generate import build_toolpath
    from layoutgen.toolpath.metrics import compute_metrics

    r = run_job(load_job(ROOT / "examples" / "hearable_round.toml"), tmp / "run")
    tp = build_toolpath(r.layout)
    chords = shapely.STRtree([shapely.LineString(p) for op in tp.operations
                              for p in op.paths.as_list()])
    t0 = time.perf_counter()
    files = write_toolpath_files(tp, tmp, "hearable")
    write_s = time.perf_counter() - t0
    out: dict = {"cells": r.layout.count, "write_all_s": write_s}
    for f in files:
        out[f"{f.name}_kB"] = f.stat().st_size / 1000
    g = tmp / "hearable.gcode"
    out["gcode_lines"] = len(g.read_text().splitlines())
    out["gcode_max_dev_um"] = 1000 * _max_distance(_gcode_points(g), chords)
    doc = ezdxf.readfile(tmp / "hearable.dxf")
    pts = [np.array([(v.x, v.y) for v in ezdxf.path.make_path(e).flattening(1e-4)])
           for e in doc.modelspace().query("LWPOLYLINE")]
    out["dxf_max_dev_um"] = 1000 * _max_distance(np.vstack(pts), chords)
    try:
        import svgelements

        h = tp.sheet_mm[1]
        svg_pts = []
        for el in svgelements.SVG.parse(str(tmp / "hearable.svg"), reify=False).elements():
            if isinstance(el, svgelements.Path) and len(el):
                n = max(2, int(el.length() / 0.05))
                q = np.array([(p.x, p.y) for p in (el.point(t) for t in np.linspace(0, 1, n))])
                svg_pts.append(np.column_stack([q[:, 0], h - q[:, 1]]))
        out["svg_max_dev_um"] = 1000 * _max_distance(np.vstack(svg_pts), chords)
    except ImportError:
        out["svg_max_dev_um"] = "svgelements not installed"
    for name in ("galvo_fiber", "grbl_diode"):
        m = load_deck([ROOT / "rules" / "machines" / f"{name}.toml"]).machine
        out[f"job_time_{name}_s"] = compute_metrics(tp, m).total["time_s"]
    return out


RUN = {"contours-100k": case_contours_100k, "lines-1M": case_lines_1m,
       "full-1M": case_full_1m, "vpype": case_vpype, "laser-files": case_laser_files}


def _run_one(name: str) -> dict:
    with tempfile.TemporaryDirectory() as d:
        r = RUN[name](Path(d))
    r["peak_rss_mb"] = _peak_mb()
    return r


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--case", choices=CASES, action="append")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(_run_one(args.child)))
        return
    for name in args.case or CASES:
        p = subprocess.run([sys.executable, __file__, "--child", name], capture_output=True,
                           text=True)
        if p.returncode:
            print(f"{name}: FAILED\n{p.stderr[-3000:]}")
            continue
        r = json.loads(p.stdout)
        print(f"\n== {name} ==")
        _table(r)


def _table(r: dict, indent: str = "  ") -> None:
    for k, v in r.items():
        if isinstance(v, dict):
            print(f"{indent}{k}:")
            _table(v, indent + "  ")
        elif isinstance(v, float):
            print(f"{indent}{k:<22} {v:,.3f}")
        else:
            print(f"{indent}{k:<22} {v}")


if __name__ == "__main__":
    main()
