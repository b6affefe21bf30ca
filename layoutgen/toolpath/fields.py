"""Scan fields on the laser job's side: the layout's field plan as a grid, marks split at it.

The fields themselves are planned once, for the layout and the laser together
(`layoutgen.fields`; `SheetLayout.fields`): columns along x, each split into rows along y. Here
they become a `FieldGrid` (`grid_from_rects`) that places points in fields, straight lines
that cross a boundary are split there, the pieces overlapping by the stitch overlap
(`split_lines`), and each field's window is the bounding box of what it marks (`windows`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class FieldGrid:
    """Column edges along x and, per column, row edges along y (mm)."""

    x_edges: np.ndarray
    y_edges: tuple[np.ndarray, ...]

    @property
    def count(self) -> int:
        return sum(len(y) - 1 for y in self.y_edges)

    @property
    def base(self) -> np.ndarray:
        """Field index of row 0 of each column."""
        return np.r_[0, np.cumsum([len(y) - 1 for y in self.y_edges])[:-1]].astype(np.int64)

    def rects(self) -> np.ndarray:
        out = []
        for c, ye in enumerate(self.y_edges):
            for r in range(len(ye) - 1):
                out.append((self.x_edges[c], ye[r], self.x_edges[c + 1], ye[r + 1]))
        return np.array(out, float).reshape(-1, 4)

    def column_of(self, x: np.ndarray) -> np.ndarray:
        return np.clip(np.searchsorted(self.x_edges, x, "right") - 1, 0,
                       len(self.x_edges) - 2).astype(np.int64)

    def field_of(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Field index of points (by the column holding x, then the row holding y)."""
        x = np.asarray(x, float)
        y = np.asarray(y, float)
        col = self.column_of(x)
        out = np.zeros(len(x), np.int64)
        base = self.base
        for c in np.unique(col):
            m = col == c
            ye = self.y_edges[c]
            out[m] = base[c] + np.clip(np.searchsorted(ye, y[m], "right") - 1, 0, len(ye) - 2)
        return out

    def visit_order(self) -> np.ndarray:
        """Fields in serpentine order: columns left to right, rows up then down."""
        order = []
        base = self.base
        for c, ye in enumerate(self.y_edges):
            rows = np.arange(len(ye) - 1)
            order.extend(base[c] + (rows if c % 2 == 0 else rows[::-1]))
        return np.array(order, np.int64)


def grid_from_rects(rects: np.ndarray) -> FieldGrid | None:
    """The grid of a layout's field rectangles (columns, rows per column), if they form one."""
    rects = np.asarray(rects, float).reshape(-1, 4)
    if not len(rects):
        return None
    xs = np.unique(np.round(rects[:, [0, 2]], 9))
    ye = []
    for c in range(len(xs) - 1):
        m = (np.abs(rects[:, 0] - xs[c]) < 1e-6) & (np.abs(rects[:, 2] - xs[c + 1]) < 1e-6)
        if not m.any():
            return None
        r = rects[m]
        r = r[np.argsort(r[:, 1])]
        if np.any(np.abs(r[1:, 1] - r[:-1, 3]) > 1e-6):
            return None
        ye.append(np.r_[r[:, 1], r[-1, 3]])
    grid = FieldGrid(xs, tuple(ye))
    if grid.count != len(rects):
        return None
    return grid


def split_lines(grid: FieldGrid, seg: np.ndarray, stitch: float
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split axis-aligned segments (L, 4) at field boundaries, pieces overlapping by `stitch`.

    Returns (pieces (M, 4), field per piece, source segment per piece), in segment order.
    """
    seg = np.asarray(seg, float).reshape(-1, 4)
    horiz = np.abs(seg[:, 1] - seg[:, 3]) <= np.abs(seg[:, 0] - seg[:, 2])
    out_seg, out_field, out_src = [], [], []
    # horizontal: split at column edges, then the row within the column holding y
    xe = grid.x_edges
    inner = xe[1:-1]
    lo = np.minimum(seg[:, 0], seg[:, 2])
    hi = np.maximum(seg[:, 0], seg[:, 2])
    pieces_h = _split_1d(lo, hi, inner, stitch, horiz)
    for src, a, b, c in pieces_h:
        y = seg[src, 1]
        fwd = seg[src, 0] <= seg[src, 2]
        xa, xb = np.where(fwd, a, b), np.where(fwd, b, a)
        out_seg.append(np.column_stack([xa, y, xb, y]))
        base = grid.base[c]
        rows = np.zeros(len(src), np.int64)
        for cc in np.unique(c):
            m = c == cc
            ye = grid.y_edges[cc]
            rows[m] = np.clip(np.searchsorted(ye, y[m], "right") - 1, 0, len(ye) - 2)
        out_field.append(base + rows)
        out_src.append(src)
    # vertical: the column holding x, then split at that column's row edges
    vert = np.flatnonzero(~horiz)
    if len(vert):
        col = grid.column_of(seg[vert, 0])
        for cc in np.unique(col):
            idx = vert[col == cc]
            ye = grid.y_edges[cc]
            lo = np.minimum(seg[idx, 1], seg[idx, 3])
            hi = np.maximum(seg[idx, 1], seg[idx, 3])
            for src, a, b, r in _split_1d(lo, hi, ye[1:-1], stitch, np.ones(len(idx), bool)):
                s = idx[src]
                x = seg[s, 0]
                fwd = seg[s, 1] <= seg[s, 3]
                ya, yb = np.where(fwd, a, b), np.where(fwd, b, a)
                out_seg.append(np.column_stack([x, ya, x, yb]))
                out_field.append(grid.base[cc] + r)
                out_src.append(s)
    if not out_seg:
        return np.zeros((0, 4)), np.zeros(0, np.int64), np.zeros(0, np.int64)
    pieces = np.concatenate(out_seg)
    field = np.concatenate(out_field)
    src = np.concatenate(out_src)
    order = np.lexsort((pieces[:, 1] if len(pieces) else src, src))
    return pieces[order], field[order], src[order]


def _split_1d(lo: np.ndarray, hi: np.ndarray, edges: np.ndarray, stitch: float, sel: np.ndarray):
    """Pieces of intervals [lo, hi] cut at `edges` with overlap: yields (src, a, b, bin)."""
    idx = np.flatnonzero(sel)
    if not len(idx):
        return []
    lo, hi = lo[idx], hi[idx]
    b0 = np.searchsorted(edges, lo, "right")  # bin of the start
    b1 = np.searchsorted(edges, hi, "left")  # bin of the end (an end on an edge stays left)
    b1 = np.maximum(b1, b0)
    k = b1 - b0 + 1
    src = np.repeat(np.arange(len(idx)), k)
    j = np.arange(int(k.sum())) - np.repeat(np.r_[0, np.cumsum(k)[:-1]], k)
    bins = b0[src] + j
    ext = np.r_[-np.inf, edges, np.inf]
    a = np.maximum(lo[src], ext[bins] - stitch / 2)
    b = np.minimum(hi[src], ext[bins + 1] + stitch / 2)
    a = np.where(j == 0, lo[src], a)
    b = np.where(j == k[src] - 1, hi[src], b)
    return [(idx[src], a, b, bins)]


def windows(xy_lo: np.ndarray, xy_hi: np.ndarray, field: np.ndarray, n_fields: int
            ) -> np.ndarray:
    """Per field, the bounding box (x0, y0, x1, y1) of the marks assigned to it (nan if none)."""
    out = np.full((n_fields, 4), np.nan)
    if not len(field):
        return out
    lo = np.full((n_fields, 2), np.inf)
    hi = np.full((n_fields, 2), -np.inf)
    np.minimum.at(lo, field, xy_lo)
    np.maximum.at(hi, field, xy_hi)
    used = np.isfinite(lo[:, 0])
    out[used] = np.column_stack([lo[used], hi[used]])
    return out


def field_runs(field: np.ndarray) -> list[tuple[int, int, int]]:
    """(start, end, field) of each run of consecutive paths (or cells) in one scan field."""
    if not len(field):
        return []
    cut = np.flatnonzero(field[1:] != field[:-1]) + 1
    starts = np.r_[0, cut]
    ends = np.r_[cut, len(field)]
    return [(int(a), int(b), int(field[a])) for a, b in zip(starts, ends, strict=True)]
