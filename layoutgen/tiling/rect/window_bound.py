"""Window-product bound for packing identical a x b items (compiled with numba).

Proof. Push a packing left and down: every item then sits at normal coordinates (conic
combinations of a and b), so along x it covers a *window* [s, s + d) with s normal and d = a or
b. Put non-negative weights u on the unit columns of the sheet and v on its unit rows such that
every window of length a holds u-weight >= q and every window of length b holds >= p (the same
for v). An item lying a along x covers u-weight >= q and v-weight >= p, one lying b along x
covers >= p and >= q; under the product weight u(c) * v(r) each item therefore covers >= p*q,
and disjoint items cover at most U * V in all. Hence N <= floor(U * V / (p * q)).

For given (q, p) the least U on a side of length n is a covering LP over intervals, solved
exactly by the right-end greedy: windows sorted by right end, each missing weight put on the
window's last column (every later window that meets this one contains that column). Windows of a
side n are those inside [0, n), so the greedy run on the longest side gives the least weight of
every shorter side as a prefix; one pass per (q, p) gives the bound of every sub-rectangle.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

_MAX_RATIO = 8  # weight ratios q : p tried, p <= q <= _MAX_RATIO


def ratio_pairs(max_ratio: int = _MAX_RATIO) -> np.ndarray:
    """Coprime (p, q) with 1 <= p <= q <= max_ratio: the weight ratios tried."""
    pairs = [(p, q) for q in range(1, max_ratio + 1) for p in range(1, q + 1)
             if math.gcd(p, q) == 1]
    return np.array(pairs, dtype=np.int64)


@njit(cache=True)
def _least_weights(normals, a, b, need_a, need_b, sides):
    """Least window weight of each side length in `sides` (sorted ascending), by the greedy."""
    m = normals.shape[0]
    pos = np.empty(2 * m, dtype=np.int64)  # columns that got weight, increasing
    cum = np.zeros(2 * m + 1, dtype=np.int64)  # cum[k]: weight on pos[:k]
    k = 0
    out = np.zeros(sides.shape[0], dtype=np.int64)
    ia = 0  # next window of length a (start normals[ia])
    ib = 0
    s = 0
    top = sides[-1]
    while True:
        ra = normals[ia] + a - 1 if ia < m else top + 1
        rb = normals[ib] + b - 1 if ib < m else top + 1
        if ra <= rb:
            r, left, need = ra, ra - a + 1, need_a
        else:
            r, left, need = rb, rb - b + 1, need_b
        while s < sides.shape[0] and sides[s] <= r:
            out[s] = cum[k]
            s += 1
        if r >= top:
            break
        if ra <= rb:
            ia += 1
        else:
            ib += 1
        first = np.searchsorted(pos[:k], left)
        have = cum[k] - cum[first]
        if have < need:
            if k > 0 and pos[k - 1] == r:
                cum[k] += need - have
            else:
                pos[k] = r
                cum[k + 1] = cum[k] + need - have
                k += 1
    while s < sides.shape[0]:
        out[s] = cum[k]
        s += 1
    return out


@njit(cache=True)
def _weight_rows(normals, a, b, xv, yv, pairs):
    nx, ny = xv.shape[0], yv.shape[0]
    rows = np.empty((pairs.shape[0], 1 + nx + ny), dtype=np.int64)
    for t in range(pairs.shape[0]):
        p, q = pairs[t, 0], pairs[t, 1]
        rows[t, 0] = p * q
        rows[t, 1:1 + nx] = _least_weights(normals, a, b, q, p, xv)
        rows[t, 1 + nx:] = _least_weights(normals, a, b, q, p, yv)
    return rows


@njit(cache=True)
def _table(rows, nx, ny):
    best = np.full((nx, ny), np.iinfo(np.int64).max, dtype=np.int64)
    for t in range(rows.shape[0]):
        for i in range(nx):
            for j in range(ny):
                v = rows[t, 1 + i] * rows[t, 1 + nx + j] // rows[t, 0]
                if v < best[i, j]:
                    best[i, j] = v
    return best


def window_weights(normals: np.ndarray, a: int, b: int, xv: np.ndarray,
                   yv: np.ndarray) -> np.ndarray:
    """Least window weights, one row per ratio of `ratio_pairs`: [p * q, U(xv[0]), ...,
    U(xv[-1]), V(yv[0]), ..., V(yv[-1])] (sorted sizes; `normals`: every normal value up to
    the largest size)."""
    big, small = max(a, b), min(a, b)
    return _weight_rows(np.ascontiguousarray(normals, dtype=np.int64), np.int64(big),
                        np.int64(small), np.ascontiguousarray(xv, dtype=np.int64),
                        np.ascontiguousarray(yv, dtype=np.int64), ratio_pairs())


def bound_table(weights: np.ndarray, nx: int, ny: int) -> np.ndarray:
    """Bound of every sub-sheet xv[i] x yv[j] from `window_weights` rows: the least over the
    ratios of U * V // (p * q)."""
    return _table(weights, nx, ny)


def window_product_table(normals: np.ndarray, a: int, b: int, xv: np.ndarray,
                         yv: np.ndarray) -> np.ndarray:
    """Bound of every sub-sheet xv[i] x yv[j]: the least window-product bound over the ratios."""
    return bound_table(window_weights(normals, a, b, xv, yv), len(xv), len(yv))
