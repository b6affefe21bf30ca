"""Compiled core of the guillotine programme (numba): cut lists and the table itself.

Cut lists are kept in CSR form: the cuts of a side vals[i] are small[starts[i]:starts[i + 1]]
(index of the small piece, on a reduced raster point, small <= vals[i] / 2, ascending) and
large[...] (index of the rest, floor-normalised).
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def axis_cuts(vals, pos):
    """CSR cut lists (starts, small, large) of every candidate size in `vals`."""
    n = vals.shape[0]
    seen = np.zeros(n, dtype=np.bool_)
    starts = np.zeros(n + 1, dtype=np.int64)
    for sweep in range(2):
        total = 0
        if sweep == 1:
            small = np.empty(starts[n], dtype=np.int64)
            large = np.empty(starts[n], dtype=np.int64)
        for i in range(n):
            v = vals[i]
            # reduced raster points: floor(v - c) over candidates c <= v
            for c in range(i + 1):
                seen[pos[v - vals[c]]] = True
            if sweep == 0:
                count = 0
                for r in range(n):
                    if seen[r]:
                        seen[r] = False
                        if vals[r] > 0 and 2 * vals[r] <= v:
                            count += 1
                starts[i + 1] = starts[i] + count
            else:
                for r in range(n):
                    if seen[r]:
                        seen[r] = False
                        if vals[r] > 0 and 2 * vals[r] <= v:
                            small[total] = r
                            large[total] = pos[v - vals[r]]
                            total += 1
    return starts, small, large


@njit(cache=True)
def guillotine_dp(g, xs, xa, xb, ys, ya, yb):
    """Fill `g` (nx x ny, holding the homogeneous values) with the best guillotine values."""
    nx, ny = g.shape
    for i in range(nx):
        for j in range(ny):
            best = g[i, j]
            for k in range(xs[i], xs[i + 1]):
                v = g[xa[k], j] + g[xb[k], j]
                if v > best:
                    best = v
            for k in range(ys[j], ys[j + 1]):
                v = g[i, ya[k]] + g[i, yb[k]]
                if v > best:
                    best = v
            g[i, j] = best
    return g
