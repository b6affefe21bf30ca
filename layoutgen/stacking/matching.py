"""The stacker: matching windows over impedance-sorted cells, then capacity-balanced filling.

1. Windows: cells sorted by impedance are cut into consecutive blocks whose impedance spread
   (max/min - 1) is within the limit (greedy from one end); each block, sorted by OCV, is cut
   into blocks within the OCV limit. Any subset of one window meets both spread limits.
2. Filling a window: for k stacks the k x n_max largest cells are the best choice (a larger
   cell never hurts), dealt serpentine into k stacks (snake by capacity rank), then
   rebalanced by same-rank swaps between the poorest and the richest stacks; the most k that
   reaches the target in every stack is found by bisection, below the window's capacity and
   count bounds; then the largest cells are skipped while k stacks still come out (least
   surplus at that count). With a free N, each stack then drops its smallest cells while it still
   reaches the target (thinner, less surplus).
3. A second pass cuts the windows from the other end over the cells left over, so cells cut
   off at a window edge get a second chance.
Only numpy arrays in the hot paths; one Python iteration per window and per bisection step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MICRO = 1_000_000
REBALANCE_ROUNDS = 40
PASSES = ((False, False), (True, False), (False, True), (True, True))  # (from top, OCV first)


@dataclass(frozen=True)
class Spec:
    """What one stack must meet (integer units: nAh, ppm, microvolt)."""

    need_nah: int      # least sum of raw capacities (end-of-life target / retention, up)
    n_min: int         # fewest cells a stack may hold
    n_max: int         # most cells a stack may hold (n_min == n_max: N fixed)
    z_ppm: int         # impedance spread limit, ppm of the smallest
    v_uv: int          # OCV spread limit, microvolt

    @property
    def fixed(self) -> bool:
        return self.n_min == self.n_max


@dataclass(frozen=True)
class Assignment:
    """Which stack each cell went to (-1: left over); stacks numbered 0..n_stacks-1."""

    stack: np.ndarray   # int64 per cell
    n_stacks: int


def _edge(value: int, ratio: bool, spec: Spec, from_top: bool) -> int:
    """The far end of a window starting at `value` (the last key it may hold)."""
    if ratio:  # impedance: max <= min (1 + s)
        if from_top:
            return -((-(value * MICRO)) // (MICRO + spec.z_ppm))  # ceil(z / (1 + s))
        return value * (MICRO + spec.z_ppm) // MICRO
    return value - spec.v_uv if from_top else value + spec.v_uv


def _cut(idx: np.ndarray, key: np.ndarray, ratio: bool, spec: Spec, from_top: bool,
         multiple: int, cap: np.ndarray | None = None) -> list[np.ndarray]:
    """Consecutive runs of idx (sorted along key) each within one window. With multiple > 1
    a run takes the most whole multiples of that many cells its window holds; with `cap`
    (N free) the shortest run holding as many stacks' capacity (plus one cell's worth) as the
    window does; the rest starts the next window instead of being stranded."""
    sign = -1 if from_top else 1
    order = np.lexsort((idx, sign * key[idx]))
    run = idx[order]
    keys = sign * key[run]
    cum = None if cap is None else np.concatenate(([0], np.cumsum(cap[run], dtype=np.int64)))
    out: list[np.ndarray] = []
    start, n = 0, run.size
    while start < n:
        edge = _edge(int(key[run[start]]), ratio, spec, from_top)
        end = int(np.searchsorted(keys, sign * edge, side="right"))
        if multiple > 1:
            take = (end - start) // multiple * multiple
            end = start + max(take, 1)
        elif cum is not None and end > start:
            held = int(cum[end] - cum[start])
            k = held // spec.need_nah
            want = int(cum[start]) + k * spec.need_nah + held // (end - start)
            if k and want <= int(cum[end]):
                end = max(start + 1, int(np.searchsorted(cum, want, side="left")))
        out.append(run[start:end])
        start = end
    return out


def windows(z: np.ndarray, v: np.ndarray, spec: Spec, from_top: bool = False,
            ocv_first: bool = False, cap: np.ndarray | None = None) -> list[np.ndarray]:
    """Cell index groups (into z, v) each within both spread limits: blocks along the first
    axis (impedance, or OCV), each cut along the other (in whole multiples of N when N is
    fixed)."""
    if z.size == 0:
        return []
    first, second = ((v, False), (z, True)) if ocv_first else ((z, True), (v, False))
    multiple = spec.n_max if spec.fixed else 1
    groups: list[np.ndarray] = []
    for block in _cut(np.arange(z.size), first[0], first[1], spec, from_top, 1):
        if block.size < spec.n_min:
            groups.append(block)
            continue
        groups.extend(_cut(block, second[0], second[1], spec, from_top, multiple,
                           None if spec.fixed else cap))
    return groups


def count_cap(cs_desc: np.ndarray, spec: Spec) -> int:
    """Most stacks the capacities (sorted descending) could give: the count bound and the
    capacity bound with at most n_max cells a stack (k stacks use the k x n_max largest)."""
    m = cs_desc.size
    if m < spec.n_min or spec.need_nah <= 0:
        return m // max(1, spec.n_min) if spec.need_nah <= 0 else 0
    cum = np.concatenate(([0], np.cumsum(cs_desc, dtype=np.int64)))
    kmax = min(int(cum[-1]) // spec.need_nah, m // spec.n_min)
    lo, hi = 0, kmax
    while lo < hi:  # cum[min(m, k n_max)] / k falls with k: bisection
        mid = (lo + hi + 1) // 2
        if int(cum[min(m, mid * spec.n_max)]) >= mid * spec.need_nah:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _deal_fixed(cs: np.ndarray, k: int, need: int) -> tuple[np.ndarray, bool]:
    """Deal cs (sorted descending, k x N of them) serpentine into k stacks of N, then
    rebalance by same-rank swaps: (N x k positions into cs, every stack reaches need)."""
    rows = cs.size // k
    pos = np.arange(rows * k, dtype=np.int64).reshape(rows, k)
    pos[1::2] = pos[1::2, ::-1]
    val = cs[pos]
    sums = val.sum(axis=0)
    p = k // 2
    for _ in range(REBALANCE_ROUNDS):
        if sums.min() >= need or p == 0:
            break
        order = np.argsort(sums, kind="stable")
        poor, rich = order[:p], order[::-1][:p]
        gap = sums[rich] - sums[poor]
        delta = val[:, rich] - val[:, poor]
        # several same-rank swaps per pair: the largest that fit while they move <= gap/2
        dpos = np.where((delta > 0) & (2 * delta <= gap[None, :]), delta, 0)
        o = np.argsort(-dpos, axis=0, kind="stable")
        ds = np.take_along_axis(dpos, o, axis=0)
        pick_sorted = (ds > 0) & (2 * np.cumsum(ds, axis=0) <= gap[None, :])
        pick = np.zeros_like(pick_sorted)
        np.put_along_axis(pick, o, pick_sorted, axis=0)
        # pairs with none: the one swap that leaves the smallest gap (if it shrinks it)
        none = ~pick.any(axis=0)
        ok = (delta > 0) & (delta < gap[None, :])
        score = np.where(ok, np.abs(2 * delta - gap[None, :]), np.iinfo(np.int64).max)
        best = score.argmin(axis=0)
        single = none & ok[best, np.arange(p)]
        pick[best[single], np.flatnonzero(single)] = True
        if not pick.any():
            break
        r, j = np.nonzero(pick)
        pr, rc = poor[j], rich[j]
        val[r, pr], val[r, rc] = val[r, rc], val[r, pr]
        pos[r, pr], pos[r, rc] = pos[r, rc], pos[r, pr]
        moved = np.where(pick, delta, 0).sum(axis=0)
        sums[poor] += moved
        sums[rich] -= moved
    return pos, bool(sums.min() >= need)


def _deal(cs: np.ndarray, k: int, spec: Spec) -> tuple[np.ndarray, bool]:
    """k stacks from the largest cells: (rows x k positions into cs, -1 empty), success.

    N fixed: the k x N largest, dealt serpentine. N free: the k x n_max largest (or all),
    as x stacks of s cells and y of s + 1; the s + 1 stacks take one band of consecutive ranks
    placed so both groups hold the same surplus per stack, each group dealt as a fixed N."""
    need = spec.need_nah
    if spec.fixed:
        return _deal_fixed(cs[:k * spec.n_max].copy(), k, need)
    take = min(cs.size, k * spec.n_max)
    s, y = divmod(take, k)
    x = k - y
    if s < spec.n_min:
        return np.full((1, k), -1, dtype=np.int64), False
    if y == 0:
        return _deal_fixed(cs[:take].copy(), k, need)
    band = y * (s + 1)
    cum = np.concatenate(([0], np.cumsum(cs[:take], dtype=np.int64)))
    total = int(cum[-1])

    def leans_big(a: int) -> bool:  # the band at a leaves the s + 1 stacks richer per stack
        b_sum = int(cum[a + band] - cum[a])
        return (b_sum - y * need) * x >= (total - b_sum - x * need) * y

    lo, hi = 0, take - band
    while lo < hi:  # the last start at which the band still leans big
        mid = (lo + hi + 1) // 2
        if leans_big(mid):
            lo = mid
        else:
            hi = mid - 1
    band_idx = np.arange(lo, lo + band, dtype=np.int64)
    rest_idx = np.concatenate((np.arange(0, lo, dtype=np.int64),
                               np.arange(lo + band, take, dtype=np.int64)))
    pos_y, ok_y = _deal_fixed(cs[band_idx], y, need)
    pos_x, ok_x = _deal_fixed(cs[rest_idx], x, need)
    pos = np.full((s + 1, k), -1, dtype=np.int64)
    pos[:, :y] = band_idx[pos_y]
    pos[:s, y:] = rest_idx[pos_x]
    return pos, ok_x and ok_y


def _trim(cs: np.ndarray, pos: np.ndarray, spec: Spec) -> np.ndarray:
    """Free N: each stack drops its smallest cells while it still reaches the target."""
    val = np.where(pos >= 0, cs[np.maximum(pos, 0)], 0)
    order = np.argsort(val, axis=0, kind="stable")
    pos = np.take_along_axis(pos, order, axis=0)
    val = np.take_along_axis(val, order, axis=0)
    slack = val.sum(axis=0) - spec.need_nah
    drop = np.cumsum(val, axis=0) <= slack[None, :]
    # empties sort first (value 0): dropping rows below rows - n_min keeps n_min real cells
    drop &= np.arange(pos.shape[0])[:, None] < pos.shape[0] - spec.n_min
    pos = pos.copy()
    pos[drop] = -1
    return pos


def fill(cap: np.ndarray, spec: Spec) -> tuple[np.ndarray, int]:
    """Stacks from one window: (local stack number per cell or -1, stacks)."""
    m = cap.size
    out = np.full(m, -1, dtype=np.int64)
    if m < spec.n_min:
        return out, 0
    order = np.argsort(-cap, kind="stable")
    cs = cap[order]
    kmax = count_cap(cs, spec)
    best: np.ndarray | None = None
    lo, hi = 0, kmax
    if kmax > 0:
        pos, ok = _deal(cs, kmax, spec)
        if ok:
            lo, best = kmax, pos
        else:
            hi = kmax - 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        pos, ok = _deal(cs, mid, spec)
        if ok:
            lo, best = mid, pos
        else:
            hi = mid - 1
    if best is None or lo == 0:
        return out, 0
    k = lo
    # least surplus at this count: skip the largest cells while k stacks still come out
    room = m - (k * spec.n_max if spec.fixed else min(m, k * spec.n_max))
    off_lo, off_hi = 0, room
    while off_lo < off_hi:
        mid = (off_lo + off_hi + 1) // 2
        pos, ok = _deal(cs[mid:], k, spec)
        if ok:
            off_lo, best = mid, np.where(pos >= 0, pos + mid, -1)
        else:
            off_hi = mid - 1
    if not spec.fixed:
        best = _trim(cs, best, spec)
    stack_of = np.broadcast_to(np.arange(lo, dtype=np.int64), best.shape)
    used = best >= 0
    out[order[best[used]]] = stack_of[used]
    return out, lo


def windowed(cap: np.ndarray, z: np.ndarray, v: np.ndarray, spec: Spec) -> Assignment:
    """Window passes (see the module docstring) over all cells."""
    n = cap.size
    stack = np.full(n, -1, dtype=np.int64)
    n_stacks = 0
    free = np.arange(n, dtype=np.int64)
    for from_top, ocv_first in PASSES:
        if free.size < spec.n_min:
            break
        for g in windows(z[free], v[free], spec, from_top, ocv_first, cap[free]):
            if g.size < spec.n_min:
                continue
            idx = free[g]
            local, k = fill(cap[idx], spec)
            if k:
                hit = local >= 0
                stack[idx[hit]] = local[hit] + n_stacks
                n_stacks += k
        free = np.flatnonzero(stack < 0)
    return Assignment(stack=stack, n_stacks=n_stacks)
