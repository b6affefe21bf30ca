"""Compiled core of the L-approach (numba): the memoised, depth-limited search over L-pieces.

An L-piece is kept as four axis indices (I, J, i, j): the region [0, X] x [0, y] U [0, x] x [0, Y]
with X = xv[I], Y = yv[J], x = xv[i], y = yv[j]; a rectangle has i == I and j == J. Axis values
are the candidate sizes of the five-block search (normal values), so floor-normalising a raw
size is one table look-up (`px`, `py`). The memo is dense over the four indices (i <= I and
j <= J only): `val` is the best packing found, `depth` how deep the piece was explored
(`COMPLETE` once its value is proven best for the L-approach, -1 never). The memo arrays hold
the bitwise complement of each entry (~0 == -1, unknown), so they start as zeroed memory and a
large memo costs nothing until its pages are touched. Children are listed by the nine
subdivisions of Lins, Lins & Morabito (2003) and Birgin, Lobato & Morabito (2010) through raster
points (kinds 1-5, 8, 9 for a proper L, 6 and 7 for a rectangle), scored by their bounds and
searched best first.

The search charges `budget[0]` (units: one per piece visited plus one per 256 subdivisions
generated) and unwinds with the best values found once it runs out, so the result depends on the
budget, never on the clock.
"""

from __future__ import annotations

import numpy as np
from numba import njit

COMPLETE = 1 << 14


@njit(cache=True, inline="always")
def _kids(kind, bx, by, x, y, u, v, t):
    """Raw children (X1, Y1, x1, y1, X2, Y2, x2, y2) of subdivision `kind` at (u, v, t)."""
    if kind == 1:
        c = (0, v, x, by, x - u, y - v, 0, 0, bx, y, u, y - v)
    elif kind == 2:
        c = (0, y, x, by, u, v - y, 0, 0, bx, v, bx - u, v - y)
    elif kind == 3:
        c = (0, 0, bx, by, bx - u, by - v, u, v, bx, by, bx - x, by - y)
    elif kind == 4:
        c = (0, 0, u, by, u - x, by - v, x, 0, bx, y, u - x, v)
    elif kind == 5:
        c = (0, 0, x, by, x - u, v, u, 0, bx, y, x - u, y - v)
    elif kind == 8:
        c = (0, 0, x, by, x - u, v, u, 0, bx, v, bx - x, v - y)
    elif kind == 9:
        c = (0, v, u, by, u - x, by - y, 0, 0, bx, y, u, y - v)
    elif kind == 6:
        c = (0, 0, t, by, t - u, v, u, 0, bx, by, t - u, by - v)
    else:
        c = (0, v, bx, by, bx - u, t - v, 0, 0, bx, t, u, t - v)
    w1 = c[2] - c[0]
    h1 = c[3] - c[1]
    w2 = c[8] - c[6]
    h2 = c[9] - c[7]
    return (w1, h1, w1 - c[4], h1 - c[5], w2, h2, w2 - c[10], h2 - c[11])


@njit(cache=True)
def _upper_hull(w, p, q, out, off):
    """Write to out[off:] the upper-hull vertices (i, j) of {(i, j) >= 0 : i*p + j*q <= w}
    (i ascending, each j the most that fits); returns how many."""
    m = 0
    for i in range(w // p + 1):
        j = (w - i * p) // q
        while m >= 2 and (out[off + m - 1, 0] - out[off + m - 2, 0]) * (j - out[off + m - 2, 1]) \
                - (out[off + m - 1, 1] - out[off + m - 2, 1]) * (i - out[off + m - 2, 0]) >= 0:
            m -= 1
        out[off + m, 0] = i
        out[off + m, 1] = j
        m += 1
    return m


@njit(cache=True, inline="always")
def _support(hull, s, m, al, be):
    """max al*i + be*j over the lattice points of one line: attained at an upper-hull vertex."""
    best = 0
    for k in range(s, s + m):
        v = al * hull[k, 0] + be * hull[k, 1]
        if v > best:
            best = v
    return best


@njit(cache=True)
def line_bound(bx, by, x, y, a, b):
    """Upper bound for the L-piece (bx, by, x, y) from straight lines across it.

    n0 items lie a along x, n1 lie b along x. A horizontal line at height t meets i items of
    the first kind and j of the second with i*a + j*b <= its length (bx below y, x above), and
    integrating over t gives sum i = n0*b, sum j = n1*a; so for any direction (al, be) >= 0,
    al*b*n0 + be*a*n1 <= y*h(bx) + (by - y)*h(x) with h(w) = max al*i + be*j on the line.
    Vertical lines likewise. The bound is the largest n0 + n1 meeting all these inequalities.
    """
    hull = np.empty((bx // a + x // a + by // b + y // b + 4, 2), dtype=np.int64)
    m0 = _upper_hull(bx, a, b, hull, 0)
    m1 = _upper_hull(x, a, b, hull, m0)
    m2 = _upper_hull(by, b, a, hull, m0 + m1)
    m3 = _upper_hull(y, b, a, hull, m0 + m1 + m2)
    return _line_core(hull, 0, m0, m0, m1, m0 + m1, m2, m0 + m1 + m2, m3, bx, by, x, y, a, b)


@njit(cache=True)
def _line_core(hull, s0, m0, s1, m1, s2, m2, s3, m3, bx, by, x, y, a, b):
    """`line_bound` from the upper hulls (start, count in `hull`) of the lines across the
    piece: horizontal of length bx and x, vertical of length by and y."""
    nd = 2 + (m0 - 1) + (m2 - 1) + (m1 - 1 if x < bx else 0) + (m3 - 1 if y < by else 0)
    # rows 0-2: the inequalities ca*n0 + cb*n1 <= cc; rows 3-4: the directions (al, be)
    work = np.empty((5, 2 * nd), dtype=np.int64)
    work[3, 0], work[4, 0], work[3, 1], work[4, 1] = 1, 0, 0, 1
    d = 2
    for row in range(4):
        if row == 0:
            s, m = s0, m0
        elif row == 1:
            if x >= bx:
                continue
            s, m = s1, m1
        elif row == 2:
            s, m = s2, m2
        else:
            if y >= by:
                continue
            s, m = s3, m3
        for k in range(s, s + m - 1):
            # facet normal of the hull edge k -> k+1 (as an (al, be) weight on (i, j))
            work[3, d] = hull[k, 1] - hull[k + 1, 1]
            work[4, d] = hull[k + 1, 0] - hull[k, 0]
            d += 1
    for d in range(nd):
        al, be = work[3, d], work[4, d]
        work[0, d] = al * b
        work[1, d] = be * a
        work[2, d] = y * _support(hull, s0, m0, al, be) + (by - y) * _support(hull, s1, m1, al, be)
        work[0, nd + d] = al * a
        work[1, nd + d] = be * b
        work[2, nd + d] = x * _support(hull, s2, m2, al, be) \
            + (bx - x) * _support(hull, s3, m3, al, be)
    m = 2 * nd
    n0max = work[2, 0] // work[0, 0]
    # g(n0) = n0 + min (cc - ca*n0) / cb over the rows with cb > 0 (kept in `lp` as floats,
    # with 1 / cb) is concave; the rows with cb == 0 bound n0
    lp = np.empty((3, m), dtype=np.float64)
    mp = 0
    for c in range(m):
        if work[1, c] > 0:
            lp[0, mp] = work[0, c]
            lp[1, mp] = work[2, c]
            lp[2, mp] = 1.0 / work[1, c]
            mp += 1
        elif work[0, c] > 0:
            n0max = min(n0max, work[2, c] // work[0, c])
    if n0max < 0:
        return 0
    # the top of g by bisection on its slope, then walk out from it while g (an upper bound
    # of the integer objective) can still beat the best integer point found
    lo, hi = 0, n0max
    while lo < hi:
        mid = (lo + hi) // 2
        if _relaxed(lp, mp, mid + 1) > _relaxed(lp, mp, mid):
            lo = mid + 1
        else:
            hi = mid
    top = lo
    best = -1
    for step in (-1, 1):
        n0 = top if step == 1 else top - 1
        while 0 <= n0 <= n0max:
            if _relaxed(lp, mp, n0) < best + 1 - 1e-9:
                break
            n1 = 1 << 40
            for c in range(m):
                if work[1, c] > 0:
                    n1 = min(n1, (work[2, c] - work[0, c] * n0) // work[1, c])
            if n1 >= 0 and n0 + n1 > best:
                best = n0 + n1
            n0 += step
    return max(best, 0)


@njit(cache=True)
def _relaxed(lp, mp, n0):
    """n0 + the largest real n1 allowed by the inequalities (the LP objective at n0)."""
    n1 = 1e300
    for c in range(mp):
        n1 = min(n1, (lp[1, c] - lp[0, c] * n0) * lp[2, c])
    return n0 + n1


@njit(cache=True, inline="always")
def _key(nx, ny, big_i, big_j, i, j):
    """Memo index of a normalised piece (i <= I, j <= J): triangular in each axis."""
    return (((big_i * (big_i + 1)) >> 1) + i) * ((ny * (ny + 1)) >> 1) \
        + ((big_j * (big_j + 1)) >> 1) + j


@njit(cache=True, inline="always")
def _window_upper(wts, nx, big_i, big_j, i, j):
    """Window-product bound of an L-piece (see `window_bound`): the product weights of the
    bottom arm [0, X) x [0, y) and of the upper arm [0, x) x [y, Y), over p * q."""
    best = np.iinfo(np.int64).max
    hy = 1 + nx
    for t in range(wts.shape[0]):
        v = (wts[t, 1 + big_i] * wts[t, hy + j]
             + wts[t, 1 + i] * (wts[t, hy + big_j] - wts[t, hy + j])) // wts[t, 0]
        if v < best:
            best = v
    return best


@njit(cache=True)
def _rect_upper(xv, yv, ny, rect_ub, a, b, big_i, big_j):
    """Fill in and return a rectangle's full bound (table and line bound)."""
    rid = big_i * ny + big_j
    got = rect_ub[rid, 0]
    if got > 0:
        got = min(got, line_bound(xv[big_i], yv[big_j], xv[big_i], yv[big_j], a, b))
    rect_ub[rid, 1] = got
    return got


@njit(cache=True)
def _l_upper(xv, yv, nx, wts, a, b, lub, key, big_i, big_j, i, j):
    """Fill in and return an L-piece's full bound (area, window product, line bound)."""
    bx, by, x, y = xv[big_i], yv[big_j], xv[i], yv[j]
    got = (bx * y + x * (by - y)) // (a * b)
    if got > 0:
        got = min(got, _window_upper(wts, nx, big_i, big_j, i, j),
                  line_bound(bx, by, x, y, a, b))
    lub[key] = ~got
    return got


@njit(cache=True, inline="always")
def _upper(xv, yv, nx, ny, rect_ub, wts, a, b, lub, big_i, big_j, i, j):
    """Upper bound of a piece: the rectangle table's and line bound, or for an L the least of its
    area, window-product and line bounds.

    Bounds are cached: a rectangle's in `rect_ub[:, 1]` (small, stays in cache), an L's in `lub`
    (dense over all pieces).
    """
    if i == big_i:
        got = rect_ub[big_i * ny + big_j, 1]
        return got if got >= 0 else _rect_upper(xv, yv, ny, rect_ub, a, b, big_i, big_j)
    key = _key(nx, ny, big_i, big_j, i, j)
    got = ~lub[key]
    return got if got >= 0 else _l_upper(xv, yv, nx, wts, a, b, lub, key, big_i, big_j, i, j)


@njit(cache=True, inline="always")
def _lower(xv, yv, px, py, ny, rect_val, big_i, big_j, i, j):
    """Best value known without searching: the rectangle's value, or two rectangles of the L."""
    if i == big_i:
        return rect_val[big_i * ny + big_j]
    bx, by, x, y = xv[big_i], yv[big_j], xv[i], yv[j]
    h = rect_val[big_i * ny + j] + rect_val[i * ny + py[by - y]]
    v = rect_val[i * ny + big_j] + rect_val[px[bx - x] * ny + j]
    return max(h, v)


@njit(cache=True, inline="always")
def _std(big_i, big_j, i, j):
    """Normalised indices of a piece from the floor indices of its sizes (index 0: size 0)."""
    if i == 0:
        return big_i, j, big_i, j
    if j == 0:
        return i, big_j, i, big_j
    if i >= big_i or j >= big_j:
        return big_i, big_j, big_i, big_j
    return big_i, big_j, i, j


@njit(cache=True)
def _candidates(xv, yv, px, py, rxs, rxd, rys, ryd, rect_ub, wts, a, b, nx, ny, rect_val, lub,
                memo_val, big_i, big_j, i, j, bar, only_best):
    """Subdivisions of a piece whose children's bounds sum above `bar`.

    Returns (rows, n, work, best). rows[k] = (ub sum, lb sum, I1, J1, i1, j1, I2, J2, i2, j2,
    ub2, kind, u, v, t) for the first n rows, best bound first, then best known value. With
    `only_best` nothing is listed and `best` is the most the children's known values (memo or
    `_lower`) add up to. `work` counts subdivisions generated plus 8 per bound looked up (the
    memory-bound part), which tracks the time taken.

    The loop body reads the tables directly: an array handed to a helper costs two atomic
    reference-count updates per call, which dominated the time.
    """
    bx, by, x, y = xv[big_i], yv[big_j], xv[i], yv[j]
    ra, rb = rxs[big_i], rxs[big_i + 1]
    sa, sb = rys[big_j], rys[big_j + 1]
    ab = a * b
    rect = i == big_i
    rows = np.empty((64, 15), dtype=np.int64)
    n = 0
    gen = 0
    passed = 0
    top = 0
    for kind in (1, 2, 3, 4, 5, 6, 7, 8, 9):
        if rect != (kind == 6 or kind == 7):
            continue
        # iterate (p, q, r): p over x rasters, q over y rasters, r over the third parameter;
        # rasters ascend, so a bound on u or v ends its loop
        for p in range(ra, rb + 1):
            u = rxd[p] if p < rb else bx
            if kind in (1, 2, 3, 5, 8) and u > x:
                break
            if kind in (4, 9) and u < x:
                continue
            if (kind == 6 or kind == 7) and p == rb:
                break
            for q in range(sa, sb + 1):
                v = ryd[q] if q < sb else by
                if kind in (1, 3, 5, 4, 9) and v > y:
                    break
                if kind in (2, 8) and v < y:
                    continue
                if (kind == 6 or kind == 7) and q == sb:
                    break
                if kind == 6:
                    t_lo, t_hi = max(p, ra + 1), rb  # t >= u, t > 0
                elif kind == 7:
                    t_lo, t_hi = max(q, sa + 1), sb
                else:
                    t_lo, t_hi = 0, 1
                for r in range(t_lo, t_hi):
                    if kind == 6:
                        t = rxd[r]
                    elif kind == 7:
                        t = ryd[r]
                    else:
                        t = 0
                    k = _kids(kind, bx, by, x, y, u, v, t)
                    if k[0] * k[3] + k[2] * (k[1] - k[3]) <= 0 \
                            or k[4] * k[7] + k[6] * (k[5] - k[7]) <= 0:
                        continue
                    bi1, bj1, i1, j1 = _std(px[k[0]], py[k[1]], px[k[2]], py[k[3]])
                    bi2, bj2, i2, j2 = _std(px[k[4]], py[k[5]], px[k[6]], py[k[7]])
                    gen += 1
                    # cheap bounds first (rectangle table or area), the cached full bounds after
                    rid1 = bi1 * ny + bj1
                    rid2 = bi2 * ny + bj2
                    if i1 == bi1:
                        u1 = rect_ub[rid1, 1]
                        if u1 < 0:
                            u1 = rect_ub[rid1, 0]
                    else:
                        u1 = (xv[bi1] * yv[j1] + xv[i1] * (yv[bj1] - yv[j1])) // ab
                    if i2 == bi2:
                        u2 = rect_ub[rid2, 1]
                        if u2 < 0:
                            u2 = rect_ub[rid2, 0]
                    else:
                        u2 = (xv[bi2] * yv[j2] + xv[i2] * (yv[bj2] - yv[j2])) // ab
                    if u1 + u2 <= bar:
                        continue
                    passed += 1
                    # `_upper` and `_lower` written out for each child: calling them would cost
                    # the reference-count updates this loop avoids (see the docstring)
                    key1 = _key(nx, ny, bi1, bj1, i1, j1)
                    key2 = _key(nx, ny, bi2, bj2, i2, j2)
                    if i1 == bi1:
                        if rect_ub[rid1, 1] < 0:
                            u1 = _rect_upper(xv, yv, ny, rect_ub, a, b, bi1, bj1)
                        l1 = rect_val[rid1]
                    else:
                        u1 = ~lub[key1]
                        if u1 < 0:
                            u1 = _l_upper(xv, yv, nx, wts, a, b, lub, key1, bi1, bj1, i1, j1)
                        l1 = max(rect_val[rid1 - bj1 + j1]
                                 + rect_val[i1 * ny + py[yv[bj1] - yv[j1]]],
                                 rect_val[i1 * ny + bj1]
                                 + rect_val[px[xv[bi1] - xv[i1]] * ny + j1])
                    if i2 == bi2:
                        if rect_ub[rid2, 1] < 0:
                            u2 = _rect_upper(xv, yv, ny, rect_ub, a, b, bi2, bj2)
                        l2 = rect_val[rid2]
                    else:
                        u2 = ~lub[key2]
                        if u2 < 0:
                            u2 = _l_upper(xv, yv, nx, wts, a, b, lub, key2, bi2, bj2, i2, j2)
                        l2 = max(rect_val[rid2 - bj2 + j2]
                                 + rect_val[i2 * ny + py[yv[bj2] - yv[j2]]],
                                 rect_val[i2 * ny + bj2]
                                 + rect_val[px[xv[bi2] - xv[i2]] * ny + j2])
                    if u1 + u2 <= bar:
                        continue
                    if only_best:
                        l1 = max(l1, ~memo_val[key1])
                        l2 = max(l2, ~memo_val[key2])
                        n += 1
                        if l1 + l2 > top:
                            top = l1 + l2
                            if top > bar:  # enough for the caller
                                return rows, n, gen + 8 * passed, top
                        continue
                    if n == rows.shape[0]:
                        grown = np.empty((2 * n, 15), dtype=np.int64)
                        grown[:n] = rows
                        rows = grown
                    rows[n, 0] = u1 + u2
                    rows[n, 1] = l1 + l2
                    rows[n, 2], rows[n, 3], rows[n, 4], rows[n, 5] = bi1, bj1, i1, j1
                    rows[n, 6], rows[n, 7], rows[n, 8], rows[n, 9] = bi2, bj2, i2, j2
                    rows[n, 10] = u2
                    rows[n, 11], rows[n, 12], rows[n, 13], rows[n, 14] = kind, u, v, t
                    n += 1
    if n > 1 and not only_best:  # with only_best, n counts candidates but no row was written
        score = np.empty(n, dtype=np.int64)
        for m in range(n):
            score[m] = -((rows[m, 0] << 32) + rows[m, 1])
        order = np.argsort(score, kind="mergesort")
        rows = rows[order]
    return rows, n, gen + 8 * passed, top


@njit(cache=True, inline="always")
def _known(memo_val, memo_depth, fail_depth, fail_need, key, depth, need):
    """The memoised answer of `solve` for this piece, depth and need, or -1 if it must search."""
    got = ~memo_val[key]
    if got >= 0 and (~memo_depth[key] >= depth or got >= need):
        return got
    if got >= 0 and ~fail_depth[key] >= depth and fail_need[key] <= need:
        return got
    return -1


@njit(cache=True)
def solve(xv, yv, px, py, rxs, rxd, rys, ryd, rect_ub, wts, a, b, rect_val, lub, memo_val,
          memo_depth, fail_depth, fail_need, budget, big_i, big_j, i, j, depth, need):
    """Value of the normalised piece within `depth` division levels, searched for `need`.

    Returns as soon as a packing of `need` items is found (the caller needs no more); a
    subdivision whose children's bounds cannot reach `need` is never looked at (a null-window
    search). The memo keeps the best value found (always rebuildable by `find_division`), the
    depth up to which that value is exact (`memo_depth`, `COMPLETE` once no depth improves it)
    and the deepest failure to reach a need (`fail_depth`, `fail_need`).
    """
    nx, ny = xv.shape[0], yv.shape[0]
    key = _key(nx, ny, big_i, big_j, i, j)
    got = _known(memo_val, memo_depth, fail_depth, fail_need, key, depth, need)
    if got >= 0:
        return got
    got = ~memo_val[key]
    budget[0] -= 1
    ub = _upper(xv, yv, nx, ny, rect_ub, wts, a, b, lub, big_i, big_j, i, j)
    best = _lower(xv, yv, px, py, ny, rect_val, big_i, big_j, i, j)
    if got > best:
        best = got
    if best >= ub:
        memo_val[key] = ~best
        memo_depth[key] = ~COMPLETE
        return best
    memo_val[key] = ~best
    if depth <= 0 or budget[0] < 0 or need > ub:
        if ~memo_depth[key] < 0:
            memo_depth[key] = ~0
        return best
    full = need <= best + 1  # any improvement is wanted: an exhausted search is exact
    bar = max(best, need - 1)
    complete = True
    if depth == 1:
        # children at depth 0 are worth their known values: no need to list or visit them
        _, n, gen, top = _candidates(xv, yv, px, py, rxs, rxd, rys, ryd, rect_ub, wts, a, b, nx, ny,
                                     rect_val, lub, memo_val, big_i, big_j, i, j, bar, True)
        budget[0] -= 1 + gen // 256
        if top > best:
            best = top
        complete = n == 0
    else:
        rows, n, gen, _ = _candidates(xv, yv, px, py, rxs, rxd, rys, ryd, rect_ub, wts, a, b, nx,
                                      ny, rect_val, lub, memo_val, big_i, big_j, i, j, bar,
                                      False)
        budget[0] -= 1 + gen // 256
        for k in range(n):
            if rows[k, 0] <= bar:
                break
            if budget[0] < 0:
                complete = False
                break
            u2 = rows[k, 10]
            k1 = _key(nx, ny, rows[k, 2], rows[k, 3], rows[k, 4], rows[k, 5])
            v1 = _known(memo_val, memo_depth, fail_depth, fail_need, k1, depth - 1, bar + 1 - u2)
            if v1 < 0:
                v1 = solve(xv, yv, px, py, rxs, rxd, rys, ryd, rect_ub, wts, a, b, rect_val, lub,
                           memo_val, memo_depth, fail_depth, fail_need, budget,
                           rows[k, 2], rows[k, 3], rows[k, 4], rows[k, 5], depth - 1, bar + 1 - u2)
            ok1 = ~memo_depth[_key(nx, ny, rows[k, 2], rows[k, 3], rows[k, 4], rows[k, 5])] \
                == COMPLETE
            if v1 + u2 <= bar:
                complete = complete and ok1
                continue
            k2 = _key(nx, ny, rows[k, 6], rows[k, 7], rows[k, 8], rows[k, 9])
            v2 = _known(memo_val, memo_depth, fail_depth, fail_need, k2, depth - 1, bar + 1 - v1)
            if v2 < 0:
                v2 = solve(xv, yv, px, py, rxs, rxd, rys, ryd, rect_ub, wts, a, b, rect_val, lub,
                           memo_val, memo_depth, fail_depth, fail_need, budget,
                           rows[k, 6], rows[k, 7], rows[k, 8], rows[k, 9], depth - 1, bar + 1 - v1)
            if not (ok1 and ~memo_depth[_key(nx, ny, rows[k, 6], rows[k, 7], rows[k, 8],
                                            rows[k, 9])] == COMPLETE):
                complete = False
            if v1 + v2 > best:
                best = v1 + v2
                if best >= need:
                    break
    memo_val[key] = ~best
    if i == big_i and best > rect_val[big_i * ny + big_j]:
        rect_val[big_i * ny + big_j] = best
    if best >= ub:
        memo_depth[key] = ~COMPLETE
    elif best < need and budget[0] >= 0:
        if full:
            if complete:
                memo_depth[key] = ~COMPLETE
            elif ~memo_depth[key] < depth:
                memo_depth[key] = ~depth
        elif ~fail_depth[key] < depth or (~fail_depth[key] == depth and fail_need[key] > need):
            fail_depth[key] = ~depth
            fail_need[key] = need
    return best


@njit(cache=True)
def find_division(xv, yv, px, py, rxs, rxd, rys, ryd, rect_ub, wts, a, b, rect_val, lub, memo_val,
                  big_i, big_j, i, j, target):
    """A subdivision whose children's known values sum to >= target: (kind, u, v, t) or -1s."""
    nx, ny = xv.shape[0], yv.shape[0]
    rows, n, _, _ = _candidates(xv, yv, px, py, rxs, rxd, rys, ryd, rect_ub, wts, a, b, nx, ny,
                                rect_val, lub, memo_val, big_i, big_j, i, j, target - 1, False)
    for k in range(n):
        k1 = _key(nx, ny, rows[k, 2], rows[k, 3], rows[k, 4], rows[k, 5])
        k2 = _key(nx, ny, rows[k, 6], rows[k, 7], rows[k, 8], rows[k, 9])
        v1 = max(~memo_val[k1], _lower(xv, yv, px, py, ny, rect_val,
                 rows[k, 2], rows[k, 3], rows[k, 4], rows[k, 5]))
        v2 = max(~memo_val[k2], _lower(xv, yv, px, py, ny, rect_val,
                 rows[k, 6], rows[k, 7], rows[k, 8], rows[k, 9]))
        if v1 + v2 >= target:
            return rows[k, 11], rows[k, 12], rows[k, 13], rows[k, 14]
    return -1, -1, -1, -1
