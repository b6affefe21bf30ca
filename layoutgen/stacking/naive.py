"""The naive reference: cells in sheet order (as the maps list them), N at a time."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MICRO = 1_000_000


@dataclass(frozen=True)
class Naive:
    """How the naive order fares: groups formed, and why the others are not products."""

    products: int          # groups meeting every limit
    groups: int            # groups formed
    short_capacity: int    # groups below the capacity target
    over_spread: int       # groups reaching it but breaking a spread limit


def naive_stacks(cap: np.ndarray, z: np.ndarray, v: np.ndarray, need: int, n_min: int,
                 n_max: int, z_ppm: int, v_uv: int) -> tuple[Naive, np.ndarray]:
    """N fixed: consecutive groups of N. N free: consecutive cells until the target is reached
    (at most n_max; a group that gets there with fewer than n_min takes n_min). Returns the
    figures and the stack number of each cell in a valid group (-1 otherwise)."""
    n = cap.size
    label = np.full(n, -1, dtype=np.int64)
    if n_min == n_max:
        g = n // n_min
        if g == 0:
            return Naive(0, 0, 0, 0), label
        shape = (g, n_min)
        c = cap[:g * n_min].reshape(shape).sum(axis=1)
        zz, vv = z[:g * n_min].reshape(shape), v[:g * n_min].reshape(shape)
        reach = c >= need
        spread_ok = ((zz.max(axis=1) * MICRO <= zz.min(axis=1) * (MICRO + z_ppm))
                     & (vv.max(axis=1) - vv.min(axis=1) <= v_uv))
        good = reach & spread_ok
        num = np.cumsum(good) - 1
        label[:g * n_min] = np.repeat(np.where(good, num, -1), n_min)
        return Naive(int(good.sum()), g, int((~reach).sum()),
                     int((reach & ~spread_ok).sum())), label
    cum = np.concatenate(([0], np.cumsum(cap, dtype=np.int64)))
    start, products, groups, short, over = 0, 0, 0, 0, 0
    while start + n_min <= n:
        end = int(np.searchsorted(cum, int(cum[start]) + need, side="left"))
        end = max(end, start + n_min)
        if end > n:
            break
        end = min(end, start + n_max)
        groups += 1
        zz, vv = z[start:end], v[start:end]
        if int(cum[end] - cum[start]) < need:
            short += 1
        elif (int(zz.max()) * MICRO <= int(zz.min()) * (MICRO + z_ppm)
              and int(vv.max()) - int(vv.min()) <= v_uv):
            label[start:end] = products
            products += 1
        else:
            over += 1
        start = end
    return Naive(products, groups, short, over), label
