"""Stacking figures: products against the upper bound and the naive order, and the time and
peak memory of 1,000,000 passing cells. Prints figures; asserts nothing.

    python benchmarks/stacking.py            # everything (a few minutes on 2 busy cores)
    python benchmarks/stacking.py --quick    # example-like maps and one 100 x 10,000 lot

Maps are generated (seeded numpy, layoutgen.stacking.synthetic): no maps ship with the examples,
so "example-like" maps are each example's product (sizing, cells per sheet from its sheet) on
10 sheets of cells whose measured capacity scatters around the nominal one. An exact reference
(OR-Tools CP-SAT) runs on small lots if `ortools` is installed; it is not a dependency.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from layoutgen.stacking import matching, stacker
from layoutgen.stacking.bounds import upper_bounds
from layoutgen.stacking.check import check_stacks, read_maps, read_stacks_csv
from layoutgen.stacking.naive import naive_stacks
from layoutgen.stacking.stage import StackRequest, stack_cells
from layoutgen.stacking.synthetic import sheet_frame, write_map
from layoutgen.stacking.target import Options

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = ("hearable_round", "iot_small", "tab_cell", "wearable_patch")
LIMITS = {"default (10 %, 20 mV)": (), "tight (5 %, 8 mV)": (
    "stack.max_impedance_spread=0.05", "stack.max_ocv_spread_mv=8")}


def _row(name: str, r: object) -> str:
    s = r.summary()  # type: ignore[attr-defined]
    up = s["upper_bound"]
    pct = 100 * s["products"] / up if up else float("nan")
    nv = s["naive"]
    return (f"{name:<58} {s['passing_cells']:>9,} {s['products']:>8,} {up:>8,} {pct:>7.2f} % "
            f"{nv['products']:>7,} ({nv['over_spread']:,} over a spread, "
            f"{nv['short_capacity']:,} short)")


def _header() -> None:
    print(f"{'maps / limits':<58} {'cells':>9} {'products':>8} {'bound':>8} {'of bound':>9} "
          f"{'naive':>7}")


def shipped(tmp: Path) -> None:
    """The synthetic tester maps in examples/testmaps, binned by `layoutgen bin`, stacked."""
    print("\n## shipped example maps (examples/testmaps, binned by `layoutgen bin`)")
    _header()
    t = REPO / "examples" / "testmaps"
    runs = {
        "wearable_patch": [str(t / "wearable_patch_sheets.csv"), "-m",
                           str(t / "wearable_patch_cells.csv")],
        "hearable_round": [*map(str, sorted(t.glob("hearable_round_sheet*.csv"))), "-m",
                           str(t / "hearable_round_cells.csv"), "-r",
                           str(t / "hearable_tester.toml")],
    }
    for ex, args in runs.items():
        job = REPO / "examples" / f"{ex}.toml"
        out = tmp / f"bins_{ex}"
        res = subprocess.run([sys.executable, "-m", "layoutgen", "bin", *args, "--job",
                              str(job), "-o", str(out), "--no-pictures"],
                             capture_output=True, text=True, check=False)
        if res.returncode:
            print(f"{ex}: layoutgen bin failed: {res.stderr.strip()}")
            continue
        for label, sets in LIMITS.items():
            r = stack_cells(StackRequest(maps=(str(out / "bins.csv"),), job=str(job),
                                         sets=sets))
            print(_row(f"{ex} (N={r.spec.n_min}) {label}", r))


def example_like(tmp: Path) -> None:
    from layoutgen.job import load_job
    from layoutgen.product import resolve_deck, size_product
    from layoutgen.stages import sheet_figures

    print("\n## example-like maps: each example's product on 10 sheets "
          "(capacity cv 3 %, impedance cv 6 %, OCV sd 8 mV, 92 % pass)")
    _header()
    for ex in EXAMPLES:
        job_path = REPO / "examples" / f"{ex}.toml"
        job = load_job(job_path)
        deck = resolve_deck(job)
        prod = size_product(job, deck)
        cells = sheet_figures(prod, deck).cells_per_sheet
        cols = max(1, round(math.sqrt(cells)))
        rows = max(1, cells // cols)
        maps = [write_map(sheet_frame(f"{ex}_{i}", rows, cols, 100 + i,
                                      capacity_mah=prod.cell_capacity_mAh),
                          tmp / f"{ex}_{i}.csv") for i in range(10)]
        for label, sets in LIMITS.items():
            req = StackRequest(maps=tuple(map(str, maps)), job=str(job_path), sets=sets)
            r = stack_cells(req)
            print(_row(f"{ex} ({rows}x{cols}/sheet, N={r.spec.n_min}) {label}", r))


def big_lot(tmp: Path, quick: bool) -> None:
    print("\n## 100 sheets x 10,000 cells (10x10 mm product, 10 mAh at 95 % retention)")
    _header()
    maps = [write_map(sheet_frame(f"S{i:03d}", 100, 100, 1000 + i, capacity_mah=0.5037,
                                  drift=0.05), tmp / f"big_{i:03d}.csv") for i in range(100)]
    cases = [("N fixed (21)", ("stack.cells=fixed",), None)]
    if not quick:
        cases += [("N free within 1.2 mm", ("stack.cells=free",), "1.2")]
    for name, base, t_max in cases:
        for label, sets in LIMITS.items():
            req = StackRequest(maps=tuple(map(str, maps)), options=Options(
                footprint="10x10", capacity=10, retention=0.95, max_thickness=t_max),
                sets=(*base, *sets))
            t0, c0 = time.perf_counter(), time.process_time()
            r = stack_cells(req)
            dt, dc = time.perf_counter() - t0, time.process_time() - c0
            print(_row(f"{name}, {label}", r) + f"  [{dt:.1f} s wall, {dc:.1f} s cpu]")


def million(tmp: Path) -> None:
    print("\n## 1,000,000 passing cells through `layoutgen stack` (read, stack, bound, write)")
    maps = [write_map(sheet_frame(f"M{i:03d}", 100, 100, 5000 + i, capacity_mah=0.5037,
                                  pass_rate=1.0, drift=0.05), tmp / f"m_{i:03d}.csv")
            for i in range(100)]
    out = tmp / "million_out"
    cmd = [sys.executable, "-m", "layoutgen", "stack", *map(str, maps), "--capacity", "10",
           "--retention", "0.95", "--footprint", "10x10", "-o", str(out), "--json"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    res = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if res.returncode:
        print("failed:", res.stderr.strip())
        return
    s = json.loads(res.stdout)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print(f"passing cells {s['passing_cells']:,}: {s['products']:,} products, bound "
          f"{s['upper_bound']:,} ({100 * s['of_upper_bound']:.3f} %), naive "
          f"{s['naive']['products']:,}")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"wall {wall:.1f} s, cpu {cpu:.1f} s, peak RSS {after.ru_maxrss / 1024:.0f} MiB "
          f"(largest child so far, resource.getrusage); load average {load} on "
          f"{os.cpu_count()} cores")
    t0 = time.perf_counter()
    rep = check_stacks(read_maps(maps), read_stacks_csv(out / "stacks.csv"), target_mah=10,
                       retention=0.95, n_min=21, n_max=21, max_impedance_spread=0.1,
                       max_ocv_spread_mv=20)
    print(f"independent checker on stacks.csv: {rep.stacks:,} stacks, {rep.cells:,} cells, "
          f"{len(rep.problems)} problems ({time.perf_counter() - t0:.1f} s)")


def exact_reference() -> None:
    try:
        from ortools.sat.python import cp_model  # optional: only for this reference
    except ImportError:
        print("\n## exact reference: ortools not installed (pip install ortools), skipped")
        return
    print("\n## exact reference (CP-SAT set packing over every feasible stack) on lots of 60 "
          "cells, N = 3, capacity tight (need 1.48 mAh from cells of 0.5 +- 0.02 mAh)")
    rng = np.random.default_rng(7)
    for trial in range(6):
        n, size = 60, 3
        cap = np.rint(rng.normal(0.5, 0.04, n) * 1e6).astype(np.int64)
        z = np.rint(rng.lognormal(np.log(20), 0.08, n) * 1e6).astype(np.int64)
        v = np.rint(rng.normal(4.0, 0.01, n) * 1e6).astype(np.int64)
        spec = matching.Spec(need_nah=int(1.48e6), n_min=size, n_max=size, z_ppm=100_000,
                             v_uv=20_000)
        got = stacker.stack_cells(cap, z, v, spec).n_stacks
        b = upper_bounds(cap, z, v, spec.need_nah, size, size, spec.z_ppm, spec.v_uv).upper
        # set packing over every feasible stack (all N-subsets meeting the limits)
        groups = [g for g in itertools.combinations(range(n), size)
                  if cap[list(g)].sum() >= spec.need_nah
                  and z[list(g)].max() * 10**6 <= z[list(g)].min() * (10**6 + spec.z_ppm)
                  and np.ptp(v[list(g)]) <= spec.v_uv]
        m = cp_model.CpModel()
        x = [m.NewBoolVar(f"g{t}") for t in range(len(groups))]
        holds: list[list[int]] = [[] for _ in range(n)]
        for t, g in enumerate(groups):
            for i in g:
                holds[i].append(t)
        for ts in holds:
            if ts:
                m.AddAtMostOne(x[t] for t in ts)
        m.Maximize(sum(x))
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = 60
        solver.parameters.num_workers = 1
        st = solver.Solve(m)
        exact = int(solver.ObjectiveValue()) if st in (cp_model.OPTIMAL, cp_model.FEASIBLE) \
            else -1
        tag = "optimal" if st == cp_model.OPTIMAL else "best found"
        nv = naive_stacks(cap, z, v, spec.need_nah, size, size, spec.z_ppm, spec.v_uv)[0]
        print(f"lot {trial}: stacker {got}, exact {exact} ({tag}), bound {b}, naive "
              f"{nv.products}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        shipped(tmp)
        example_like(tmp)
        big_lot(tmp, args.quick)
        if not args.quick:
            million(tmp)
    exact_reference()


if __name__ == "__main__":
    main()
