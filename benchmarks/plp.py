"""Pallet loading benchmark for `layoutgen.tiling.rect.packing.pack_rectangles`.

Runs the classic instance sets in /work/shared/benchmarks/plp (or --data) and prints, per set:
instances, share at the optimum (>= solution, or >= LB for CoverIIIB), worst shortfall, mean and
max time per instance, total time. With --cut guillotine there is no published guillotine
optimum: the script checks that every result is a valid guillotine pattern, never above the free
result, and equal to an independent exact guillotine optimum (a plain dynamic programme over every
integer cut position, for sheets up to 400 units a side after dividing by the item's gcd).

    python benchmarks/plp.py --sets CoverIA,CoverIB --sample 500 --jobs 2

--disguise N runs a seeded sample of N instances with a known optimum (Cover I/II by default)
through the same path as `layoutgen tile` (CLI strings -> sheet_request.sheet_inputs ->
engine.tile), each disguised as a fab engineer would type it: a decimal scale s, kerf K and edge
E (or EX,EY), sheet = (L*s + 2EX - K) x (W*s + 2EY - K), cell = (l*s - K) x (w*s - K). The
reduced problem (usable + K, cell + K) is exactly (L, W, l, w) * s, so the known optimum is the
optimum of the disguised sheet. All of s, K, 2E are multiples of 0.000002 mm (cells on the 2 nm
grid) and the sheet stays within the deck's 2100 mm. Printed: share at the optimum, count below
it, false proofs (gap == 0 with count < optimum), bound violations (upper bound < optimum),
errors. With --cut guillotine the reference is the guillotine optimum of the plain integer
instance from pack_rectangles(L, W, l, w, cut="guillotine"), counted as exact when that call
proves it (count == its upper bound) or when its exact guillotine programme runs: after dividing
by gcd(l, w), (normal x coordinates <= L) * (normal y coordinates <= W) <= 40,000
(rect_packing._MEDIUM_STATES); other instances are not compared.

    python benchmarks/plp.py --disguise 4000 --seed 1 --jobs 4
    python benchmarks/plp.py --disguise 500 --cut guillotine --jobs 4
"""

from __future__ import annotations

import argparse
import csv
import math
import multiprocessing as mp
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from layoutgen.tiling.rect.packing import pack_rectangles  # noqa: E402

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
    ap.add_argument("--sets", default=None,
                    help="comma-separated sets (default CoverIA,CoverIB,CoverIIA,CoverIIB,Ships; "
                         "with --disguise CoverIA,CoverIB,CoverIIA,CoverIIB)")
    ap.add_argument("--sample", type=int, default=0, help="random sample per set (seed 12345)")
    ap.add_argument("--limit", type=int, default=0, help="first N instances per set")
    ap.add_argument("--cut", choices=("free", "guillotine"), default="free")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--time-limit", type=float, default=2.0)
    ap.add_argument("--check", action="store_true", help="verify every packing geometrically")
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--show", type=int, default=5, help="list this many misses per set")
    ap.add_argument("--disguise", type=int, default=0, metavar="N",
                    help="run N instances disguised with decimal scale/kerf/edge through the CLI "
                         "path (sheet_inputs + engine.tile)")
    ap.add_argument("--seed", type=int, default=1, help="seed of the --disguise sample")
    ns = ap.parse_args(argv)

    if ns.sets is None:
        ns.sets = ("CoverIA,CoverIB,CoverIIA,CoverIIB" if ns.disguise
                   else "CoverIA,CoverIB,CoverIIA,CoverIIB,Ships")
    names = [s.strip() for s in ns.sets.split(",") if s.strip()]
    for name in names:
        if name not in ALL_SETS:
            ap.error(f"unknown set {name}")
    if ns.disguise:
        if "CoverIIIB" in names:
            ap.error("--disguise needs known optima: CoverIIIB has only bounds")
        return run_disguise(ns, names)
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


# --------------------------------------------------------------------------- disguised instances

_NICE_SCALES = ("0.37", "1.3", "2.5", "0.013", "0.1", "0.25", "0.7", "1.05", "3.7", "0.05",
                "0.002", "0.0125", "12.5", "0.6", "0.45", "0.037")
_NICE_KERFS = ("0", "0", "0.002", "0.01", "0.02", "0.03", "0.05", "0.1", "0.15", "0.25", "0.5")
_NICE_EDGES = ("0", "0", "0.3", "1.5", "2.2", "5", "0.05", "1", "12.5")
_MAX_SIDE = Decimal(2000)  # the deck takes sheets up to 2100 mm; edges <= 25 mm keep us below
_CELL_GRID = Decimal("0.000002")  # cell sizes are whole multiples of 2 nm


def dec_text(v: Decimal) -> str:
    """Plain decimal text, as typed: no exponent, no trailing zeros ("94.8", "0.1", "2")."""
    t = format(v, "f")
    if "." in t:
        t = t.rstrip("0").rstrip(".")
    return t or "0"


def _random_decimal(rng: random.Random, lo: Decimal, hi: Decimal, max_places: int = 5
                    ) -> Decimal | None:
    """A short random decimal in [lo, hi]: <= max_places decimals, 1-4 significant digits."""
    for _ in range(50):
        places = rng.randint(0, max_places)
        q = Decimal(1).scaleb(-places)
        a, b = math.ceil(lo / q), math.floor(hi / q)
        if a > b or b <= 0:
            continue
        m = rng.randint(max(a, 1), b) if b >= 1 else 0
        drop = len(str(m)) - rng.randint(1, 4)
        if drop > 0:
            m = (m // 10**drop) * 10**drop
        if a <= m <= b:
            return Decimal(m) * q
    return None


def disguise(rng: random.Random, L: int, W: int, l: int, w: int) -> dict[str, str]:  # noqa: E741, N803
    """CLI strings for (L, W, l, w) scaled by a decimal s with kerf K and edges EX, EY.

    Exact: sheet = (L*s + 2EX - K) x (W*s + 2EY - K), cell = (l*s - K) x (w*s - K), so the
    reduced problem (usable + K, cell + K) is (L, W, l, w) * s.
    """
    big, small = max(L, W), min(l, w)
    s_hi = min(Decimal(20), (_MAX_SIDE / big).quantize(Decimal("0.00001"), rounding="ROUND_DOWN"))
    s_lo = min(s_hi, max(Decimal("0.001"), s_hi / 200))
    nice = [Decimal(t) for t in _NICE_SCALES if s_lo <= Decimal(t) <= s_hi]
    s = rng.choice(nice) if nice and rng.random() < 0.4 else None
    if s is None:
        s = _random_decimal(rng, s_lo, s_hi) or s_hi
    k_hi = min(Decimal(1), small * s / 2)  # the cell keeps at least half its pitch
    kerfs = [Decimal(t) for t in _NICE_KERFS if Decimal(t) <= k_hi]
    k = rng.choice(kerfs) if rng.random() < 0.7 else _random_decimal(rng, Decimal(0), k_hi)
    if k is None:
        k = Decimal(0)

    def edge() -> Decimal:
        if rng.random() < 0.7:
            return Decimal(rng.choice(_NICE_EDGES))
        return _random_decimal(rng, Decimal(0), Decimal(25)) or Decimal(0)

    ex = edge()
    ey = edge() if rng.random() < 0.25 else ex
    sheet_x, sheet_y = L * s + 2 * ex - k, W * s + 2 * ey - k
    cell_x, cell_y = l * s - k, w * s - k
    assert cell_x > 0 and cell_y > 0 and cell_x % _CELL_GRID == 0 and cell_y % _CELL_GRID == 0
    assert sheet_x % Decimal("0.000001") == 0 and sheet_y % Decimal("0.000001") == 0
    return {
        "sheet": f"{dec_text(sheet_x)}x{dec_text(sheet_y)}",
        "cell": f"{dec_text(cell_x)}x{dec_text(cell_y)}",
        "kerf": dec_text(k),
        "edge": dec_text(ex) if ex == ey else f"{dec_text(ex)},{dec_text(ey)}",
        "scale": dec_text(s),
    }


def _normal_coords(top: int, a: int, b: int) -> np.ndarray:
    """Sorted distinct i*a + j*b <= top (i, j >= 0): the normal (raster) coordinates."""
    mark = np.zeros(top + 1, dtype=bool)
    for i in range(top // a + 1):
        mark[i * a : top + 1 : b] = True
    return np.flatnonzero(mark)


def guillotine_optimum(L: int, W: int, l: int, w: int) -> tuple[int, bool]:  # noqa: E741, N803
    """(guillotine count of the plain integer instance, whether it is exact).

    Exact when pack_rectangles proves it (count == its bound), for square items, or when its
    exact guillotine programme runs: raster states after dividing by gcd(l, w) within
    rect_packing._MEDIUM_STATES (40,000).
    """
    from layoutgen.tiling.rect import packing as rect_packing

    res = pack_rectangles(L, W, l, w, cut="guillotine")
    if res.count >= res.upper_bound or l == w:
        return int(res.count), True
    g = math.gcd(l, w)
    x, y, a, b = L // g, W // g, l // g, w // g
    normals = _normal_coords(max(x, y), a, b)
    states = int(np.searchsorted(normals, x, "right")) * int(np.searchsorted(normals, y, "right"))
    return int(res.count), states <= getattr(rect_packing, "_MEDIUM_STATES", 40_000)


def run_disguised(task: dict) -> dict:
    """One disguised instance through the CLI path: strings -> sheet_inputs -> engine.tile."""
    from layoutgen.sheet_request import SheetRequest, sheet_inputs
    from layoutgen.tiling.engine import tile, verify_tiling

    out = dict(task, count=None, ub=None, gap=None, error=None, valid=None, ref=None,
               ref_exact=False)
    t0 = time.perf_counter()
    try:
        job = sheet_inputs(SheetRequest(sheet=task["sheet"], cell=task["cell"],
                                        kerf=task["kerf"], edge=task["edge"], cut=task["cut"]))
        t = tile(job.shape, job.spec)
        out.update(count=t.count, ub=int(t.upper_bound), gap=int(t.gap), strategy=t.strategy)
        if task["check"]:
            out["valid"] = bool(verify_tiling(t, job.shape, job.spec).ok)
    except Exception as exc:  # noqa: BLE001 - an error is a result here, reported per instance
        out["error"] = (f"{type(exc).__name__}: {exc}".splitlines() or ["?"])[0][:160]
    out["dt"] = time.perf_counter() - t0
    if task["cut"] == "guillotine":
        out["ref"], out["ref_exact"] = guillotine_optimum(*task["inst"][:4])
    return out


def run_disguise(ns: argparse.Namespace, names: list[str]) -> int:
    pool_rows = [(name, *row) for name in names for row in load(ns.data, name)]
    rng = random.Random(ns.seed)
    picks = rng.sample(pool_rows, min(ns.disguise, len(pool_rows)))
    tasks = []
    for name, L, W, l, w, opt in picks:  # noqa: E741, N806
        d = disguise(rng, L, W, l, w)
        tasks.append(dict(d, set=name, inst=(L, W, l, w, opt), cut=ns.cut, check=ns.check))
    print(f"disguised instances: {len(tasks)} from {', '.join(names)} (seed {ns.seed}, "
          f"cut {ns.cut}, jobs {ns.jobs}); path: CLI strings -> sheet_inputs -> engine.tile")
    t0 = time.perf_counter()
    if ns.jobs > 1:
        with mp.Pool(ns.jobs) as pool:
            results = pool.map(run_disguised, tasks, chunksize=4)
    else:
        results = [run_disguised(t) for t in tasks]
    wall = time.perf_counter() - t0
    report_disguise(ns, names, results)
    print(f"total: {sum(r['dt'] for r in results):.1f} s cpu in the engine, {wall:.1f} s wall")
    return 0


def _cli_line(r: dict) -> str:
    return (f"layoutgen tile --sheet {r['sheet']} --cell {r['cell']} --kerf {r['kerf']} "
            f"--edge {r['edge']}" + (" --cut guillotine" if r["cut"] == "guillotine" else "")
            + " --json")


def _table(header: tuple[str, ...], rows: list[tuple]) -> None:
    cells = [tuple(str(c) for c in header)] + [tuple(str(c) for c in row) for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    for j, row in enumerate(cells):
        print("  " + "  ".join(c.ljust(widths[0]) if i == 0 else c.rjust(widths[i])
                               for i, c in enumerate(row)))
        if j == 0:
            print("  " + "  ".join("-" * wd for wd in widths))


def _pct(k: int, n: int) -> str:
    return f"{100.0 * k / n:.1f} %" if n else "-"


def report_disguise(ns: argparse.Namespace, names: list[str], results: list[dict]) -> None:
    groups = [(name, [r for r in results if r["set"] == name]) for name in names]
    groups = [(name, rs) for name, rs in groups if rs] + [("all", results)]
    rows = []
    for name, rs in groups:
        ran = [r for r in rs if r["error"] is None]
        opt = [r["inst"][4] for r in ran]
        at = sum(1 for r, o in zip(ran, opt, strict=True) if r["count"] >= o)
        below = [o - r["count"] for r, o in zip(ran, opt, strict=True) if r["count"] < o]
        above = sum(1 for r, o in zip(ran, opt, strict=True) if r["count"] > o)
        false_proofs = sum(1 for r, o in zip(ran, opt, strict=True)
                           if r["gap"] == 0 and r["count"] < o)
        bound_viol = sum(1 for r, o in zip(ran, opt, strict=True) if r["ub"] < o)
        invalid = sum(1 for r in ran if r["valid"] is False)
        dts = [r["dt"] for r in rs]
        rows.append((name, len(rs), f"{at} ({_pct(at, len(rs))})",
                     f"{len(below)} ({_pct(len(below), len(rs))})", max(below, default=0),
                     f"{false_proofs} ({_pct(false_proofs, len(rs))})", bound_viol, above,
                     len(rs) - len(ran), invalid if ns.check else "-",
                     f"{1000 * sum(dts) / len(dts):.0f}", f"{1000 * max(dts):.0f}"))
    print("against the known (free) optimum:" if ns.cut == "free" else
          "against the known free optimum (with --cut guillotine, 'below' is expected: the "
          "guillotine table is the test):")
    _table(("set", "n", "at optimum", "below", "worst", "false proofs", "ub < opt",
            "above opt", "errors", "invalid", "mean ms", "max ms"), rows)
    if ns.cut == "guillotine":
        rows = []
        for name, rs in groups:
            ref = [r for r in rs if r["error"] is None and r["ref_exact"]]
            same = sum(1 for r in ref if r["count"] == r["ref"])
            below = sum(1 for r in ref if r["count"] < r["ref"])
            above = sum(1 for r in ref if r["count"] > r["ref"])
            fp = sum(1 for r in ref if r["gap"] == 0 and r["count"] < r["ref"])
            bv = sum(1 for r in ref if r["ub"] < r["ref"])
            rows.append((name, len(rs), len(ref), f"{same} ({_pct(same, len(ref))})", below,
                         fp, bv, above))
        print("against the exact guillotine optimum of the integer instance "
              "(pack_rectangles(L, W, l, w, cut='guillotine'), where exact):")
        _table(("set", "n", "compared", "equal", "below", "false proofs", "ub < ref",
                "above ref"), rows)
    target = "ref" if ns.cut == "guillotine" else None

    def goal(r: dict) -> int | None:
        if target is None:
            return r["inst"][4]
        return r["ref"] if r["ref_exact"] else None

    bad = [r for r in results if r["error"] is not None]
    bad += [r for r in results if r["error"] is None and goal(r) is not None
            and (r["count"] != goal(r) or r["ub"] < goal(r))]
    bad.sort(key=lambda r: (r["error"] is None, (r["count"] or 0) - (goal(r) or 0)))
    for r in bad[: ns.show]:
        L, W, l, w, opt = r["inst"]  # noqa: E741, N806
        what = (f"error {r['error']}" if r["error"] else
                f"got {r['count']} ub {r['ub']} gap {r['gap']}, want {goal(r)}")
        print(f"  {r['set']} ({L}, {W}, {l}, {w}) opt {opt} s={r['scale']}: {what}\n"
              f"    {_cli_line(r)}")


if __name__ == "__main__":
    raise SystemExit(main())
