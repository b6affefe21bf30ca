"""Upper bounds on the number of products a set of cells can give (none uses the stacker).

- capacity bound: floor(sum of capacities / the raw capacity one stack needs);
- count bound: floor(cells / the fewest cells any stack can hold (the largest cells first));
- window bound: no stack spans a gap wider than a spread limit (sorted by impedance or by
  OCV); a cell with fewer than n_min - 1 cells within a limit of it is in no stack, nor (on
  lots small enough to look) one whose neighbourhood within both limits cannot reach the
  target with n_max cells;
  the cells split into such components (repeated until nothing changes) and each component
  gives at most its own capacity-and-count bound, where k stacks hold at most k x n_max cells,
  so the k x n_max largest must carry k stacks' need.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

MICRO = 1_000_000
MAX_ROUNDS = 20
LOCAL_WORK = 20_000_000  # neighbour cells the exact local test may visit


@dataclass(frozen=True)
class Bounds:
    """Upper bounds on products; `upper` is the least of them."""

    capacity: int
    count: int
    window: int
    components: int       # matching components the window bound split the cells into
    unusable_cells: int   # cells no stack within the limits can hold
    usable: np.ndarray = field(repr=False)  # bool per cell: not ruled out by the window test

    @property
    def upper(self) -> int:
        return min(self.capacity, self.count, self.window)


def fewest_cells(cap: np.ndarray, need: int) -> int:
    """The fewest cells whose capacities can reach `need` (len(cap) + 1 if none can)."""
    cs = np.sort(cap)[::-1]
    cum = np.cumsum(cs, dtype=np.int64)
    i = int(np.searchsorted(cum, need, side="left"))
    return i + 1 if i < cs.size else cs.size + 1


def _cap_count(cap: np.ndarray, need: int, n_min: int, n_max: int) -> int:
    """Most k with k x n_min <= cells and (the k x n_max largest) >= k x need."""
    m = cap.size
    if m < n_min:
        return 0
    cs = np.sort(cap)[::-1]
    cum = np.concatenate(([0], np.cumsum(cs, dtype=np.int64)))
    k_hi = min(int(cum[-1]) // need, m // n_min)
    ks = np.arange(k_hi + 1, dtype=np.int64)
    ok = cum[np.minimum(m, ks * n_max)] >= ks * need
    return int(np.flatnonzero(ok)[-1])


def _order(label: np.ndarray, key: np.ndarray) -> np.ndarray:
    """Cells sorted by (label, key): one int64 sort key when it fits, else lexsort."""
    base = int(key.min())
    span = int(key.max()) - base + 1
    if (int(label.max()) + 1) * span < 2**62:
        return np.argsort(label.astype(np.int64) * span + (key - base), kind="stable")
    return np.lexsort((key, label))


def _split(label: np.ndarray, key: np.ndarray,
           gap_ok: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> np.ndarray:
    """Relabel: components of `label` cut where consecutive `key`s (sorted) are not linked."""
    order = _order(label, key)
    ks, ls = key[order], label[order]
    cut = np.ones(order.size, dtype=bool)
    if order.size > 1:
        cut[1:] = (ls[1:] != ls[:-1]) | ~gap_ok(ks[:-1], ks[1:])
    new = np.empty(order.size, dtype=np.int64)
    new[order] = np.cumsum(cut) - 1
    return new


def _neighbours(label: np.ndarray, key: np.ndarray, lo: np.ndarray, hi: np.ndarray
                ) -> np.ndarray:
    """Cells of the same label with lo <= key <= hi (the cell itself included)."""
    base = int(min(key.min(), lo.min()))
    span = int(max(key.max(), hi.max())) - base + 1
    if (int(label.max()) + 1) * span >= 2**62:  # combined keys would overflow: rank first
        uniq = np.unique(np.concatenate((key, lo, hi)))
        key, lo, hi = (np.searchsorted(uniq, a) for a in (key, lo, hi))
        base, span = 0, uniq.size
    lab = label.astype(np.int64) * span - base
    comb = lab + key
    order = np.argsort(comb, kind="stable")
    cs = comb[order]
    # lo and hi rise with the key and stay inside their label's span: in this order the
    # queries are sorted too, which keeps the searches fast
    cnt = np.empty(key.size, dtype=np.int64)
    cnt[order] = (np.searchsorted(cs, (lab + hi)[order], side="right")
                  - np.searchsorted(cs, (lab + lo)[order], side="left"))
    return cnt


def _components(alive: np.ndarray, label: np.ndarray, z: np.ndarray, v: np.ndarray,
                least: int, z_ppm: int, v_uv: int) -> None:
    """Split into components at gaps wider than a limit and drop cells with fewer than
    `least` cells within one limit of them, until nothing changes (in place)."""
    comps = -1
    for _ in range(MAX_ROUNDS):
        idx = np.flatnonzero(alive)
        if not idx.size:
            return
        lab = label[idx]
        zi, vi = z[idx], v[idx]
        lab = _split(lab, zi, lambda a, b: b * MICRO <= a * (MICRO + z_ppm))
        lab = _split(lab, vi, lambda a, b: b - a <= v_uv)
        z_lo = -((-zi * MICRO) // (MICRO + z_ppm))
        z_hi = zi * (MICRO + z_ppm) // MICRO
        few = ((_neighbours(lab, zi, z_lo, z_hi) < least)
               | (_neighbours(lab, vi, vi - v_uv, vi + v_uv) < least))
        label[idx] = lab
        n_comp = int(lab.max()) + 1
        if not few.any() and n_comp == comps:
            return
        alive[idx[few]] = False
        comps = n_comp


def _local(alive: np.ndarray, cap: np.ndarray, z: np.ndarray, v: np.ndarray, need: int,
           least: int, n_max: int, z_ppm: int, v_uv: int) -> bool:
    """Drop cells whose neighbourhood within both limits (a superset of any stack holding
    them) has fewer than `least` cells or whose n_max largest there miss `need`; only when
    the neighbourhoods hold at most LOCAL_WORK cells in all. True if any cell was dropped."""
    idx = np.flatnonzero(alive)
    o = idx[np.argsort(z[idx], kind="stable")]
    zs, vs, cs = z[o], v[o], cap[o]
    a = np.searchsorted(zs, -((-zs * MICRO) // (MICRO + z_ppm)), side="left")
    b = np.searchsorted(zs, zs * (MICRO + z_ppm) // MICRO, side="right")
    if int((b - a).sum()) > LOCAL_WORK:
        return False
    dead = np.zeros(o.size, dtype=bool)
    for p in range(o.size):
        lo, hi = int(a[p]), int(b[p])
        near = np.abs(vs[lo:hi] - vs[p]) <= v_uv
        if int(near.sum()) < least:
            dead[p] = True
            continue
        c = cs[lo:hi][near]
        top = np.partition(c, c.size - min(n_max, c.size))[c.size - min(n_max, c.size):]
        # the cell itself is among c: its n_max largest bound any stack holding it
        if int(top.sum()) < need:
            dead[p] = True
    alive[o[dead]] = False
    return bool(dead.any())


def upper_bounds(cap: np.ndarray, z: np.ndarray, v: np.ndarray, need: int, n_min: int,
                 n_max: int, z_ppm: int, v_uv: int) -> Bounds:
    """The capacity, count and window bounds of the cells (integer units, see matching)."""
    n = cap.size
    if n == 0 or need <= 0:
        return Bounds(0, 0, 0, 0, 0, np.zeros(n, dtype=bool))
    least = max(n_min, fewest_cells(cap, need))
    capacity = int(cap.sum()) // need
    count = n // least if least <= n_max else 0
    if count == 0:
        return Bounds(capacity, 0, 0, 0, n, np.zeros(n, dtype=bool))
    alive = np.ones(n, dtype=bool)
    label = np.zeros(n, dtype=np.int64)
    for _ in range(MAX_ROUNDS):
        _components(alive, label, z, v, least, z_ppm, v_uv)
        if not alive.any() or not _local(alive, cap, z, v, need, least, n_max, z_ppm, v_uv):
            break
    idx = np.flatnonzero(alive)
    window = 0
    n_comp = 0
    if idx.size:
        lab = label[idx]
        order = np.argsort(lab, kind="stable")
        lab_s = lab[order]
        starts = np.flatnonzero(np.r_[True, lab_s[1:] != lab_s[:-1]])
        ends = np.r_[starts[1:], lab_s.size]
        n_comp = starts.size
        caps = cap[idx][order]
        for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
            window += _cap_count(caps[a:b], need, least, n_max)
    return Bounds(capacity=capacity, count=count, window=window, components=n_comp,
                  unusable_cells=int(n - idx.size), usable=alive)
