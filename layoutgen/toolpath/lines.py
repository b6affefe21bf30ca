"""Guillotine singulation: straight cut lines shared by neighbouring cells.

The cells' axis-aligned boxes are split recursively by straight lines that cross no cell (a
guillotine decomposition), all regions of one level at once with numpy. A street no wider than
`street_max` (the tiling kerf) gets one cut in its middle, which frees the cells on both sides; a
wider street (slack, margins) gets one cut beside each cell, offset outward by half the cut width
when kerf compensation is on. Collinear touching pieces are then merged into lines that run across
the sheet. Coordinates are handled as integer nanometres, so every comparison is exact.
"""

from __future__ import annotations

import numpy as np

NM = 1_000_000  # nm per mm
_OFF = np.int64(1) << 31  # keeps coordinates positive inside the packed sort keys
_NO = np.int64(1) << 45  # "no cut on this side yet"


def _nm(v: np.ndarray | float | tuple[float, ...]) -> np.ndarray:
    return np.rint(np.asarray(v, float) * NM).astype(np.int64)


def guillotine_cuts(lo: np.ndarray, hi: np.ndarray, root: tuple[float, float, float, float],
                    street_max: float, half_cut: float) -> np.ndarray | None:
    """Cut segments (L, 4) x0, y0, x1, y1 (mm, axis-aligned) that free every box, or None.

    lo, hi: (n, 2) box corners (mm); root: the region the top-level lines span; street_max:
    widest street cut once in the middle; half_cut: offset of a cut beside a cell. None if the
    boxes are not guillotine-separable.
    """
    n = len(lo)
    if n == 0:
        return np.zeros((0, 4))
    blo, bhi = _nm(lo), _nm(hi)
    smax, hc = int(_nm(street_max)), int(_nm(half_cut))
    r = _nm(root)
    fast = _product_grid(blo, bhi, r, smax, hc)
    if fast is not None:
        return fast
    # region state
    r_lo = np.array([[r[0], r[1]]], np.int64)
    r_hi = np.array([[r[2], r[3]]], np.int64)
    eff_lo = np.full((1, 2), -_NO, np.int64)
    eff_hi = np.full((1, 2), _NO, np.int64)
    sat = np.zeros((1, 2), bool)
    cell = np.arange(n, dtype=np.int64)
    reg = np.zeros(n, np.int64)
    out: list[np.ndarray] = []  # rows: axis, position, from, to (nm)
    d = 0
    for _ in range(4 * n + 8):
        if not len(cell):
            break
        e = 1 - d
        clo, chi = blo[cell, d], bhi[cell, d]
        key = (reg << 33) + clo + _OFF
        s = np.argsort(key, kind="stable")
        cell, reg, clo, chi = cell[s], reg[s], clo[s], chi[s]
        m = len(cell)
        run = np.maximum.accumulate((reg << 33) + chi + _OFF) - (reg << 33) - _OFF
        first = np.r_[True, reg[1:] != reg[:-1]]
        last = np.r_[reg[1:] != reg[:-1], True]
        gap = ~last[:-1] & (clo[1:] >= run[:-1])  # between t and t + 1, same region
        gi = np.flatnonzero(gap)
        a, b = run[gi], clo[gi + 1]
        wide = (b - a) > smax
        mid = (a + b) // 2
        # cuts in the gaps
        greg = reg[gi]
        pos_single = mid[~wide]
        pos_wide = np.r_[a[wide] + hc, b[wide] - hc]
        reg_wide = np.r_[greg[wide], greg[wide]]
        for pos, rg in ((pos_single, greg[~wide]), (pos_wide, reg_wide)):
            if len(pos):
                out.append(np.column_stack([np.full(len(pos), d), pos, r_lo[rg, e],
                                            r_hi[rg, e]]))
        # cuts at the outer sides of each region's cell span
        fi, li = np.flatnonzero(first), np.flatnonzero(last)
        rf = reg[fi]
        span_lo, span_hi = clo[fi], run[li]
        need_lo = (span_lo - eff_lo[rf, d]) > smax
        need_hi = (eff_hi[rf, d] - span_hi) > smax
        new_eff_lo = np.where(need_lo, span_lo - hc, eff_lo[rf, d])
        new_eff_hi = np.where(need_hi, span_hi + hc, eff_hi[rf, d])
        for need, pos in ((need_lo, span_lo - hc), (need_hi, span_hi + hc)):
            if need.any():
                out.append(np.column_stack([np.full(int(need.sum()), d), pos[need],
                                            r_lo[rf[need], e], r_hi[rf[need], e]]))
        # groups -> new regions
        start = first.copy()
        start[gi + 1] = True
        grp = np.cumsum(start) - 1
        g_first = np.flatnonzero(start)
        g_last = np.r_[g_first[1:] - 1, m - 1]
        g_reg = reg[g_first]
        g_size = g_last - g_first + 1
        split = np.zeros(len(r_lo), bool)
        split[greg] = True
        # per-region index of its first/last group
        reg_first_grp = np.full(len(r_lo), -1, np.int64)
        reg_first_grp[rf] = grp[fi]
        reg_last_grp = np.full(len(r_lo), -1, np.int64)
        reg_last_grp[reg[li]] = grp[li]
        gidx = np.arange(len(g_first))
        is_rf = reg_first_grp[g_reg] == gidx
        is_rl = reg_last_grp[g_reg] == gidx
        # boundaries along d: region edge at the ends, gap middles inside
        left_gap = np.zeros(len(g_first), np.int64)  # index into gi of the gap before group
        gap_of_start = np.full(m, -1, np.int64)
        gap_of_start[gi + 1] = np.arange(len(gi))
        left_gap = gap_of_start[g_first]
        right_gap = np.full(len(g_first), -1, np.int64)
        right_gap[~is_rl] = left_gap[np.flatnonzero(~is_rl) + 1]
        eff_l_gap = np.where(wide, b - hc, mid)  # eff lo of the group right of the gap
        eff_r_gap = np.where(wide, a + hc, mid)  # eff hi of the group left of the gap
        ridx = np.searchsorted(rf, g_reg)  # position of the region in rf arrays
        n_lo = np.where(is_rf, r_lo[g_reg, d], mid[np.maximum(left_gap, 0)] if len(gi) else 0)
        n_hi = np.where(is_rl, r_hi[g_reg, d], mid[np.maximum(right_gap, 0)] if len(gi) else 0)
        n_eff_lo = np.where(is_rf, new_eff_lo[ridx],
                            eff_l_gap[np.maximum(left_gap, 0)] if len(gi) else 0)
        n_eff_hi = np.where(is_rl, new_eff_hi[ridx],
                            eff_r_gap[np.maximum(right_gap, 0)] if len(gi) else 0)
        new_lo = r_lo[g_reg].copy()
        new_hi = r_hi[g_reg].copy()
        new_lo[:, d], new_hi[:, d] = n_lo, n_hi
        ne_lo = eff_lo[g_reg].copy()
        ne_hi = eff_hi[g_reg].copy()
        ne_lo[:, d], ne_hi[:, d] = n_eff_lo, n_eff_hi
        nsat = np.zeros((len(g_first), 2), bool)
        nsat[:, d] = True
        nsat[:, e] = ~split[g_reg] & sat[g_reg, e]
        # a lone cell already framed along e by its region's cuts needs no further level
        one = np.flatnonzero(g_size == 1)
        c1 = cell[g_first[one]]
        r1 = g_reg[one]
        nsat[one, e] |= ((blo[c1, e] - eff_lo[r1, e] <= smax)
                         & (eff_hi[r1, e] - bhi[c1, e] <= smax))
        if np.any((g_size > 1) & nsat[:, 0] & nsat[:, 1]):
            return None  # a group of cells that no straight line separates
        done = (g_size == 1) & nsat[:, 0] & nsat[:, 1]
        keep_cell = ~done[grp]
        alive = np.flatnonzero(~done)
        remap = np.full(len(g_first), -1, np.int64)
        remap[alive] = np.arange(len(alive))
        cell, reg = cell[keep_cell], remap[grp[keep_cell]]
        r_lo, r_hi, eff_lo, eff_hi, sat = (new_lo[alive], new_hi[alive], ne_lo[alive],
                                           ne_hi[alive], nsat[alive])
        d = e
    else:  # pragma: no cover - the loop always empties
        return None
    if not out:
        return np.zeros((0, 4))
    seg = _merge(np.concatenate(out))
    x = np.where(seg[:, 0] == 0, seg[:, 1], seg[:, 2])
    y = np.where(seg[:, 0] == 0, seg[:, 2], seg[:, 1])
    x1 = np.where(seg[:, 0] == 0, seg[:, 1], seg[:, 3])
    y1 = np.where(seg[:, 0] == 0, seg[:, 3], seg[:, 1])
    return np.column_stack([x, y, x1, y1]).astype(float) / NM


def _cuts_1d(lo: np.ndarray, hi: np.ndarray, smax: int, hc: int) -> np.ndarray | None:
    """Cut positions along one axis for disjoint sorted intervals (None if they overlap)."""
    if np.any(lo[1:] < hi[:-1]):
        return None
    a, b = hi[:-1], lo[1:]
    wide = (b - a) > smax
    return np.r_[lo[0] - hc, (a + b)[~wide] // 2, a[wide] + hc, b[wide] - hc, hi[-1] + hc]


def _product_grid(blo: np.ndarray, bhi: np.ndarray, root: np.ndarray, smax: int, hc: int
                  ) -> np.ndarray | None:
    """Fast path: boxes forming a full product of x-intervals and y-intervals (a regular or
    irregular grid) are cut by full-length lines at the 1-D cut positions of each axis."""
    ux, ix = np.unique(np.column_stack([blo[:, 0], bhi[:, 0]]), axis=0, return_inverse=True) \
        if len(blo) < 64 else _unique_pairs(blo[:, 0], bhi[:, 0])
    uy, iy = np.unique(np.column_stack([blo[:, 1], bhi[:, 1]]), axis=0, return_inverse=True) \
        if len(blo) < 64 else _unique_pairs(blo[:, 1], bhi[:, 1])
    n = len(blo)
    if len(ux) * len(uy) != n:
        return None
    key = np.asarray(ix, np.int64).ravel() * len(uy) + np.asarray(iy, np.int64).ravel()
    seen = np.zeros(n, bool)
    seen[key] = True
    if not seen.all():  # n keys below n fill every slot only if all differ
        return None
    cx = _cuts_1d(ux[:, 0], ux[:, 1], smax, hc)
    cy = _cuts_1d(uy[:, 0], uy[:, 1], smax, hc)
    if cx is None or cy is None:
        return None
    x0, y0, x1, y1 = root
    v = np.column_stack([cx, np.full(len(cx), y0), cx, np.full(len(cx), y1)])
    h = np.column_stack([np.full(len(cy), x0), cy, np.full(len(cy), x1), cy])
    return np.concatenate([v[np.argsort(cx, kind="stable")],
                           h[np.argsort(cy, kind="stable")]]).astype(float) / NM


def _unique_pairs(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct (lo, hi) pairs sorted by lo, and each row's index into them."""
    o = np.lexsort((hi, lo))
    a, b = lo[o], hi[o]
    new = np.r_[True, (a[1:] != a[:-1]) | (b[1:] != b[:-1])]
    idx = np.empty(len(lo), np.int64)
    idx[o] = np.cumsum(new) - 1
    return np.column_stack([a[new], b[new]]), idx


def _merge(seg: np.ndarray) -> np.ndarray:
    """Merge collinear pieces (axis, position, from, to) that overlap or touch."""
    o = np.argsort(seg[:, 2], kind="stable")
    key = (seg[o, 0] << 34) + seg[o, 1] + _OFF
    seg = seg[o[np.argsort(key, kind="stable")]]  # by axis, position, then from
    same = np.r_[False, (seg[1:, 0] == seg[:-1, 0]) & (seg[1:, 1] == seg[:-1, 1])]
    grp_start = ~same
    gid = np.cumsum(grp_start) - 1
    # running max of 'to' within each (axis, position) group
    base = gid.astype(np.int64) << 33
    run = np.maximum.accumulate(base + seg[:, 3] + _OFF) - base - _OFF
    new = grp_start | np.r_[False, seg[1:, 2] > run[:-1]]
    idx = np.flatnonzero(new)
    ends = np.r_[idx[1:] - 1, len(seg) - 1]
    return np.column_stack([seg[idx, 0], seg[idx, 1], seg[idx, 2], run[ends]])
