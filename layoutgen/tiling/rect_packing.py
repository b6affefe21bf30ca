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
from layoutgen.tiling.rect_bounds import floor_map, normal_marks, upper_bound
from layoutgen.tiling.rect_guillotine import (
    Block,
    guillotine_blocks,
    guillotine_table,
    item_tables,
    make_axis,
)
from layoutgen.tiling.rect_large import large_blocks
from layoutgen.tiling.rect_recursive import Budget
from layoutgen.tiling.result import RectPacking

__all__ = ["pack_rectangles", "solve_int", "IntSolution"]

_MAX_SCALE = 10**6  # finest grid used for non-decimal data (1e-6 of the input unit)
_MAX_INT = 5 * 10**6  # largest scaled sheet side (in item-gcd units) handled exactly
_WORK_PER_S = 42_500  # search work units per second of time limit (see rect_recursive.Budget)
_MAX_CELLS = 20_000_000  # refuse packings whose area bound exceeds this
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


def _fraction(v: float) -> Fraction:
    try:
        return Fraction(Decimal(repr(float(v))))
    except (InvalidOperation, ValueError, OverflowError) as exc:
        raise LayoutgenError(f"dimension {v!r} is not a finite number") from exc


def to_integers(dims: tuple[float, float, float, float]) -> tuple[list[int], Fraction]:
    """Scale (L, W, l, w) to integers; returns the integers and the unit (real = int * unit).

    Exact when the decimal representations share a common denominator that keeps the sheet
    below `_MAX_INT` units (after dividing by the item's gcd); otherwise the data go on the
    finest decimal grid that does, with the sheet rounded down and the item rounded up, so any
    packing of the integer problem is feasible for the real one.
    """
    fr = [_fraction(v) for v in dims]
    den = 1
    for f in fr:
        den = den * f.denominator // math.gcd(den, f.denominator)
    if den <= _MAX_SCALE:
        ints = [int(f * den) for f in fr]
        g = math.gcd(ints[2], ints[3])
        if max(ints[0], ints[1]) // g <= _MAX_INT:
            return ints, Fraction(1, den)
    scale = _MAX_SCALE
    while scale > 1:
        sheet = [math.floor(f * scale) for f in fr[:2]]
        item = [math.ceil(f * scale) for f in fr[2:]]
        if max(sheet) // math.gcd(*item) <= _MAX_INT:
            break
        scale //= 10
    sheet = [math.floor(f * scale) for f in fr[:2]]
    item = [math.ceil(f * scale) for f in fr[2:]]
    return sheet + item, Fraction(1, scale)


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
        blocks: list[Block] = []
        guillotine_blocks(gt, ax, ay, a, b, ax.n - 1, ay.n - 1, 0, 0, blocks)
        best_n, best, strategy = gn, blocks, "guillotine-dp"
    if best_n >= ub or states > _SMALL_STATES:
        return IntSolution(best_n, best, strategy, ub, method)
    from layoutgen.tiling.window_bound import bound_table, window_weights

    weights = window_weights(normals, a, b, ax.vals, ay.vals)
    wtable = bound_table(weights, ax.n, ay.n)
    if int(wtable[-1, -1]) < ub:
        ub, method = int(wtable[-1, -1]), "window product"
    if cut == "guillotine" or best_n >= ub:
        return IntSolution(best_n, best, strategy, ub, method)

    from layoutgen.tiling.rect_recursive import recursive_partition

    n, blocks, strat = recursive_partition(ax, ay, a, b, gt, ub, budget, wtable, weights)
    if n > best_n:
        best_n, best, strategy = n, blocks, strat
    return IntSolution(best_n, best, strategy, ub, method)


# --------------------------------------------------------------------------- public API


def _blocks_to_rects(blocks: list[Block], unit: Fraction, real: dict[int, float]) -> np.ndarray:
    parts = []
    u = float(unit)
    for x0, y0, dx, dy, nx, ny in blocks:
        if nx <= 0 or ny <= 0:
            continue
        xs = (x0 + dx * np.arange(nx, dtype=np.int64)) * u
        ys = (y0 + dy * np.arange(ny, dtype=np.int64)) * u
        gx, gy = np.meshgrid(xs, ys)
        arr = np.empty((nx * ny, 4), dtype=np.float64)
        arr[:, 0] = gx.ravel()
        arr[:, 1] = gy.ravel()
        arr[:, 2] = real[dx]
        arr[:, 3] = real[dy]
        parts.append(arr)
    if not parts:
        return np.zeros((0, 4), dtype=np.float64)
    rects = np.concatenate(parts)
    if len(parts) == 1:
        return rects  # one grid, built row by row: already sorted by y0 then x0
    order = np.lexsort((rects[:, 0], rects[:, 1]))
    return np.ascontiguousarray(rects[order])


def pack_rectangles(
    L: float, W: float, l: float, w: float, *, cut: str = "free", rotation: str = "any",  # noqa: E741
    time_limit_s: float = 2.0,
) -> RectPacking:
    """Pack the most l x w items into an L x W sheet (reduced problem, no kerf).

    `rotation`: "any", "0" (l along x only) or "90" (w along x only). `cut`: "guillotine" for
    the exact guillotine optimum, "free" for the best non-guillotine packing found. Rows of the
    returned array are x0, y0, dx, dy sorted by y0 then x0.
    """
    if cut not in ("free", "guillotine"):
        raise LayoutgenError(f"cut must be 'free' or 'guillotine', not {cut!r}")
    if rotation not in ("any", "0", "90"):
        raise LayoutgenError(f"rotation must be 'any', '0' or '90', not {rotation!r}")
    dims = (L, W, l, w)
    for v in dims:
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(v) \
                or v <= 0:
            raise LayoutgenError(f"dimensions must be positive finite numbers, got {v!r}")
    if (L / l) * (W / w) > _MAX_CELLS:
        raise LayoutgenError(
            f"{L} x {W} sheet with {l} x {w} cells exceeds {_MAX_CELLS} cells; refusing")
    (ix, iy, il, iw), unit = to_integers(dims)
    if (ix < il or iy < iw) and (ix < iw or iy < il):
        return RectPacking(0, np.zeros((0, 4)), "grid", 0, "item does not fit (exact)")
    if rotation != "any" or il == iw:
        dx, dy = (il, iw) if rotation != "90" else (iw, il)
        blocks = _grid_solution(ix, iy, dx, dy)
        n = (ix // dx) * (iy // dy)
        real = {il: float(l), iw: float(w)} if rotation != "90" else {iw: float(w), il: float(l)}
        if il == iw:
            real = {il: float(l)}
        method = "single orientation (exact)" if rotation != "any" else "square item (exact)"
        return RectPacking(n, _blocks_to_rects(blocks, unit, real), "grid", n, method)
    sol = solve_int(ix, iy, il, iw, cut=cut, time_limit_s=time_limit_s)
    rects = _blocks_to_rects(sol.blocks, unit, {il: float(l), iw: float(w)})
    count = int(rects.shape[0])
    return RectPacking(count, rects, sol.strategy, sol.upper_bound, sol.bound_method)
