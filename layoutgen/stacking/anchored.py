"""The anchored stacker, for small lots and for the cells the windows leave over: cells in
impedance order; the lowest unused cell anchors a stack of cells within the impedance limit
above it and an OCV window holding it (below, centred on or above it), filled to the target
with the least surplus (a run of consecutive capacities); an anchor that cannot make one is
left over. Windows slide with the anchor, so no cell is stranded at a fixed window edge.
One Python step per cell: used only up to MAX_CELLS cells."""

from __future__ import annotations

import numpy as np

from layoutgen.stacking.matching import MICRO, Assignment, Spec

MAX_CELLS = 30_000
SIZES_TRIED = 3  # N free: the fewest cells that can reach the target, and up to 2 more


def _least_surplus(caps: np.ndarray, rest: int, spec: Spec) -> tuple[np.ndarray, int] | None:
    """Positions into caps (sorted ascending) of a run whose sum reaches `rest` with the least
    surplus, sized for a stack of n_min..n_max with the anchor; None if none reaches it."""
    cum = np.concatenate(([0], np.cumsum(caps, dtype=np.int64)))
    best: tuple[np.ndarray, int] | None = None
    lo_t, hi_t = max(0, spec.n_min - 1), min(spec.n_max - 1, caps.size)
    tried = 0
    for t in range(lo_t, hi_t + 1):
        if t == 0:
            if rest <= 0:
                return np.zeros(0, dtype=np.int64), -rest
            continue
        if int(cum[-1] - cum[-1 - t]) < rest:  # even the t largest fall short
            continue
        sums = cum[t:] - cum[:-t]
        j = int(np.searchsorted(sums, rest, side="left"))
        surplus = int(sums[j]) - rest
        if best is None or surplus < best[1]:
            best = (np.arange(j, j + t, dtype=np.int64), surplus)
        tried += 1
        if spec.fixed or tried >= SIZES_TRIED:
            break
    return best


def _ratio_hi(x: int, ppm: int) -> int:
    return x * (MICRO + ppm) // MICRO


def _ratio_lo(x: int, ppm: int) -> int:
    return -((-(x * MICRO)) // (MICRO + ppm))


def anchored(cap: np.ndarray, z: np.ndarray, v: np.ndarray, spec: Spec,
             idx: np.ndarray | None = None, *, ocv_first: bool = False,
             from_top: bool = False) -> Assignment:
    """Stacks from the cells idx (all if None); the Assignment covers every cell of cap.
    Anchors go along impedance (or OCV with ocv_first), lowest first (highest: from_top)."""
    n_all = cap.size
    stack = np.full(n_all, -1, dtype=np.int64)
    idx = np.arange(n_all, dtype=np.int64) if idx is None else idx
    prim, sec = (v, z) if ocv_first else (z, v)
    sign = -1 if from_top else 1
    order = idx[np.lexsort((idx, sign * sec[idx], sign * prim[idx]))]
    ps, ss, cs = prim[order], sec[order], cap[order]
    keys = sign * ps  # ascending
    m = order.size
    alive = np.ones(m, dtype=bool)
    k, uv, ppm = 0, spec.v_uv, spec.z_ppm
    half = MICRO + ppm // 2
    for p in range(m):
        if not alive[p]:
            continue
        alive[p] = False
        p0, s0 = int(ps[p]), int(ss[p])
        if ocv_first:
            far = p0 - uv if from_top else p0 + uv
        else:
            far = _ratio_lo(p0, ppm) if from_top else _ratio_hi(p0, ppm)
        q = int(np.searchsorted(keys, sign * far, side="right"))
        cand = np.flatnonzero(alive[p + 1:q]) + p + 1
        if cand.size < spec.n_min - 1:
            continue
        if ocv_first:  # impedance windows holding the anchor: below, about, above it
            spans = [(lo, _ratio_hi(lo, ppm)) for lo in
                     (_ratio_lo(s0, ppm), -((-(s0 * MICRO)) // half), s0)]
        else:
            spans = [(lo, lo + uv) for lo in (s0 - uv, s0 - uv // 2, s0)]
        rest = spec.need_nah - int(cs[p])
        best: tuple[np.ndarray, int] | None = None
        sv = ss[cand]
        for lo, hi in spans:
            sel = cand[(sv >= lo) & (sv <= hi)]
            if sel.size < spec.n_min - 1:
                continue
            sel = sel[np.lexsort((sel, cs[sel]))]
            got = _least_surplus(cs[sel], rest, spec)
            if got is not None and (best is None or got[1] < best[1]):
                best = (sel[got[0]], got[1])
        if best is None:
            continue
        members = np.concatenate(([p], best[0]))
        alive[members] = False
        stack[order[members]] = k
        k += 1
    return Assignment(stack=stack, n_stacks=k)
