"""Recursive five-block heuristic for identical rectangles (integer data, small instances).

Morabito & Morabito's first-order non-guillotine cut splits a rectangle X x Y at raster points
0 < x1 < x2 < X, 0 < y1 < y2 < Y into five blocks (a pinwheel)::

    +-------+-----------------+
    |       |       B2        |        B4 = [0, x2]  x [0, y1]
    |  B1   +------+----------+ y2     B1 = [0, x1]  x [y1, Y]
    |       |  B3  |          |        B5 = [x2, X]  x [0, y2]
    +-------+------+   B5     | y1     B2 = [x1, X]  x [y2, Y]
    |      B4      |          |        B3 = [x1, x2] x [y1, y2]
    +--------------+----------+
           x1     x2

Every block is solved again the same way (memoised over normalised sub-rectangles); guillotine
cuts are the degenerate case. All cuts of one rectangle are scored at once with numpy, using the
current best values and the upper bounds of the blocks; the most promising cut is refined first
(best-first), and the search stops as soon as a rectangle reaches its upper bound. Candidate
coordinates are raster points, and mirror/rotation symmetries are removed as in Birgin, Lobato &
Morabito (2010).
"""

from __future__ import annotations

import numpy as np

from layoutgen.tiling.rect.bounds import bound_arrays
from layoutgen.tiling.rect.guillotine import Axis, Block, guillotine_blocks

_CHUNK = 200_000  # candidate cuts scored per numpy batch


class _Timeout(Exception):
    pass


class Budget:
    """Deterministic work budget (abstract units).

    The searches charge units for states expanded and candidate cuts scored; a search that runs
    out stops with the best packing found so far, so the answer never depends on the clock or
    the machine load (same input, same output).
    """

    def __init__(self, work: int):
        self.left = work
        self.total = work

    def charge(self, units: int) -> None:
        self.left -= units
        if self.left < 0:
            raise _Timeout

    @property
    def exhausted(self) -> bool:
        return self.left < 0

    @property
    def used(self) -> int:
        return self.total - self.left


class FiveBlock:
    """State of the recursive five-block search over the raster sub-rectangles of one instance."""

    def __init__(self, ax: Axis, ay: Axis, a: int, b: int, gt: np.ndarray, budget: Budget,
                 rect_bound: np.ndarray | None = None):
        self.ax, self.ay, self.a, self.b = ax, ay, a, b
        self.gt = gt
        self.nx, self.ny = ax.n, ay.n
        self.budget = budget
        n = self.nx * self.ny
        _, ub = bound_arrays(ax.vals[:, None], ay.vals[None, :], a, b)
        if rect_bound is not None:
            ub = np.minimum(ub, rect_bound)
        ub = np.maximum(ub, gt)
        self.val = np.zeros(n + 1, dtype=np.int64)  # flat values, last entry: empty block
        self.val[:n] = gt.ravel()
        self.ub = np.zeros(n + 1, dtype=np.int64)
        self.ub[:n] = ub.ravel()
        self.solved = np.zeros(n + 1, dtype=bool)
        self.solved[n] = True
        self.solved[:n] = self.val[:n] >= self.ub[:n]
        # ub_eff: the upper bound while unsolved, the value once solved
        self.ub_eff = np.where(self.solved, self.val, self.ub)
        self.choice: dict[int, tuple[int, int, int, int]] = {}
        self.rx = [ax.raster(i) for i in range(ax.n)]
        self.ry = [ay.raster(j) for j in range(ay.n)]

    # ------------------------------------------------------------------ candidates

    def _candidates(self, i: int, j: int, bar: int) -> tuple[np.ndarray, np.ndarray]:
        """(blocks K x 5 flat ids, params K x 4) of the cuts of state (i, j) whose bound > bar."""
        ax, ay, ny = self.ax, self.ay, self.ny
        x, y = int(ax.vals[i]), int(ay.vals[j])
        rx, ry = self.rx[i], self.ry[j]
        empty = self.nx * self.ny
        ids: list[np.ndarray] = []
        prm: list[np.ndarray] = []
        # first-order non-guillotine cuts
        if rx.shape[0] >= 2 and ry.shape[0] >= 2:
            x1, x2 = np.meshgrid(rx, rx, indexing="ij")
            keep = (x1 < x2) & (x1 + x2 <= x)
            x1, x2 = x1[keep], x2[keep]
            y1, y2 = np.meshgrid(ry, ry, indexing="ij")
            keep = y1 < y2
            y1, y2 = y1[keep], y2[keep]
            if x1.shape[0] and y1.shape[0]:
                px = ax.pos
                py = ay.pos
                cx = np.stack([px[x1], px[x - x1], px[x2 - x1], px[x2], px[x - x2]]) * ny
                cy = np.stack([py[y - y1], py[y - y2], py[y2 - y1], py[y1], py[y2]])
                nyp = y1.shape[0]
                step = max(1, _CHUNK // nyp)
                ube = self.ub_eff
                for c0 in range(0, x1.shape[0], step):
                    cxs = cx[:, c0 : c0 + step]
                    self.budget.charge(1 + cxs.shape[1] * nyp // 4000)
                    blocks = cxs[:, :, None] + cy[:, None, :]  # 5 x chunk x nyp
                    ubs = ube[blocks].sum(axis=0)
                    sel = np.flatnonzero(ubs.ravel() > bar)
                    if sel.shape[0]:
                        ix, iy = sel // nyp, sel % nyp
                        ids.append(blocks.reshape(5, -1)[:, sel].T)
                        ix = ix + c0
                        prm.append(np.stack([x1[ix], x2[ix], y1[iy], y2[iy]], axis=1))
        # guillotine cuts (x1 == x2: vertical at x1; y1 == y2 == -1 marks horizontal)
        ca, cb = self.ax.cuts[i]
        if ca.shape[0]:
            blocks = np.full((ca.shape[0], 5), empty, dtype=np.int64)
            blocks[:, 0] = ca * ny + j
            blocks[:, 1] = cb * ny + j
            xv = ax.vals[ca]
            ids.append(blocks)
            prm.append(np.stack([xv, xv, np.zeros_like(xv), np.zeros_like(xv)], axis=1))
        ca, cb = self.ay.cuts[j]
        if ca.shape[0]:
            blocks = np.full((ca.shape[0], 5), empty, dtype=np.int64)
            blocks[:, 0] = i * ny + ca
            blocks[:, 1] = i * ny + cb
            yv = ay.vals[ca]
            ids.append(blocks)
            prm.append(np.stack([np.zeros_like(yv), np.zeros_like(yv), yv, -np.ones_like(yv)],
                                axis=1))
        if not ids:
            return np.zeros((0, 5), dtype=np.int64), np.zeros((0, 4), dtype=np.int64)
        blocks = np.concatenate(ids)
        params = np.concatenate(prm)
        keep = self.ub_eff[blocks].sum(axis=1) > bar
        return blocks[keep], params[keep]

    # ------------------------------------------------------------------ search

    def _set(self, s: int, v: int, solved: bool) -> None:
        self.val[s] = v
        if solved or v >= self.ub[s]:
            self.solved[s] = True
            self.ub_eff[s] = v

    def solve(self, s: int) -> bool:
        """Improve state s (flat id) as far as the heuristic goes; True if fully explored."""
        if self.solved[s]:
            return True
        self.budget.charge(1)
        i, j = divmod(s, self.ny)
        best = int(self.val[s])
        blocks, params = self._candidates(i, j, best)
        complete = True
        frozen: set[int] = set()
        while blocks.shape[0]:
            self.budget.charge(1 + blocks.shape[0] // 4000)
            cur = self.val[blocks].sum(axis=1)
            k = int(np.argmax(cur))
            if int(cur[k]) > best:
                best = int(cur[k])
                self.val[s] = best
                self.choice[s] = tuple(int(t) for t in params[k])  # type: ignore[assignment]
                if best >= self.ub[s]:
                    break
            ube = self.ub_eff[blocks].sum(axis=1)
            keep = ube > best
            if not keep.all():
                blocks, params, ube, cur = blocks[keep], params[keep], ube[keep], cur[keep]
                if not blocks.shape[0]:
                    break
            k = int(np.argmax(ube * 4096 + cur))
            progressed = False
            for t in blocks[k].tolist():
                if not self.solved[t] and t not in frozen:
                    if not self.solve(t):
                        complete = False
                        frozen.add(t)
                        self.ub_eff[t] = self.val[t]
                    progressed = True
            if not progressed:
                # all blocks of this cut are final: its bound is its value
                blocks = np.delete(blocks, k, axis=0)
                params = np.delete(params, k, axis=0)
        for t in frozen:
            self.ub_eff[t] = self.ub[t]
        self._set(s, best, complete)
        return complete

    # ------------------------------------------------------------------ reconstruction

    def blocks_of(self, s: int, x0: int, y0: int, out: list[Block]) -> None:
        """Append the homogeneous blocks of the best packing of state s placed at (x0, y0)."""
        i, j = divmod(s, self.ny)
        ch = self.choice.get(s)
        if ch is None:
            guillotine_blocks(self.gt, self.ax, self.ay, self.a, self.b, i, j, x0, y0, out)
            return
        x1, x2, y1, y2 = ch
        x, y = int(self.ax.vals[i]), int(self.ay.vals[j])
        px, py, ny = self.ax.pos, self.ay.pos, self.ny
        if y2 == -1:  # horizontal guillotine cut at y1
            self.blocks_of(i * ny + int(py[y1]), x0, y0, out)
            self.blocks_of(i * ny + int(py[y - y1]), x0, y0 + y1, out)
        elif x1 == x2:  # vertical guillotine cut at x1
            self.blocks_of(int(px[x1]) * ny + j, x0, y0, out)
            self.blocks_of(int(px[x - x1]) * ny + j, x0 + x1, y0, out)
        else:
            parts = (
                (0, 0, x2, y1),
                (0, y1, x1, y - y1),
                (x2, 0, x - x2, y2),
                (x1, y2, x - x1, y - y2),
                (x1, y1, x2 - x1, y2 - y1),
            )
            for bx, by, w, h in parts:
                self.blocks_of(int(px[w]) * ny + int(py[h]), x0 + bx, y0 + by, out)


def five_block(
    ax: Axis, ay: Axis, a: int, b: int, gt: np.ndarray, budget: Budget, ub: int | None = None,
    rect_bound: np.ndarray | None = None,
) -> tuple[int, FiveBlock]:
    """Run the recursive five-block heuristic on the whole sheet; returns (value, search).

    `ub`, a (tighter) bound of the whole sheet, stops the search as soon as it is met;
    `rect_bound` (optional, nx x ny) tightens the bound of every sub-rectangle.
    """
    fb = FiveBlock(ax, ay, a, b, gt, budget, rect_bound)
    top = fb.nx * fb.ny - 1
    if ub is not None and ub < fb.ub[top]:
        fb.ub[top] = max(ub, int(fb.val[top]))
        if not fb.solved[top]:
            fb.ub_eff[top] = fb.ub[top]
        fb._set(top, int(fb.val[top]), False)
    try:
        fb.solve(top)
    except _Timeout:
        pass
    return int(fb.val[top]), fb
