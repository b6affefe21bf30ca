"""Scan-field plan: the one partition of a sheet into laser scan fields.

`plan_fields` splits the sheet into columns along x, then rows within each column, each field's
window (the area its laser marks cover) at most `laser.field_mm` square. Boundaries go mid-street
where a street is within reach, else between cell centres: cells are never cut, each belongs to
the field holding its centre and lies wholly inside that field's window (windows then overlap).

The plan is made for the marks, not only the outlines: every cell is planned with the extent of
its laser marks (kerf-offset contour with its lead-in, `mark_bounds`), the corner fiducials are
planned as items of their own, and where straight cuts run across fields (or fiducials sit on
field corners) each field's window also covers its own part of the sheet plus half the overlap
past each boundary (`MarkReach`). The layout (GDS FIELD layer, cells.csv `field`) and the laser
job (G-code field headers, job.json) therefore show the same fields.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from layoutgen.deck import Deck
from layoutgen.pattern import CellPattern
from layoutgen.shapes import CellShape

_MITRE_LIMIT = 10.0  # the kerf offset's mitre limit (toolpath.contours._offset)


@dataclass(frozen=True)
class MarkReach:
    """Marks beyond the cells: `items` (k, 4) boxes of other marks (corner fiducials); `span`
    (x0, y0, x1, y1) where marks may lie anywhere in a field (straight cuts run across the
    sheet, fiducials on field corners), each reaching `overlap_mm` / 2 past a field boundary;
    None: marks only at the cells and items."""

    items: np.ndarray
    span: tuple[float, float, float, float] | None = None
    overlap_mm: float = 0.0


@dataclass(frozen=True)
class FieldPlan:
    """The sheet's scan fields: `fields` (F, 4) x0, y0, x1, y1 (a partition of the sheet:
    columns along x, rows within a column), `windows` (F, 4) the area each field's marks may
    cover (at most the field size), `field_of` (n,) the field of each cell (the one holding its
    centre), `oversize` cells whose marks no field can hold whole."""

    fields: np.ndarray
    windows: np.ndarray
    field_of: np.ndarray
    oversize: int


def mark_bounds(patterns: tuple[CellPattern, ...], deck: Deck) -> np.ndarray:
    """(masters, 4) extent (minx, miny, maxx, maxy, cell coordinates) of every laser mark of
    each master: its SINGULATION outline, offset outward by half the cut width when kerf
    compensation is on (mitred corners) and grown by the contour lead-in."""
    las = deck.laser
    out = np.array([p.layers["SINGULATION"].bounds for p in patterns], float).reshape(-1, 4)
    if not las.singulation.enabled:
        return out
    half = las.singulation.spot_um / 2000 if las.kerf_compensation else 0.0
    lead = las.lead_in_um / 1000
    for k, p in enumerate(patterns):
        poly = p.layers["SINGULATION"]
        if half > 0:
            poly = poly.buffer(half, join_style="mitre", mitre_limit=_MITRE_LIMIT)
        b = np.array(poly.bounds, float) + np.array([-lead, -lead, lead, lead])
        out[k] = np.r_[np.minimum(out[k, :2], b[:2]), np.maximum(out[k, 2:], b[2:])]
    return out


def mark_reach(deck: Deck, outline: CellShape) -> MarkReach:
    """What the deck's laser job marks beyond the cells (see `MarkReach`): the four corner
    fiducials (if that operation is on), and for rectangles that may be singulated by straight
    lines (`laser.singulation_paths` not "contours") the lines' span with the stitch overlap;
    with `layout.fiducials_per_field`, the sheet with a fiducial's arm as the overlap."""
    las, lay = deck.laser, deck.layout
    w, h = deck.sheet.width_mm, deck.sheet.length_mm
    items = np.zeros((0, 4))
    fs = lay.fiducial_size_um / 1000
    if las.fiducial.enabled:
        m = lay.fiducial_margin_mm
        c = np.array([(m, m), (w - m, m), (m, h - m), (w - m, h - m)], float)
        items = np.column_stack([c - fs / 2, c + fs / 2])
    spans: list[tuple[float, float, float, float]] = []
    overlap = 0.0
    lines = (las.singulation.enabled and las.singulation_paths != "contours"
             and outline.kind == "rect")
    if lines:
        overlap = las.stitch_overlap_um / 1000
        if las.lines_run_through:
            spans.append((0.0, 0.0, w, h))
        else:
            s = deck.sheet
            g = las.singulation.spot_um / 1000 + 1e-3  # cuts beside the outermost cells
            spans.append((max(s.edge_x_mm - g, 0.0), max(s.edge_y_mm - g, 0.0),
                          min(w - s.edge_x_mm + g, w), min(h - s.edge_y_mm + g, h)))
    if lay.fiducials_per_field and las.fiducial.enabled:
        overlap = max(overlap, fs)
        spans.append((0.0, 0.0, w, h))
    if not spans:
        return MarkReach(items)
    a = np.array(spans)
    span = (float(a[:, 0].min()), float(a[:, 1].min()), float(a[:, 2].max()),
            float(a[:, 3].max()))
    return MarkReach(items, span, overlap)


def plan_fields(x: np.ndarray, y: np.ndarray, master: np.ndarray,
                patterns: tuple[CellPattern, ...], outline: CellShape, deck: Deck) -> FieldPlan:
    """The scan fields of a sheet whose cells (centres x, y, master index each) are laid out
    from `patterns`: planned on the cells' laser marks and the deck's other marks."""
    m = np.asarray(master, np.int64)
    body = np.array([p.layers["SINGULATION"].bounds for p in patterns], float).reshape(-1, 4)
    sheet = (deck.sheet.width_mm, deck.sheet.length_mm)
    fields, windows, field_of, big = scan_fields(
        x, y, body[m], sheet, deck.laser.field_mm, mark_reach(deck, outline),
        mark_bounds(patterns, deck)[m])
    return FieldPlan(fields, windows, field_of, big)


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
                 size: float, span: tuple[float, float] | None = None, overlap: float = 0.0,
                 marks: tuple[np.ndarray, np.ndarray] | None = None
                 ) -> tuple[np.ndarray, np.ndarray, int]:
    """Split [a, b] into parts whose *windows* are at most `size` long.

    Cells (centre c, extent lo..hi) belong to the part holding their centre; a part's window
    is the extent of its cells (the part itself if it has none). Boundaries go mid-street when
    a street (a gap between cells) lies far enough within reach: then no cell crosses them.
    Where no street is in reach (hexagonal rows, mixed blocks) a boundary goes between cell
    centres instead, so every cell still lies wholly inside its part's window (windows of
    neighbouring parts then overlap). With `span` (lo, hi), marks may also lie anywhere in a
    part within the span, reaching `overlap` / 2 past its boundaries (straight cuts split at
    the boundaries): a window then also covers that. `marks` (lo, hi): the extent of each
    cell's marks when larger than the cell (lo..hi then only decides where the streets are).
    Returns (boundaries, windows (k, 2), cells longer than `size`, which no window can hold).
    """
    m_lo, m_hi = marks if marks is not None else (lo, hi)
    if len(c) < 2 or bool(np.all(c[1:] >= c[:-1])):
        cs, los, his, blo, bhi = c, m_lo, m_hi, lo, hi
    else:
        o = np.argsort(c, kind="stable")
        cs, los, his, blo, bhi = c[o], m_lo[o], m_hi[o], lo[o], hi[o]
    n = len(cs)
    starts, ends = _merged_intervals(blo, bhi)  # sorted already when all extents are equal
    gap_lo = np.r_[-np.inf, ends]
    gap_hi = np.r_[starts, np.inf]
    suffix_hi = np.maximum.accumulate(his[::-1])[::-1] if n else his
    suffix_lo = np.minimum.accumulate(los[::-1])[::-1] if n else los
    eps = 1e-9 * max(1.0, abs(b))
    half = overlap / 2
    cuts = [a]
    oversize = 0
    p = a
    while b - p > eps:
        i0 = int(np.searchsorted(cs, p, "left"))
        i1 = int(np.searchsorted(cs, p + size, "right"))
        s = float(los[i0:i1].min()) if i1 > i0 else p  # the window starts at its first cell
        r_lo, r_hi = (float(suffix_lo[i0]), float(suffix_hi[i0])) if i0 < n else (b, p)
        if span is not None and max(span[0], p - half) < min(span[1], b):
            s = min(s, max(span[0], p - half))  # ... or where the part's split marks start
            r_lo, r_hi = min(r_lo, max(span[0], p - half)), max(r_hi, min(span[1], b))
        limit = s + size
        if r_hi - r_lo <= size + eps if r_hi > r_lo else b - p <= size + eps:
            cuts.append(b)  # the rest's marks fit one window (or the rest is empty and small)
            break
        limit = min(limit, b)
        # a boundary the split marks cross must leave them room for the overlap
        limit_b = limit - half if span is not None and limit - half < span[1] else limit
        # street option: the last gap reaching into (p, limit_b]
        street = None
        j = int(np.searchsorted(gap_lo, limit_b, "left")) - 1
        if j >= 0 and gap_hi[j] > p + eps:
            if gap_hi[j] == np.inf:
                street = limit_b
            else:
                mid = 0.5 * (gap_lo[j] + gap_hi[j])
                street = min(mid, limit_b) if mid <= limit_b + eps else 0.5 * (
                    max(gap_lo[j], p) + limit_b)
            if street - p <= eps:
                street = None
        # window option: just before the first member that would stick out of the window
        k1 = int(np.searchsorted(cs, limit_b, "right"))
        over = np.flatnonzero(his[i0:k1] > limit + eps)
        window = float(cs[i0 + over[0]]) if len(over) else limit_b
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
    has = np.zeros(len(win), bool)
    if n:  # parts are contiguous runs of the centre-sorted cells
        first = np.flatnonzero(np.r_[True, part[1:] != part[:-1]])
        win[part[first], 0] = np.minimum.reduceat(los, first)
        win[part[first], 1] = np.maximum.reduceat(his, first)
        has[part[first]] = True
    if span is not None:  # the split marks of each part, within the span
        m_lo = np.maximum(span[0], cuts_a[:-1] - half)
        m_hi = np.minimum(span[1], cuts_a[1:] + half)
        ok = m_lo < m_hi
        win[:, 0] = np.where(ok & has, np.minimum(win[:, 0], m_lo), np.where(ok, m_lo, win[:, 0]))
        win[:, 1] = np.where(ok & has, np.maximum(win[:, 1], m_hi), np.where(ok, m_hi, win[:, 1]))
    return cuts_a, win, oversize


def scan_fields(x: np.ndarray, y: np.ndarray, bounds: np.ndarray, sheet: tuple[float, float],
                size: float, reach: MarkReach | None = None, marks: np.ndarray | None = None
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Scan fields over the sheet: columns along x, then rows within each column.

    `bounds` is (n, 4) per-cell extents relative to the centre (minx, miny, maxx, maxy);
    `reach` the marks beyond the cells (MarkReach; None: none); `marks` (n, 4) the extents of
    each cell's marks where larger than `bounds` (streets are found between the bounds).
    Returns (fields (nf, 4) x0, y0, x1, y1: the partition of the sheet, windows (nf, 4): the
    area each field's marks may cover (the field itself if empty), at most `size` square,
    field index per cell, number of cells larger than a field). Each cell lies wholly inside
    its field's window.
    """
    w, h = sheet
    n = len(x)
    mb = bounds if marks is None else marks
    xlo, xhi = x + bounds[:, 0], x + bounds[:, 2]
    ylo, yhi = y + bounds[:, 1], y + bounds[:, 3]
    mxlo, mxhi = x + mb[:, 0], x + mb[:, 2]
    mylo, myhi = y + mb[:, 1], y + mb[:, 3]
    span_x = span_y = None
    overlap = 0.0
    if reach is not None and len(reach.items):
        it = np.asarray(reach.items, float).reshape(-1, 4)
        ix, iy = (it[:, 0] + it[:, 2]) / 2, (it[:, 1] + it[:, 3]) / 2
        x, y = np.r_[x, ix], np.r_[y, iy]
        xlo, xhi, ylo, yhi = (np.r_[xlo, it[:, 0]], np.r_[xhi, it[:, 2]], np.r_[ylo, it[:, 1]],
                              np.r_[yhi, it[:, 3]])
        mxlo, mxhi, mylo, myhi = (np.r_[mxlo, it[:, 0]], np.r_[mxhi, it[:, 2]],
                                  np.r_[mylo, it[:, 1]], np.r_[myhi, it[:, 3]])
    if reach is not None and reach.span is not None:
        span_x, span_y = (reach.span[0], reach.span[2]), (reach.span[1], reach.span[3])
        overlap = reach.overlap_mm
    xcuts, xwin, big = partition_1d(x, xlo, xhi, 0.0, w, size, span_x, overlap, (mxlo, mxhi))
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
        ycuts, ywin, big_y = partition_1d(y[mine], ylo[mine], yhi[mine], 0.0, h, size, span_y,
                                          overlap, (mylo[mine], myhi[mine]))
        big += big_y
        m = len(ywin)
        fields.append(np.column_stack([np.full(m, xcuts[k]), ycuts[:-1],
                                       np.full(m, xcuts[k + 1]), ycuts[1:]]))
        windows.append(np.column_stack([np.full(m, xwin[k, 0]), ywin[:, 0],
                                        np.full(m, xwin[k, 1]), ywin[:, 1]]))
        field_of[mine] = base + np.clip(np.searchsorted(ycuts, y[mine], "right") - 1, 0, m - 1)
        base += m
    return np.concatenate(fields), np.concatenate(windows), field_of[:n], int(big)
