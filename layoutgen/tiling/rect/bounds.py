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


def _knapsack_hull(width: int, p: int, q: int) -> list[tuple[int, int, int]]:
    """Facets (al, be, ga): al*i + be*j <= ga of conv{(i, j) in Z^2, >= 0 : i*p + j*q <= width}.

    The hull's upper boundary runs through the points (i, floor((width - i*p) / q)); the facets
    returned are its edges plus i <= width // p and j <= width // q (with i, j >= 0 implied).
    """
    hull: list[tuple[int, int]] = []
    for i in range(width // p + 1):
        pt = (i, (width - i * p) // q)
        while len(hull) >= 2:
            (x1, y1), (x2, y2) = hull[-2], hull[-1]
            if (x2 - x1) * (pt[1] - y1) - (y2 - y1) * (pt[0] - x1) >= 0:
                hull.pop()  # hull[-1] is on or below the chord hull[-2] -> pt
            else:
                break
        hull.append(pt)
    facets = [(width // p and 1, 0, width // p), (0, 1, width // q)]
    for (x1, y1), (x2, y2) in zip(hull, hull[1:], strict=False):
        al, be = y1 - y2, x2 - x1
        facets.append((al, be, al * x1 + be * y1))
    return facets


def knapsack_bound(x: int, y: int, a: int, b: int) -> int:
    """Line-knapsack bound: the most items n0 + n1 compatible with every straight cut line.

    n0 items lie a along x (a x b), n1 lie b along x (b x a). A horizontal line at height t
    meets i(t) items of the first kind and j(t) of the second, with i*a + j*b <= x; integrating
    over t in [0, y], sum i = n0*b and sum j = n1*a, so (n0*b, n1*a) / y lies in the integer hull
    of {i*a + j*b <= x}. Vertical lines give (n0*a, n1*b) / x in the hull of {i*b + j*a <= y}.
    Every facet al*i + be*j <= ga of a hull is a valid linear inequality in (n0, n1); the bound
    is the largest integer n0 + n1 that satisfies all of them (exact integer arithmetic). It
    takes the raster reduction of both sides into account in both orientations (the hull of the
    line patterns, not just the reduced length), and is the bound of Isermann's two-variable
    linear programme strengthened by integrality of n0 and n1.
    """
    cons = [(al * b, be * a, ga * y) for al, be, ga in _knapsack_hull(x, a, b)]
    cons += [(al * a, be * b, ga * x) for al, be, ga in _knapsack_hull(y, b, a)]
    n0max = min(ga // al for al, be, ga in cons if be == 0 and al > 0)
    n0 = np.arange(n0max + 1, dtype=np.int64)
    n1 = np.full(n0.shape, np.iinfo(np.int64).max // 4, dtype=np.int64)
    for al, be, ga in cons:
        if be > 0:
            np.minimum(n1, (ga - al * n0) // be, out=n1)
        elif al > 0:
            n1 = np.where(al * n0 > ga, -1, n1)
    ok = n1 >= 0
    return int((n0 + n1)[ok].max()) if ok.any() else 0


def upper_bound(x: int, y: int, a: int, b: int) -> tuple[int, str]:
    """Upper bound for a normalised sheet x x y, with the name of the bound that proves it.

    The least of the area bound on raster-reduced dimensions, Barnes's bound and the
    line-knapsack bound (`knapsack_bound`).
    """
    area, barnes = bound_arrays(np.array(x), np.array(y), a, b)
    area_i, barnes_i = int(area), int(barnes)
    best, method = area_i, "area(raster)"
    if barnes_i < best:
        best, method = barnes_i, "barnes"
    if x >= min(a, b) and y >= min(a, b):
        kb = knapsack_bound(x, y, a, b)
        if kb < best:
            best, method = kb, "line-knapsack hull"
    return best, method


def raster_points(v: int, normals: np.ndarray, fl: np.ndarray) -> np.ndarray:
    """Reduced raster points of a dimension v: {fl(v - n) : n normal, n <= v} (sorted)."""
    n = normals[normals <= v]
    return np.unique(fl[v - n])
