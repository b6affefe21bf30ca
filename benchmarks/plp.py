"""Pallet loading benchmark for `layoutgen.tiling.rect_packing.pack_rectangles`.

Runs the classic instance sets in /work/shared/benchmarks/plp (or --data) and prints, per set:
instances, share at the optimum (>= solution, or >= LB for CoverIIIB), worst shortfall, mean and
max time per instance, total time. With --cut guillotine there is no published guillotine
optimum: the script checks that every result is a valid guillotine pattern, never above the free
result, and equal to an independent exact guillotine optimum (a plain dynamic programme over every
integer cut position, for sheets up to 400 units a side after dividing by the item's gcd).

    python benchmarks/plp.py --sets CoverIA,CoverIB --sample 500 --jobs 2
"""

from __future__ import annotations

import argparse
import csv
import multiprocessing as mp
import random
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from layoutgen.tiling.rect_packing import pack_rectangles  # noqa: E402

DEFAULT_DATA = Path("/work/shared/benchmarks/plp")
ALL_SETS = ("CoverIA", "CoverIB", "CoverIIA", "CoverIIB", "CoverIIIB", "Ships")


def load(data: Path, name: str) -> list[tuple[int, int, int, int, int]]:
    """Rows (L, W, l, w, target) of one set; target = solution or LB."""
    with open(data / f"{name}.tsv", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    out = []
    for r in rows:
        target = r.get("solution") or r.get("LB")
        out.append((int(r["L"]), int(r["W"]), int(r["l"]), int(r["w"]), int(target)))
    return out


def is_guillotine(rects: np.ndarray, x0: float, y0: float, x1: float, y1: float) -> bool:
    """True if the rectangles can be separated recursively by edge-to-edge straight cuts."""
    stack = [(rects, x0, y0, x1, y1)]
    while stack:
        r, x0, y0, x1, y1 = stack.pop()
        if r.shape[0] <= 1:
            continue
        split = False
        for axis in (0, 1):
            lo, hi = r[:, axis], r[:, axis] + r[:, axis + 2]
            order = np.argsort(lo, kind="stable")
            reach = np.maximum.accumulate(hi[order])
            gaps = np.flatnonzero(reach[:-1] <= lo[order][1:] + 1e-9)
            if gaps.shape[0]:
                k = gaps[0]
                cut = reach[k]
                left = r[order[: k + 1]]
                right = r[order[k + 1 :]]
                if axis == 0:
                    stack.append((left, x0, y0, cut, y1))
                    stack.append((right, cut, y0, x1, y1))
                else:
                    stack.append((left, x0, y0, x1, cut))
                    stack.append((right, x0, cut, x1, y1))
                split = True
                break
        if not split:
            return False
    return True


def guillotine_reference(L: int, W: int, l: int, w: int) -> int | None:  # noqa: E741, N803
    """Exact guillotine optimum by a DP over every integer cut (None if the sheet is too big).

    Independent of the engine: no raster points, no normal sets, no tables shared with it.
    """
    import math

    g = math.gcd(l, w)
    L, W, l, w = L // g, W // g, l // g, w // g  # noqa: E741, N806
    if max(L, W) > 400:
        return None
    xs = np.arange(L + 1)[:, None]
    ys = np.arange(W + 1)[None, :]
    best = np.maximum((xs // l) * (ys // w), (xs // w) * (ys // l)).astype(np.int64)
    for x in range(1, L + 1):
        for y in range(1, W + 1):
            v = best[x, y]
            h = x // 2
            if h:
                v = max(v, int((best[1 : h + 1, y] + best[x - 1 : x - h - 1 : -1, y]).max()))
            h = y // 2
            if h:
                v = max(v, int((best[x, 1 : h + 1] + best[x, y - 1 : y - h - 1 : -1]).max()))
            best[x, y] = v
    return int(best[L, W])


def valid(rects: np.ndarray, L: float, W: float) -> bool:  # noqa: N803
    """No overlaps, inside the sheet."""
    if rects.shape[0] == 0:
        return True
    eps = 1e-9
    x0, y0, dx, dy = rects.T
    if (x0 < -eps).any() or (y0 < -eps).any():
        return False
    if (x0 + dx > L + eps).any() or (y0 + dy > W + eps).any():
        return False
    # sweep: sort by x0 and compare each rect with the following ones that start before its end
    order = np.argsort(x0, kind="stable")
    r = rects[order]
    n = r.shape[0]
    ends = r[:, 0] + r[:, 2]
    for i in range(n):
        j = i + 1
        stop = np.searchsorted(r[:, 0], ends[i] - eps, side="left")
        if stop <= j:
            continue
        o = r[j:stop]
        if ((o[:, 1] < r[i, 1] + r[i, 3] - eps) & (o[:, 1] + o[:, 3] > r[i, 1] + eps)).any():
            return False
    return True


def run_one(args: tuple) -> tuple:
    L, W, l, w, target, cut, time_limit, check = args  # noqa: E741, N806
    t0 = time.perf_counter()
    res = pack_rectangles(L, W, l, w, cut=cut, time_limit_s=time_limit)
    dt = time.perf_counter() - t0
    ok = True
    extra = None
    if check:
        ok = valid(res.rects, L, W) and res.count == res.rects.shape[0]
    if cut == "guillotine":
        free = pack_rectangles(L, W, l, w, cut="free", time_limit_s=time_limit)
        extra = (res.count <= max(free.count, target), is_guillotine(res.rects, 0, 0, L, W),
                 guillotine_reference(L, W, l, w))
    return (L, W, l, w, target, res.count, res.upper_bound, res.strategy, dt, ok, extra)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", default="CoverIA,CoverIB,CoverIIA,CoverIIB,Ships")
    ap.add_argument("--sample", type=int, default=0, help="random sample per set (seed 12345)")
    ap.add_argument("--limit", type=int, default=0, help="first N instances per set")
    ap.add_argument("--cut", choices=("free", "guillotine"), default="free")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--time-limit", type=float, default=2.0)
    ap.add_argument("--check", action="store_true", help="verify every packing geometrically")
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--show", type=int, default=5, help="list this many misses per set")
    ns = ap.parse_args(argv)

    names = [s.strip() for s in ns.sets.split(",") if s.strip()]
    for name in names:
        if name not in ALL_SETS:
            ap.error(f"unknown set {name}")
    pool = mp.Pool(ns.jobs) if ns.jobs > 1 else None
    grand_t0 = time.perf_counter()
    try:
        for name in names:
            rows = load(ns.data, name)
            if ns.sample and ns.sample < len(rows):
                rows = random.Random(12345).sample(rows, ns.sample)
            if ns.limit:
                rows = rows[: ns.limit]
            # instances sharing an item are solved together (the solver caches per item)
            rows.sort(key=lambda r: (r[2], r[3], r[0], r[1]))
            tasks = [(*r, ns.cut, ns.time_limit, ns.check) for r in rows]
            t0 = time.perf_counter()
            if pool is None:
                results = [run_one(t) for t in tasks]
            else:
                results = pool.map(run_one, tasks, chunksize=16)
            wall = time.perf_counter() - t0
            report(name, ns, results, wall)
    finally:
        if pool is not None:
            pool.close()
            pool.join()
    print(f"all sets: {time.perf_counter() - grand_t0:.1f} s wall")
    return 0


def report(name: str, ns: argparse.Namespace, results: list[tuple], wall: float) -> None:
    n = len(results)
    if n == 0:
        print(f"{name}: no instances")
        return
    times = np.array([r[8] for r in results])
    short = np.array([r[4] - r[5] for r in results])
    above = np.array([r[5] > r[6] for r in results])
    bad_bound = np.array([r[6] < r[4] for r in results]) if name != "CoverIIIB" else above
    at_opt = int((short <= 0).sum())
    invalid = sum(1 for r in results if not r[9])
    strategies: dict[str, int] = {}
    for r in results:
        strategies[r[7]] = strategies.get(r[7], 0) + 1
    target = ">= LB" if name == "CoverIIIB" else "at optimum"
    print(
        f"{name}: {n} instances, {target}: {at_opt} ({100.0 * at_opt / n:.2f} %), "
        f"worst shortfall {int(short.max()) if n else 0}, "
        f"time mean {1000 * times.mean():.1f} ms max {1000 * times.max():.0f} ms, "
        f"over 2 s: {int((times > 2.0).sum())}, total {times.sum():.1f} s cpu / {wall:.1f} s wall"
    )
    print(f"  strategies: {dict(sorted(strategies.items()))}")
    if invalid or above.any() or (name != "CoverIIIB" and bad_bound.any()):
        print(f"  PROBLEMS: invalid packings {invalid}, count > bound {int(above.sum())}, "
              f"bound < known optimum {int(bad_bound.sum())}")
    if ns.cut == "guillotine":
        not_le = sum(1 for r in results if not r[10][0])
        not_g = sum(1 for r in results if not r[10][1])
        ref = [r for r in results if r[10][2] is not None]
        same = sum(1 for r in ref if r[5] == r[10][2])
        at_free = sum(1 for r in results if r[5] >= r[4])
        print(f"  guillotine check: above free result {not_le}, not guillotine {not_g}, "
              f"equal to the exact guillotine optimum {same} of {len(ref)} compared; "
              f"reaching the free optimum {at_free} ({100.0 * at_free / n:.1f} %)")
    slow = sorted(results, key=lambda r: -r[8])[:3]
    print("  slowest: " + ", ".join(f"({r[0]}, {r[1]}, {r[2]}, {r[3]}) {1000 * r[8]:.0f} ms"
                                    for r in slow))
    misses = [r for r in results if r[5] < r[4]]
    for r in sorted(misses, key=lambda r: r[5] - r[4])[: ns.show]:
        print(f"  miss: L={r[0]} W={r[1]} l={r[2]} w={r[3]} target={r[4]} got={r[5]} "
              f"ub={r[6]} {r[7]} {1000 * r[8]:.0f} ms")


if __name__ == "__main__":
    raise SystemExit(main())
