"""Normal sets, raster points and upper bounds for packing identical rectangles (integer data).

All functions work on integer dimensions: a sheet X x Y and an item a x b that may be rotated by
90 degrees. A packing can always be pushed down and left until every item corner sits on a
*normal* coordinate (a non-negative integer combination i*a + j*b), so a sheet dimension can be
replaced by the largest normal value not above it without losing any packing.
"""

from __future__ import annotations

import numpy as np


def normal_marks(m: int, a: int, b: int) -> np.ndarray:
    """Boolean array `mark[v]` (0 <= v <= m): v is a conic combination i*a + j*b."""
    mark = np.zeros(m + 1, dtype=bool)
    # i*a + j*b with i >= b equals (i - b)*a + (j + a)*b: i < b suffices
    for i in range(min(m // a, b - 1) + 1):
        mark[i * a :: b] = True
    return mark


def floor_map(mark: np.ndarray) -> np.ndarray:
    """`fl[v]` = the largest marked value <= v (0 is always marked)."""
    vals = np.where(mark, np.arange(mark.shape[0], dtype=np.int64), 0)
    return np.maximum.accumulate(vals)


def _bar_waste(p: np.ndarray, q: np.ndarray, n: int) -> np.ndarray:
    """Lower bound of the unused area when 1 x n bars (either way) are packed into p x q.

    Barnes (1979): min(r*s, (n-r)*(n-s)) with r = p mod n, s = q mod n; exact 1-D values when a
    side is shorter than n (then all bars lie along the other side).
    """
    r = p % n
    s = q % n
    waste = np.minimum(r * s, (n - r) * (n - s))
    waste = np.where(q < n, q * r, waste)
    waste = np.where(p < n, p * s, waste)
    return waste


def homogeneous(x: np.ndarray, y: np.ndarray, a: int, b: int) -> np.ndarray:
    """Best single-orientation grid count for x x y (broadcasting)."""
    return np.maximum((x // a) * (y // b), (x // b) * (y // a))


def bound_arrays(x: np.ndarray, y: np.ndarray, a: int, b: int) -> tuple[np.ndarray, np.ndarray]:
    """(area bound, Barnes bound) for normalised sub-rectangles x x y (broadcasting).

    The Barnes bound is also made exact where only one orientation fits (then the grid is
    optimal), and never exceeds the area bound.
    """
    x = np.asarray(x, dtype=np.int64)
    y = np.asarray(y, dtype=np.int64)
    ab = a * b
    area = (x * y) // ab
    d0 = np.maximum(_bar_waste(x, y, a), _bar_waste(x, y, b))
    barnes = np.minimum(area, (x * y - d0) // ab)
    fits0 = (x >= a) & (y >= b)
    fits1 = (x >= b) & (y >= a)
    single = fits0 ^ fits1
    hom = homogeneous(x, y, a, b)
    barnes = np.where(single | ~(fits0 | fits1), hom, barnes)
    return np.broadcast_to(area, barnes.shape), barnes


def upper_bound(x: int, y: int, a: int, b: int) -> tuple[int, str]:
    """Upper bound for a normalised sheet x x y, with the name of the bound that proves it."""
    area, barnes = bound_arrays(np.array(x), np.array(y), a, b)
    area_i, barnes_i = int(area), int(barnes)
    if barnes_i < area_i:
        return barnes_i, "barnes"
    return area_i, "area(raster)"


def raster_points(v: int, normals: np.ndarray, fl: np.ndarray) -> np.ndarray:
    """Reduced raster points of a dimension v: {fl(v - n) : n normal, n <= v} (sorted)."""
    n = normals[normals <= v]
    return np.unique(fl[v - n])
