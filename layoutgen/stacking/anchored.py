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


def anchored(cap: np.ndarray, z: np.ndarray, v: np.ndarray, spec: Spec,
             idx: np.ndarray | None = None) -> Assignment:
    """Stacks from the cells idx (all if None); the Assignment covers every cell of cap."""
    n_all = cap.size
    stack = np.full(n_all, -1, dtype=np.int64)
    idx = np.arange(n_all, dtype=np.int64) if idx is None else idx
    order = idx[np.lexsort((idx, v[idx], z[idx]))]
    zs, vs, cs = z[order], v[order], cap[order]
    m = order.size
    alive = np.ones(m, dtype=bool)
    k = 0
    uv = spec.v_uv
    for p in range(m):
        if not alive[p]:
            continue
        alive[p] = False
        q = int(np.searchsorted(zs, int(zs[p]) * (MICRO + spec.z_ppm) // MICRO, side="right"))
        cand = np.flatnonzero(alive[p + 1:q]) + p + 1
        if cand.size < spec.n_min - 1:
            continue
        v0 = int(vs[p])
        rest = spec.need_nah - int(cs[p])
        best: tuple[np.ndarray, int] | None = None
        for lo in (v0 - uv, v0 - uv // 2, v0):
            sel = cand[(vs[cand] >= lo) & (vs[cand] <= lo + uv)]
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
