"""Heuristics for large identical-rectangle packings (too many raster points for exact search).

Two families, best kept:

* three-block patterns: one homogeneous main block in a corner and the L-shaped border split
  into two rectangles (either way), each border rectangle filled with the best strip of columns
  of both orientations; all main-block sizes are evaluated at once with numpy;
* a guillotine programme over a coarse subset of normal coordinates (sizes that are made of
  nearly homogeneous runs of items, plus their complements), when that subset stays small.
"""

from __future__ import annotations

import numpy as np

from layoutgen.tiling.rect.bounds import floor_map
from layoutgen.tiling.rect.guillotine import Block, guillotine_blocks, guillotine_table, make_axis

_SPAN = 128  # border thickness (in items) explored around the largest main block
_COARSE_CAP = 160  # candidate coordinates per axis for the coarse guillotine programme


def strip_value(w: np.ndarray, h: np.ndarray, a: int, b: int) -> tuple[np.ndarray, np.ndarray]:
    """Best packing of w x h by columns (a-wide columns of h//b items, b-wide of h//a items).

    Returns (count, number of a-wide columns). Exact for the column structure; vectorised.
    """
    w = np.asarray(w, dtype=np.int64)
    h = np.asarray(h, dtype=np.int64)
    w, h = np.broadcast_arrays(w, h)
    per_a = h // b
    per_b = h // a
    best = np.zeros(w.shape, dtype=np.int64)
    arg = np.zeros(w.shape, dtype=np.int64)
    # Enumerate the number of a-wide columns only near the ends (0..k and max-k..max): with two
    # column types the optimum uses few columns of the less dense type.
    imax = w // a
    top = int(imax.max()) if imax.size else 0
    k = min(top, max(a, b), 64)
    cand = list(range(k + 1))
    for i in cand:
        for use_max in (False, True):
            ii = np.maximum(imax - i, 0) if use_max else np.minimum(i, imax)
            val = ii * per_a + ((w - ii * a) // b) * per_b
            better = val > best
            best = np.where(better, val, best)
            arg = np.where(better, ii, arg)
    return best, arg


def _strip_blocks(x0: int, y0: int, w: int, h: int, a: int, b: int) -> list[Block]:
    _, arg = strip_value(np.array(w), np.array(h), a, b)
    i = int(arg)
    out: list[Block] = []
    if i and h // b:
        out.append((x0, y0, a, b, i, h // b))
    rest = (w - i * a) // b
    if rest and h // a:
        out.append((x0 + i * a, y0, b, a, rest, h // a))
    return out


def _best_strip(x0: int, y0: int, w: int, h: int, a: int, b: int) -> tuple[int, list[Block]]:
    """Best column strip of w x h, columns along the shorter side's normal direction."""
    if w <= 0 or h <= 0:
        return 0, []
    v1, _ = strip_value(np.array(w), np.array(h), a, b)  # columns side by side along x
    v2, _ = strip_value(np.array(h), np.array(w), a, b)  # rows stacked along y
    if int(v1) >= int(v2):
        return int(v1), _strip_blocks(x0, y0, w, h, a, b)
    blocks = _strip_blocks(0, 0, h, w, a, b)
    # transpose the strip
    return int(v2), [(x0 + by, y0 + bx, dy, dx, ny, nx) for bx, by, dx, dy, nx, ny in blocks]


def three_block(x: int, y: int, a: int, b: int) -> tuple[int, list[Block]]:
    """Best corner block + two border strips pattern."""
    best_n, best_blocks = -1, []
    for dx, dy in ((a, b), (b, a)):
        imax, jmax = x // dx, y // dy
        if imax == 0 or jmax == 0:
            continue
        span = _SPAN
        ii = np.arange(max(0, imax - span), imax + 1, dtype=np.int64)
        jj = np.arange(max(0, jmax - span), jmax + 1, dtype=np.int64)
        main = ii[:, None] * jj[None, :]
        # split A: right strip full height, top strip over the main block's width
        ra, _ = strip_value(x - ii * dx, np.full(ii.shape, y), a, b)
        ta = np.maximum(
            strip_value((ii * dx)[:, None], (y - jj * dy)[None, :], a, b)[0],
            strip_value((y - jj * dy)[None, :], (ii * dx)[:, None], a, b)[0],
        )
        tot_a = main + ra[:, None] + ta
        # split B: top strip full width, right strip over the main block's height
        tb, _ = strip_value(np.full(jj.shape, x), y - jj * dy, a, b)
        tb = np.maximum(tb, strip_value(y - jj * dy, np.full(jj.shape, x), a, b)[0])
        rb = np.maximum(
            strip_value((x - ii * dx)[:, None], (jj * dy)[None, :], a, b)[0],
            strip_value((jj * dy)[None, :], (x - ii * dx)[:, None], a, b)[0],
        )
        tot_b = main + tb[None, :] + rb
        for tot, split in ((tot_a, "A"), (tot_b, "B")):
            k = int(np.argmax(tot))
            n = int(tot.flat[k])
            if n <= best_n:
                continue
            i, j = int(ii[k // tot.shape[1]]), int(jj[k % tot.shape[1]])
            blocks: list[Block] = [(0, 0, dx, dy, i, j)] if i and j else []
            if split == "A":
                n1, b1 = _best_strip(i * dx, 0, x - i * dx, y, a, b)
                n2, b2 = _best_strip(0, j * dy, i * dx, y - j * dy, a, b)
            else:
                n1, b1 = _best_strip(0, j * dy, x, y - j * dy, a, b)
                n2, b2 = _best_strip(i * dx, 0, x - i * dx, j * dy, a, b)
            total = i * j + n1 + n2
            if total > best_n:
                best_n, best_blocks = total, blocks + b1 + b2
    return best_n, best_blocks


def _coarse_values(v: int, a: int, b: int, fl: np.ndarray) -> np.ndarray | None:
    """Candidate sizes <= v made of nearly homogeneous runs, closed under complements."""
    for k in (3, 2, 1, 0):
        vals: set[int] = set()
        for i in range(k + 1):
            vals.update(range(i * b, v + 1, a))
            vals.update(range(i * a, v + 1, b))
        arr = np.array(sorted(vals), dtype=np.int64)
        arr = arr[arr <= v]
        comp = fl[v - arr]
        allv = np.unique(np.concatenate([arr, comp, [0, v]]))
        if allv.shape[0] <= _COARSE_CAP:
            return allv
    return None


def large_blocks(
    x: int, y: int, a: int, b: int, normals: np.ndarray
) -> tuple[int, list[Block], str]:
    """Best pattern found for a large instance: (count, blocks, strategy)."""
    best_n, best_blocks = three_block(x, y, a, b)
    strategy = "three-block"
    mark = np.zeros(max(x, y) + 1, dtype=bool)
    mark[normals[normals <= max(x, y)]] = True
    fl = floor_map(mark)
    xv = _coarse_values(x, a, b, fl)
    yv = _coarse_values(y, a, b, fl)
    if xv is not None and yv is not None:
        ax = make_axis(xv, x)
        ay = make_axis(yv, y)
        gt = guillotine_table(ax, ay, a, b)
        n = int(gt[-1, -1])
        if n > best_n:
            blocks: list[Block] = []
            guillotine_blocks(gt, ax, ay, a, b, ax.n - 1, ay.n - 1, 0, 0, blocks)
            best_n, best_blocks, strategy = n, blocks, "guillotine-dp(coarse)"
    return best_n, best_blocks, strategy
