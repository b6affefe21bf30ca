"""Guillotine dynamic programme over raster points for identical rectangles (integer data).

The table `G[i, j]` holds the best guillotine packing of the sub-rectangle xs[i] x ys[j]. With the
full normal sets as candidate coordinates and cuts restricted to reduced raster points this is the
exact guillotine optimum (Christofides & Whitlock normal patterns, Scheithauer & Terno raster
points). With a coarse subset of coordinates it is a valid (lower-bound) heuristic.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from layoutgen.tiling.rect_bounds import homogeneous

# A homogeneous block: (x0, y0, item dx, item dy, columns, rows), integer units.
Block = tuple[int, int, int, int, int, int]


@dataclass
class Axis:
    """Candidate coordinates along one axis.

    `vals` are sorted candidate sub-rectangle sizes (vals[0] == 0); `pos[v]` is the index of the
    largest candidate <= v; `cuts[i]` are (small, large) index arrays of the guillotine cuts of a
    side of length vals[i] (small piece on raster points, small <= vals[i] / 2).
    """

    vals: np.ndarray
    pos: np.ndarray
    cuts: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)

    @property
    def n(self) -> int:
        return int(self.vals.shape[0])

    def floor(self, v: int) -> int:
        return int(self.vals[self.pos[v]])


def make_axis(vals: np.ndarray, top: int) -> Axis:
    """Axis over candidate values `vals` (sorted, containing 0), for sizes 0..top."""
    vals = np.asarray(vals, dtype=np.int64)
    mark = np.zeros(top + 1, dtype=bool)
    mark[vals] = True
    pos = np.cumsum(mark) - 1
    axis = Axis(vals=vals, pos=pos)
    flv = vals[pos]  # floor value map
    for v in vals.tolist():
        cand = vals[vals <= v]
        raster = np.unique(flv[v - cand])
        small = raster[(raster > 0) & (2 * raster <= v)]
        axis.cuts.append((pos[small], pos[v - small]))
    return axis


def guillotine_table(ax: Axis, ay: Axis, a: int, b: int) -> np.ndarray:
    """Best guillotine packing for every candidate sub-rectangle (int64 array nx x ny)."""
    xs = ax.vals
    ys = ay.vals
    g = homogeneous(xs[:, None], ys[None, :], a, b).astype(np.int64)
    ycuts = [(ca.tolist(), cb.tolist()) for ca, cb in ay.cuts]
    small_y = ay.n <= 64
    for i in range(ax.n):
        ca, cb = ax.cuts[i]
        if ca.shape[0]:
            np.maximum(g[i], (g[ca] + g[cb]).max(axis=0), out=g[i])
        if small_y:
            row = g[i].tolist()
            for j in range(ay.n):
                la, lb = ycuts[j]
                best = row[j]
                for p, q in zip(la, lb, strict=True):
                    s = row[p] + row[q]
                    if s > best:
                        best = s
                row[j] = best
            g[i] = row
        else:
            row = g[i]
            for j in range(ay.n):
                pa, pb = ay.cuts[j]
                if pa.shape[0]:
                    s = int((row[pa] + row[pb]).max())
                    if s > row[j]:
                        row[j] = s
    return g


def guillotine_blocks(
    g: np.ndarray, ax: Axis, ay: Axis, a: int, b: int, i: int, j: int, x0: int, y0: int,
    out: list[Block],
) -> None:
    """Append the homogeneous blocks of a packing of value g[i, j] placed at (x0, y0)."""
    stack = [(i, j, x0, y0)]
    while stack:
        i, j, x0, y0 = stack.pop()
        target = int(g[i, j])
        if target == 0:
            continue
        x = int(ax.vals[i])
        y = int(ay.vals[j])
        if (x // a) * (y // b) == target:
            out.append((x0, y0, a, b, x // a, y // b))
            continue
        if (x // b) * (y // a) == target:
            out.append((x0, y0, b, a, x // b, y // a))
            continue
        ca, cb = ax.cuts[i]
        if ca.shape[0]:
            s = g[ca, j] + g[cb, j]
            k = int(np.argmax(s))
            if int(s[k]) == target:
                p, q = int(ca[k]), int(cb[k])
                stack.append((p, j, x0, y0))
                stack.append((q, j, x0 + int(ax.vals[p]), y0))
                continue
        ca, cb = ay.cuts[j]
        s = g[i, ca] + g[i, cb]
        k = int(np.argmax(s))
        if s.shape[0] == 0 or int(s[k]) != target:  # pragma: no cover - table invariant
            raise RuntimeError("guillotine table is inconsistent")
        p, q = int(ca[k]), int(cb[k])
        stack.append((i, p, x0, y0))
        stack.append((i, q, x0, y0 + int(ay.vals[p])))
