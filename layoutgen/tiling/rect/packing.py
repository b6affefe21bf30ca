"""Packing the most identical rectangles into a rectangle (manufacturer's pallet loading problem).

`pack_rectangles` solves the reduced (kerf-free) problem exactly on integers: the four dimensions
are scaled to integers by a common factor, the sheet is shrunk to its largest normal coordinates
(raster points) and then, in order, until a packing meets the upper bound:

1. the best single-orientation grid;
2. the exact guillotine optimum (dynamic programme over raster points);
3. the recursive five-block heuristic (first-order non-guillotine cuts, Morabito & Morabito);
4. the L-approach (recursive partitioning into L-shaped pieces, Lins, Lins & Morabito 2003),
   as combined by Birgin, Lobato & Morabito (2010), searched by compiled code to division
   depth 3 (`rect_lshape`, `lshape_kernel`).

Large instances (many raster points) use homogeneous block patterns and a guillotine programme
over a coarse set of coordinates instead, so a million cells come back in well under a second.
"""

from __future__ import annotations

import math
import numbers
from decimal import Decimal, InvalidOperation
from fractions import Fraction

import numpy as np

from layoutgen.errors import LayoutgenError
from layoutgen.tiling.rect.bounds import floor_map, normal_marks, upper_bound
from layoutgen.tiling.rect.guillotine import (
    Block,
    guillotine_blocks,
    guillotine_table,
    item_tables,
    make_axis,
)
from layoutgen.tiling.rect.large import large_blocks
from layoutgen.tiling.rect.recursive import Budget
from layoutgen.tiling.result import RectPacking

__all__ = ["pack_rectangles", "pack_int", "solve_int", "IntSolution", "exact_integers"]

_MAX_INT = 5 * 10**6  # largest scaled sheet side (in item-gcd units) handled exactly
_WORK_PER_S = 42_500  # search work units per second of time limit (see rect_recursive.Budget)
MAX_CELLS = 10_000_000  # default limit (the deck's tiling.max_cells); None lifts it
_SMALL_STATES = 40000  # raster sub-rectangles for the full exact / recursive machinery
_MEDIUM_STATES = 40000  # raster sub-rectangles for the exact guillotine programme


class IntSolution:
    """Result of the integer solver: blocks of identical items and the bound."""

    def __init__(self, count: int, blocks: list[Block], strategy: str, ub: int, method: str):
        self.count = count
        self.blocks = blocks
        self.strategy = strategy
        self.upper_bound = ub
        self.bound_method = method


# --------------------------------------------------------------------------- scaling


def _fraction(v: object) -> Fraction:
    """The exact value of an int, a Decimal, or a float read by its shortest decimal repr."""
    try:
        if isinstance(v, int | Decimal):
            return Fraction(v)
        return Fraction(Decimal(repr(float(v))))  # type: ignore[arg-type]
    except (InvalidOperation, ValueError, OverflowError, TypeError) as exc:
        raise LayoutgenError(f"dimension {v!r} is not a finite number") from exc


def exact_integers(dims: tuple[object, ...]) -> tuple[list[int], int]:
    """Dimensions as integers over their least common denominator: (ints, den), exact.

    real = int / den. Integers (nm counts, say) come back unchanged with den == 1.
    """
    fr = [_fraction(v) for v in dims]
    den = 1
    for f in fr:
        den = den * f.denominator // math.gcd(den, f.denominator)
    return [int(f * den) for f in fr], den


# --------------------------------------------------------------------------- integer solver


def _grid_solution(x: int, y: int, dx: int, dy: int) -> list[Block]:
    nx, ny = x // dx, y // dy
    return [(0, 0, dx, dy, nx, ny)] if nx and ny else []


def solve_int(
    big_x: int, big_y: int, a: int, b: int, *, cut: str = "free", time_limit_s: float = 2.0
) -> IntSolution:
    """Best packing of a x b items (rotation allowed) into big_x x big_y, all integers > 0.

    The recursive searches get a deterministic work budget proportional to `time_limit_s`
    (calibrated so that it is spent in well under that time on an idle machine); the result
    never depends on the clock.
    """
    limit = max(0.05, float(time_limit_s))
    return _solve_int(big_x, big_y, a, b, cut, Budget(int(_WORK_PER_S * limit)))


def _normal_count(a: int, b: int):
    def count(v: int) -> int:
        return int(normal_marks(v, a, b).sum())

    return count


def _solve_int(big_x: int, big_y: int, a: int, b: int, cut: str, budget: Budget) -> IntSolution:
    g = math.gcd(a, b)
    if g > 1:
        sol = _solve_int(big_x // g, big_y // g, a // g, b // g, cut, budget)
        sol.blocks = [(x0 * g, y0 * g, dx * g, dy * g, nx, ny) for x0, y0, dx, dy, nx, ny in
                      sol.blocks]
        return sol
    top = max(big_x, big_y)
    mark = normal_marks(top, a, b)
    fl = floor_map(mark)
    x, y = int(fl[big_x]), int(fl[big_y])
    ub, method = upper_bound(x, y, a, b)
    h0 = (x // a) * (y // b)
    h1 = (x // b) * (y // a)
    best = _grid_solution(x, y, a, b) if h0 >= h1 else _grid_solution(x, y, b, a)
    best_n, strategy = max(h0, h1), "grid"
    if best_n >= ub or best_n == 0:
        return IntSolution(best_n, best, strategy, ub, method)

    normals = np.flatnonzero(mark)
    nxs = int(np.searchsorted(normals, x, side="right"))
    nys = int(np.searchsorted(normals, y, side="right"))
    states = nxs * nys
    if states > _MEDIUM_STATES:
        n, blocks, strat = large_blocks(x, y, a, b, normals)
        if n > best_n:
            best_n, best, strategy = n, blocks, strat
        return IntSolution(best_n, best, strategy, ub, method)

    tables = item_tables(a, b, x, y, _normal_count(a, b))
    if tables is not None:
        ax, ay = tables.prefix(x), tables.prefix(y)
        gt = tables.g[: ax.n, : ay.n]
    else:
        ax = make_axis(normals[:nxs], x)
        ay = make_axis(normals[:nys], y)
        gt = guillotine_table(ax, ay, a, b)
    gn = int(gt[-1, -1])
    if gn > best_n:
        gblocks: list[Block] = []
        guillotine_blocks(gt, ax, ay, a, b, ax.n - 1, ay.n - 1, 0, 0, gblocks)
        best_n, best, strategy = gn, gblocks, "guillotine-dp"
    if best_n >= ub or states > _SMALL_STATES:
        return IntSolution(best_n, best, strategy, ub, method)
    from layoutgen.tiling.rect.window_bound import bound_table, window_weights  # lazy: numba

    weights = window_weights(normals, a, b, ax.vals, ay.vals)
    wtable = bound_table(weights, ax.n, ay.n)
    if int(wtable[-1, -1]) < ub:
        ub, method = int(wtable[-1, -1]), "window product"
    if cut == "guillotine" or best_n >= ub:
        return IntSolution(best_n, best, strategy, ub, method)

    from layoutgen.tiling.rect.lshape import recursive_partition  # lazy: numba kernels

    n, blocks, strat = recursive_partition(ax, ay, a, b, gt, ub, budget, wtable, weights)
    if n > best_n:
        best_n, best, strategy = n, blocks, strat
    return IntSolution(best_n, best, strategy, ub, method)


# --------------------------------------------------------------------------- public API


def _blocks_to_rects(blocks: list[Block], scale: int, size: dict[int, int]) -> np.ndarray:
    """Blocks in solver units -> (n, 4) int64 rectangles: corner * scale, true item sizes."""
    parts = []
    for x0, y0, dx, dy, nx, ny in blocks:
        if nx <= 0 or ny <= 0:
            continue
        xs = (x0 + dx * np.arange(nx, dtype=np.int64)) * scale
        ys = (y0 + dy * np.arange(ny, dtype=np.int64)) * scale
        gx, gy = np.meshgrid(xs, ys)
        arr = np.empty((nx * ny, 4), dtype=np.int64)
        arr[:, 0] = gx.ravel()
        arr[:, 1] = gy.ravel()
        arr[:, 2] = size[dx]
        arr[:, 3] = size[dy]
        parts.append(arr)
    if not parts:
        return np.zeros((0, 4), dtype=np.int64)
    rects = np.concatenate(parts)
    if len(parts) == 1:
        return rects  # one grid, built row by row: already sorted by y0 then x0
    order = np.lexsort((rects[:, 0], rects[:, 1]))
    return np.ascontiguousarray(rects[order])


def relaxed_bound(big_x: int, big_y: int, a: int, b: int) -> tuple[int, str]:
    """A proven upper bound (area on raster points, Barnes, line knapsack) for integers."""
    g = math.gcd(a, b)
    big_x, big_y, a, b = big_x // g, big_y // g, a // g, b // g
    fl = floor_map(normal_marks(max(big_x, big_y), a, b))
    return upper_bound(int(fl[big_x]), int(fl[big_y]), a, b)


def _coarse_scale(big_x: int, big_y: int, a: int, b: int) -> int:
    """1 when the exact problem fits the solver, else the grid step it is solved on."""
    if max(big_x, big_y) // math.gcd(a, b) <= _MAX_INT:
        return 1
    return -(-max(big_x, big_y) // _MAX_INT)


def pack_int(
    big_x: int, big_y: int, a: int, b: int, *, cut: str = "free", rotation: str = "any",
    time_limit_s: float = 2.0,
) -> RectPacking:
    """Pack the most a x b items into big_x x big_y, all integers (say nm): exact integer work.

    When the item gcd leaves the sheet too many grid steps for the exact solver, the packing
    is searched on a coarser grid of step s (sheet rounded down, item up: a restriction, so the
    packing is feasible) and the bound is proven on the relaxation (sheet rounded up, item down)
    and by the exact area, so `count >= upper_bound` is still a proof for the real problem.
    """
    if (big_x < a or big_y < b) and (big_x < b or big_y < a):
        return RectPacking(0, np.zeros((0, 4), np.int64), "grid", 0, "item does not fit (exact)")
    if rotation != "any" or a == b:
        dx, dy = (a, b) if rotation != "90" else (b, a)
        n = (big_x // dx) * (big_y // dy)
        method = "single orientation (exact)" if rotation != "any" else "square item (exact)"
        rects = _blocks_to_rects(_grid_solution(big_x, big_y, dx, dy), 1, {a: a, b: b})
        return RectPacking(n, rects, "grid", n, method)
    s = _coarse_scale(big_x, big_y, a, b)
    if s == 1:
        sol = solve_int(big_x, big_y, a, b, cut=cut, time_limit_s=time_limit_s)
        rects = _blocks_to_rects(sol.blocks, 1, {a: a, b: b})
        return RectPacking(int(rects.shape[0]), rects, sol.strategy, sol.upper_bound,
                           sol.bound_method)
    h0 = (big_x // a) * (big_y // b)
    h1 = (big_x // b) * (big_y // a)
    if h0 == 0 or h1 == 0:  # one orientation only: its grid is optimal (exact)
        dx, dy = (a, b) if h0 else (b, a)
        rects = _blocks_to_rects(_grid_solution(big_x, big_y, dx, dy), 1, {a: a, b: b})
        return RectPacking(h0 + h1, rects, "grid", h0 + h1, "one orientation fits (exact)")
    ca, cb = -(-a // s), -(-b // s)
    if ca == cb:  # the coarse item is square: its grid, at the coarse pitch
        sol = IntSolution(0, _grid_solution(big_x // s, big_y // s, ca, ca), "grid", 0, "")
        size = {ca: a}  # rotation 0 everywhere
    else:
        sol = solve_int(big_x // s, big_y // s, ca, cb, cut=cut, time_limit_s=time_limit_s)
        size = {ca: a, cb: b}
    rects = _blocks_to_rects(sol.blocks, s, size)
    strategy = f"{sol.strategy} on a {s}-unit grid"
    if max(h0, h1) > len(rects):  # the exact grids can beat the coarse search
        dx, dy = (a, b) if h0 >= h1 else (b, a)
        rects = _blocks_to_rects(_grid_solution(big_x, big_y, dx, dy), 1, {a: a, b: b})
        strategy = "grid"
    area = (big_x * big_y) // (a * b)
    ub, method = area, "area (exact)"
    fa, fb = a // s, b // s
    if fa and fb:
        rub, rmethod = relaxed_bound(-(-big_x // s), -(-big_y // s), fa, fb)
        if rub < ub:
            ub, method = rub, f"{rmethod} of a relaxation (sheet rounded up, cell down, {s} units)"
    return RectPacking(int(rects.shape[0]), rects, strategy, ub, method)


def pack_rectangles(
    L: float, W: float, l: float, w: float, *, cut: str = "free", rotation: str = "any",  # noqa: E741
    time_limit_s: float = 2.0, max_cells: int | None = MAX_CELLS,
) -> RectPacking:
    """Pack the most l x w items into an L x W sheet (reduced problem, no kerf).

    Exact on the numbers given: ints (nm counts, say) as they are, Decimals, and floats read
    by their shortest decimal repr (16.8 is 168/10). `rotation`: "any", "0" (l along x only) or
    "90" (w along x only). `cut`: "guillotine" for the exact guillotine optimum, "free" for the
    best non-guillotine packing found. Rows of the returned array are x0, y0, dx, dy sorted by y0
    then x0: int64 when every input is an int, else floats (the exact values, rounded once).
    More than `max_cells` items by the grid estimate (tiling.max_cells; None: no limit) are
    refused before any array is allocated.
    """
    if cut not in ("free", "guillotine"):
        raise LayoutgenError(f"cut must be 'free' or 'guillotine', not {cut!r}")
    if rotation not in ("any", "0", "90"):
        raise LayoutgenError(f"rotation must be 'any', '0' or '90', not {rotation!r}")
    dims = (L, W, l, w)
    for v in dims:
        if isinstance(v, bool) or not isinstance(v, numbers.Real | Decimal) or \
                not math.isfinite(v) or v <= 0:
            raise LayoutgenError(f"dimensions must be positive finite numbers, got {v!r}")
    (ix, iy, il, iw), den = exact_integers(dims)
    est = max((ix // il) * (iy // iw), (ix // iw) * (iy // il))
    if max_cells is not None and est > max_cells:
        raise LayoutgenError(
            f"{L} x {W} sheet with {l} x {w} cells: about {est:,} cells, over "
            f"tiling.max_cells = {max_cells:,} (pass --force to go ahead)")
    res = pack_int(ix, iy, il, iw, cut=cut, rotation=rotation, time_limit_s=time_limit_s)
    if den == 1:
        return res
    return RectPacking(res.count, res.rects / den, res.strategy, res.upper_bound,
                       res.bound_method)
