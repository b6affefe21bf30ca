"""Layout benchmark: time, peak memory and file size of the patterning layout at 10k-1M cells.

Cells are 1.9 x 1.9 mm at 0.1 mm kerf on a 2000 x 2000 mm sheet, edge 0 (the issue's scale
case; 1000 x 1000 = 1,000,000 cells). Modes, each in a fresh subprocess:

  hier    build_layout + GDS with master cells and arrays (layoutgen's default)
  flat    build_layout + GDS with every polygon (`--flat`)
  naive   a plain gdstk script: one gdstk.Polygon per cell per layer, then write_gds
  csv     cells.csv (the manifest) of the layout
  drc     `run_drc` of the hierarchical file (writing it is not timed)
  drcflat `run_drc` of the flat file

Times are the work alone (no interpreter start or imports): total wall time, split into the
layout stage (build_layout) and writing, and the CPU time (steadier on a loaded machine). Peak
memory is the child's maximum resident set (ru_maxrss) and, in brackets, its growth over the
state after imports. The naive script's time is all writing.

    python benchmarks/layout.py                      # all sizes, all modes
    python benchmarks/layout.py --sizes 10000 --modes hier,naive
    python benchmarks/layout.py --all                # also the flat DRC of 1M cells (slow)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODES = ("hier", "flat", "naive", "csv", "drc", "drcflat")
SHAPES = {10_000: (100, 100), 100_000: (1000, 100), 1_000_000: (1000, 1000)}
SETS = ["sheet.width_mm=2000", "sheet.length_mm=2000", "sheet.edge_x_mm=0", "sheet.edge_y_mm=0",
        "tiling.kerf_um=100"]


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _tiling(n: int):  # noqa: ANN202
    import numpy as np

    from layoutgen.tiling.result import Tiling

    nx, ny = SHAPES[n]
    xs, ys = np.meshgrid(0.95 + 2.0 * np.arange(nx), 0.95 + 2.0 * np.arange(ny))
    return Tiling(xs.ravel(), ys.ravel(), np.zeros(n), np.repeat(np.arange(ny), nx),
                  np.tile(np.arange(nx), ny), "grid", n, "count", (2000.0, 2000.0),
                  4e6, 1.9 * 1.9)


def run_case(mode: str, n: int, out: Path) -> dict:
    """One measurement, in this process."""
    import gdstk
    import numpy as np

    from layoutgen.deck import load_deck
    from layoutgen.drc import run_drc
    from layoutgen.export.gds import write_layout
    from layoutgen.export.manifest import write_manifest
    from layoutgen.layout.assemble import build_layout
    from layoutgen.shapes import rect

    deck = load_deck([], SETS)
    shape = rect(1.9, 1.9)
    tiling = _tiling(n)
    path = out / f"{mode}_{n}.gds"
    if mode in ("drc", "drcflat"):
        write_layout(build_layout(tiling, shape, deck), path, flat=mode == "drcflat", lyp=False)
    if mode == "drc":
        write_manifest(build_layout(tiling, shape, deck), out / f"cells_{n}.csv")
    base = _rss_mb()
    c0 = time.process_time()
    t0 = time.perf_counter()
    t_layout = 0.0
    if mode in ("hier", "flat"):
        layout = build_layout(tiling, shape, deck)
        t_layout = time.perf_counter() - t0
        write_layout(layout, path, flat=mode == "flat", lyp=False)
        size = path.stat().st_size
    elif mode == "csv":
        layout = build_layout(tiling, shape, deck)
        c0 = time.process_time()
        t0 = time.perf_counter()
        path = write_manifest(layout, out / f"cells_{n}.csv")
        size = path.stat().st_size
    elif mode in ("drc", "drcflat"):
        man = out / f"cells_{n}.csv" if mode == "drc" else None
        rep = run_drc(path, deck, man, marker_path=out / f"{mode}_{n}.drc.gds")
        assert rep.ok and rep.cell_count == n, rep.violations
        size = path.stat().st_size
    elif mode == "naive":
        from layoutgen.pattern import cell_pattern

        polys = []
        for name, g in sorted(cell_pattern(shape, deck).layers.items()):
            ld = getattr(deck.layers, name)
            ring = gdstk.Polygon(np.asarray(g.exterior.coords)[:-1] * 1000)
            holes = [gdstk.Polygon(np.asarray(h.coords)[:-1] * 1000) for h in g.interiors]
            for p in gdstk.boolean(ring, holes, "not") if holes else [ring]:
                polys.append((p.points, ld))
        lib = gdstk.Library("NAIVE", unit=1e-6, precision=1e-9)
        top = lib.new_cell("TOP")
        for x, y in zip(tiling.x * 1000, tiling.y * 1000, strict=True):
            for pts, (layer, dt) in polys:
                top.add(gdstk.Polygon(pts + (x, y), layer=layer, datatype=dt))
        lib.write_gds(str(path))
        size = path.stat().st_size
    else:
        raise SystemExit(f"unknown mode {mode}")
    seconds = time.perf_counter() - t0
    cpu = time.process_time() - c0
    peak = _rss_mb()
    for p in out.glob(f"*_{n}*"):
        p.unlink()
    return {"mode": mode, "cells": n, "seconds": seconds, "layout_s": t_layout,
            "write_s": seconds - t_layout, "cpu_s": cpu, "peak_mb": peak,
            "growth_mb": peak - base, "bytes": size}


def _fmt_size(b: int) -> str:
    for unit, k in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if b >= k:
            return f"{b / k:.3g} {unit}"
    return f"{b} B"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--modes", default=",".join(MODES))
    ap.add_argument("--all", action="store_true",
                    help="also drcflat above 100k cells (minutes: KLayout on 6M flat polygons)")
    ap.add_argument("--case", nargs=3, metavar=("MODE", "N", "DIR"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.case:
        mode, n, out = args.case
        print(json.dumps(run_case(mode, int(n), Path(out))))
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    modes = [m for m in args.modes.split(",") if m]
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            for mode in modes:
                if mode == "drcflat" and n > 100_000 and not args.all:
                    continue
                proc = subprocess.run([sys.executable, __file__, "--case", mode, str(n), tmp],
                                      capture_output=True, text=True, env=env, check=False)
                if proc.returncode != 0:
                    print(f"{mode} {n}: failed\n{proc.stderr[-2000:]}", file=sys.stderr)
                    continue
                rows.append(json.loads(proc.stdout.strip().splitlines()[-1]))
                r = rows[-1]
                print(f"  {mode:8s} {n:>9,}  {r['seconds']:8.2f} s", file=sys.stderr)
    print(f"{'mode':8s} {'cells':>10s} {'total':>9s} {'layout':>9s} {'write':>9s} "
          f"{'cpu':>9s} {'peak RSS':>9s} {'(growth)':>9s} {'file':>9s}")
    for r in rows:
        print(f"{r['mode']:8s} {r['cells']:>10,} {r['seconds']:>7.3f} s {r['layout_s']:>7.3f} s "
              f"{r['write_s']:>7.3f} s {r['cpu_s']:>7.3f} s {r['peak_mb']:>6.0f} MB "
              f"({r['growth_mb']:>5.0f} MB) {_fmt_size(r['bytes']):>9s}")
    by = {(r["mode"], r["cells"]): r for r in rows}
    print()
    for n in sizes:
        h, f, v = by.get(("hier", n)), by.get(("flat", n)), by.get(("naive", n))
        if h and v:
            fast_w = v["write_s"] / h["write_s"]
            fast_t = v["seconds"] / h["seconds"]
            print(f"{n:>9,} cells vs the plain gdstk script: hierarchical GDS written "
                  f"{fast_w:,.0f}x faster ({fast_t:,.0f}x with the layout stage) and "
                  f"{v['bytes'] / h['bytes']:,.0f}x smaller"
                  + (f"; --flat {f['seconds'] / v['seconds']:.2f}x its time (layout "
                     f"included), {f['bytes'] / v['bytes']:.2f}x its size" if f else ""))


if __name__ == "__main__":
    main()
