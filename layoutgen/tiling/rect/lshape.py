"""L-approach for identical rectangles (Lins, Lins & Morabito 2003; Birgin et al. 2010).

An L-piece (X, Y, x, y) is the region [0, X] x [0, y]  U  [0, x] x [0, Y] (a rectangle when
x == X or y == Y). It is divided recursively into two L-pieces by one of nine staircase cuts
(B1-B5, B8, B9 for a proper L, B6 and B7 for a rectangle) through raster points, each child is
put into standard position (mirrored so its missing corner is the top-right one) and normalised,
and the best division is memoised. Rectangle values start from the five-block search, whose
tables also supply the rectangle upper bounds; pieces are also bounded by straight lines across
them (`lshape_kernel.line_bound`). The search itself runs compiled (`lshape_kernel`); this
module sets it up and turns its memo back into blocks.
"""

from __future__ import annotations

import numpy as np

from layoutgen.tiling.rect import lshape_kernel as kern
from layoutgen.tiling.rect.guillotine import Axis, Block
from layoutgen.tiling.rect.recursive import Budget, FiveBlock, five_block

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


MAX_PIECES = 16_000_000  # largest dense memo (16 bytes per L-piece)
# compiled search units per budget unit (set when a unit of each took the same wall time; the
# kernel now takes ~40 % less time per unit; the budget was kept so the results stay the same)
KERNEL_UNITS = 4
MAX_DEPTH = 3  # division depth searched (every Cover I/II optimum is found by depth 3)


class LApproach:
    """Memoised L-approach on top of a finished (or interrupted) five-block search."""

    def __init__(self, fb: FiveBlock, budget: Budget, weights: np.ndarray | None = None):
        """`weights`: the window weights of `window_bound.window_weights` on the axis values
        (default none: L-pieces then get no window-product bound)."""
        self.fb = fb
        self.budget = budget
        self.nx, self.ny = fb.nx, fb.ny
        n = self.nx * self.ny
        self.xv = np.ascontiguousarray(fb.ax.vals, dtype=np.int64)
        self.yv = np.ascontiguousarray(fb.ay.vals, dtype=np.int64)
        self.px = np.ascontiguousarray(fb.ax.pos, dtype=np.int64)
        self.py = np.ascontiguousarray(fb.ay.pos, dtype=np.int64)
        rxs, rxd = _csr([np.concatenate([[0], r]) for r in fb.rx])
        rys, ryd = _csr([np.concatenate([[0], r]) for r in fb.ry])
        self.val0 = fb.val[:n].copy()  # values the five-block search can rebuild
        self.rect_val = fb.val[:n].copy()  # current best per rectangle (raised by this search)
        size = self.memo_size(self.nx, self.ny)
        self.memo_val = np.zeros(size, dtype=np.int32)
        self.memo_depth = np.zeros(size, dtype=np.int16)
        rect_ub = np.full((n, 2), -1, dtype=np.int64)  # (table bound, with the line bound)
        rect_ub[:, 0] = fb.ub[:n]
        wts = (np.zeros((0, 1 + self.nx + self.ny), dtype=np.int64) if weights is None
               else np.ascontiguousarray(weights, dtype=np.int64))
        self.tables = (self.xv, self.yv, self.px, self.py, rxs, rxd, rys, ryd,
                       rect_ub, wts, np.int64(fb.a), np.int64(fb.b))
        self.lub = np.zeros(size, dtype=np.int32)
        self.fail_depth = np.zeros(size, dtype=np.int16)
        self.fail_need = np.zeros(size, dtype=np.int32)
        self.top = (self.nx - 1, self.ny - 1, self.nx - 1, self.ny - 1)

    @staticmethod
    def fits(fb: FiveBlock) -> bool:
        """True if the memo of this instance is small enough to allocate."""
        return LApproach.memo_size(fb.nx, fb.ny) <= MAX_PIECES

    @staticmethod
    def memo_size(nx: int, ny: int) -> int:
        """Pieces (I, J, i, j) with i <= I < nx and j <= J < ny."""
        return (nx * (nx + 1) // 2) * (ny * (ny + 1) // 2)

    def _key(self, q: tuple[int, int, int, int]) -> int:
        return int(kern._key(self.nx, self.ny, *q))

    def solve_deepening(self, target: int, max_depth: int = MAX_DEPTH) -> int:
        """Deepen the division depth, asking each time for one item more than the best so far,
        until `target`, a proven L-approach optimum, or the end of the budget."""
        work = np.array([int(self.budget.left * KERNEL_UNITS)], dtype=np.int64)
        key = self._key(self.top)
        best = self.value
        depth = 1
        try:
            while best < target and work[0] >= 0:
                v = int(kern.solve(*self.tables, self.rect_val, self.lub, self.memo_val,
                                   self.memo_depth, self.fail_depth, self.fail_need, work,
                                   *self.top, depth, best + 1))
                if v > best:
                    best = v
                    continue
                if ~self.memo_depth[key] >= kern.COMPLETE or depth >= max_depth:
                    break
                depth += 1
            return best
        finally:
            self.budget.left = int(work[0] // KERNEL_UNITS)

    @property
    def value(self) -> int:
        return int(max(~self.memo_val[self._key(self.top)], self.rect_val[-1]))

    # ---------------------------------------------------------------- reconstruction

    def norm(self, q: Piece) -> tuple[int, int, int, int]:
        """Axis indices of the raw L-piece q = (X, Y, x, y)."""
        big_x, big_y, x, y = q
        bi, bj, i, j = kern._std(self.px[big_x], self.py[big_y], self.px[x], self.py[y])
        return int(bi), int(bj), int(i), int(j)

    def _known(self, q: tuple[int, int, int, int]) -> int:
        big_i, big_j, i, j = q
        low = kern._lower(self.xv, self.yv, self.px, self.py, self.ny, self.rect_val,
                          big_i, big_j, i, j)
        return int(max(low, ~self.memo_val[self._key(q)]))

    def blocks(self) -> list[Block]:
        """Blocks of the best packing of the whole sheet found by the search."""
        out: list[Block] = []
        self._blocks(self.top, self.value, out)
        return out

    def _blocks(self, q: tuple[int, int, int, int], target: int, out: list[Block]) -> None:
        """Append blocks (in q's own frame) of a packing of q with >= target items."""
        big_i, big_j, i, j = q
        ny = self.ny
        big_x, big_y, x, y = (int(self.xv[big_i]), int(self.yv[big_j]), int(self.xv[i]),
                              int(self.yv[j]))
        if i == big_i:
            rid = big_i * ny + big_j
            if self.val0[rid] >= target:
                self.fb.blocks_of(rid, 0, 0, out)
                return
        else:
            rv = self.rect_val
            yy, xx = int(self.py[big_y - y]), int(self.px[big_x - x])
            if rv[big_i * ny + j] + rv[i * ny + yy] >= target:
                self._placed((big_i, j, big_i, j), 0, 0, out)
                self._placed((i, yy, i, yy), 0, y, out)
                return
            if rv[i * ny + big_j] + rv[xx * ny + j] >= target:
                self._placed((i, big_j, i, big_j), 0, 0, out)
                self._placed((xx, j, xx, j), x, 0, out)
                return
        kind, u, v, t = kern.find_division(*self.tables, self.rect_val, self.lub, self.memo_val,
                                           big_i, big_j, i, j, target)
        if kind < 0:  # pragma: no cover - memo invariant
            raise RuntimeError("L-approach memo is inconsistent")
        for child, (bx0, by0, fx, fy) in divide(int(kind), (big_x, big_y, x, y),
                                                (int(u), int(v), int(t))):
            c = self.norm(child)
            local: list[Block] = []
            self._blocks(c, self._known(c), local)
            ox, oy = child[0], child[1]
            for bx, by, dx, dy, nx, nyb in local:
                w, h = dx * nx, dy * nyb
                ux = ox - bx - w if fx else bx
                uy = oy - by - h if fy else by
                out.append((bx0 + ux, by0 + uy, dx, dy, nx, nyb))

    def _placed(self, q: tuple[int, int, int, int], x0: int, y0: int, out: list[Block]) -> None:
        local: list[Block] = []
        self._blocks(q, self._known(q), local)
        out.extend((x0 + bx, y0 + by, dx, dy, nx, ny) for bx, by, dx, dy, nx, ny in local)


def _csr(lists: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    starts = np.zeros(len(lists) + 1, dtype=np.int64)
    starts[1:] = np.cumsum([len(r) for r in lists])
    data = np.concatenate(lists).astype(np.int64) if lists else np.zeros(0, dtype=np.int64)
    return starts, data


def recursive_partition(
    ax: Axis, ay: Axis, a: int, b: int, gt: np.ndarray, ub: int, budget: Budget,
    rect_bound: np.ndarray | None = None, weights: np.ndarray | None = None,
) -> tuple[int, list[Block], str]:
    """Five-block heuristic then (if still short of the bound) the L-approach.

    `rect_bound` (nx x ny) bounds every raster sub-rectangle beyond the Barnes table and
    `weights` are the window weights of the L-pieces (`window_bound`); both optional.
    """
    n, fb = five_block(ax, ay, a, b, gt, budget, ub, rect_bound)
    top = fb.nx * fb.ny - 1
    blocks: list[Block] = []
    fb.blocks_of(top, 0, 0, blocks)
    n = sum(bk[4] * bk[5] for bk in blocks)
    strategy = "five-block"
    if n < ub and not budget.exhausted and LApproach.fits(fb):
        la = LApproach(fb, budget, weights)
        la.solve_deepening(ub)
        if la.value > n:
            lblocks = la.blocks()
            m = sum(bk[4] * bk[5] for bk in lblocks)
            if m > n:
                n, blocks, strategy = m, lblocks, "L-approach"
    return n, blocks, strategy
