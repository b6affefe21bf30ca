"""Guillotine dynamic programme over raster points for identical rectangles (integer data).

The table `G[i, j]` holds the best guillotine packing of the sub-rectangle xs[i] x ys[j]. With the
full normal sets as candidate coordinates and cuts restricted to reduced raster points this is the
exact guillotine optimum (Christofides & Whitlock normal patterns, Scheithauer & Terno raster
points). With a coarse subset of coordinates it is a valid (lower-bound) heuristic.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from layoutgen.tiling.rect.bounds import homogeneous, normal_marks

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
    rasters: dict[int, np.ndarray] = field(default_factory=dict)

    def raster(self, i: int) -> np.ndarray:
        """Reduced raster points r of size vals[i] with 0 < r < vals[i] (memoised)."""
        r = self.rasters.get(i)
        if r is None:
            v = int(self.vals[i])
            cand = self.vals[: i + 1]
            r = np.unique(self.vals[self.pos[v - cand]])
            r = r[(r > 0) & (r < v)]
            self.rasters[i] = r
        return r

    @property
    def n(self) -> int:
        return int(self.vals.shape[0])

    def floor(self, v: int) -> int:
        return int(self.vals[self.pos[v]])


def make_axis(vals: np.ndarray, top: int) -> Axis:
    """Axis over candidate values `vals` (sorted, containing 0), for sizes 0..top."""
    from layoutgen.tiling.rect.guillotine_kernel import axis_cuts  # lazy: numba

    vals = np.ascontiguousarray(vals, dtype=np.int64)
    mark = np.zeros(top + 1, dtype=bool)
    mark[vals] = True
    pos = np.cumsum(mark) - 1
    starts, small, large = axis_cuts(vals, pos)
    cuts = [(small[starts[i]:starts[i + 1]], large[starts[i]:starts[i + 1]])
            for i in range(vals.shape[0])]
    return Axis(vals=vals, pos=pos, cuts=cuts)


def _csr(axis: Axis) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The cut lists of an axis as (starts, small, large) arrays."""
    sizes = np.array([ca.shape[0] for ca, _ in axis.cuts], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    empty = np.zeros(0, dtype=np.int64)
    small = np.concatenate([ca for ca, _ in axis.cuts] + [empty]).astype(np.int64)
    large = np.concatenate([cb for _, cb in axis.cuts] + [empty]).astype(np.int64)
    return starts, small, large


def guillotine_table(ax: Axis, ay: Axis, a: int, b: int) -> np.ndarray:
    """Best guillotine packing for every candidate sub-rectangle (int64 array nx x ny).

    G[i, j] is the best of the homogeneous packings and of every cut of either side into two
    smaller candidates (compiled, `guillotine_kernel`).
    """
    from layoutgen.tiling.rect.guillotine_kernel import guillotine_dp  # lazy: numba

    g = np.ascontiguousarray(homogeneous(ax.vals[:, None], ay.vals[None, :], a, b),
                             dtype=np.int64)
    return guillotine_dp(g, *_csr(ax), *_csr(ay))


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


class ItemTables:
    """Guillotine table of one item over all normal sizes up to `top` (both axes).

    Axis candidates are all normal values (not sheet-dependent raster points), so the table of
    a smaller sheet is a prefix block of this one: instances that share an item (after dividing
    by the gcd) reuse it. The table is exact, so reuse never changes a result.
    """

    def __init__(self, a: int, b: int, top: int):

        self.a, self.b, self.top = a, b, top
        self.normals = np.flatnonzero(normal_marks(top, a, b))
        self.axis = make_axis(self.normals, top)
        self.g = guillotine_table(self.axis, self.axis, a, b)

    def prefix(self, v: int) -> Axis:
        """Axis over the normal values <= v (v normal)."""
        n = int(self.axis.pos[v]) + 1
        ax = self.axis
        return Axis(vals=ax.vals[:n], pos=ax.pos[: v + 1], cuts=ax.cuts[:n], rasters=ax.rasters)


_TABLES: dict[tuple[int, int], ItemTables] = {}
_TABLES_KEEP = 4  # items kept (least recently used dropped)
CACHE_STATES = 90_000  # largest cached table (states)


def item_tables(a: int, b: int, x: int, y: int,
                n_states: Callable[[int], int]) -> ItemTables | None:
    """Cached tables covering x x y for item a x b (None if too large to cache).

    `n_states(v)` counts the normal values <= v; a table is regrown with 25 % head room.
    """
    key = (min(a, b), max(a, b))
    need = max(x, y)
    t = _TABLES.pop(key, None)
    if t is None or t.top < need:
        top = max(need, int(1.25 * t.top) if t is not None else need)
        if n_states(top) ** 2 > CACHE_STATES:
            top = need
            if n_states(top) ** 2 > CACHE_STATES:
                return None
        t = ItemTables(a, b, top)
    _TABLES[key] = t
    while len(_TABLES) > _TABLES_KEEP:
        del _TABLES[next(iter(_TABLES))]
    return t
