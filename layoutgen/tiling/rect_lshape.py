"""L-approach for identical rectangles (Lins, Lins & Morabito 2003; Birgin et al. 2010).

An L-piece (X, Y, x, y) is the region [0, X] x [0, y]  U  [0, x] x [0, Y] (a rectangle when
x == X or y == Y). It is divided recursively into two L-pieces by one of nine staircase cuts
(B1-B5, B8, B9 for a proper L, B6 and B7 for a rectangle) through raster points, each child is
put into standard position (mirrored so its missing corner is the top-right one) and normalised,
and the best division is memoised. Rectangle values start from the five-block search, whose
tables also supply the rectangle upper bounds; L-pieces use the area bound.
"""

from __future__ import annotations

import numpy as np

from layoutgen.tiling.rect_guillotine import Block
from layoutgen.tiling.rect_recursive import Budget, FiveBlock

# A child piece: (X, Y, x, y) in its standard frame plus its placement in the parent:
# (bx0, by0, flip_x, flip_y): parent point = (bx0 + (X - u if flip_x else u), ...).
Piece = tuple[int, int, int, int]
Place = tuple[int, int, bool, bool]


def _child(bx0: int, by0: int, bx1: int, by1: int, corner: str, mw: int, mh: int
           ) -> tuple[Piece, Place]:
    """L-piece with bounding box [bx0, bx1] x [by0, by1] missing a mw x mh corner."""
    w, h = bx1 - bx0, by1 - by0
    return (w, h, w - mw, h - mh), (bx0, by0, corner[1] == "l", corner[0] == "b")


def divide(kind: int, q: Piece, p: tuple[int, int, int]) -> tuple[tuple[Piece, Place], ...]:
    """The two children of L-piece q = (X, Y, x, y) under subdivision `kind` at p."""
    big_x, big_y, x, y = q
    u, v, t = p
    if kind == 1:
        return (_child(0, v, x, big_y, "br", x - u, y - v),
                _child(0, 0, big_x, y, "tl", u, y - v))
    if kind == 2:
        return (_child(0, y, x, big_y, "bl", u, v - y),
                _child(0, 0, big_x, v, "tr", big_x - u, v - y))
    if kind == 3:
        return (_child(0, 0, big_x, big_y, "tr", big_x - u, big_y - v),
                _child(u, v, big_x, big_y, "tr", big_x - x, big_y - y))
    if kind == 4:
        return (_child(0, 0, u, big_y, "tr", u - x, big_y - v),
                _child(x, 0, big_x, y, "bl", u - x, v))
    if kind == 5:
        return (_child(0, 0, x, big_y, "br", x - u, v),
                _child(u, 0, big_x, y, "tl", x - u, y - v))
    if kind == 8:
        return (_child(0, 0, x, big_y, "br", x - u, v),
                _child(u, 0, big_x, v, "tr", big_x - x, v - y))
    if kind == 9:
        return (_child(0, v, u, big_y, "tr", u - x, big_y - y),
                _child(0, 0, big_x, y, "tl", u, y - v))
    if kind == 6:  # rectangle: u = x', v = y', t = x''
        return (_child(0, 0, t, big_y, "br", t - u, v),
                _child(u, 0, big_x, big_y, "tl", t - u, big_y - v))
    # kind == 7, rectangle: u = x', v = y', t = y''
    return (_child(0, v, big_x, big_y, "br", big_x - u, t - v),
            _child(0, 0, big_x, t, "tl", u, t - v))


def _grid3(p: np.ndarray, q: np.ndarray, r: np.ndarray) -> tuple[np.ndarray, ...]:
    """Flattened 3-D product grid of three 1-D arrays (first varies slowest)."""
    n1, n2, n3 = p.shape[0], q.shape[0], r.shape[0]
    return (np.repeat(p, n2 * n3), np.tile(np.repeat(q, n3), n1), np.tile(r, n1 * n2))


def _area(q: Piece) -> int:
    big_x, big_y, x, y = q
    return big_x * y + x * (big_y - y)


class LApproach:
    """Memoised L-approach on top of a finished (or interrupted) five-block search."""

    def __init__(self, fb: FiveBlock, budget: Budget):
        self.fb = fb
        self.ab = fb.a * fb.b
        self.budget = budget
        self.px = fb.ax.pos
        self.py = fb.ay.pos
        self.xv = fb.ax.vals
        self.yv = fb.ay.vals
        self.memo: dict[Piece, tuple[int, tuple, bool, int]] = {}
        self.rx = [np.concatenate([[0], r]).tolist() for r in fb.rx]
        self.ry = [np.concatenate([[0], r]).tolist() for r in fb.ry]

    # ---------------------------------------------------------------- helpers

    def norm(self, q: Piece) -> Piece:
        big_x, big_y, x, y = q
        big_x = int(self.xv[self.px[big_x]])
        big_y = int(self.yv[self.py[big_y]])
        x = int(self.xv[self.px[x]])
        y = int(self.yv[self.py[y]])
        if x == 0:
            return (big_x, y, big_x, y)
        if y == 0:
            return (x, big_y, x, big_y)
        if x >= big_x or y >= big_y:
            return (big_x, big_y, big_x, big_y)
        return (big_x, big_y, x, y)

    def _rid(self, big_x: int, big_y: int) -> int:
        return int(self.px[big_x]) * self.fb.ny + int(self.py[big_y])

    def upper(self, q: Piece) -> int:
        if q[0] == q[2]:
            return int(self.fb.ub[self._rid(q[0], q[1])])
        return _area(q) // self.ab

    def lower(self, q: Piece) -> int:
        """Best known value without searching (two guillotine splits of the L)."""
        fb = self.fb
        if q[0] == q[2]:
            return int(fb.val[self._rid(q[0], q[1])])
        big_x, big_y, x, y = q
        h = int(fb.val[self._rid(big_x, y)] + fb.val[self._rid(x, big_y - y)])
        v = int(fb.val[self._rid(x, big_y)] + fb.val[self._rid(big_x - x, y)])
        return max(h, v)

    # ---------------------------------------------------------------- search

    def _normv(self, big_x, big_y, x, y):
        """Vectorised `norm` of arrays of pieces: (X, Y, x, y, upper bound, lower bound)."""
        xv, yv, px, py = self.xv, self.yv, self.px, self.py
        big_x = xv[px[big_x]]
        big_y = yv[py[big_y]]
        x = xv[px[x]]
        y = yv[py[y]]
        zx = x == 0
        zy = (y == 0) & ~zx
        full = ~zx & ~zy & ((x >= big_x) | (y >= big_y))
        rect = zx | zy | full
        nbx = np.where(zy, x, big_x)
        nby = np.where(zx, y, big_y)
        nx_ = np.where(rect, nbx, x)
        ny_ = np.where(rect, nby, y)
        fny = self.fb.ny
        rid = px[nbx] * fny + py[nby]
        ub_rect = self.fb.ub[rid]
        ub_l = (nbx * ny_ + nx_ * (nby - ny_)) // self.ab
        val = self.fb.val
        lb_h = val[px[nbx] * fny + py[ny_]] + val[px[nx_] * fny + py[nby - ny_]]
        lb_v = val[px[nx_] * fny + py[nby]] + val[px[nbx - nx_] * fny + py[ny_]]
        lb = np.where(rect, val[rid], np.maximum(lb_h, lb_v))
        return nbx, nby, nx_, ny_, np.where(rect, ub_rect, ub_l), lb

    def _candidates(self, q: Piece, bar: int) -> tuple | None:
        """Divisions of q whose children's bounds sum above `bar`, most promising first."""
        big_x, big_y, x, y = q
        rx = np.array(self.rx[int(self.px[big_x])], dtype=np.int64)
        ry = np.array(self.ry[int(self.py[big_y])], dtype=np.int64)
        groups = []
        if x == big_x:
            rxp, ryp = rx[rx > 0], ry[ry > 0]
            u, t, v = _grid3(rx, rxp, ry)
            keep = u <= t
            groups.append((6, u[keep], v[keep], t[keep]))
            v, t, u = _grid3(ry, ryp, rx)
            keep = v <= t
            groups.append((7, u[keep], v[keep], t[keep]))
        else:
            xs_in = rx[rx <= x]
            ys_in = ry[ry <= y]
            xs_out = np.unique(np.concatenate([rx[rx >= x], [big_x]]))
            ys_out = np.unique(np.concatenate([ry[ry >= y], [big_y]]))
            for kind, us, vs in ((1, xs_in, ys_in), (3, xs_in, ys_in), (5, xs_in, ys_in),
                                 (2, xs_in, ys_out), (8, xs_in, ys_out),
                                 (4, xs_out, ys_in), (9, xs_out, ys_in)):
                u = np.repeat(us, vs.shape[0])
                v = np.tile(vs, us.shape[0])
                groups.append((kind, u, v, np.zeros_like(u)))
        parts = []
        for kind, u, v, t in groups:
            if u.shape[0] == 0:
                continue
            (c1, _), (c2, _) = divide(kind, q, (u, v, t))
            n = u.shape[0]
            c1 = [c if isinstance(c, np.ndarray) else np.full(n, c, dtype=np.int64) for c in c1]
            c2 = [c if isinstance(c, np.ndarray) else np.full(n, c, dtype=np.int64) for c in c2]
            parts.append((np.full(u.shape, kind), u, v, t, *c1, *c2))
        if not parts:
            return None
        cols = [np.concatenate([pt[i] for pt in parts]) for i in range(12)]
        kind, u, v, t = cols[:4]
        c1, c2 = cols[4:8], cols[8:12]
        a1 = c1[0] * c1[3] + c1[2] * (c1[1] - c1[3])
        a2 = c2[0] * c2[3] + c2[2] * (c2[1] - c2[3])
        n1 = self._normv(*c1)
        n2 = self._normv(*c2)
        us = n1[4] + n2[4]
        self.budget.charge(10 + us.shape[0] // 4000)
        sel = np.flatnonzero((a1 > 0) & (a2 > 0) & (us > bar))
        if sel.shape[0] == 0:
            return None
        lbs = n1[5][sel] + n2[5][sel]
        sel = sel[np.lexsort((-lbs, -us[sel]))]
        return (us[sel].tolist(), kind[sel].tolist(), u[sel].tolist(), v[sel].tolist(),
                t[sel].tolist(), [c[sel].tolist() for c in n1[:4]],
                [c[sel].tolist() for c in n2[:4]], n2[4][sel].tolist())

    def solve(self, q: Piece, depth: int = 1 << 30) -> int:
        """Best value of normalised piece q found by the L-approach within `depth` levels."""
        got = self.memo.get(q)
        if got is not None and (got[2] or got[3] >= depth):
            return got[0]
        self.budget.charge(1)
        ub = self.upper(q)
        best = self.lower(q)
        rec: tuple = ()
        if got is not None and got[0] >= best:
            best, rec = got[0], got[1]
        if best >= ub:
            self.memo[q] = (best, rec, True, depth)
            return best
        if depth <= 0:
            self.memo[q] = (best, rec, False, 0)
            return best
        self.memo[q] = (best, rec, False, -1)  # guard against re-entry
        complete = True
        memo = self.memo
        cand = self._candidates(q, best)
        if cand is not None:
            uss, kinds, us_, vs_, ts_, c1, c2, u2s = cand
            for k in range(len(uss)):
                if uss[k] <= best:
                    break
                n1 = (c1[0][k], c1[1][k], c1[2][k], c1[3][k])
                m1 = memo.get(n1)
                if m1 is None or not (m1[2] or m1[3] >= depth - 1):
                    self.solve(n1, depth - 1)
                    m1 = memo[n1]
                v1, ok1 = m1[0], m1[2]
                if v1 + u2s[k] <= best:
                    complete = complete and ok1
                    continue
                n2 = (c2[0][k], c2[1][k], c2[2][k], c2[3][k])
                m2 = memo.get(n2)
                if m2 is None or not (m2[2] or m2[3] >= depth - 1):
                    self.solve(n2, depth - 1)
                    m2 = memo[n2]
                v2 = m2[0]
                if not (ok1 and m2[2]):
                    complete = False
                if v1 + v2 > best:
                    best = v1 + v2
                    rec = (kinds[k], (us_[k], vs_[k], ts_[k]))
                    if best >= ub:
                        complete = True
                        break
        self.memo[q] = (best, rec, complete, depth)
        if q[0] == q[2]:
            rid = self._rid(q[0], q[1])
            if best > self.fb.val[rid]:
                self.fb.val[rid] = best
        return best

    def solve_deepening(self, q: Piece, target: int) -> int:
        """Iterative deepening on the depth of the division tree until `target` or complete."""
        depth = 1
        while True:
            v = self.solve(q, depth)
            got = self.memo[q]
            if v >= target or got[2]:
                return v
            depth += 1

    # ---------------------------------------------------------------- reconstruction

    def blocks_of(self, q: Piece, x0: int, y0: int, fx: bool, fy: bool, ox: int, oy: int,
                  out: list[Block]) -> None:
        """Append blocks of piece q; local point (u, v) maps to parent frame of size (ox, oy)."""
        got = self.memo.get(q)
        local: list[Block] = []
        if got is None or not got[1]:
            self._lower_blocks(q, local)
        else:
            kind, p = got[1]
            for child, place in divide(kind, q, p):
                n = self.norm(child)
                bx0, by0, cfx, cfy = place
                self.blocks_of(n, bx0, by0, cfx, cfy, child[0], child[1], local)
        for bx, by, dx, dy, nx, ny in local:
            w, h = dx * nx, dy * ny
            ux = ox - bx - w if fx else bx
            uy = oy - by - h if fy else by
            out.append((x0 + ux, y0 + uy, dx, dy, nx, ny))

    def _rect_blocks(self, big_x: int, big_y: int, x0: int, y0: int, out: list[Block]) -> None:
        q = (big_x, big_y, big_x, big_y)
        got = self.memo.get(q)
        if got is not None and got[1]:
            self.blocks_of(q, x0, y0, False, False, big_x, big_y, out)
        else:
            self.fb.blocks_of(self._rid(big_x, big_y), x0, y0, out)

    def _lower_blocks(self, q: Piece, out: list[Block]) -> None:
        fb = self.fb
        big_x, big_y, x, y = q
        if big_x == x:
            fb.blocks_of(self._rid(big_x, big_y), 0, 0, out)
            return
        h = int(fb.val[self._rid(big_x, y)] + fb.val[self._rid(x, big_y - y)])
        v = int(fb.val[self._rid(x, big_y)] + fb.val[self._rid(big_x - x, y)])
        yy = int(self.yv[self.py[big_y - y]])
        xx = int(self.xv[self.px[big_x - x]])
        if h >= v:
            self._rect_blocks(big_x, y, 0, 0, out)
            self._rect_blocks(x, yy, 0, y, out)
        else:
            self._rect_blocks(x, big_y, 0, 0, out)
            self._rect_blocks(xx, y, x, 0, out)
