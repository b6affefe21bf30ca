"""Scan-field plan: the one partition of a sheet into laser scan fields.

`scan_fields` splits the sheet into columns along x, then rows within each column, each field's
window (the extent of its cells) at most `laser.field_mm`. Boundaries go mid-street where a
street is within reach, else between cell centres: cells are never cut, each belongs to the
field holding its centre and lies wholly inside that field's window (windows then overlap).
The layout (GDS FIELD layer, cells.csv `field`) and the laser job both use this plan.
"""

from __future__ import annotations

import numpy as np


def _merged_intervals(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Union of open intervals (lo, hi): sorted, disjoint (starts, ends)."""
    if not len(lo):
        return np.zeros(0), np.zeros(0)
    if not bool(np.all(lo[1:] >= lo[:-1])):
        o = np.argsort(lo, kind="stable")
        lo, hi = lo[o], hi[o]
    run_hi = np.maximum.accumulate(hi)
    new = np.r_[True, lo[1:] >= run_hi[:-1]]
    return lo[new], np.maximum.reduceat(hi, np.flatnonzero(new))


def partition_1d(c: np.ndarray, lo: np.ndarray, hi: np.ndarray, a: float, b: float,
                 size: float) -> tuple[np.ndarray, np.ndarray, int]:
    """Split [a, b] into parts whose *windows* are at most `size` long.

    Cells (centre c, extent lo..hi) belong to the part holding their centre; a part's window
    is the extent of its cells (the part itself if it has none). Boundaries go mid-street when
    a street (a gap between cells) lies far enough within reach: then no cell crosses them.
    Where no street is in reach (hexagonal rows, mixed blocks) a boundary goes between cell
    centres instead, so every cell still lies wholly inside its part's window (windows of
    neighbouring parts then overlap). Returns (boundaries, windows (k, 2), cells longer than
    `size`, which no window can hold).
    """
    if len(c) < 2 or bool(np.all(c[1:] >= c[:-1])):
        cs, los, his = c, lo, hi
    else:
        o = np.argsort(c, kind="stable")
        cs, los, his = c[o], lo[o], hi[o]
    n = len(cs)
    starts, ends = _merged_intervals(los, his)  # sorted already when all extents are equal
    gap_lo = np.r_[-np.inf, ends]
    gap_hi = np.r_[starts, np.inf]
    suffix_hi = np.maximum.accumulate(his[::-1])[::-1] if n else his
    eps = 1e-9 * max(1.0, abs(b))
    cuts = [a]
    oversize = 0
    p = a
    while b - p > eps:
        i0 = int(np.searchsorted(cs, p, "left"))
        i1 = int(np.searchsorted(cs, p + size, "right"))
        s = float(los[i0:i1].min()) if i1 > i0 else p  # the window starts at its first cell
        limit = s + size
        if b - min(s, p) <= size + eps or (b - s <= size + eps and suffix_hi[i0] <= b + eps):
            cuts.append(b)
            break
        limit = min(limit, b)
        # street option: the last gap reaching into (p, limit]
        street = None
        j = int(np.searchsorted(gap_lo, limit, "left")) - 1
        if j >= 0 and gap_hi[j] > p + eps:
            if gap_hi[j] == np.inf:
                street = limit
            else:
                mid = 0.5 * (gap_lo[j] + gap_hi[j])
                street = min(mid, limit) if mid <= limit + eps else 0.5 * (
                    max(gap_lo[j], p) + limit)
            if street - p <= eps:
                street = None
        # window option: just before the first member that would stick out of the window
        k1 = int(np.searchsorted(cs, limit, "right"))
        over = np.flatnonzero(his[i0:k1] > limit + eps)
        window = float(cs[i0 + over[0]]) if len(over) else limit
        if window - p <= eps:  # a cell longer than the field: it gets a part of its own
            oversize += 1
            window = float(cs[i0 + 1]) if i0 + 1 < n else b
            window = max(window, p + eps * 10)
        if street is not None and (street >= p + 0.5 * size or street >= window - eps):
            nxt = street
        else:
            nxt = window
        cuts.append(min(nxt, b))
        p = cuts[-1]
    cuts_a = np.array(cuts)
    part = np.clip(np.searchsorted(cuts_a, cs, "right") - 1, 0, len(cuts_a) - 2)
    win = np.column_stack([cuts_a[:-1], cuts_a[1:]])  # empty parts: the part itself
    if n:  # parts are contiguous runs of the centre-sorted cells
        first = np.flatnonzero(np.r_[True, part[1:] != part[:-1]])
        win[part[first], 0] = np.minimum.reduceat(los, first)
        win[part[first], 1] = np.maximum.reduceat(his, first)
    return cuts_a, win, oversize


def scan_fields(x: np.ndarray, y: np.ndarray, bounds: np.ndarray, sheet: tuple[float, float],
                size: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Scan fields over the sheet: columns along x, then rows within each column.

    `bounds` is (n, 4) per-cell extents relative to the centre (minx, miny, maxx, maxy).
    Returns (fields (nf, 4) x0, y0, x1, y1: the partition of the sheet, windows (nf, 4): the
    extent of each field's cells (the field itself if empty), at most `size` square, field
    index per cell, number of cells larger than a field). Each cell lies wholly inside its
    field's window.
    """
    w, h = sheet
    xlo, xhi = x + bounds[:, 0], x + bounds[:, 2]
    ylo, yhi = y + bounds[:, 1], y + bounds[:, 3]
    xcuts, xwin, big = partition_1d(x, xlo, xhi, 0.0, w, size)
    strip = np.clip(np.searchsorted(xcuts, x, "right") - 1, 0, len(xcuts) - 2)
    small = strip.astype(np.int16) if len(xcuts) < 32000 else strip
    order = np.argsort(small, kind="stable")  # radix sort for 16-bit keys
    bounds_at = np.searchsorted(strip[order], np.arange(len(xcuts)))
    fields: list[np.ndarray] = []
    windows: list[np.ndarray] = []
    field_of = np.zeros(len(x), np.int64)
    base = 0
    for k in range(len(xcuts) - 1):
        mine = order[bounds_at[k]:bounds_at[k + 1]]
        ycuts, ywin, big_y = partition_1d(y[mine], ylo[mine], yhi[mine], 0.0, h, size)
        big += big_y
        m = len(ywin)
        fields.append(np.column_stack([np.full(m, xcuts[k]), ycuts[:-1],
                                       np.full(m, xcuts[k + 1]), ycuts[1:]]))
        windows.append(np.column_stack([np.full(m, xwin[k, 0]), ywin[:, 0],
                                        np.full(m, xwin[k, 1]), ywin[:, 1]]))
        field_of[mine] = base + np.clip(np.searchsorted(ycuts, y[mine], "right") - 1, 0, m - 1)
        base += m
    return np.concatenate(fields), np.concatenate(windows), field_of, int(big)
