"""Figures of `layoutgen bin` (issue 16): prints wall time and peak memory of each case.

    python benchmarks/binning.py            # all cases
    python benchmarks/binning.py million    # one case: million | lot | pictures

Cases (synthetic data made here, seeded):
- million: one 1,000,000-cell sheet map (CSV, keyed by id) binned and bins.csv, yield.json,
  yield.csv, pickmap.csv and pickmap.e142.xml written (no pictures); target < 10 s, < 2 GB;
- lot: 100 sheet maps of 10,000 cells each (100 CSV files), binned and written (no pictures);
  target < 30 s;
- pictures: every picture of one 100,000-cell sheet (a heat map per parameter and the bin map,
  PNG and SVG); target < 10 s.
Each case runs in a child process; peak memory is that process's maximum resident set size
(resource.getrusage, data generation included). Times are wall-clock on this machine,
printed, never asserted, with the process's CPU seconds (all threads) beside them.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

DECK = """
[[bin]]
code = 10
name = "short"
pass = false
rule = "spec"
parameter = "ocv_v"
low = 3.0
[[bin]]
code = 20
name = "impedance_high"
pass = false
rule = "spec"
parameter = "impedance_ohm"
high = 500.0
[[bin]]
code = 30
name = "ocv_outlier"
pass = false
rule = "dynamic"
parameter = "ocv_v"
k = 6.0
[[bin]]
code = 40
name = "bad_neighbourhood"
pass = false
rule = "neighbourhood"
radius_mm = {radius}
min_failing = 4
[[bin]]
code = 1
name = "pass"
pass = true
rule = "pass"
"""


def grid_manifest(path: Path, nx: int, ny: int, pitch_nm: int) -> None:
    """A cells.csv of an nx x ny grid (ids row by row)."""
    n = nx * ny
    ids = np.arange(n)
    row, col = ids // nx, ids % nx
    x = (col * pitch_nm + pitch_nm).astype(np.int64)
    y = (row * pitch_nm + pitch_nm).astype(np.int64)
    pl.DataFrame({"id": ids, "row": row, "col": col, "x": x / 1e6, "y": y / 1e6,
                  "rotation": np.zeros(n, np.int64), "pad_x": x / 1e6, "pad_y": y / 1e6,
                  "field": (col // 100) + 10 * (row // 100)}).write_csv(path, float_precision=6)


def tester_map(path: Path, n: int, seed: int, sheet: str | None = None) -> None:
    rng = np.random.default_rng(seed)
    ocv = 3.9 + 0.005 * rng.standard_normal(n)
    ocv[rng.random(n) < 0.005] = 1.0
    data: dict[str, object] = {"id": np.arange(n),
                               "ocv_v": np.round(ocv, 4),
                               "impedance_ohm": np.round(120 + 5 * rng.standard_normal(n), 2),
                               "capacity_mah": np.round(1.0 + 0.01 * rng.standard_normal(n), 4)}
    if sheet is not None:
        data = {"sheet": [sheet] * n, **data}
    pl.DataFrame(data).write_csv(path)


def case_million(tmp: Path) -> str:
    from layoutgen.binning.stage import bin_command

    grid_manifest(tmp / "cells.csv", 1000, 1000, 300_000)
    tester_map(tmp / "map.csv", 1_000_000, 1, "S1")
    (tmp / "deck.toml").write_text(DECK.format(radius=1.0))
    t, c = time.perf_counter(), cpu()
    run = bin_command([tmp / "map.csv"], tmp / "cells.csv", [tmp / "deck.toml"], tmp / "out",
                      pictures=False)
    dt, dc = time.perf_counter() - t, cpu() - c
    return (f"million: 1,000,000 cells binned and written in {dt:.2f} s wall, {dc:.2f} s CPU "
            f"(yield {100 * run.result.lot.yield_:.2f} %)")


def case_lot(tmp: Path) -> str:
    from layoutgen.binning.stage import bin_command

    grid_manifest(tmp / "cells.csv", 100, 100, 2_000_000)
    maps = []
    for k in range(100):
        p = tmp / f"sheet{k:03d}.csv"
        tester_map(p, 10_000, 100 + k)
        maps.append(p)
    (tmp / "deck.toml").write_text(DECK.format(radius=5.0))
    t, c = time.perf_counter(), cpu()
    run = bin_command(maps, tmp / "cells.csv", [tmp / "deck.toml"], tmp / "out", pictures=False)
    dt, dc = time.perf_counter() - t, cpu() - c
    return (f"lot: 100 sheets x 10,000 cells binned and written in {dt:.2f} s wall, {dc:.2f} s "
            f"CPU (lot yield "
            f"{100 * run.result.lot.yield_:.2f} %)")


def case_pictures(tmp: Path) -> str:
    from layoutgen.binning.stage import bin_maps, write_bin_pictures
    from layoutgen.shapes import rounded

    grid_manifest(tmp / "cells.csv", 400, 250, 1_000_000)
    tester_map(tmp / "map.csv", 100_000, 2, "S1")
    (tmp / "deck.toml").write_text(DECK.format(radius=3.0))
    r = bin_maps([tmp / "map.csv"], tmp / "cells.csv", [tmp / "deck.toml"],
                 outline=rounded(0.9, 0.9, 0.2))
    (tmp / "pics").mkdir()
    t, c = time.perf_counter(), cpu()
    names = write_bin_pictures(r, tmp / "pics")
    dt, dc = time.perf_counter() - t, cpu() - c
    size = sum((tmp / "pics" / n).stat().st_size for n in names) / 1e6
    return (f"pictures: {len(names)} files ({len(r.parameters)} heat maps + bin map, PNG+SVG) "
            f"of a 100,000-cell sheet in {dt:.2f} s wall, {dc:.2f} s CPU ({size:.1f} MB)")


CASES = {"million": case_million, "lot": case_lot, "pictures": case_pictures}


def cpu() -> float:
    """CPU seconds of this process so far (all threads): less sensitive to a loaded machine
    than wall time."""
    u = resource.getrusage(resource.RUSAGE_SELF)
    return u.ru_utime + u.ru_stime


def child(name: str) -> None:
    with tempfile.TemporaryDirectory(prefix="lg_binbench_") as d:
        text = CASES[name](Path(d))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(f"{text}; peak RSS {peak:.0f} MiB (data generation included)", flush=True)


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "--child":
        child(argv[1])
        return 0
    names = argv or list(CASES)
    for name in names:
        t = time.perf_counter()
        proc = subprocess.run([sys.executable, __file__, "--child", name], capture_output=True,
                              text=True)
        total = time.perf_counter() - t
        if proc.returncode:
            print(f"{name}: FAILED\n{proc.stderr}")
            return 1
        print(f"{proc.stdout.strip()}; child process wall {total:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
